"""SMTPUTF8 end to end, and one heavy message in the real scan pool not delaying other sessions."""

from __future__ import annotations

import smtplib
import threading
import time
from email import message_from_bytes
from typing import Any


def test_smtputf8_addresses_and_8bit_body_are_carried_on(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    body = "Hej Åsa,\r\nvi ses på mötet.\r\n"
    raw = h.mail(body=body, to="åsa@exempel.se", sender="örjan@kommun.example.se").replace(
        b"charset=utf-8\r\n", b"charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo()
        assert s.has_extn("smtputf8") and s.has_extn("8bitmime")
        assert s.sendmail("örjan@kommun.example.se", ["åsa@exempel.se"], raw,
                          mail_options=["SMTPUTF8", "BODY=8BITMIME"]) == {}
    [got] = nxt.received
    assert got.rcpts == ["åsa@exempel.se"] and got.mail_from == "örjan@kommun.example.se"
    assert "SMTPUTF8" in got.mail_options and "BODY=8BITMIME" in got.mail_options
    assert h.strip_trace(got.data)[1] == raw


def test_notice_to_a_utf8_sender(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        assert s.sendmail("örjan@kommun.example.se", ["anna@gmail.com"], h.sensitive(),
                          mail_options=["SMTPUTF8"]) == {}
    assert len(sec.received) == 1
    assert h.wait_until(lambda: len(nxt.received) == 1)
    [notice] = nxt.received
    assert notice.rcpts == ["örjan@kommun.example.se"] and "SMTPUTF8" in notice.mail_options
    assert "Säkra meddelanden" in message_from_bytes(notice.data).get_payload(decode=True).decode("utf-8")


def test_heavy_message_does_not_delay_other_sessions(gateway: Any, sinks: Any, h: Any) -> None:
    from gateway.extract.pool import ScanPool

    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), scanner=ScanPool(workers=2))
    prose = "Kommunfullmäktige beslutade om budget och planering för skolan under nästa läsår.\r\n"
    heavy = h.mail(body=prose * 100_000, subject="heavy")  # ~8.5 MB of text through every detector
    done: dict[str, float] = {}

    def send(name: str, raw: bytes) -> None:
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", gw.port, timeout=120) as s:
            s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], raw)
        done[name] = time.monotonic() - t0

    t = threading.Thread(target=send, args=("heavy", heavy))
    t.start()
    time.sleep(0.5)  # the heavy message is uploaded and scanning
    send("light", h.mail(subject="light"))
    light_done_at = time.monotonic()
    t.join(120)
    assert done["light"] < 1.0, done
    assert "heavy" in done and done["heavy"] > done["light"]
    assert light_done_at < time.monotonic()
    assert {message_from_bytes(r.data)["Subject"] for r in nxt.received} == {"heavy", "light"}
