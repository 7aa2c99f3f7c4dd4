"""Build a hand-off ``Route`` from its configured spec (``smtp``, ``maildir``, ``https``).

Shared by the server and by ``quarantine release`` (which re-injects through ``next_hop``).

Security: the HTTPS bearer token comes from a file or the environment, never from the config text.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.config import GatewayConfig, RouteSpec
from gateway.deliver.base import Route


def make_route(name: str, spec: RouteSpec, cfg: GatewayConfig) -> Route:
    """A Route from its spec (``smtp``, ``maildir``, ``https``)."""
    if spec.kind == "smtp":
        from gateway.deliver.smtp import SmtpRoute

        return SmtpRoute(
            name,
            spec.target,
            spec.port,
            tls=spec.tls,
            concurrency=cfg.relay_concurrency,
            op_timeout=min(60.0, cfg.relay_deadline),
            helo=cfg.hostname,
            ca_file=spec.ca_file,
        )
    if spec.kind == "maildir":
        from gateway.deliver.maildir import MaildirRoute

        return MaildirRoute(name, Path(spec.target))
    from gateway.deliver.https import HttpsRoute

    return HttpsRoute(name, spec.target, concurrency=cfg.relay_concurrency, token=https_token(cfg),
                      ca_file=str(cfg.https_ca) if cfg.https_ca else None)


def https_token(cfg: GatewayConfig) -> str | None:
    """The secure route's bearer token, from a file or the environment (never from the config text)."""
    if cfg.https_token_file is not None:
        return cfg.https_token_file.read_text(encoding="utf-8").strip() or None
    if cfg.https_token_env:
        return os.environ.get(cfg.https_token_env) or None
    return None
