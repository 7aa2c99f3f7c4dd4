"""The SMTP/LMTP listener: our aiosmtpd subclasses, the in-flight gate, signals and reload (design §2.1, §4).

We build the server ourselves (``loop.create_server(lambda: GatewaySMTP(handler, ...))``) rather than use
aiosmtpd's ``Controller``, so that we choose: raw bytes (``decode_data=False``), SMTPUTF8 on, SIZE, DSN
(RET/ENVID/NOTIFY/ORCPT accepted instead of ``555``) and XFORWARD advertised, the peer allow-list checked
before the greeting, and ``timeout`` > scan + relay deadlines (checked in ``gateway.config``).

Lifecycle: SIGTERM/SIGINT stop accepting, answer ``421`` to idle connections, let in-flight messages
finish within ``shutdown_grace``, exit 0. SIGHUP reloads policies and templates; an invalid policy is
rejected and the old one kept.

Security: only ``allowed_clients`` (default loopback) get a greeting — others get ``554 5.7.1`` and are
disconnected, so the gateway is never an open relay; AUTH is not offered; XFORWARD values are reduced to
short printable tokens and used only in the audit log; pinned aiosmtpd >= 1.4.6 (CVE-2024-27305,
CVE-2024-34083).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import signal
import ssl
import sys
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, syntax

from gateway import redact
from gateway.actor import Actor
from gateway.config import ConfigError, GatewayConfig, is_allowed, load
from gateway.deliver import notify
from gateway.deliver.base import Route
from gateway.deliver.routes import make_route
from gateway.extract.base import Limits
from gateway.handler import Handler
from gateway.metrics import Metrics
from gateway.model import ScanResult
from gateway.quarantine import QuarantineStore
from gateway.replies import ACCESS_DENIED, LMTP_ABORT, SHUTTING_DOWN, load_templates

log = logging.getLogger("dlp.server")
DSN_MAIL = ("RET", "ENVID")
DSN_RCPT = ("NOTIFY", "ORCPT")
XFORWARD_ATTRS = ("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE")
DATA_UNLIMITED = 2**40  # data_size_limit 0: no limit (the stream still needs one)
EXTENSIONS = ("250-DSN", "250-XFORWARD " + " ".join(XFORWARD_ATTRS))


class GatewaySMTP(SMTP):  # type: ignore[misc]
    """aiosmtpd's SMTP with DSN, XFORWARD, a peer allow-list and graceful shutdown."""

    extensions: tuple[str, ...] = EXTENSIONS

    def __init__(self, handler: Handler, gateway: Gateway, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.gateway = gateway
        self.command_size_limits = collections.defaultdict(lambda: 2048)
        self.busy = False
        self._in_ehlo = False
        self._dsn_keys: tuple[str, ...] = ()
        self._raw_params: list[str] | None = None
        self._close_after_push = False

    async def _handle_client(self) -> None:
        assert self.session is not None and self.transport is not None
        peer = self.session.peer
        ip = peer[0] if isinstance(peer, tuple) else ""
        if not is_allowed(self.gateway.cfg, ip):
            log.warning("refused client %s", ip or "?")
            await self.push(ACCESS_DENIED.render())
            self.transport.close()
            return
        if self.gateway.stopping:
            await self.push(SHUTTING_DOWN.render())
            self.transport.close()
            return
        self.gateway.connections.add(self)
        try:
            await super()._handle_client()
        finally:
            self.gateway.connections.discard(self)

    async def push(self, status: Any) -> None:
        """Add our EHLO keywords before the final ``250 HELP``; drop AUTH (never offered)."""
        if self._in_ehlo and isinstance(status, str):
            if status.startswith("250-AUTH"):
                return
            if status == "250 HELP":
                for ext in self.extensions:
                    await super().push(ext)
        await super().push(status)
        if self._close_after_push and self.transport is not None:
            self.transport.close()

    async def smtp_EHLO(self, hostname: str) -> None:  # noqa: N802
        """EHLO with DSN and XFORWARD advertised."""
        self._in_ehlo = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._in_ehlo = False

    async def smtp_MAIL(self, arg: str | None) -> None:  # noqa: N802
        """MAIL accepting RET/ENVID (carried on to the next hop)."""
        self._dsn_keys, self._raw_params = DSN_MAIL, _raw_params(arg, "FROM:", self)
        try:
            await super().smtp_MAIL(arg)
        finally:
            self._dsn_keys, self._raw_params = (), None

    async def smtp_RCPT(self, arg: str | None) -> None:  # noqa: N802
        """RCPT accepting NOTIFY/ORCPT (carried on per recipient)."""
        self._dsn_keys, self._raw_params = DSN_RCPT, _raw_params(arg, "TO:", self)
        try:
            await super().smtp_RCPT(arg)
        finally:
            self._dsn_keys, self._raw_params = (), None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        """DATA, marked busy so that shutdown lets it finish; afterwards closes if stopping.

        The data is read with ``read_data`` (two stream reads per message) instead of aiosmtpd's loop (one
        ``readuntil`` and a debug log call per line: ~0.3 ms for a 200-line mail, the largest single cost in
        the gateway's own process). Same rules: only CRLF.CRLF ends the data, dot-unstuffing per CRLF line,
        ``552`` beyond ``data_size_limit``, with no per-line limit inside DATA (aiosmtpd would answer a
        permanent ``500 Line too long`` to a long line or a whole bare-LF message, i.e. bounce mail that we
        can normalise and relay).
        """
        self.busy = True
        reader = self._reader
        limit = reader._limit  # type: ignore[attr-defined]
        try:
            await self._data(arg)
        finally:
            self.busy = False
            reader._limit = limit  # type: ignore[attr-defined]
        if self.gateway.stopping and self.transport is not None:
            await super().push(SHUTTING_DOWN.render())
            self.transport.close()

    async def _data(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        size = self.data_size_limit or DATA_UNLIMITED
        self._reader._limit = size + 8  # type: ignore[attr-defined]
        try:
            raw = await read_data(self._reader, size)
        except asyncio.CancelledError:
            log.info("connection lost during DATA")
            self._writer.close()
            raise
        except asyncio.IncompleteReadError:
            self._writer.close()
            return
        if raw is None:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        self.envelope.content = self.envelope.original_content = raw
        status = await self._call_handler_hook("DATA") if "DATA" in self._handle_hooks else MISSING
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def smtp_XFORWARD(self, arg: str | None) -> None:  # noqa: N802
        """Postfix XFORWARD: remember the original client for the audit log."""
        assert self.session is not None and self.envelope is not None
        if not arg or self.envelope.mail_from:
            await self.push("503 5.5.1 Error: XFORWARD only before MAIL")
            return
        xf = getattr(self.session, "xforward", None) or {}
        for item in arg.split():
            key, _, value = item.partition("=")
            if key.upper() not in XFORWARD_ATTRS:
                await self.push("501 5.5.4 Bad XFORWARD attribute")
                return
            xf[key.upper()] = "".join(c for c in value if c.isalnum() or c in ".:-_[]@")[:80]
        self.session.xforward = xf  # type: ignore[attr-defined]
        await self.push("250 2.0.0 Ok")

    def _getparams(self, params: Any) -> Any:
        result = super()._getparams(params)
        if result is None:
            return None
        for key in self._dsn_keys:
            value = result.pop(key, None)
            if value is not None and not _dsn_ok(key, value):
                return None
        return result

    def original_params(self) -> list[str] | None:
        """This command's parameters in the client's case (for the handler)."""
        return self._raw_params


class GatewayLMTP(GatewaySMTP):
    """LMTP (RFC 2033): LHLO instead of HELO/EHLO; one reply per recipient after DATA."""

    show_smtp_greeting = False
    # RFC 2033: LMTP servers must support PIPELINING; aiosmtpd answers commands strictly in order
    extensions = ("250-PIPELINING", *EXTENSIONS)

    async def smtp_LHLO(self, arg: str) -> None:  # noqa: N802
        """The LMTP greeting."""
        await GatewaySMTP.smtp_EHLO(self, arg)

    async def smtp_HELO(self, arg: str) -> None:  # noqa: N802
        """Not LMTP."""
        await self.push('500 Error: command "HELO" not recognized')

    async def smtp_EHLO(self, arg: str) -> None:  # noqa: N802
        """Not LMTP."""
        await self.push('500 Error: command "EHLO" not recognized')

    async def handle_exception(self, error: Exception) -> str:
        """One line for N recipients would desynchronise Postfix's LMTP client: 421 and close."""
        log.error("LMTP session error: %s", type(error).__name__)
        self._close_after_push = True
        return LMTP_ABORT.render()


LMTP_CLASS = LMTP  # the reference implementation we mirror


async def read_data(reader: asyncio.StreamReader, limit: int) -> bytes | None:
    """The message after ``354``: up to the first CRLF.CRLF (the DATA line's CRLF counts), dot-unstuffed.

    ``None`` when it is longer than ``limit`` (everything up to the end of data is then read and dropped).
    A line starting with ``.`` or CR is read on its own, since the terminator may begin at the CRLF already
    consumed; any other first byte means the terminator lies wholly ahead, and one ``readuntil`` finds it.
    The stream's limit must exceed ``limit``.
    """
    data = bytearray()
    try:
        while len(data) <= limit:
            first = await reader.readexactly(1)
            if first in (b".", b"\r"):
                line = await _line(reader, first)
                if line == b".\r\n":
                    break
                data += line
                continue
            data += first
            data += await reader.readuntil(b"\r\n.\r\n")
            del data[-3:]  # the terminator's dot line; its CRLF ends the last line of data
            break
        else:
            await _drain(reader, pending=False)
            return None
    except asyncio.LimitOverrunError as exc:
        await reader.readexactly(exc.consumed)
        await _drain(reader, pending=True)
        return None
    if len(data) > limit:
        return None
    if data.startswith(b"."):
        del data[0]
    return bytes(data).replace(b"\r\n.", b"\r\n")


async def _line(reader: asyncio.StreamReader, line: bytes) -> bytes:
    """The rest of a line whose first byte was read; a CR is read byte by byte (its LF may be next)."""
    while line.endswith(b"\r"):
        line += await reader.readexactly(1)
        if line.endswith(b"\r\n"):
            return line
    return line + await reader.readuntil(b"\r\n")


async def _drain(reader: asyncio.StreamReader, pending: bool) -> None:
    """Read and drop lines up to the end of data; ``pending``: the current line has begun already."""
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            await reader.readexactly(exc.consumed)
            pending = True
            continue
        if not pending and line == b".\r\n":
            return
        pending = False


def _raw_params(arg: str | None, keyword: str, proto: SMTP) -> list[str] | None:
    """The parameters after the address, in the client's case (ENVID and ORCPT are case-sensitive)."""
    if not arg or arg[: len(keyword)].upper() != keyword:
        return None
    rest = arg[len(keyword) :].strip()
    if rest.startswith("<") and '"' not in rest:  # the common case, without the full RFC 5322 parser
        return rest.partition(">")[2].split()
    _addr, params = proto._getaddr(rest)
    return params.split() if params is not None else None


def _dsn_ok(key: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if key == "RET":
        return value in ("FULL", "HDRS")
    if key == "NOTIFY":
        parts = set(value.split(","))
        return parts == {"NEVER"} or (bool(parts) and parts <= {"SUCCESS", "FAILURE", "DELAY"})
    return 0 < len(value) <= 500


class ThreadScanner:
    """Fallback scanner with ScanPool's interface (used only when the pool module is missing)."""

    async def start(self) -> None:
        """Nothing to start."""

    async def scan(self, raw: bytes, settings: Any) -> ScanResult:
        """Scan in a thread (no isolation)."""
        from gateway.scan import scan_bytes

        return await asyncio.to_thread(scan_bytes, raw, settings)

    async def close(self) -> None:
        """Nothing to close."""


def make_scanner(cfg: GatewayConfig, metrics: Metrics | None = None) -> Any:
    """The extraction worker pool (killable processes), or the thread fallback if it is not installed."""
    try:
        from gateway.extract.pool import ScanPool, usable_cores
    except ImportError:
        log.warning("gateway.extract.pool missing: scanning in threads without isolation")
        return ThreadScanner()
    on_restart = metrics.worker_restart if metrics is not None else None
    # Two scan workers per usable core: a worker waiting to be scheduled (the SMTP process and the hand-off
    # threads share the cores) must not hold up the next scan. bench/throughput.py on 2 vCPUs: 4 workers cut
    # the scan wait of plain-text mail from ~12 to ~5 ms; 6 and 8 were no better. Each has its own RLIMIT_AS.
    workers = cfg.workers or 2 * usable_cores()
    return ScanPool(workers=workers, limits=scan_limits(cfg), on_restart=on_restart)


def scan_limits(cfg: GatewayConfig) -> Limits:
    """Extraction limits whose message clock fits ``scan_deadline``: a slow scan ends as ``Unscannable(timeout)``
    (the policy decides, fail-closed) instead of an endless series of 451 retries."""
    return dataclasses.replace(cfg.limits, message_seconds=min(cfg.limits.message_seconds, cfg.scan_deadline))


class Gateway:
    """One running gateway: listener, policy, scanner, routes, metrics; usable in-process by tests."""

    def __init__(
        self,
        cfg: GatewayConfig,
        *,
        scanner: Any = None,
        next_hop: Route | None = None,
        secure_route: Route | None = None,
        start_metrics: bool = True,
    ) -> None:
        from gateway.paths import bundled_policy_dir
        from gateway.policy import load_policy

        self.cfg = cfg
        self.limits = scan_limits(cfg)
        ocr = cfg.limits.ocr_seconds if cfg.limits.ocr else 0.0
        self.scan_wait = cfg.scan_deadline + ocr + 5.0  # the pool answers first; this is a backstop
        self.policy_dir = cfg.policy_dir or bundled_policy_dir()
        self._policy_seen = self._policy_signature()  # before loading: a change while loading is seen later
        self.policy = load_policy(self.policy_dir)
        self.metrics = Metrics()
        self.scanner = scanner if scanner is not None else make_scanner(cfg, self.metrics)
        self.next_hop = next_hop or make_route("next_hop", cfg.next_hop, cfg)
        self.secure_route = secure_route or make_route("secure_route", cfg.secure_route, cfg)
        self.quarantine = QuarantineStore(cfg.quarantine_dir)
        self.actor = Actor(
            self.next_hop,
            self.secure_route,
            self.quarantine,
            self.metrics,
            lmtp=cfg.protocol == "lmtp",
            relay_deadline=cfg.relay_deadline,
        )
        self._load_templates()
        self.handler = Handler(self)
        self.connections: set[GatewaySMTP] = set()
        self.inflight = 0
        self.stopping = False
        self.stopped = asyncio.Event()
        self.port = 0
        self.metrics_port = 0
        self._start_metrics = start_metrics
        self._server: asyncio.AbstractServer | None = None
        self._watch: asyncio.Task[None] | None = None

    def _load_templates(self) -> None:
        from gateway.paths import bundled_policy_dir

        templates = load_templates(bundled_policy_dir())  # operators may override some names only
        if self.policy_dir.resolve() != bundled_policy_dir().resolve():
            templates.update(load_templates(self.policy_dir))
        self.actor.templates = templates
        tdir = self.policy_dir / "templates"
        if not tdir.is_dir():
            tdir = bundled_policy_dir() / "templates"
        self.actor.notifier = notify.Notifier(
            self.next_hop,
            notify.load_templates(tdir),
            header_from=self.cfg.notify_header_from,
            envelope_from=self.cfg.notify_from,
            security_mailbox=self.cfg.security_mailbox,
            deadline=min(30.0, self.cfg.relay_deadline),
        )

    def inflight_add(self, n: int) -> None:
        """Count a message entering (+1) or leaving (-1) scan and hand-off."""
        self.inflight += n
        self.metrics.inflight.set(self.inflight)

    def _protocol(self) -> GatewaySMTP:
        cls = GatewayLMTP if self.cfg.protocol == "lmtp" else GatewaySMTP
        return cls(
            self.handler,
            self,
            data_size_limit=self.cfg.data_size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.cfg.hostname or "dlp-gateway",
            ident="dlp-gateway ESMTP",
            timeout=self.cfg.timeout,
            tls_context=self._tls(),
            loop=asyncio.get_running_loop(),
        )

    def _tls(self) -> ssl.SSLContext | None:
        if self.cfg.tls_cert is None or self.cfg.tls_key is None:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cfg.tls_cert), str(self.cfg.tls_key))
        return ctx

    async def start(self) -> None:
        """Start the scan pool, the listener and the metrics endpoint."""
        await self.scanner.start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.cfg.listen_host, self.cfg.listen_port)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.cfg.metrics_listen and self._start_metrics:
            try:
                self.metrics_port = self.metrics.start(*self.cfg.metrics_listen)
            except OSError as exc:
                log.warning("metrics endpoint not started: %s", exc.strerror)
        log.info("listening on %s:%d (%s)", self.cfg.listen_host, self.port, self.cfg.protocol)
        if self.cfg.policy_poll > 0:
            self._watch = loop.create_task(self._watch_policy())

    def _policy_signature(self) -> tuple[tuple[str, int, int], ...]:
        """Names, sizes and mtimes of every file under the policy directory (a change triggers a reload)."""
        out = []
        for path in sorted(self.policy_dir.rglob("*")):
            try:
                st = path.stat()
            except OSError:
                continue
            if path.is_file():
                out.append((str(path), st.st_size, st.st_mtime_ns))
        return tuple(out)

    async def _watch_policy(self) -> None:
        """Reload when a policy file changes (mtime poll, design §7.2); SIGHUP does the same at once."""
        while not self.stopping:
            await asyncio.sleep(self.cfg.policy_poll)
            try:
                now = await asyncio.to_thread(self._policy_signature)
            except OSError:
                continue
            if now != self._policy_seen:
                self._policy_seen = now
                await self.reload()

    async def reload(self) -> bool:
        """Reload policies and templates; an invalid policy is rejected and the old one kept."""
        from gateway.policy import PolicyError, load_policy

        try:
            policy = await asyncio.to_thread(load_policy, self.policy_dir)
            self._load_templates()
        except (PolicyError, ValueError, OSError) as exc:
            for line in getattr(exc, "errors", [str(exc)]):
                log.error("policy reload rejected: %s", line)
            self.metrics.reload(False)
            return False
        self.policy = policy
        self.metrics.reload(True)
        log.info("policy reloaded from %s", self.policy_dir)
        return True

    def request_stop(self) -> None:
        """Begin a graceful stop (signal handler)."""
        self.stopped.set()

    async def stop(self) -> None:
        """Stop accepting, 421 to idle connections, finish in-flight messages, close everything."""
        self.stopping = True
        if self._watch is not None:
            self._watch.cancel()
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            if not conn.busy and conn.transport is not None:
                try:
                    conn._writer.write((SHUTTING_DOWN.render() + "\r\n").encode("ascii"))
                    conn.transport.close()
                except (OSError, RuntimeError, AttributeError):
                    continue  # the client went away meanwhile
        loop = asyncio.get_running_loop()
        until = loop.time() + self.cfg.shutdown_grace
        while (self.inflight or any(c.busy for c in self.connections)) and loop.time() < until:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        await self.actor.drain(max(1.0, until - loop.time()))
        await asyncio.sleep(0)
        for closer in (
            self.scanner.close,
            self.next_hop.close,
            self.secure_route.close,
            self.quarantine.close,
        ):
            try:
                await closer()
            except Exception:
                log.warning("error while closing", exc_info=True)
        self.metrics.stop()

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve(cfg: GatewayConfig) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads."""
    gw = Gateway(cfg)
    await gw.start()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, gw.request_stop)
    loop.add_signal_handler(signal.SIGINT, gw.request_stop)
    loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(gw.reload()))
    print(
        f"dlp-gateway: {cfg.protocol} on {cfg.listen_host}:{gw.port}, next_hop {cfg.next_hop}, "
        f"secure_route {cfg.secure_route}, config {cfg.source}",
        file=sys.stderr,
        flush=True,
    )
    await gw.stopped.wait()
    log.info("stopping")
    await gw.stop()
    return 0


def _logging() -> None:
    audit_log = logging.getLogger("dlp.audit")
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter("%(message)s"))
    audit_log.addHandler(out)
    audit_log.setLevel(logging.INFO)
    audit_log.propagate = False
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    redact.install(out, *logging.getLogger().handlers)  # no log line carries a valid identity number


def run(config_path: str | None) -> int:
    """``dlp-gateway serve [--config FILE]``: 0 after a graceful stop, 2 on a bad config."""
    _logging()
    try:
        cfg = load(config_path)
    except ConfigError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(cfg))
    except OSError as exc:
        print(f"dlp-gateway: cannot start: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # policy errors at start, missing files
        for line in getattr(exc, "errors", [f"{type(exc).__name__}: {exc}"]):
            print(f"dlp-gateway: {line}", file=sys.stderr)
        return 2
