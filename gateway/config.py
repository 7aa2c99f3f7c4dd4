"""Gateway configuration: a frozen ``GatewayConfig`` from YAML, or the embedded default (design §12).

``load(None)`` is the embedded default (SMTP on 127.0.0.1:10025, Maildirs under ``./var/``, metrics on
127.0.0.1:9925) so that ``dlp-gateway serve`` runs with nothing external. A config file is parsed with
PyYAML node marks so that every problem is reported as ``file:line: message``; the timeout chain
(``timeout`` > ``scan_deadline`` + ``relay_deadline``) is checked here, at start-up.

Keys (all optional; defaults in brackets)::

    listen: 127.0.0.1:10025            protocol: smtp | lmtp [smtp]
    next_hop: smtp://HOST:PORT[?tls=required|opportunistic|none&ca=FILE] | maildir:PATH [maildir:var/outbound]
    secure_route: same forms, or https://URL [maildir:var/secure]
    quarantine_dir: PATH [var/quarantine]     metrics_listen: HOST:PORT | off [127.0.0.1:9925]
    policy_dir: DIR [bundled policies/]       internal_domains / partner_domains: [DOMAIN, ...]
    allowed_clients: [CIDR, ...] [loopback; required for a non-loopback listen]
    max_inflight [32]  data_size_limit [50 MiB + 64 KiB]  max_recipients [1000]  relay_concurrency [16]
    scan_deadline [30]  relay_deadline [120]  timeout [300, > the two]  shutdown_grace [60]  workers [cores]
    policy_poll [2 s; 0 = SIGHUP only]
    command_call_limit: N | off (or 0) [100 on a non-loopback SMTP listener (standalone), else off]
    tls: {cert: FILE, key: FILE} (STARTTLS)   security_mailbox: ADDR   bare_newline: normalize | reject
    notify_from: ADDR [null sender]  notify_header_from: "Name <addr>"  hostname: NAME
    limits: {<gateway.extract.base.Limits field>: value}   audit: {recipient_addresses: false}
    https: {token_file: FILE | token_env: NAME, ca: FILE}   (for an https:// secure route)

Security: the file is trusted operator input, but it is still validated strictly (unknown keys are
errors, so a typo cannot silently turn a control off). ``allowed_clients`` defaults to loopback: the
gateway is never an open relay. Relative paths resolve against the working directory.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from gateway.extract.base import Limits

MiB = 1024 * 1024
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """A bad configuration; ``errors`` are ``file:line: message`` strings."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """Where a group of recipients is handed off: ``smtp``, ``maildir`` or ``https``."""

    kind: str
    target: str  # host for smtp, path for maildir, URL for https
    port: int = 0
    tls: str = "opportunistic"  # required | opportunistic | none (smtp)
    ca_file: str | None = None  # CA bundle to verify the route's certificate (default: system store)

    def __str__(self) -> str:
        return (
            f"{self.kind}://{self.target}:{self.port}"
            if self.kind == "smtp"
            else f"{self.kind}:{self.target}"
        )


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything `serve` needs; immutable once loaded."""

    listen_host: str = "127.0.0.1"
    listen_port: int = 10025
    protocol: str = "smtp"
    next_hop: RouteSpec = RouteSpec("maildir", "var/outbound")
    secure_route: RouteSpec = RouteSpec("maildir", "var/secure")
    quarantine_dir: Path = Path("var/quarantine")
    metrics_listen: tuple[str, int] | None = ("127.0.0.1", 9925)
    policy_dir: Path | None = None  # None: the bundled policies/
    internal_domains: tuple[str, ...] = ()
    partner_domains: tuple[str, ...] = ()
    allowed_clients: tuple[IPNetwork, ...] = (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    max_inflight: int = 32
    data_size_limit: int = 50 * MiB + 64 * 1024
    max_recipients: int = 1000
    scan_deadline: float = 30.0
    relay_deadline: float = 120.0
    timeout: float = 300.0
    shutdown_grace: float = 60.0
    policy_poll: float = 2.0  # seconds between policy file checks; 0 = reload on SIGHUP only
    https_token_file: Path | None = None  # bearer token for an https:// secure route (file or environment,
    https_token_env: str | None = None  # never in the config itself, never logged)
    https_ca: Path | None = None  # CA bundle for an https:// secure route
    relay_concurrency: int = 16
    workers: int | None = None
    command_call_limit: int | None = None  # None: automatic (see ``call_limits``); 0: off
    tls_cert: Path | None = None
    tls_key: Path | None = None
    security_mailbox: str | None = None
    notify_from: str = ""  # envelope sender of notices; empty = null sender
    notify_header_from: str = "DLP-gateway <postmaster@localhost>"
    bare_newline: str = "normalize"  # normalize | reject
    hostname: str | None = None
    audit_recipient_addresses: bool = False
    limits: Limits = field(default_factory=Limits)
    source: str = "<embedded default>"


_SIMPLE = {
    "policy_poll",
    "protocol",
    "internal_domains",
    "partner_domains",
    "max_inflight",
    "data_size_limit",
    "max_recipients",
    "scan_deadline",
    "relay_deadline",
    "timeout",
    "shutdown_grace",
    "relay_concurrency",
    "workers",
    "command_call_limit",
    "security_mailbox",
    "notify_from",
    "notify_header_from",
    "bare_newline",
    "hostname",
}
_KEYS = _SIMPLE | {
    "https",
    "listen",
    "next_hop",
    "secure_route",
    "quarantine_dir",
    "metrics_listen",
    "policy_dir",
    "allowed_clients",
    "tls",
    "limits",
    "audit",
}
_LIMIT_FIELDS = {f.name: f.type for f in fields(Limits)}


def load(path: str | Path | None = None) -> GatewayConfig:
    """The config from ``path``, or the embedded default when ``path`` is None."""
    if path is None:
        return check(GatewayConfig())
    p = Path(path)
    try:
        node = yaml.compose(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{p}:0: cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else 0  # type: ignore[attr-defined]
        raise ConfigError([f"{p}:{line}: invalid YAML"]) from exc
    if node is None:
        return check(GatewayConfig(source=str(p)))
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError([f"{p}:1: the config must be a mapping of keys"])
    errors: list[str] = []
    values: dict[str, Any] = {"source": str(p)}
    for knode, vnode in node.value:
        key = str(knode.value)
        where = f"{p}:{knode.start_mark.line + 1}"
        if key not in _KEYS:
            errors.append(f"{where}: unknown key {key!r}")
            continue
        try:
            values.update(_convert(key, yaml.safe_load(yaml.serialize(vnode))))
        except (ValueError, TypeError) as exc:
            errors.append(f"{where}: {key}: {exc}")
    host = values.get("listen_host", "127.0.0.1")
    if not _loopback(host) and "allowed_clients" not in values:
        errors.append(f"{p}:1: a listener on {host} needs allowed_clients (never an open relay)")
    if errors:
        raise ConfigError(errors)
    try:
        return check(GatewayConfig(**values))
    except ConfigError as exc:
        raise ConfigError([f"{p}:1: {e}" for e in exc.errors]) from exc


def check(cfg: GatewayConfig) -> GatewayConfig:
    """Cross-field rules, above all the timeout chain (design §3)."""
    errors = []
    if cfg.protocol not in ("smtp", "lmtp"):
        errors.append("protocol must be smtp or lmtp")
    if cfg.bare_newline not in ("normalize", "reject"):
        errors.append("bare_newline must be normalize or reject")
    ocr = cfg.limits.ocr_seconds if cfg.limits.ocr else 0.0  # OCR only with the long chain (design §3)
    if cfg.timeout <= cfg.scan_deadline + ocr + cfg.relay_deadline:
        errors.append(
            f"timeout ({cfg.timeout:g}) must exceed scan_deadline + relay_deadline "
            f"({cfg.scan_deadline:g} + {cfg.relay_deadline:g}{f' + OCR {ocr:g}' if ocr else ''})"
        )
    if min(cfg.scan_deadline, cfg.relay_deadline, cfg.shutdown_grace) <= 0:
        errors.append("deadlines must be positive")
    if (
        cfg.max_inflight < 1
        or cfg.max_recipients < 1
        or cfg.relay_concurrency < 1
        or cfg.data_size_limit < 1024
    ):
        errors.append("max_inflight, max_recipients, relay_concurrency must be >= 1, data_size_limit >= 1024")
    if (cfg.tls_cert is None) != (cfg.tls_key is None):
        errors.append("tls needs both cert and key")
    if cfg.next_hop.kind == "https":
        errors.append("next_hop must be smtp:// or maildir:")
    if errors:
        raise ConfigError(errors)
    return cfg


def _convert(key: str, value: Any) -> Mapping[str, Any]:
    if key == "listen":
        host, port = _hostport(value)
        return {"listen_host": host, "listen_port": port}
    if key == "metrics_listen":
        return {"metrics_listen": None if value in (None, False, "", "off") else _hostport(value)}
    if key in ("next_hop", "secure_route"):
        spec = parse_route(str(value))
        if key == "next_hop" and spec.kind == "https":
            raise ValueError("next_hop must be smtp:// or maildir:")
        return {key: spec}
    if key in ("quarantine_dir", "policy_dir"):
        return {key: None if value is None else Path(str(value))}
    if key == "allowed_clients":
        return {key: tuple(ipaddress.ip_network(str(c), strict=False) for c in _list(value))}
    if key in ("internal_domains", "partner_domains"):
        return {key: tuple(str(d).lower().lstrip("@") for d in _list(value))}
    if key == "tls":
        return _tls(value)
    if key == "limits":
        return {"limits": _limits(value)}
    if key == "https":
        if not isinstance(value, dict) or set(value) - {"token_file", "token_env", "ca"}:
            raise ValueError("https takes token_file, token_env and ca")
        return {"https_token_file": Path(value["token_file"]) if value.get("token_file") else None,
                "https_token_env": str(value["token_env"]) if value.get("token_env") else None,
                "https_ca": Path(value["ca"]) if value.get("ca") else None}
    if key == "command_call_limit":
        if value is False or value == "off" or (isinstance(value, int) and value == 0):  # YAML reads off as False
            return {key: 0}
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a positive integer or off")
        return {key: value}
    if key == "audit":
        if not isinstance(value, dict) or set(value) - {"recipient_addresses"}:
            raise ValueError("audit takes only recipient_addresses")
        return {"audit_recipient_addresses": bool(value.get("recipient_addresses", False))}
    return {key: _typed(key, value)}


def _typed(key: str, value: Any) -> Any:
    expected = GatewayConfig.__dataclass_fields__[key].type
    if "float" in str(expected):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("must be a number")
        return float(value)
    if "int" in str(expected):
        if value is None and "None" in str(expected):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("must be an integer")
        return value
    if value is None and "None" in str(expected):
        return None
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value


def _list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise TypeError("must be a list")
    return value


def _hostport(value: Any) -> tuple[str, int]:
    host, sep, port = str(value).rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected host:port, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_route(value: str) -> RouteSpec:
    """``smtp://host:port[?tls=required|opportunistic|none]``, ``maildir:PATH`` or ``https://URL``."""
    if value.startswith("maildir:"):
        path = value.removeprefix("maildir:").removeprefix("//")
        if not path:
            raise ValueError("maildir: needs a path")
        return RouteSpec("maildir", path)
    url = urlsplit(value)
    if url.scheme == "smtp":
        if not url.hostname or not url.port:
            raise ValueError(f"expected smtp://host:port, got {value!r}")
        query = dict(p.partition("=")[::2] for p in url.query.split("&") if p)
        tls = query.pop("tls", "opportunistic")
        if tls not in ("required", "opportunistic", "none"):
            raise ValueError("tls must be required, opportunistic or none")
        ca = query.pop("ca", None)
        if query:
            raise ValueError(f"unknown route option {sorted(query)[0]!r} (tls, ca)")
        return RouteSpec("smtp", url.hostname, url.port, tls, ca)
    if url.scheme == "https" or (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")):
        return RouteSpec("https", value)
    raise ValueError(f"unsupported route {value!r} (smtp://, maildir:, https://)")


def _tls(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict) or set(value) - {"cert", "key"}:
        raise ValueError("tls takes cert and key")
    return {
        "tls_cert": Path(value["cert"]) if value.get("cert") else None,
        "tls_key": Path(value["key"]) if value.get("key") else None,
    }


def _limits(value: Any) -> Limits:
    if not isinstance(value, dict):
        raise TypeError("limits must be a mapping")
    unknown = set(value) - set(_LIMIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown limit {sorted(unknown)[0]!r}")
    return Limits(**value)


DEFAULT_CALL_LIMIT = 100
# Bounded by what they carry (max_recipients, data_size_limit): a connection cached by the sending MTA may
# deliver many messages, and a budget on these would answer 421 mid-stream (aiosmtpd never resets it).
_UNLIMITED_COMMANDS = ("MAIL", "RCPT", "DATA")


def call_limits(cfg: GatewayConfig) -> dict[str, int] | None:
    """aiosmtpd's ``command_call_limit`` for this listener, or None for none (design §4).

    Off behind Postfix (LMTP, or SMTP on loopback: Postfix caches connections); on for a standalone smart
    host (SMTP on another address): each other command (NOOP, RSET, HELO, VRFY, an unknown one ...) may be
    sent ``command_call_limit`` times per connection, then ``421`` and the connection is closed.
    """
    n = cfg.command_call_limit
    if n == 0 or (n is None and (cfg.protocol == "lmtp" or _loopback(cfg.listen_host))):
        return None
    return {"*": n or DEFAULT_CALL_LIMIT, **dict.fromkeys(_UNLIMITED_COMMANDS, 2**31)}


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed(cfg: GatewayConfig, peer_ip: str) -> bool:
    """May this client connect? (Unix sockets and unparsable peers are refused.)"""
    try:
        ip = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in cfg.allowed_clients)
