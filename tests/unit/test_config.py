"""gateway.config: embedded default, YAML keys with file:line errors, timeout chain, allow-list."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from gateway.config import ConfigError, GatewayConfig, RouteSpec, check, is_allowed, load, parse_route


def test_embedded_default_matches_the_serve_contract() -> None:
    cfg = load(None)
    assert (cfg.listen_host, cfg.listen_port, cfg.protocol) == ("127.0.0.1", 10025, "smtp")
    assert cfg.next_hop == RouteSpec("maildir", "var/outbound")
    assert cfg.secure_route == RouteSpec("maildir", "var/secure")
    assert cfg.quarantine_dir == Path("var/quarantine")
    assert cfg.metrics_listen == ("127.0.0.1", 9925)
    assert cfg.policy_dir is None
    assert cfg.timeout > cfg.scan_deadline + cfg.relay_deadline
    assert is_allowed(cfg, "127.0.0.1") and is_allowed(cfg, "::1") and not is_allowed(cfg, "192.0.2.1")


def test_full_config_file(tmp_path: Path) -> None:
    f = tmp_path / "gw.yaml"
    f.write_text(
        "listen: 0.0.0.0:2525\nprotocol: lmtp\nnext_hop: smtp://127.0.0.1:10026\n"
        "secure_route: https://sakra.example.se/api/messages\nquarantine_dir: /srv/q\nmetrics_listen: off\n"
        "policy_dir: policies/\ninternal_domains: [Kommun.Example.SE]\npartner_domains: [region.example.se]\n"
        "allowed_clients: [10.0.0.0/8, '::1']\nmax_inflight: 8\ndata_size_limit: 1048576\nmax_recipients: 50\n"
        "scan_deadline: 20\nrelay_deadline: 40\ntimeout: 90\nsecurity_mailbox: sec@kommun.example.se\n"
        "bare_newline: reject\nlimits: {max_pdf_pages: 100}\naudit: {recipient_addresses: true}\n"
        "https: {token_env: SAKRA_TOKEN, ca: /etc/ssl/sakra.pem}\n")
    cfg = load(f)
    assert (cfg.listen_host, cfg.listen_port, cfg.protocol) == ("0.0.0.0", 2525, "lmtp")
    assert cfg.next_hop == RouteSpec("smtp", "127.0.0.1", 10026, "opportunistic")
    assert cfg.secure_route.kind == "https" and cfg.metrics_listen is None
    assert cfg.internal_domains == ("kommun.example.se",) and cfg.partner_domains == ("region.example.se",)
    assert ipaddress.ip_network("10.0.0.0/8") in cfg.allowed_clients and is_allowed(cfg, "10.1.2.3")
    assert not is_allowed(cfg, "127.0.0.1")
    assert (cfg.max_inflight, cfg.data_size_limit, cfg.max_recipients) == (8, 1048576, 50)
    assert (cfg.scan_deadline, cfg.relay_deadline, cfg.timeout) == (20.0, 40.0, 90.0)
    assert cfg.bare_newline == "reject" and cfg.limits.max_pdf_pages == 100 and cfg.audit_recipient_addresses
    assert cfg.source == str(f) and cfg.https_token_env == "SAKRA_TOKEN" and cfg.https_ca == Path("/etc/ssl/sakra.pem")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listen: 127.0.0.1:1\nbogus: 1\n", ":2: unknown key 'bogus'"),
        ("next_hop: ftp://x\n", ":1: next_hop: unsupported route"),
        ("secure_route: http://evil.example/x\n", ":1: secure_route: unsupported route"),
        ("listen: nowhere\n", ":1: listen: expected host:port"),
        ("max_inflight: many\n", ":1: max_inflight: must be an integer"),
        ("limits: {max_pages: 1}\n", ":1: limits: unknown limit 'max_pages'"),
        ("timeout: 100\n", "timeout (100) must exceed scan_deadline + relay_deadline (30 + 120)"),
        ("protocol: esmtp\n", "protocol must be smtp or lmtp"),
        ("listen: [unclosed\n", ": invalid YAML"),
        ("next_hop: https://x.example/\n", "next_hop must be smtp:// or maildir:"),
        ("listen: 0.0.0.0:25\n", "needs allowed_clients (never an open relay)"),
        ("command_call_limit: -1\n", ":1: command_call_limit: must be a positive integer or off"),
    ],
)
def test_bad_config_reports_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load(f)
    assert any(e.startswith(str(f)) and expected in e for e in exc.value.errors), exc.value.errors


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path / "nope.yaml")
    assert exc.value.errors[0].startswith(str(tmp_path / "nope.yaml") + ":0: cannot read")


def test_empty_file_is_the_default(tmp_path: Path) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text("")
    assert load(f).listen_port == 10025


def test_check_rejects_half_tls_and_bad_numbers() -> None:
    with pytest.raises(ConfigError):
        check(GatewayConfig(tls_cert=Path("c.pem")))
    with pytest.raises(ConfigError):
        check(GatewayConfig(max_inflight=0))


def test_parse_route_forms() -> None:
    assert parse_route("maildir:var/x") == RouteSpec("maildir", "var/x")
    assert parse_route("smtp://relay.example:25?tls=required") == RouteSpec("smtp", "relay.example", 25, "required")
    assert parse_route("http://127.0.0.1:8080/x").kind == "https"  # plain http only to loopback (tests)
    for bad in ("smtp://host", "smtp://h:25?tls=maybe", "maildir:", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            parse_route(bad)


def test_is_allowed_handles_mapped_and_garbage() -> None:
    cfg = GatewayConfig()
    assert is_allowed(cfg, "::ffff:127.0.0.1")
    assert not is_allowed(cfg, "") and not is_allowed(cfg, "not-an-ip")


def test_ocr_lengthens_the_timeout_chain_and_scan_clock_fits_the_deadline(tmp_path: Path) -> None:
    from gateway.server import scan_limits

    f = tmp_path / "ocr.yaml"
    f.write_text("limits: {ocr: true}\ntimeout: 200\n")
    with pytest.raises(ConfigError, match="OCR 60"):
        load(f)
    f.write_text("scan_deadline: 10\nrelay_deadline: 20\ntimeout: 60\n")
    assert scan_limits(load(f)).message_seconds == 10.0


def test_command_call_limit_is_on_only_for_a_standalone_smtp_listener(tmp_path: Path) -> None:
    from gateway.config import DEFAULT_CALL_LIMIT, call_limits

    assert call_limits(GatewayConfig()) is None  # loopback: behind Postfix, which caches connections
    assert call_limits(GatewayConfig(protocol="lmtp", listen_host="10.0.0.5")) is None
    standalone = call_limits(GatewayConfig(listen_host="10.0.0.5"))
    assert standalone is not None and standalone["*"] == DEFAULT_CALL_LIMIT
    assert min(standalone[c] for c in ("MAIL", "RCPT", "DATA")) >= 2**31  # mail itself is never budgeted
    f = tmp_path / "c.yaml"
    f.write_text("listen: 10.0.0.5:25\nallowed_clients: [10.0.0.0/8]\ncommand_call_limit: off\n")
    assert call_limits(load(f)) is None
    f.write_text("command_call_limit: 7\n")
    limits = call_limits(load(f))
    assert limits is not None and limits["*"] == 7
