"""LMTP mode (Postfix after-queue content filter): one reply per recipient after DATA."""

from __future__ import annotations

import os
import re
import socket
from email.message import EmailMessage
from typing import Any

ENC = re.compile(r"^\d\.\d{1,3}\.\d{1,3}")


def unscannable(to: str) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "kalle@kommun.example.se", to, "Filen"
    m.set_content("Se bilagan.")
    m.add_attachment(os.urandom(2048), maintype="application", subtype="octet-stream", filename="x.bin")
    return m.as_bytes().replace(b"\n", b"\r\n")


def test_lmtp_clean_mail_one_250_per_recipient(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), protocol="lmtp")
    original = h.mail()
    replies = h.lmtp_send(gw.port, "kalle@kommun.example.se", ["a@gmail.com", "b@kommun.example.se"], original)
    assert [c for c, _ in replies] == [250, 250]
    assert all("DLP-" in t for _, t in replies)
    assert len(nxt.received) == 1 and sorted(nxt.received[0].rcpts) == ["a@gmail.com", "b@kommun.example.se"]
    assert h.strip_trace(nxt.received[0].data)[1] == original


def test_lmtp_block_only_for_blocked_recipients(gateway: Any, sinks: Any, h: Any) -> None:
    nxt, sec = sinks(), sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=sec.url(), protocol="lmtp")
    data = unscannable("a@gmail.com")
    replies = h.lmtp_send(gw.port, "kalle@kommun.example.se", ["a@gmail.com", "b@kommun.example.se"], data)
    assert [c for c, _ in replies] == [550, 250]
    assert replies[0][1].startswith("5.7.1 Meddelandet stoppades") and "Blocked by data-loss policy" in replies[0][1]
    assert [r.rcpts for r in nxt.received] == [["b@kommun.example.se"]]
    assert sec.received == []


def test_lmtp_secure_route_down_451_only_for_rerouted(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), secure_route=f"smtp://127.0.0.1:{h.free_port()}?tls=none", protocol="lmtp")
    replies = h.lmtp_send(gw.port, "kalle@kommun.example.se", ["a@gmail.com", "b@kommun.example.se", "c@gmail.com"],
                          h.sensitive())
    assert [c for c, _ in replies] == [451, 250, 451]
    assert replies[0][1].startswith("4.4.1")
    assert [r.rcpts for r in nxt.received] == [["b@kommun.example.se"]]  # no reroute notice: nothing rerouted


def test_lmtp_next_hop_refuses_one_recipient_permanently(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks(refuse={"ghost@gmail.com": "550 5.1.1 no such user"})
    gw = gateway(next_hop=nxt.url(), protocol="lmtp")
    replies = h.lmtp_send(gw.port, "kalle@kommun.example.se", ["a@gmail.com", "ghost@gmail.com"], h.mail())
    assert [c for c, _ in replies] == [250, 550]
    assert replies[1][1].startswith("5.1.1") and "no such user" not in replies[1][1]
    assert [r.rcpts for r in nxt.received] == [["a@gmail.com"]]  # LMTP: Postfix bounces, we send no notice


def test_lmtp_rejects_helo_and_ehlo(gateway: Any) -> None:
    gw = gateway(protocol="lmtp")
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220")
    s.sendall(b"EHLO x\r\n")
    assert f.readline().startswith(b"500")
    s.sendall(b"LHLO x\r\n")
    lines = []
    while True:
        line = f.readline()
        lines.append(line)
        if line[3:4] == b" ":
            break
    assert b"250-DSN\r\n" in lines and any(x.startswith(b"250-XFORWARD") for x in lines)
    s.close()


def test_lmtp_internal_error_gives_451_per_recipient(gateway: Any, h: Any) -> None:
    class Broken:
        async def start(self) -> None: ...
        async def close(self) -> None: ...
        async def scan(self, raw: bytes, settings: Any) -> Any:
            raise MemoryError("boom")

    gw = gateway(protocol="lmtp")
    gw.gw.scanner = Broken()
    replies = h.lmtp_send(gw.port, "kalle@kommun.example.se", ["a@gmail.com", "b@gmail.com"], h.mail())
    assert replies == [(451, "4.3.0 Temporary local problem, please try again later")] * 2


def test_lmtp_pipelined_transaction(gateway: Any, sinks: Any, h: Any) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), protocol="lmtp")
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"LHLO x\r\n")
    lhlo = []
    while not lhlo or lhlo[-1][3:4] != b" ":
        lhlo.append(f.readline())
    assert b"250-PIPELINING\r\n" in lhlo
    s.sendall(b"MAIL FROM:<kalle@kommun.example.se> BODY=8BITMIME\r\nRCPT TO:<a@gmail.com> NOTIFY=NEVER\r\n"
              b"RCPT TO:<b@kommun.example.se>\r\nDATA\r\n")
    assert [f.readline()[:3] for _ in range(4)] == [b"250", b"250", b"250", b"354"]
    s.sendall(h.mail() + b".\r\nQUIT\r\n")
    assert [f.readline()[:3] for _ in range(3)] == [b"250", b"250", b"221"]
    s.close()
    assert len(nxt.received) == 1 and "NOTIFY=NEVER" in nxt.received[0].rcpt_options
