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

import base64
import binascii
import logging
import string
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
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
        self._from: bytes | None = None

    def build(self, kind: str, to: str, values: Mapping[str, str]) -> bytes:
        """The notice as CRLF bytes.

        Written out directly (~0.1 ms) rather than through ``EmailMessage``'s header registry (~0.8 ms, a
        measurable share of the gateway's CPU when one message in seven is rerouted). Every value is ours or
        was validated: the From line is rendered once by ``email`` itself, the subject is folded and RFC
        2047-encoded here, the address was checked at MAIL; any CR, LF or NUL still raises ``ValueError``.
        """
        text = _Safe().format(self.templates.get(kind, _FALLBACK), **values)
        head, _, body = text.partition("\n\n")
        subject = head.removeprefix("Subject:").strip().splitlines()[0] if head.startswith("Subject:") else ""
        if not head.startswith("Subject:"):
            body = text
        subject = " ".join(subject.split()) or "DLP-gateway"
        marker = f"v1; incident={values.get('incident', '')}; action=notice; kind={kind}"
        lines = [
            self._from_line(),
            b"To: " + _value(to).encode("utf-8"),
            b"Subject: " + _subject(subject),
            b"Date: " + format_datetime(datetime.now(UTC)).encode("ascii"),
            b"Message-ID: " + make_msgid(domain="dlp-gateway.invalid").encode("ascii"),
            b"Auto-Submitted: auto-generated",
            b"X-DLP-Gateway: " + _value(marker).encode("utf-8"),
            b'Content-Type: text/plain; charset="utf-8"',
            b"Content-Transfer-Encoding: quoted-printable",
            b"MIME-Version: 1.0",
            b"",
            binascii.b2a_qp((body.strip() + "\r\n").replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"),
                            istext=True),
        ]
        return b"\r\n".join(lines)

    def _from_line(self) -> bytes:
        """``From:`` as ``email`` renders it (folded, RFC 2047 for a non-ASCII name), computed once."""
        if self._from is None:
            mail = EmailMessage(policy=SMTP)
            mail["From"] = self.header_from
            self._from = mail.as_bytes().split(b"\r\n\r\n", 1)[0]
        return self._from

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


def _value(text: str) -> str:
    """A header value we wrote: refuse the characters that could end the header (injection)."""
    if any(c in text for c in "\r\n\0"):
        raise ValueError("header value contains CR, LF or NUL")
    return text


def _subject(subject: str) -> bytes:
    """The subject folded under 78 columns; a non-ASCII one as RFC 2047 base64 words (``email.header`` costs
    ~0.12 ms for the same result). A word holds at most 39 UTF-8 bytes, never half a character."""
    _value(subject)
    if subject.isascii():
        lines, line = [], ""
        for word in subject.split(" "):
            if line and len(line) + 1 + len(word) > 68:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        return "\r\n ".join([*lines, line]).encode("ascii")
    words, chunk = [], b""
    for char in subject:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > 39:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return b"\r\n ".join(b"=?utf-8?b?" + base64.b64encode(w) + b"?=" for w in words)


def refused(replies: Mapping[str, Reply]) -> list[str]:
    """Recipients permanently refused by a route."""
    return [r for r, rep in replies.items() if rep.code >= 500]
