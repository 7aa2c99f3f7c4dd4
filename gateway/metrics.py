"""The eight fixed Prometheus metrics of design §12, on their own registry and port.

Label values come from closed sets (anything else is counted as ``other``), so a label can never carry an
address, a file name or a matched value, and cardinality stays bounded.

Security: only the parent process touches the registry; the HTTP endpoint binds ``metrics_listen``
(loopback by default) and serves counters only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from gateway.model import Action, Category, Reason

ROUTES = ("next_hop", "secure_route", "quarantine", "notify")
RESULTS = ("ok", "rejected")
WORKER_CAUSES = ("crash", "timeout", "recycle", "cancelled", "error", "start")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _closed(value: str, allowed: Iterable[str]) -> str:
    return value if value in set(allowed) else "other"


class Metrics:
    """Counters, histogram and gauge of one gateway process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "dlp_messages_total",
            "Messages by action (a split message counts once per action)",
            ["action"],
            registry=r,
        )
        self.findings = Counter(
            "dlp_findings_total",
            "Messages with at least one finding of the category",
            ["category"],
            registry=r,
        )
        self.unscannable = Counter(
            "dlp_unscannable_total", "Uninspectable parts by reason", ["reason"], registry=r
        )
        self.scan_duration = Histogram(
            "dlp_scan_duration_seconds", "Parse + extract + detect + policy", buckets=BUCKETS, registry=r
        )
        self.replies = Counter(
            "dlp_smtp_replies_total", "Final replies to DATA by code", ["code"], registry=r
        )
        self.delivery_failures = Counter(
            "dlp_delivery_failures_total", "Failed hand-offs by route", ["route"], registry=r
        )
        self.reloads = Counter("dlp_policy_reloads_total", "Policy reloads by result", ["result"], registry=r)
        self.inflight = Gauge("dlp_inflight_messages", "Messages being scanned or handed off", registry=r)
        # extras of design §8
        self.relay_duration = Histogram("dlp_relay_duration_seconds", "Hand-off time per route", ["route"],
                                        buckets=BUCKETS, registry=r)
        self.worker_restarts = Counter("dlp_worker_restarts_total", "Scan workers replaced, by cause", ["cause"],
                                       registry=r)
        build = Gauge("dlp_build_info", "Gateway version", ["version"], registry=r)
        from gateway import __version__

        build.labels(__version__).set(1)
        self._server: Any = None

    def message(self, action: str) -> None:
        """Count one message (or recipient group) by action."""
        self.messages.labels(_closed(action, (a.value for a in Action))).inc()

    def categories(self, categories: Iterable[str]) -> None:
        """Count a message once per category it had findings in."""
        for c in set(categories):
            self.findings.labels(_closed(c, (x.value for x in Category))).inc()

    def unscannable_reason(self, reason: str) -> None:
        """Count one uninspectable part."""
        self.unscannable.labels(_closed(reason, (x.value for x in Reason))).inc()

    def reply(self, code: int) -> None:
        """Count one final reply code."""
        self.replies.labels(str(code) if 200 <= code <= 599 else "other").inc()

    def delivery_failure(self, route: str) -> None:
        """Count one failed hand-off."""
        self.delivery_failures.labels(_closed(route, ROUTES)).inc()

    def relay_seconds(self, route: str, seconds: float) -> None:
        """Observe one hand-off's duration."""
        self.relay_duration.labels(_closed(route, ROUTES)).observe(seconds)

    def worker_restart(self, cause: str) -> None:
        """Count one replaced scan worker (the pool's ``on_restart`` callback)."""
        self.worker_restarts.labels(_closed(cause, WORKER_CAUSES)).inc()

    def reload(self, ok: bool) -> None:
        """Count one policy reload attempt."""
        self.reloads.labels("ok" if ok else "rejected").inc()

    def start(self, host: str, port: int) -> int:
        """Serve ``/metrics``; returns the bound port (``port`` 0 picks one)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def stop(self) -> None:
        """Stop the HTTP endpoint."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
