"""A light SMTP load harness: asyncio clients and an asyncio sink with as little CPU per message as we can.

The server under test shares the machine (2 vCPUs) with its load generator and its next hop. ``smtplib``
client threads plus an ``aiosmtpd`` sink cost about 1.5 ms of CPU per message in one process (GIL
contention between 20 threads included): as much as the relay being measured. In a deployment the sending
MTA and the next hop are Postfix processes (C) or other machines, so a heavy harness takes CPU the server
would have. These two speak plain SMTP without pipelining, one command and reply at a time, like smtplib:

* ``Sink``: EHLO/HELO, MAIL, RCPT, DATA (to ``CRLF.CRLF``), RSET, NOOP, QUIT; 250 to everything, counts
  messages. Replies to unknown commands with 502.
* ``send_all``: ``concurrency`` sessions on one event loop, each EHLO once, then MAIL/RCPT/DATA per message
  back to back, QUIT at the end; latency per message from MAIL to the final reply.

Security: test content only; binds and connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence


class _SinkProtocol(asyncio.Protocol):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.in_data = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    return
                del self.buf[: end + 5]
                self.in_data = False
                self.sink.count += 1
                self.transport.write(b"250 2.0.0 Ok queued\r\n")
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self.buf[:end])
            del self.buf[: end + 2]
            self._command(line)

    def _command(self, line: bytes) -> None:
        assert self.transport is not None
        verb = line[:4].upper()
        if verb == b"EHLO":
            self.transport.write(b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 104857600\r\n")
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self.transport.write(b"250 2.0.0 Ok\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.buf[:0] = b"\r\n"  # the message may end right away: CRLF.CRLF spans the DATA line's CRLF
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 2.0.0 Bye\r\n")
            self.transport.close()
            self.transport = None
        else:
            self.transport.write(b"502 5.5.2 Command not recognized\r\n")


class Sink:
    """The next hop: accepts everything, counts messages."""

    def __init__(self) -> None:
        self.count = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _SinkProtocol(self), "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def _reply(reader: asyncio.StreamReader) -> int:
    """Read one (possibly multi-line) reply; its code."""
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise ConnectionError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


def _dot_stuff(raw: bytes) -> bytes:
    body = raw.replace(b"\r\n.", b"\r\n..")
    if body.startswith(b"."):
        body = b"." + body
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


async def _session(port: int, queue: asyncio.Queue[bytes], latencies: list[float], failures: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if await _reply(reader) != 220:
            raise ConnectionError("no greeting")
        writer.write(b"EHLO bench.client\r\n")
        await _reply(reader)
        while True:
            try:
                raw = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            t0 = time.perf_counter()
            ok = True
            for cmd in (b"MAIL FROM:<kalle@kommun.example.se>\r\n", b"RCPT TO:<mottagare@example.org>\r\n"):
                writer.write(cmd)
                ok = ok and await _reply(reader) == 250
            if ok:
                writer.write(b"DATA\r\n")
                ok = await _reply(reader) == 354
                if ok:
                    writer.write(_dot_stuff(raw))
                    ok = await _reply(reader) == 250
                else:
                    writer.write(b"RSET\r\n")
                    await _reply(reader)
            else:
                writer.write(b"RSET\r\n")
                await _reply(reader)
            latencies.append(time.perf_counter() - t0)
            failures[0] += not ok
        writer.write(b"QUIT\r\n")
        await _reply(reader)
    finally:
        writer.close()


async def send_all(port: int, messages: Sequence[bytes], concurrency: int) -> tuple[float, list[float], int]:
    """Send every message over ``concurrency`` sessions; (elapsed s, latencies s, failed messages)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in messages:
        queue.put_nowait(raw)
    latencies: list[float] = []
    failures = [0]
    t0 = time.perf_counter()
    await asyncio.gather(*(_session(port, queue, latencies, failures) for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, failures[0]
