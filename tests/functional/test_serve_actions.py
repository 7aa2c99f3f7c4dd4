"""Quarantine (store + operator CLI), block notices, HTTPS secure route, policy reload — over real sockets."""

from __future__ import annotations

import argparse
import json
import smtplib
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gateway import quarantine


def policy(tmp_path: Path, rules: str) -> Path:
    d = tmp_path / "policy"
    d.mkdir(exist_ok=True)
    (d / "default.yaml").write_text("version: 1\nrules:\n" + rules + "  - {id: default, action: deliver}\n")
    return d


def send(port: int, rcpts: list[str], data: bytes) -> dict[str, Any]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        return s.sendmail("kalle@kommun.example.se", rcpts, data)


def test_quarantine_store_then_list_show_release(gateway: Any, sinks: Any, h: Any, tmp_path: Path,
                                                 capsys: Any) -> None:
    nxt = sinks()
    pol = policy(tmp_path, "  - {id: hold-pnr, when: {recipients: external, categories: [personnummer]},"
                           " action: quarantine}\n")
    gw = gateway(next_hop=nxt.url(), policy_dir=pol)
    original = h.sensitive()
    assert send(gw.port, ["anna@gmail.com"], original) == {}
    assert nxt.received == []
    store = quarantine.QuarantineStore(tmp_path / "quarantine")
    [entry] = store.entries()
    assert entry["rule"] == "hold-pnr" and entry["recipients"] == ["anna@gmail.com"]
    assert entry["categories"] == ["personnummer"]
    assert store.raw(entry["id"]) == original
    assert list((tmp_path / "quarantine" / "tmp").iterdir()) == []
    assert h.SE_TEST not in json.dumps(entry)

    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"next_hop: {nxt.url()}\nquarantine_dir: {tmp_path / 'quarantine'}\nmetrics_listen: off\n")
    ns = argparse.Namespace
    assert quarantine.main(ns(config=str(cfg), action="list", id=None)) == 0
    assert entry["id"] in capsys.readouterr().out
    assert quarantine.main(ns(config=str(cfg), action="show", id=entry["id"])) == 0
    shown = capsys.readouterr().out
    assert "hold-pnr" in shown and h.SE_TEST not in shown
    assert quarantine.main(ns(config=str(cfg), action="show", id="../../etc/passwd")) == 2
    assert quarantine.main(ns(config=str(cfg), action="release", id=entry["id"])) == 0
    assert len(nxt.received) == 1 and nxt.received[0].rcpts == ["anna@gmail.com"]
    first, rest = h.strip_trace(nxt.received[0].data)
    assert rest == original and b"action=release" in first
    assert store.entries() == []
    assert quarantine.main(ns(config=str(cfg), action="delete", id=entry["id"])) == 1


def test_quarantine_delete(tmp_path: Path, capsys: Any) -> None:
    store = quarantine.QuarantineStore(tmp_path / "q")
    ident = "DLP-20260101-ABCDEFGH"
    store.put(ident, b"Subject: x\r\n\r\nbody\r\n", {"id": ident, "received": 1.0, "recipients": ["a@b.se"]})
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"quarantine_dir: {tmp_path / 'q'}\n")
    assert quarantine.main(argparse.Namespace(config=str(cfg), action="delete", id=ident)) == 0
    assert store.entries() == [] and list((tmp_path / "q" / "msgs").iterdir()) == []


def test_quarantine_unwritable_is_451(gateway: Any, h: Any, tmp_path: Path) -> None:
    pol = policy(tmp_path, "  - {id: hold, when: {recipients: external, categories: [personnummer]}, action: quarantine}\n")
    gw = gateway(policy_dir=pol)
    tmp = tmp_path / "quarantine" / "tmp"
    tmp.rmdir()
    tmp.write_text("not a directory")  # fails for root too (disk full behaves the same: OSError)
    with pytest.raises(smtplib.SMTPDataError) as exc:
        send(gw.port, ["anna@gmail.com"], h.sensitive())
    assert (exc.value.smtp_code, exc.value.smtp_error[:5]) == (451, b"4.3.0")
    assert list((tmp_path / "quarantine" / "msgs").iterdir()) == []


def test_block_with_sender_notice_and_security_copy(gateway: Any, sinks: Any, h: Any, tmp_path: Path) -> None:
    nxt = sinks()
    pol = policy(tmp_path, "  - {id: soc-block, when: {recipients: external, categories: [personnummer]},"
                           " action: block, reply: use_treserva, notify: [sender, security]}\n")
    gw = gateway(next_hop=nxt.url(), policy_dir=pol, security_mailbox="security@kommun.example.se")
    with pytest.raises(smtplib.SMTPDataError) as exc:
        send(gw.port, ["anna@gmail.com"], h.sensitive())
    assert exc.value.smtp_code == 550 and b"Treserva" in exc.value.smtp_error
    assert h.wait_until(lambda: len(nxt.received) == 2)
    by_rcpt = {r.rcpts[0]: r for r in nxt.received}
    assert set(by_rcpt) == {"kalle@kommun.example.se", "security@kommun.example.se"}
    notice = message_from_bytes(by_rcpt["kalle@kommun.example.se"].data)
    text = notice.get_payload(decode=True).decode("utf-8")
    assert "Treserva" in text and "avidentifiera" in text and h.SE_TEST not in text
    sec_text = message_from_bytes(by_rcpt["security@kommun.example.se"].data).get_payload(decode=True).decode()
    assert "soc-block" in sec_text and h.SE_TEST not in sec_text


class _Api(BaseHTTPRequestHandler):
    status = 201
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Any:
    _Api.seen = []
    _Api.status = 201
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_https_secure_route_posts_message_and_metadata(gateway: Any, sinks: Any, h: Any, api: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=f"http://127.0.0.1:{api.server_address[1]}/messages")
    original = h.sensitive()
    assert send(gw.port, ["anna@gmail.com"], original) == {}
    [(headers, body)] = _Api.seen
    assert len(headers["Idempotency-Key"]) == 32
    assert headers["Content-Type"].startswith("multipart/form-data")
    assert b'"recipients": ["anna@gmail.com"]' in body and original in body


def test_https_secure_route_sends_bearer_token_from_file(gateway: Any, sinks: Any, h: Any, api: Any,
                                                         tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    gw = gateway(next_hop=sinks().url(), secure_route=f"http://127.0.0.1:{api.server_address[1]}/m",
                 https_token_file=token)
    assert send(gw.port, ["anna@gmail.com"], h.sensitive()) == {}
    [(headers, _)] = _Api.seen
    assert headers["Authorization"] == "Bearer s3cret-token"


def test_https_secure_route_error_is_451(gateway: Any, sinks: Any, h: Any, api: Any) -> None:
    _Api.status = 503
    gw = gateway(next_hop=sinks().url(), secure_route=f"http://127.0.0.1:{api.server_address[1]}/messages")
    with pytest.raises(smtplib.SMTPDataError) as exc:
        send(gw.port, ["anna@gmail.com"], h.sensitive())
    assert exc.value.smtp_code == 451


def test_policy_reload_swaps_and_rejects_invalid(gateway: Any, sinks: Any, h: Any, tmp_path: Path) -> None:
    nxt, sec = sinks(), sinks()
    pol = policy(tmp_path, "")
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url(), policy_dir=pol)
    assert send(gw.port, ["anna@gmail.com"], h.sensitive()) == {}
    assert len(nxt.received) == 1 and sec.received == []
    (pol / "default.yaml").write_text(
        "version: 1\nrules:\n  - {id: r, when: {recipients: external, categories: [personnummer]}, action: reroute}\n"
        "  - {id: default, action: deliver}\n")
    assert gw.runner.call(gw.gw.reload()) is True
    assert send(gw.port, ["anna@gmail.com"], h.sensitive()) == {}
    assert len(sec.received) == 1
    (pol / "default.yaml").write_text("version: 1\nrules:\n  - {id: x, action: explode}\n")
    assert gw.runner.call(gw.gw.reload()) is False
    assert send(gw.port, ["anna@gmail.com"], h.sensitive()) == {}
    assert len(sec.received) == 2  # the old policy was kept
    assert gw.metric("dlp_policy_reloads_total", result="ok") == 1
    assert gw.metric("dlp_policy_reloads_total", result="rejected") == 1


def test_policy_file_change_is_picked_up_without_a_signal(gateway: Any, sinks: Any, h: Any, tmp_path: Path) -> None:
    import time

    nxt, sec = sinks(), sinks()
    pol = policy(tmp_path, "")
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url(), policy_dir=pol, policy_poll=0.2)
    (pol / "default.yaml").write_text(
        "version: 1\nrules:\n  - {id: r, when: {recipients: external, categories: [personnummer]}, action: reroute}\n"
        "  - {id: default, action: deliver}\n")
    deadline = time.monotonic() + 10
    while gw.metric("dlp_policy_reloads_total", result="ok") < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert send(gw.port, ["anna@gmail.com"], h.sensitive()) == {}
    assert len(sec.received) == 1
