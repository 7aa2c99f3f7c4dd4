"""End to end over real sockets (SMTP mode): the gateway between smtplib clients and aiosmtpd sinks.

Every test asserts the reply code the client saw AND the bytes that arrived (or did not) at each sink.
"""

from __future__ import annotations

import os
import re
import smtplib
import time
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any

import pytest

TRACE = re.compile(rb"^X-DLP-Gateway: v1; incident=DLP-\d{8}-[0-9A-Z]{8}; action=(\w+); rule=([\w,-]+)")


def send(port: int, sender: str, rcpts: list[str], data: bytes, **kw: Any) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        return s.sendmail(sender, rcpts, data, **kw)


def data_error(port: int, sender: str, rcpts: list[str], data: bytes) -> smtplib.SMTPDataError:
    with pytest.raises(smtplib.SMTPDataError) as exc:
        send(port, sender, rcpts, data)
    return exc.value


def unscannable_mail() -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "kalle@kommun.example.se", "anna@gmail.com", "Filen"
    m.set_content("Se bilagan.")
    m.add_attachment(os.urandom(4096), maintype="application", subtype="octet-stream", filename="data.bin")
    return m.as_bytes().replace(b"\n", b"\r\n")


def test_clean_mail_is_delivered_byte_identical_with_one_trace_header(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    original = h.mail()
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original) == {}
    assert len(nxt.received) == 1 and sec.received == []
    got = nxt.received[0]
    first, rest = h.strip_trace(got.data)
    assert rest == original
    m = TRACE.match(first)
    assert m and m.group(1) == b"deliver" and m.group(2) == b"default"
    assert got.mail_from == "kalle@kommun.example.se" and got.rcpts == ["anna@gmail.com"]
    assert gw.metric("dlp_messages_total", action="deliver") == 1
    assert gw.metric("dlp_smtp_replies_total", code="250") == 1


def test_sensitive_mail_is_rerouted_and_sender_notified(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    original = h.sensitive()
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original) == {}
    assert len(sec.received) == 1
    first, rest = h.strip_trace(sec.received[0].data)
    assert rest == original
    assert TRACE.match(first).group(1) == b"reroute"  # type: ignore[union-attr]
    assert b"categories=personnummer" in first
    # the notice went to the sender via next_hop, with the null sender, and quotes no content
    assert h.wait_until(lambda: len(nxt.received) == 1)
    notice = nxt.received[0]
    assert notice.rcpts == ["kalle@kommun.example.se"] and notice.mail_from in ("", "<>")
    text = message_from_bytes(notice.data).get_payload(decode=True).decode("utf-8")
    assert "Säkra meddelanden" in text and "English" in text
    assert h.SE_TEST not in text and "121212" not in text and "eleven" not in text
    assert gw.metric("dlp_findings_total", category="personnummer") == 1


def test_unscannable_to_external_is_blocked_with_bilingual_550(gateway: Any, sinks: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], unscannable_mail())
    assert err.smtp_code == 550
    text = err.smtp_error.decode("ascii")
    assert text.startswith("5.7.1 Meddelandet stoppades")
    assert "Blocked by data-loss policy" in text and "Sakra meddelanden" in text
    assert re.search(r"Arende DLP-\d{8}-[0-9A-Z]{8}", text) and "unscannable-external" in text
    assert "data.bin" not in text
    assert nxt.received == [] and sec.received == []
    assert gw.metric("dlp_messages_total", action="block") == 1
    assert gw.metric("dlp_unscannable_total", reason="unsupported") == 1


def test_block_text_never_contains_the_matched_value(gateway: Any, sinks: Any, tmp_path: Any, h: Any) -> None:
    policy = tmp_path / "pol"
    policy.mkdir()
    (policy / "default.yaml").write_text(
        "version: 1\nrules:\n  - {id: block-pnr, when: {recipients: external, categories: [personnummer]},"
        " action: block}\n  - {id: default, action: deliver}\n")
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=nxt.url(), policy_dir=policy)
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive())
    assert err.smtp_code == 550 and b"personnummer" in err.smtp_error and b"block-pnr" in err.smtp_error
    assert b"1212" not in err.smtp_error
    assert nxt.received == []


def test_mixed_recipients_internal_plain_external_rerouted_single_250(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    original = h.sensitive()
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com", "berit@kommun.example.se"], original) == {}
    assert [r.rcpts for r in sec.received] == [["anna@gmail.com"]]
    plain = [r for r in nxt.received if r.rcpts == ["berit@kommun.example.se"]]
    assert len(plain) == 1 and h.strip_trace(plain[0].data)[1] == original
    assert TRACE.match(plain[0].data).group(1) == b"deliver"  # type: ignore[union-attr]


def test_next_hop_down_is_451_and_nothing_is_lost(gateway: Any, h: Any) -> None:
    gw = gateway(next_hop=f"smtp://127.0.0.1:{h.free_port()}?tls=none")
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.mail())
    assert (err.smtp_code, err.smtp_error[:5]) == (451, b"4.4.1")
    assert gw.metric("dlp_delivery_failures_total", route="next_hop") == 1


def test_a_retry_after_the_next_hop_recovers_delivers_exactly_once(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks(fail_at={"DATA": "451 4.3.0 queue full"})
    gw = gateway(next_hop=nxt.url())
    original = h.mail()
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original)
    assert err.smtp_code == 451 and nxt.received == []  # the sending MTA keeps the message and retries
    nxt.handler.fail_at.clear()
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original) == {}
    assert len(nxt.received) == 1 and h.strip_trace(nxt.received[0].data)[1] == original


def test_a_retry_after_the_secure_route_recovers_reroutes_once_and_notifies_once(gateway: Any, sinks: Any,
                                                                                  h: Any) -> None:
    nxt, sec = sinks(), sinks(fail_at={"DATA": "421 4.3.2 shutting down"})
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url())
    original = h.sensitive()
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original)
    assert err.smtp_code == 451 and sec.received == [] and nxt.received == []  # no notice for a retried message
    sec.handler.fail_at.clear()
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], original) == {}
    assert [r.rcpts for r in sec.received] == [["anna@gmail.com"]]
    assert h.strip_trace(sec.received[0].data)[1] == original
    assert h.wait_until(lambda: len(nxt.received) >= 1)
    time.sleep(0.3)  # a notice for the refused attempt would have arrived by now too
    assert [r.rcpts for r in nxt.received] == [["kalle@kommun.example.se"]]  # the sender's notice, once


def test_secure_route_down_makes_whole_smtp_message_451(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=f"smtp://127.0.0.1:{h.free_port()}?tls=none")
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com", "berit@kommun.example.se"], h.sensitive())
    assert err.smtp_code == 451
    # no sender notice for a message that will be retried
    assert all(r.rcpts != ["kalle@kommun.example.se"] for r in nxt.received)


@pytest.mark.parametrize(
    ("fault", "code", "enhanced"),
    [
        ({"fail_at": {"MAIL": "451 4.3.0 try later"}}, 451, b"4.4.0"),
        ({"fail_at": {"MAIL": "553 5.7.1 misconfigured"}}, 451, b"4.4.0"),
        ({"fail_at": {"DATA": "452 4.3.1 out of space"}}, 451, b"4.3.1"),
        ({"fail_at": {"DATA": "554 5.6.0 content refused"}}, 554, b"5.6.0"),
        ({"fail_at": {"RCPT": "550 5.1.1 no such user"}}, 550, b"5.1.1"),
        ({"fail_at": {"RCPT": "450 4.2.0 greylisted"}}, 451, b"4.2.0"),
        ({"drop_after_data": True}, 451, b"4.4.1"),
    ],
)
def test_next_hop_replies_map_to_our_reply(gateway: Any, sinks: Any, h: Any, fault: Any, code: int,
                                           enhanced: bytes) -> None:
    nxt = sinks(**fault)
    gw = gateway(next_hop=nxt.url())
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused)) as exc:
        send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.mail())
    err = exc.value
    got = (err.smtp_code, err.smtp_error) if isinstance(err, smtplib.SMTPDataError) else None
    assert got is not None and got[0] == code and got[1].startswith(enhanced)
    assert b"misconfigured" not in got[1] and b"no such user" not in got[1]  # never next-hop internals
    assert nxt.received == []


def test_slow_next_hop_past_deadline_is_451_4_4_2(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks(delay=3.0)
    gw = gateway(next_hop=nxt.url(), relay_deadline=1.0)
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.mail())
    assert (err.smtp_code, err.smtp_error[:5]) == (451, b"4.4.2")


def test_next_hop_reset_mid_data_is_451(gateway: Any, h: Any) -> None:
    sink = h.ScriptedSink(reset_after_bytes=20)
    try:
        gw = gateway(next_hop=sink.url())
        err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.mail(body=("x" * 70 + "\r\n") * 100))
        assert err.smtp_code == 451 and err.smtp_error.startswith(b"4.4.")
        assert sink.connections == 1
    finally:
        sink.close()


def test_partial_permanent_refusal_under_smtp_is_250_plus_undeliverable_notice(gateway: Any, sinks: Any,
                                                                               h: Any) -> None:
    nxt = sinks(refuse={"ghost@gmail.com": "550 5.1.1 no such user"})
    gw = gateway(next_hop=nxt.url())
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com", "ghost@gmail.com"], h.mail()) == {}
    assert h.wait_until(lambda: len(nxt.received) == 2)
    delivered = [r for r in nxt.received if r.rcpts == ["anna@gmail.com"]]
    notices = [r for r in nxt.received if r.rcpts == ["kalle@kommun.example.se"]]
    assert len(delivered) == 1 and len(notices) == 1
    assert b"ghost@gmail.com" in notices[0].data


def test_dsn_parameters_are_carried_on(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url())
    assert send(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.mail(),
                mail_options=["RET=HDRS", "ENVID=Qx7+2Babc"],
                rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Anna@Gmail.com"]) == {}
    got = nxt.received[0]
    assert "RET=HDRS" in got.mail_options and "ENVID=QX7+2BABC" in got.mail_options  # the sink upper-cases
    assert "NOTIFY=SUCCESS,FAILURE" in got.rcpt_options


def test_invalid_dsn_parameter_is_a_syntax_error(gateway: Any) -> None:
    gw = gateway()
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        assert s.has_extn("dsn") and s.has_extn("xforward") and s.has_extn("size") and s.has_extn("8bitmime")
        assert not s.has_extn("auth")
        assert s.mail("kalle@kommun.example.se", ["RET=BOGUS"])[0] == 501
        assert s.mail("kalle@kommun.example.se", ["RET=FULL"])[0] == 250


def test_size_limit_is_552(gateway: Any, h: Any) -> None:
    gw = gateway(data_size_limit=2048)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        assert s.mail("kalle@kommun.example.se", ["SIZE=999999"])[0] == 552
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        s.mail("kalle@kommun.example.se")
        s.rcpt("anna@gmail.com")
        assert s.data(h.mail(body=("y" * 70 + "\r\n") * 100))[0] == 552


def test_too_many_recipients_is_452(gateway: Any) -> None:
    gw = gateway(max_recipients=2)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        s.mail("kalle@kommun.example.se")
        assert s.rcpt("a@gmail.com")[0] == 250 and s.rcpt("b@gmail.com")[0] == 250
        code, text = s.rcpt("c@gmail.com")
        assert (code, text[:5]) == (452, b"4.5.3")


def test_command_call_limit_closes_a_looping_client_but_never_counts_messages(gateway: Any, sinks: Any,
                                                                               h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), command_call_limit=3)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        for _ in range(5):  # MAIL, RCPT and DATA carry mail: a cached connection may send many messages
            assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.mail()) == {}
        assert [s.noop()[0] for _ in range(3)] == [250, 250, 250]
        code, text = s.noop()
        assert code == 421 and b"too many" in text
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()
    assert len(nxt.received) == 5


def test_bad_address_syntax_is_refused(gateway: Any) -> None:
    gw = gateway()
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        assert s.mail("not an address@@x")[0] in (501, 553)
        assert s.mail("kalle@kommun.example.se")[0] == 250
        assert s.rcpt("anna@")[0] in (501, 553)
        assert s.rcpt("anna@gmail.com")[0] == 250


def test_null_sender_is_accepted(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url())
    assert send(gw.port, "", ["anna@gmail.com"], h.mail()) == {}
    assert nxt.received[0].mail_from in ("", "<>")


def test_client_outside_allowed_networks_is_refused(gateway: Any) -> None:
    gw = gateway(allowed_clients=(__import__("ipaddress").ip_network("10.0.0.0/8"),))
    with pytest.raises(smtplib.SMTPConnectError) as exc:
        smtplib.SMTP("127.0.0.1", gw.port, timeout=10)
    assert exc.value.smtp_code == 554


def test_xforward_is_accepted_before_mail(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url())
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        assert s.docmd("XFORWARD", "NAME=client.example ADDR=192.0.2.7 PROTO=ESMTP")[0] == 250
        assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.mail()) == {}
        assert s.docmd("XFORWARD", "BOGUS=1")[0] == 501


def test_scanner_failure_is_451_without_exception_text(gateway: Any, sinks: Any, h: Any) -> None:
    class Broken:
        async def start(self) -> None: ...
        async def close(self) -> None: ...
        async def scan(self, raw: bytes, settings: Any) -> Any:
            raise RuntimeError("secret internal detail 19121212-1212")

    nxt = sinks()
    gw = gateway(next_hop=nxt.url())
    gw.gw.scanner = Broken()
    err = data_error(gw.port, "kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive())
    assert (err.smtp_code, err.smtp_error[:5]) == (451, b"4.3.0")
    assert b"secret" not in err.smtp_error and b"RuntimeError" not in err.smtp_error
    assert nxt.received == []


def test_back_pressure_gives_451_4_3_2_when_saturated(gateway: Any, sinks: Any, h: Any) -> None:
    import threading

    nxt = sinks(delay=1.5)
    gw = gateway(next_hop=nxt.url(), max_inflight=1)
    first: list[Any] = []
    t = threading.Thread(target=lambda: first.append(send(gw.port, "kalle@kommun.example.se", ["a@gmail.com"],
                                                          h.mail())))
    t.start()
    import time

    deadline = time.monotonic() + 5
    while gw.gw.inflight == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.ehlo()
        code, text = s.mail("kalle@kommun.example.se")
    t.join(10)
    assert (code, text[:5]) == (451, b"4.3.2")
    assert first == [{}] and len(nxt.received) == 1


def test_stalled_data_upload_times_out_and_nothing_is_delivered(gateway: Any, sinks: Any) -> None:
    import socket
    import time

    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), scan_deadline=0.5, relay_deadline=0.5, timeout=1.5)
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"HELO c\r\n")
    f.readline()
    s.sendall(b"MAIL FROM:<kalle@kommun.example.se>\r\nRCPT TO:<anna@gmail.com>\r\nDATA\r\n")
    assert [f.readline()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
    s.sendall(b"Subject: half\r\n\r\nhalf a mess")
    t0 = time.monotonic()
    assert f.readline() == b""  # the server closed the connection: no reply means the client retries
    assert 1.0 < time.monotonic() - t0 < 5.0
    s.close()
    assert nxt.received == []
