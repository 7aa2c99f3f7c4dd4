"""Notices to the sender (reroute, block, test_notify, undeliverable) and the security mailbox.

Templates are operator-editable plain text files under ``policies/templates/`` (first line ``Subject:``,
a blank line, then the body: Swedish with English below). They are sent through ``next_hop`` with the null
sender, so a notice can neither loop through the gateway (topology: next_hop is after us) nor bounce.

Security: a notice never quotes content — not the body, not the subject, no raw header value of the
original (CVE-2024-6923 class); placeholders are our own values: ``{incident}``, ``{categories}``,
``{categories_en}``, ``{recipients}``, ``{time}``, ``{rule}``, ``{action}``, ``{sender}``; addresses were
validated at MAIL/RCPT. Unknown placeholders render empty instead of failing.
"""

from __future__ import annotations

import logging
import string
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from gateway.deliver.base import Route
from gateway.envelope import build_message
from gateway.model import Message, Reply
from gateway.replies import category_text

log = logging.getLogger("dlp.notify")
KINDS = ("reroute", "block", "security", "undeliverable", "test_notify")
_FALLBACK = "Subject: DLP-gateway {incident}\n\nArende / Incident: {incident}\n"
SWEDISH = {  # notices are full Swedish (replies are ASCII, see gateway.replies)
    "personnummer": "personnummer",
    "health": "hälsouppgifter",
    "confidential": "sekretessmarkerad information",
    "special_category": "känsliga personuppgifter",
    "unscannable": "innehåll som inte kunde granskas",
}


class _Safe(string.Formatter):
    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        return kwargs.get(str(key), "")


def load_templates(directory: Path | None) -> dict[str, str]:
    """Notice templates by kind, from ``directory`` (missing ones get a minimal fallback)."""
    out = {}
    for kind in KINDS:
        path = directory / f"{kind}.txt" if directory else None
        out[kind] = path.read_text(encoding="utf-8") if path and path.is_file() else _FALLBACK
    return out


class Notifier:
    """Builds notices from templates and sends them via a route (``next_hop``)."""

    def __init__(
        self,
        route: Route,
        templates: Mapping[str, str],
        *,
        header_from: str,
        envelope_from: str = "",
        security_mailbox: str | None = None,
        deadline: float = 30.0,
    ) -> None:
        self.route = route
        self.templates = templates
        self.header_from = header_from
        self.envelope_from = envelope_from
        self.security_mailbox = security_mailbox
        self.deadline = deadline

    def build(self, kind: str, to: str, values: Mapping[str, str]) -> bytes:
        """The notice as CRLF bytes."""
        text = _Safe().format(self.templates.get(kind, _FALLBACK), **values)
        head, _, body = text.partition("\n\n")
        subject = head.removeprefix("Subject:").strip().splitlines()[0] if head.startswith("Subject:") else ""
        if not head.startswith("Subject:"):
            body = text
        mail = EmailMessage(policy=SMTP if to.isascii() else SMTPUTF8)
        mail["From"] = self.header_from
        mail["To"] = to
        mail["Subject"] = " ".join(subject.split()) or "DLP-gateway"
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = make_msgid(domain="dlp-gateway.invalid")
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-DLP-Gateway"] = f"v1; incident={values.get('incident', '')}; action=notice; kind={kind}"
        mail.set_content(body.strip() + "\n", charset="utf-8", cte="quoted-printable")
        return mail.as_bytes()

    async def send(
        self,
        kind: str,
        msg: Message,
        rcpts: Sequence[str],
        *,
        categories: Sequence[str],
        rule: str,
        action: str,
    ) -> bool:
        """Tell the sender (or, for ``security``, the security mailbox); False if it could not be sent."""
        to = self.security_mailbox if kind == "security" else msg.mail_from
        if not to or to == "<>":
            return False
        values = {
            "incident": msg.incident,
            "categories": ", ".join(SWEDISH.get(c, c) for c in categories) or "känsligt innehåll",
            "categories_en": category_text(categories, 1),
            "recipients": ", ".join(rcpts),
            "time": time.strftime("%Y-%m-%d %H:%M", time.localtime(msg.received_at or time.time())),
            "rule": rule,
            "action": action,
            "sender": msg.mail_from,
        }
        options = () if to.isascii() else ("SMTPUTF8",)
        notice = build_message(self.build(kind, to, values), self.envelope_from, [to], mail_options=options)
        replies = await self.route.send(notice, [to], time.monotonic() + self.deadline)
        ok = all(200 <= r.code < 300 for r in replies.values())
        if not ok:
            log.warning(
                "notice %s for %s not sent: %s",
                kind,
                msg.incident,
                ",".join(str(r.code) for r in replies.values()),
            )
        return ok


def refused(replies: Mapping[str, Reply]) -> list[str]:
    """Recipients permanently refused by a route."""
    return [r for r, rep in replies.items() if rep.code >= 500]
