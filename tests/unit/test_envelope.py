"""Envelope handling: recipient scopes, incident ids, line endings."""

import re

from gateway.envelope import build_message, classify, new_incident, normalize_newlines
from gateway.model import Scope


def test_scopes_follow_configured_domains_and_subdomains() -> None:
    internal = ["kommun.example.se"]
    assert classify("a@kommun.example.se", internal).scope == Scope.INTERNAL
    assert classify("a@Soc.Kommun.Example.SE", internal).scope == Scope.INTERNAL
    assert classify("a@evilkommun.example.se", internal).scope == Scope.EXTERNAL
    assert classify("a@region.example.se", internal, ["region.example.se"]).scope == Scope.PARTNER
    assert classify("a@gmail.com", internal).scope == Scope.EXTERNAL


def test_incident_id_shape_and_uniqueness() -> None:
    ids = {new_incident(0) for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"DLP-19700101-[0-9A-HJKMNP-TV-Z]{8}", i) for i in ids)


def test_bare_cr_and_lf_become_crlf() -> None:
    assert normalize_newlines(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd"
    assert normalize_newlines(b"hi\n.\r\n") == b"hi\r\n.\r\n"


def test_build_message_fingerprint_is_stable_over_line_endings() -> None:
    a = build_message(b"Subject: x\n\nbody\n", "s@k.se", ["r@x.se"])
    b = build_message(b"Subject: x\r\n\r\nbody\r\n", "s@k.se", ["r@x.se"])
    assert a.fingerprint == b.fingerprint and a.incident != b.incident
