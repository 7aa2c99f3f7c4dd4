"""deliver.notify: bundled templates, bilingual notices that never quote content."""

from __future__ import annotations

import asyncio
import string
from email import message_from_bytes
from email.policy import default

from gateway.deliver.mock import MockRoute
from gateway.deliver.notify import KINDS, Notifier, load_templates
from gateway.envelope import build_message
from gateway.paths import bundled_policy_dir

ALLOWED = {"incident", "categories", "categories_en", "recipients", "time", "rule", "action", "sender"}


def test_bundled_templates_exist_use_only_allowed_placeholders() -> None:
    tdir = bundled_policy_dir() / "templates"
    for kind in KINDS:
        text = (tdir / f"{kind}.txt").read_text(encoding="utf-8")
        assert text.startswith("Subject: ")
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert fields <= ALLOWED, (kind, fields - ALLOWED)
        assert "English" in text or "Your" in text or "Rule" in text


def test_reroute_notice_is_swedish_then_english_and_quotes_nothing() -> None:
    route = MockRoute()
    n = Notifier(route, load_templates(bundled_policy_dir() / "templates"), header_from="DLP <postmaster@k.se>")
    msg = build_message(b"Subject: Elev 19121212-1212\r\n\r\nPersonnummer 19121212-1212 for eleven\r\n",
                        "kalle@kommun.example.se", ["anna@gmail.com"])

    async def go() -> bool:
        return await n.send("reroute", msg, ["anna@gmail.com"], categories=["personnummer", "health"],
                            rule="sensitive-external", action="reroute")

    assert asyncio.run(go()) is True
    [handoff] = route.sent
    assert handoff.rcpts == ("kalle@kommun.example.se",) and handoff.msg.mail_from == ""
    notice = message_from_bytes(handoff.msg.raw, policy=default)
    assert notice["Auto-Submitted"] == "auto-generated" and notice["To"] == "kalle@kommun.example.se"
    body = notice.get_content()
    assert body.index("Säkra meddelanden") < body.index("-- English --")
    assert "personnummer, hälsouppgifter" in body and "identity numbers, health data" in body
    assert msg.incident in body and "anna@gmail.com" in body
    assert "1212" not in handoff.msg.raw.decode("ascii", "replace") and "Elev" not in str(notice["Subject"])


def test_no_notice_for_null_sender_or_missing_security_mailbox() -> None:
    route = MockRoute()
    n = Notifier(route, {}, header_from="x@y.se")
    bounce = build_message(b"Subject: x\r\n\r\nb\r\n", "", ["anna@gmail.com"])

    async def go() -> tuple[bool, bool]:
        a = await n.send("block", bounce, ["anna@gmail.com"], categories=[], rule="r", action="block")
        b = await n.send("security", bounce, ["anna@gmail.com"], categories=[], rule="r", action="block")
        return a, b

    assert asyncio.run(go()) == (False, False) and route.sent == []


def test_failed_notice_returns_false() -> None:
    from gateway.model import Reply

    route = MockRoute(reply=Reply(451, "4.4.1", "down"))
    n = Notifier(route, {}, header_from="x@y.se")
    msg = build_message(b"Subject: x\r\n\r\nb\r\n", "kalle@kommun.example.se", ["anna@gmail.com"])
    ok = asyncio.run(n.send("block", msg, ["anna@gmail.com"], categories=[], rule="r", action="block"))
    assert ok is False and len(route.sent) == 1


def test_notice_headers_are_injection_safe_and_decode_to_the_template() -> None:
    import pytest

    templates = {"block": "Subject: Stoppat {incident} åäö " + "ord " * 30 + "\n\nHej {sender}\n.\nslut\n"}
    n = Notifier(MockRoute(), templates, header_from="DLP Åre kommun <postmaster@k.se>")
    values = {"incident": "DLP-20261202-ABCDEFGH", "sender": "kålle@k.se"}
    raw = n.build("block", "kålle@k.se", values)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))
    notice = message_from_bytes(raw, policy=default)
    assert str(notice["Subject"]) == "Stoppat DLP-20261202-ABCDEFGH åäö " + " ".join(["ord"] * 30)
    assert str(notice["From"]) == "DLP Åre kommun <postmaster@k.se>" and str(notice["To"]) == "kålle@k.se"
    assert notice.get_content() == "Hej kålle@k.se\r\n.\r\nslut\r\n"
    for bad in ("a@k.se\r\nBcc: x@evil.example", "a@k.se\nX: y", "a@k.se\0"):
        with pytest.raises(ValueError):
            n.build("block", bad, values)
