"""SMTP reply constants, ASCII transliteration, block-reply templates and LMTP rendering (design §4).

Every reply the gateway sends is built here, so that the rules hold in one place: replies are ASCII
(aiosmtpd pushes ASCII unless SMTPUTF8, and Postfix copies our text into bounces), they never contain a
matched value, a file name, exception text or next-hop internals, and an internal failure is always 4xx.

Security: block texts come from operator templates (``policies/replies.yaml``) that may only use the
placeholders ``{incident}``, ``{categories}`` and ``{rule}``; values are our own tokens. Text is reduced
to printable ASCII and one line per language, so a template cannot inject extra reply lines.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.model import Category, Reply

OK_TEXT = "Ok {incident}"

TEMP_INTERNAL = Reply(451, "4.3.0", "Temporary local problem, please try again later")
SATURATED = Reply(451, "4.3.2", "Too busy, please try again later")
TOO_MANY_RCPTS = Reply(452, "4.5.3", "Too many recipients")
NEXT_HOP_DOWN = Reply(451, "4.4.1", "Next hop unavailable, please try again later")
NEXT_HOP_TIMEOUT = Reply(451, "4.4.2", "Next hop timed out, please try again later")
NEXT_HOP_TEMP = Reply(451, "4.4.0", "Next hop deferred the message, please try again later")
STORE_FAILED = Reply(451, "4.3.0", "Could not store the message, please try again later")
BARE_NEWLINE = Reply(550, "5.6.0", "Bare CR or LF in message data is not allowed; use CRLF")
BAD_ADDRESS = Reply(553, "5.1.3", "Malformed address")
ACCESS_DENIED = Reply(554, "5.7.1", "Access denied")
SHUTTING_DOWN = Reply(421, "4.3.2", "Service shutting down, please try again later")
LMTP_ABORT = Reply(421, "4.3.0", "Temporary local problem, closing connection")

_SPECIAL = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "ł": "l", "Ł": "L"})
_ENHANCED = re.compile(r"^[245]\.[0-9]{1,3}\.[0-9]{1,3}$")

CATEGORY_NAMES: Mapping[str, tuple[str, str]] = {
    Category.PERSONNUMMER: ("personnummer", "identity numbers"),
    Category.HEALTH: ("halsouppgifter", "health data"),
    Category.CONFIDENTIAL: ("sekretessmarkerad information", "confidential information"),
    Category.SPECIAL_CATEGORY: ("kansliga personuppgifter", "special category personal data"),
    Category.UNSCANNABLE: ("innehall som inte kunde granskas", "content that could not be inspected"),
}


def to_ascii(text: str) -> str:
    """Transliterate to printable ASCII on one line (å, ä -> a; ö, ø -> o); anything else becomes '?'."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.split())  # CR, LF, tabs and runs of spaces become one space
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def ok(incident: str) -> Reply:
    """The final 250 after every hand-off accepted the message."""
    return Reply(250, "2.0.0", OK_TEXT.format(incident=incident))


def is_enhanced(code: str) -> bool:
    """Is this an RFC 3463 enhanced status code (``5.7.1``)?"""
    return bool(_ENHANCED.match(code))


@dataclass(frozen=True, slots=True)
class BlockTemplate:
    """A Swedish and an English line of a 550 reply."""

    sv: str
    en: str


DEFAULT_TEMPLATES: Mapping[str, BlockTemplate] = {
    "sensitive": BlockTemplate(
        "Meddelandet stoppades: {categories} till extern mottagare. Skicka via Sakra meddelanden. "
        "Arende {incident} (regel {rule})",
        "Blocked by data-loss policy: {categories} to an external recipient. Use secure messaging. "
        "Incident {incident} (rule {rule})",
    ),
    "unscannable": BlockTemplate(
        "Meddelandet stoppades: bilagor som inte kunde granskas (krypterade eller skadade) till extern "
        "mottagare. Skicka via Sakra meddelanden. Arende {incident} (regel {rule})",
        "Blocked by data-loss policy: attachments that could not be inspected (encrypted or damaged) to "
        "an external recipient. Use secure messaging. Incident {incident} (rule {rule})",
    ),
}

_ALLOWED_FIELDS = frozenset({"incident", "categories", "rule"})


def check_template(text: str) -> list[str]:
    """Problems with one template text: unknown placeholders, bad syntax, non-ASCII (warned)."""
    problems: list[str] = []
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        return [f"bad template syntax: {exc}"]
    for f in sorted(fields - _ALLOWED_FIELDS):
        problems.append(f"unknown placeholder {{{f}}} (allowed: incident, categories, rule)")
    if to_ascii(text) != text:
        problems.append("non-ASCII text is transliterated in replies")
    return problems


def load_templates(policy_dir: Path | None) -> dict[str, BlockTemplate]:
    """Block templates: the built-in ones overlaid with ``policy_dir/replies.yaml`` (``name: {sv, en}``)."""
    templates = dict(DEFAULT_TEMPLATES)
    path = policy_dir / "replies.yaml" if policy_dir else None
    if path is None or not path.is_file():
        return templates
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for name, entry in (data.get("replies") or {}).items():
        if not isinstance(entry, Mapping) or not {"sv", "en"} <= set(entry):
            raise ValueError(f"{path}: reply {name!r} needs 'sv' and 'en'")
        for lang in ("sv", "en"):
            bad = [p for p in check_template(str(entry[lang])) if p.startswith(("unknown", "bad"))]
            if bad:
                raise ValueError(f"{path}: reply {name!r} {lang}: {bad[0]}")
        templates[str(name)] = BlockTemplate(str(entry["sv"]), str(entry["en"]))
    return templates


def category_text(categories: Iterable[str], lang: int) -> str:
    """Human names of categories in one language (0 Swedish, 1 English), joined with commas."""
    names = [CATEGORY_NAMES.get(c, (str(c), str(c)))[lang] for c in categories]
    return ", ".join(dict.fromkeys(names)) or ("kansligt innehall", "sensitive content")[lang]


def block_reply(template: BlockTemplate, incident: str, categories: Sequence[str], rule: str) -> Reply:
    """``550 5.7.1`` with a Swedish and an English line, incident id and rule; ASCII only."""
    lines = []
    for lang, text in enumerate((template.sv, template.en)):
        values = {"incident": incident, "categories": category_text(categories, lang), "rule": rule}
        lines.append(to_ascii(text.format_map(values))[:400])
    return Reply(550, "5.7.1", "\n".join(lines))


def block_reply_for(
    templates: Mapping[str, BlockTemplate], name: str | None, incident: str, categories: Sequence[str], rule: str
) -> Reply:
    """The 550 for a block: the rule's named template, else ``unscannable``/``sensitive`` by what was found."""
    name = name or ("unscannable" if list(categories) == ["unscannable"] else "sensitive")
    template = templates.get(name) or templates.get("sensitive") or DEFAULT_TEMPLATES["sensitive"]
    return block_reply(template, incident, categories, rule)


def render_lmtp(replies: Sequence[Reply]) -> str:
    """One complete reply per recipient, in RCPT order (what Postfix's LMTP client reads after '.')."""
    return "\r\n".join(r.render() for r in replies)
