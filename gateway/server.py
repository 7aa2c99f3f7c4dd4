"""The SMTP/LMTP listener: the sessions of ``gateway.session``, the in-flight gate, signals and reload (§2.1, §4).

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
import dataclasses
import logging
import signal
import ssl
import sys
from typing import Any

from gateway import redact
from gateway.actor import Actor
from gateway.config import ConfigError, GatewayConfig, call_limits, load
from gateway.deliver import notify
from gateway.deliver.base import Route
from gateway.deliver.routes import make_route
from gateway.extract.base import Limits
from gateway.handler import Handler
from gateway.metrics import Metrics
from gateway.model import ScanResult
from gateway.quarantine import QuarantineStore
from gateway.replies import SHUTTING_DOWN, load_templates
from gateway.session import GatewayLMTP, GatewaySMTP

log = logging.getLogger("dlp.server")


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
        from gateway.extract.pool import ScanPool
    except ImportError:
        log.warning("gateway.extract.pool missing: scanning in threads without isolation")
        return ThreadScanner()
    on_restart = metrics.worker_restart if metrics is not None else None
    # One scan worker per usable core (the pool's default). bench/throughput.py on 2 vCPUs, same runs: 2 workers
    # text 0.93 / office 0.78 of a bare relay, 4 workers 0.91 / 0.71-0.74 (more workers only compete for the cores).
    return ScanPool(workers=cfg.workers, limits=scan_limits(cfg), on_restart=on_restart)


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
            command_call_limit=call_limits(self.cfg),
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
