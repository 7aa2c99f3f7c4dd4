"""gateway.audit and gateway.metrics: domains only, masked samples, closed label sets."""

from __future__ import annotations

import json
import logging

import pytest

from gateway import audit
from gateway.envelope import build_message
from gateway.metrics import Metrics
from gateway.model import (
    Action,
    Category,
    Decision,
    Finding,
    Location,
    Mode,
    Reason,
    Reply,
    ScanResult,
    Unscannable,
    Verdict,
)


def test_audit_record_has_domains_only_and_masked_samples(caplog: pytest.LogCaptureFixture) -> None:
    raw = (b"Received: from x (x [192.0.2.1])\r\n\tby mx.kommun.example.se (Postfix) with ESMTP id 4Xy1Zq0abc\r\n"
           b"Subject: Elev\r\n\r\nPersonnummer 19121212-1212\r\n")
    msg = build_message(raw, "kalle@kommun.example.se", ["anna@gmail.com"], internal=["kommun.example.se"])
    result = ScanResult((Finding("se_personnummer", Category.PERSONNUMMER, "body", 1, 0.97, "1912****-**12"),),
                        (Unscannable(Location(("attachment[1] x.zip",)), Reason.ENCRYPTED),), scan_ms=3.21)
    v = Verdict(msg.incident, (Decision(msg.rcpts[0], Action.REROUTE, Action.REROUTE, "sensitive-external",
                                        Mode.ENFORCE),), result)
    rec = audit.record(msg, v, {"anna@gmail.com": Reply(250, "2.0.0", "Ok")})
    assert rec["queue_id"] == "4Xy1Zq0abc" and rec["incident"] == msg.incident and rec["mode"] == "enforce"
    assert rec["recipients"] == [{"domain": "gmail.com", "scope": "external", "action": "reroute",
                                  "intended": "reroute", "rule": "sensitive-external", "reply": "250"}]
    assert rec["categories"] == ["personnummer", "unscannable"]
    assert rec["unscannable"] == [{"location": "attachment[1] x.zip", "reason": "encrypted"}]
    with caplog.at_level(logging.INFO, logger="dlp.audit"):
        audit.emit(rec)
    line = caplog.records[-1].getMessage()
    assert json.loads(line)["findings"][0]["sample"] == "1912****-**12"
    assert "19121212-1212" not in line and "anna@" not in line and "Elev" not in line


def test_queue_id_absent_or_hostile() -> None:
    assert audit.queue_id(b"Subject: x\r\n\r\nbody") is None
    assert audit.queue_id(b'Received: by x with id "}, {"x": 1\r\n\r\n') is None


def test_metrics_closed_label_sets() -> None:
    m = Metrics()
    m.message("deliver")
    m.message("anna@gmail.com")
    m.categories(["personnummer", "19121212-1212"])
    m.unscannable_reason("encrypted")
    m.reply(550)
    m.reply(9999)
    m.delivery_failure("smtp://10.0.0.1")
    m.reload(False)
    get = m.registry.get_sample_value
    assert get("dlp_messages_total", {"action": "deliver"}) == 1 and get("dlp_messages_total", {"action": "other"}) == 1
    assert get("dlp_findings_total", {"category": "other"}) == 1
    assert get("dlp_smtp_replies_total", {"code": "550"}) == 1 and get("dlp_smtp_replies_total", {"code": "other"}) == 1
    assert get("dlp_delivery_failures_total", {"route": "other"}) == 1
    assert get("dlp_policy_reloads_total", {"result": "rejected"}) == 1
    m.worker_restart("timeout")
    m.worker_restart("/etc/passwd")
    m.relay_seconds("next_hop", 0.02)
    assert get("dlp_worker_restarts_total", {"cause": "timeout"}) == 1
    assert get("dlp_worker_restarts_total", {"cause": "other"}) == 1
    assert get("dlp_relay_duration_seconds_count", {"route": "next_hop"}) == 1
    assert get("dlp_build_info", {"version": __import__("gateway").__version__}) == 1
    names = {mf.name for mf in m.registry.collect()}
    assert {"dlp_messages", "dlp_findings", "dlp_unscannable", "dlp_scan_duration_seconds", "dlp_smtp_replies",
            "dlp_delivery_failures", "dlp_policy_reloads", "dlp_inflight_messages"} <= names


def test_metrics_endpoint_serves_and_stops() -> None:
    import urllib.request

    m = Metrics()
    port = m.start("127.0.0.1", 0)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "dlp_inflight_messages 0.0" in body
    finally:
        m.stop()
