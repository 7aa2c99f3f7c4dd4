"""Real-socket fixtures: the gateway on an ephemeral port, aiosmtpd sinks with smtp-sink-style faults,
a scripted raw sink for resets mid-DATA, and a small LMTP client that reads one reply per recipient."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from gateway.config import GatewayConfig, RouteSpec
from gateway.server import Gateway, ThreadScanner

SE_TEST = "19121212-1212"  # Skatteverket test personnummer


class LoopThread:
    """An event loop in a daemon thread; ``call`` runs a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    def close_server(self, server: asyncio.AbstractServer) -> None:
        """Close a server on its own loop (asyncio objects are not thread-safe)."""

        async def close() -> None:
            server.close()

        self.call(close())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class Received:
    mail_from: str
    rcpts: list[str]
    mail_options: list[str]
    rcpt_options: list[str]
    data: bytes


@dataclass
class SinkHandler:
    """smtp-sink-style faults: a reply at a chosen command, refused recipients, delay, drop after '.'."""

    fail_at: dict[str, str] = field(default_factory=dict)  # command -> full reply line
    refuse: dict[str, str] = field(default_factory=dict)  # rcpt -> reply line
    delay: float = 0.0
    drop_after_data: bool = False
    received: list[Received] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        if "EHLO" in self.fail_at:
            return [self.fail_at["EHLO"]]
        return [*responses[:-1], "250-DSN", responses[-1]]

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if "MAIL" in self.fail_at:
            return self.fail_at["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if "RCPT" in self.fail_at:
            return self.fail_at["RCPT"]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.drop_after_data:
            server.transport.close()
            return "250 never seen"
        if "DATA" in self.fail_at:
            return self.fail_at["DATA"]
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options),
                                      list(envelope.rcpt_options), bytes(envelope.original_content)))
        return "250 2.0.0 Ok: queued"


class SinkSMTP(SMTP):
    """A sink that accepts DSN parameters like a real MTA does."""

    def _getparams(self, params: Any) -> Any:
        result = super()._getparams(params)
        if result is not None:
            for k in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                result.pop(k, None)
        return result


class Sink:
    """An aiosmtpd sink on its own loop thread."""

    def __init__(self, runner: LoopThread, handler: SinkHandler | None = None) -> None:
        self.handler = handler or SinkHandler()
        self.runner = runner

        async def start() -> asyncio.AbstractServer:
            loop = asyncio.get_running_loop()
            return await loop.create_server(
                lambda: SinkSMTP(self.handler, hostname="sink", enable_SMTPUTF8=True, loop=loop), "127.0.0.1", 0)

        self.server = runner.call(start())
        self.port: int = self.server.sockets[0].getsockname()[1]

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=none"

    def close(self) -> None:
        self.runner.close_server(self.server)


class ScriptedSink:
    """A raw socket server that speaks just enough SMTP, then resets the connection inside DATA."""

    def __init__(self, reset_after_bytes: int = 10) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.reset_after = reset_after_bytes
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        conn.sendall(b"220 scripted\r\n")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line[:4].upper()
                if cmd == b"EHLO":
                    conn.sendall(b"250-scripted\r\n250 8BITMIME\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    f.read(self.reset_after)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    conn.close()
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=none"

    def close(self) -> None:
        self.sock.close()


def free_port() -> int:
    """A port nobody listens on (bound and released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


class RunningGateway:
    """The real gateway on an ephemeral port, in its own loop thread."""

    def __init__(self, cfg: GatewayConfig, **kwargs: Any) -> None:
        self.runner = LoopThread()
        self.cfg = cfg

        async def make() -> Gateway:
            gw = Gateway(cfg, scanner=kwargs.pop("scanner", ThreadScanner()), start_metrics=False, **kwargs)
            await gw.start()
            return gw

        self.gw: Gateway = self.runner.call(make())
        self.port = self.gw.port

    def stop(self) -> None:
        self.runner.call(self.gw.stop(), timeout=60)
        self.runner.close()

    def metric(self, name: str, **labels: str) -> float:
        value = self.gw.metrics.registry.get_sample_value(name, labels or None)
        return float(value or 0.0)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture
def sinks(loop_thread: LoopThread) -> Iterator[Callable[..., Sink]]:
    made: list[Sink] = []

    def make(**faults: Any) -> Sink:
        s = Sink(loop_thread, SinkHandler(**faults))
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """``gateway(next_hop=url, secure_route=url, **config)`` -> a running gateway."""
    made: list[RunningGateway] = []

    def make(next_hop: str | None = None, secure_route: str | None = None, **over: Any) -> RunningGateway:
        from gateway.config import parse_route

        base = GatewayConfig(
            listen_port=0, metrics_listen=None, quarantine_dir=tmp_path / "quarantine",
            next_hop=parse_route(next_hop) if next_hop else RouteSpec("maildir", str(tmp_path / "outbound")),
            secure_route=parse_route(secure_route) if secure_route else RouteSpec("maildir", str(tmp_path / "secure")),
            internal_domains=("kommun.example.se",), scan_deadline=10.0, relay_deadline=5.0, timeout=60.0,
            shutdown_grace=10.0)
        extra = {"scanner": over.pop("scanner")} if "scanner" in over else {}
        g = RunningGateway(dataclasses.replace(base, **over), **extra)
        made.append(g)
        return g

    yield make
    for g in made:
        g.stop()


def mail(body: str = "Hej,\r\nvi ses imorgon.\r\n", subject: str = "Mote", to: str = "anna@gmail.com",
         sender: str = "kalle@kommun.example.se", extra: bytes = b"") -> bytes:
    """A small plain-text message with CRLF line endings."""
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <t{time.time_ns()}@kommun.example.se>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n").encode()
    return head + extra + b"\r\n" + body.encode("utf-8")


def sensitive(to: str = "anna@gmail.com") -> bytes:
    return mail(f"Hej,\r\neleven har personnummer {SE_TEST}.\r\n", subject="Elev", to=to)


def strip_trace(data: bytes) -> tuple[bytes, bytes]:
    """(the one prepended X-DLP-Gateway header line, the rest)."""
    first, _, rest = data.partition(b"\r\n")
    return first, rest


def lmtp_send(port: int, sender: str, rcpts: list[str], data: bytes, timeout: float = 30.0) -> list[tuple[int, str]]:
    """Speak LMTP; returns one (code, text) per accepted recipient after DATA."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    f = s.makefile("rb")

    def reply() -> tuple[int, str]:
        lines = []
        while True:
            line = f.readline().decode("ascii")
            lines.append(line[4:].strip())
            if line[3:4] != "-":
                return int(line[:3]), "\n".join(lines)

    reply()
    s.sendall(b"LHLO client.example\r\n")
    reply()
    s.sendall(f"MAIL FROM:<{sender}>\r\n".encode())
    assert reply()[0] == 250
    accepted = 0
    for r in rcpts:
        s.sendall(f"RCPT TO:<{r}>\r\n".encode())
        accepted += reply()[0] == 250
    s.sendall(b"DATA\r\n")
    assert reply()[0] == 354
    body = data.replace(b"\r\n.", b"\r\n..")
    s.sendall(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
    out = [reply() for _ in range(accepted)]
    s.sendall(b"QUIT\r\n")
    s.close()
    return out


def wait_until(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until ``pred()`` (notices are sent in the background, after the reply)."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def h() -> SimpleNamespace:
    """Helpers for tests (conftest modules are not importable under --import-mode=importlib)."""
    return SimpleNamespace(mail=mail, sensitive=sensitive, strip_trace=strip_trace, lmtp_send=lmtp_send,
                           free_port=free_port, ScriptedSink=ScriptedSink, SE_TEST=SE_TEST,
                           wait_until=wait_until)
