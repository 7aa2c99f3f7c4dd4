"""SMTP smuggling and injection (design §10, CVE-2024-27305 class): data ends only at CRLF.CRLF, stray CR/LF
is normalised before scanning and relaying (or refused), no exception text ever reaches a client.

Real sockets: the gateway and an aiosmtpd sink run on a loop thread; clients are raw sockets so that we can
send byte sequences smtplib would refuse to produce.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from gateway.config import GatewayConfig, RouteSpec
from gateway.server import Gateway, ThreadScanner


class Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.t = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.t.start()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


class LongLineSMTP(SMTP):
    """A next hop that, like Postfix, takes long lines."""

    line_length_limit = 1 << 20


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Any]:
    lp = Loop()
    rec = Recorder()

    async def start_sink() -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: LongLineSMTP(rec, hostname="sink", loop=loop), "127.0.0.1", 0)

    sink = lp.call(start_sink())
    port = sink.sockets[0].getsockname()[1]
    gws: list[Gateway] = []

    def make(**over: Any) -> int:
        cfg = GatewayConfig(listen_port=0, metrics_listen=None, quarantine_dir=tmp_path / "q",
                            next_hop=RouteSpec("smtp", "127.0.0.1", port, "none"),
                            secure_route=RouteSpec("maildir", str(tmp_path / "secure")),
                            internal_domains=("kommun.example.se",), relay_deadline=5, scan_deadline=5, timeout=30)

        async def start() -> Gateway:
            gw = Gateway(dataclasses.replace(cfg, **over), scanner=ThreadScanner(), start_metrics=False)
            await gw.start()
            return gw

        gw = lp.call(start())
        gws.append(gw)
        return gw.port

    yield type("Env", (), {"make": staticmethod(make), "rec": rec, "tmp": tmp_path, "gws": gws})
    for gw in gws:
        lp.call(gw.stop())
    lp.loop.call_soon_threadsafe(sink.close)  # asyncio objects are closed on their own loop
    lp.loop.call_soon_threadsafe(lp.loop.stop)
    lp.t.join(5)
    lp.loop.close()  # an unclosed loop's __del__ warning, run by GC inside a later ast.parse, trips CPython 3.11.7


class Raw:
    """A raw SMTP client that sends exactly the bytes given."""

    def __init__(self, port: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.f = self.s.makefile("rb")
        self.reply()

    def reply(self) -> bytes:
        out = b""
        while True:
            line = self.f.readline()
            out += line
            if not line or line[3:4] != b"-":
                return out

    def cmd(self, data: bytes) -> bytes:
        self.s.sendall(data)
        return self.reply()

    def close(self) -> None:
        self.s.close()


def transaction(port: int, body: bytes, ehlo: bytes = b"EHLO c\r\n") -> tuple[bytes, Raw]:
    c = Raw(port)
    c.cmd(ehlo)
    assert c.cmd(b"MAIL FROM:<kalle@kommun.example.se>\r\n").startswith(b"250")
    assert c.cmd(b"RCPT TO:<anna@gmail.com>\r\n").startswith(b"250")
    assert c.cmd(b"DATA\r\n").startswith(b"354")
    return c.cmd(body), c


SMUGGLE = (b"MAIL FROM:<ceo@kommun.example.se>\r\nRCPT TO:<victim@evil.example>\r\nDATA\r\n"
           b"Subject: smuggled\r\n\r\nsmuggled\r\n")


@pytest.mark.parametrize("ending", [b"\n.\r\n", b"\r\n.\n", b"\n.\n", b"\r.\r", b"\r\n.\r\r\n", b"\r\n\x00.\r\n"])
def test_smuggled_end_of_data_stays_inside_one_message(env: Any, ending: bytes) -> None:
    port = env.make()
    reply, c = transaction(port, b"Subject: hi\r\n\r\nhello" + ending + SMUGGLE + b".\r\n")
    assert reply.startswith(b"250 ")
    assert c.cmd(b"QUIT\r\n").startswith(b"221")
    c.close()
    assert len(env.rec.messages) == 1
    sender, rcpts, data = env.rec.messages[0]
    assert rcpts == ["anna@gmail.com"] and sender == "kalle@kommun.example.se"
    assert b"victim@evil.example" in data  # delivered as text of the one message, never as commands
    # stray CR/LF were normalised: every CR is followed by LF and every LF preceded by CR
    assert data.count(b"\r") == data.count(b"\n") == data.count(b"\r\n")


def test_cr_cr_lf_is_a_real_end_of_data_and_the_stray_cr_is_normalised(env: Any) -> None:
    """``\\r\\r\\n.\\r\\n`` contains a genuine CRLF.CRLF: the data ends there (as in Postfix)."""
    port = env.make()
    reply, c = transaction(port, b"Subject: hi\r\n\r\nhello\r\r\n.\r\n")
    assert reply.startswith(b"250 ")
    assert c.cmd(b"QUIT\r\n").startswith(b"221")
    c.close()
    [(_, _, data)] = env.rec.messages
    assert data.endswith(b"hello\r\n\r\n") and data.count(b"\r") == data.count(b"\r\n")


def test_bare_lf_message_is_relayed_with_crlf(env: Any) -> None:
    port = env.make()
    reply, c = transaction(port, b"Subject: lf\nX-A: 1\n\nline one\nline two\r\n.\r\n")
    c.close()
    assert reply.startswith(b"250 ")
    data = env.rec.messages[0][2]
    assert data.endswith(b"Subject: lf\r\nX-A: 1\r\n\r\nline one\r\nline two\r\n")


def test_bare_newline_reject_mode_is_550_5_6_0(env: Any) -> None:
    port = env.make(bare_newline="reject")
    reply, c = transaction(port, b"Subject: x\r\n\r\nhello\n.\r\nmore\r\n.\r\n")
    c.close()
    assert reply.startswith(b"550 5.6.0")
    assert env.rec.messages == []


def test_forged_trace_header_does_not_influence_the_decision(env: Any) -> None:
    port = env.make()
    body = (b"X-DLP-Gateway: v1; incident=DLP-20260101-AAAAAAAA; action=deliver; rule=default\r\n"
            b"Subject: x\r\n\r\nPersonnummer 19121212-1212 for eleven.\r\n.\r\n")
    reply, c = transaction(port, body)
    c.close()
    assert reply.startswith(b"250 ")
    assert env.rec.messages == [] or all(m[1] == ["kalle@kommun.example.se"] for m in env.rec.messages)
    secure = list((env.tmp / "secure" / "new").iterdir())
    assert len(secure) == 1
    envelope, _, stored = secure[0].read_bytes().partition(b"Delivered-To: anna@gmail.com\r\n")
    assert envelope == b"Return-Path: <kalle@kommun.example.se>\r\n"  # the Maildir's envelope lines come first
    assert stored.startswith(b"X-DLP-Gateway: v1; incident=DLP-") and not stored.startswith(body[:40])


def test_notice_never_copies_header_values(env: Any) -> None:
    port = env.make()
    body = (b"Subject: =?utf-8?q?hej=0D=0ABcc:_victim@evil.example?=\r\nFrom: x\r\n\r\n"
            b"Personnummer 19121212-1212 for eleven.\r\n.\r\n")
    reply, c = transaction(port, body)
    c.close()
    assert reply.startswith(b"250 ")
    deadline = time.monotonic() + 10  # notices are sent in the background, after the reply
    while not env.rec.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    notices = [m for m in env.rec.messages if m[1] == ["kalle@kommun.example.se"]]
    assert len(notices) == 1
    assert b"victim" not in notices[0][2] and b"Bcc" not in notices[0][2] and b"1212-1212" not in notices[0][2]


def test_command_injection_in_address_is_refused(env: Any) -> None:
    port = env.make()
    c = Raw(port)
    c.cmd(b"EHLO c\r\n")
    assert not c.cmd(b"MAIL FROM:<a@kommun.example.se\rRCPT TO:<v@evil.example>>\r\n").startswith(b"250")
    c.close()


def test_exception_in_a_hook_gives_generic_451_not_its_text(env: Any) -> None:
    port = env.make()
    gw = env.gws[-1]

    async def boom(*args: Any) -> str:
        raise RuntimeError("internal detail /etc/secret 19121212-1212")

    gw.handler.handle_RCPT = boom  # the protocol looks hooks up per connection
    c = Raw(port)
    c.cmd(b"EHLO c\r\n")
    c.cmd(b"MAIL FROM:<kalle@kommun.example.se>\r\n")
    reply = c.cmd(b"RCPT TO:<anna@gmail.com>\r\n")
    c.close()
    assert reply.startswith(b"451 4.3.0") and b"RuntimeError" not in reply and b"secret" not in reply


def test_lmtp_exception_in_a_hook_is_421_and_close(env: Any) -> None:
    port = env.make(protocol="lmtp")
    gw = env.gws[-1]

    async def boom(*args: Any) -> str:
        raise RuntimeError("detail")

    gw.handler.handle_RCPT = boom
    c = Raw(port)
    c.cmd(b"LHLO c\r\n")
    c.cmd(b"MAIL FROM:<kalle@kommun.example.se>\r\n")
    reply = c.cmd(b"RCPT TO:<anna@gmail.com>\r\n")
    assert reply.startswith(b"421 ") and b"detail" not in reply
    assert c.f.readline() == b""  # closed
    c.close()


def test_long_lines_and_large_bare_lf_messages_are_relayed_not_bounced(env: Any) -> None:
    port = env.make()
    long_line = b"Subject: long\r\n\r\n" + b"x" * 5000 + b"\r\n.\r\n"
    reply, c = transaction(port, long_line)
    assert reply.startswith(b"250 ")
    assert c.cmd(b"MAIL FROM:<kalle@kommun.example.se>\r\n").startswith(b"250")  # back to command mode
    assert c.cmd(b"RCPT TO:<anna@gmail.com>\r\n").startswith(b"250")
    assert c.cmd(b"DATA\r\n").startswith(b"354")
    bare = b"Subject: bare\n\n" + b"line of text\n" * 400
    assert c.cmd(bare + b"\r\n.\r\n").startswith(b"250 ")
    assert c.cmd(b"NOOP " + b"y" * 3000 + b"\r\n").startswith(b"500")  # command lines keep their limit
    c.close()
    first, second = (m[2] for m in env.rec.messages)
    assert first.endswith(b"x" * 5000 + b"\r\n")
    assert second.endswith(b"line of text\r\n" * 400 + b"\r\n") and b"\n" not in second.replace(b"\r\n", b"")
