"""Raw message bytes -> header chunks, body chunks and attachment parts (design §5.1, §5.5, §10).

``email`` parses with ``policy.compat32``: it keeps raw header values, never decodes on access and parsed
5,000 parts in 0.07 s where ``policy.default`` took 1.1 s. The tree is walked with an explicit stack (no
recursion), in document order. Text bodies (text/plain, text/html; both halves of multipart/alternative)
become chunks; every other leaf — and a "text" part whose bytes sniff as PDF, DOCX... — becomes a ``Part``
with its decoded file name scanned as a chunk of its own. Nested message/rfc822 parts are walked in place,
under ``attachment[N] <file name or
"message.eml">``, up to ``max_message_depth``. Encrypted content is ``Unscannable``; the
signature part of multipart/signed is skipped because it holds no content.

Security: the bytes are hostile. Parsing is bounded: before ``email`` sees the message it is cut after
``max_parts`` multipart boundaries (the rest is ``over_limit``), every part is charged to
``budget.count_part()`` and its decoded size to ``budget.charge()``, and a parser failure scans the raw bytes
as text and reports ``corrupt``. Defects are logged by class name only, never content.
"""

from __future__ import annotations

import binascii
import logging
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from email.message import Message

from gateway.extract.base import Budget, Item, LimitExceeded
from gateway.extract.html import html_to_text
from gateway.masking import safe_filename
from gateway.mime import payload as pl
from gateway.mime.charset import decode_bytes, decode_header_value, lenient_b64decode
from gateway.mime.sniff import sniff
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

log = logging.getLogger(__name__)

SCANNED_HEADERS = {
    "subject": "subject",
    "msip_labels": "header[msip_labels]",
    "sensitivity": "header[sensitivity]",
    "x-titus-metadata-40": "header[x-titus-metadata-40]",
    "keywords": "header[keywords]",
    "comments": "header[comments]",
}
_LABEL_HEADERS = frozenset({"header[msip_labels]", "header[x-titus-metadata-40]"})  # kept raw, only unfolded
BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched", "text/richtext"})
TEXTUAL = frozenset({"text", "csv", "html", "eml", "ics", "vcf", "pgp", "unknown"})
_SIGNATURES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
_PGP = "-----BEGIN PGP MESSAGE-----"


@dataclass(slots=True)
class _Msg:
    """Per-message numbering: attachments and bodies are counted per (nested) message."""

    location: Location
    depth: int
    attachments: int = 0
    bodies: dict[str, int] = field(default_factory=dict)

    def where(self) -> Location:
        return self.location if self.location.path else Location(("message",))

    def attachment(self, name: str) -> Location:
        self.attachments += 1
        label = f"attachment[{self.attachments}]"
        return self.location.child(f"{label} {name}" if name else label)

    def body(self, ctype: str) -> Location:
        n = self.bodies[ctype] = self.bodies.get(ctype, 0) + 1
        return self.location.child(f"body[{ctype}]" if n == 1 else f"body[{n}][{ctype}]")


def parse_message(raw: bytes, location: Location, depth: int, budget: Budget) -> Iterator[Item]:
    """Yield every header chunk, body chunk, attachment ``Part`` and ``Unscannable`` of ``raw``."""
    bounded, cut = pl.bound(raw, budget.limits.max_parts)
    msg = pl.parse(bounded)
    if cut and msg is not None and pl.count(msg) <= budget.limits.max_parts:
        bounded, cut, msg = raw, False, pl.parse(raw)  # the '--' lines were text (a SQL dump), not parts
    raw = bounded
    ctx = _Msg(location, depth)
    if msg is None:
        yield TextChunk(ctx.body("text/plain"), "body", decode_bytes(raw))
        yield Unscannable(ctx.where(), Reason.CORRUPT, "mime structure unreadable")
        return
    yield from _walk(msg, ctx, budget)
    if cut:
        raise LimitExceeded(Reason.OVER_LIMIT, f"max_parts={budget.limits.max_parts}")


Child = tuple[Message, "_Msg", bool, str]
Walk = Generator[Item, None, list[Child]]


def _walk(root: Message, top: _Msg, budget: Budget) -> Iterator[Item]:
    """Depth-first, document order, explicit stack: (part, message context, is-root, role)."""
    stack: list[tuple[Message, _Msg, bool, str]] = [(root, top, True, "")]
    defects: set[str] = set()
    while stack:
        part, ctx, is_root, role = stack.pop()
        budget.count_part()
        budget.check_time()
        defects.update(type(d).__name__ for d in part.defects)
        if is_root:
            yield from _headers(part, ctx)
        children = yield from _one(part, ctx, budget, role)
        stack.extend(reversed(children))
    if defects:
        log.debug("mime defects: %s", ", ".join(sorted(defects)))


def _headers(part: Message, ctx: _Msg) -> Iterator[Item]:
    for label, value in pl.header_values(part, SCANNED_HEADERS):
        raw = label in _LABEL_HEADERS or label.startswith("header[x-")
        text = value.strip() if raw else decode_header_value(value).strip()
        if text:
            yield TextChunk(ctx.location.child(label), "header", text)
    if ctx.depth > 0:
        # An attached message's other headers are content too (display names, and a text file that merely
        # looks like a message - "Namn: ...\nPersonnummer: ..." - must not lose those lines).
        lines = [f"{k}: {decode_header_value(str(v))}" for k, v in part.items()
                 if k.lower() not in SCANNED_HEADERS]
        if lines:
            yield TextChunk(ctx.location.child("headers"), "header", "\n".join(lines))


def _one(part: Message, ctx: _Msg, budget: Budget, role: str) -> Walk:
    """Handle one part; return the children to walk next (the generator's return value)."""
    ctype = _ctype(part)
    if ctype.startswith("message/"):
        return (yield from _message(part, ctx, ctype, budget))
    if part.is_multipart():
        return (yield from _multipart(part, ctx, ctype))
    if ctype.startswith("multipart/"):
        recovered = pl.recover_multipart(part, ctype)
        if recovered is not None:
            return [(recovered, ctx, False, role)]
        ctype = "text/plain"  # boundary missing or wrong: scan it all as text
    yield from _leaf(part, ctx, ctype, budget, role)
    return []


def _ctype(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001 - hostile Content-Type
        return "text/plain"


def _multipart(part: Message, ctx: _Msg, ctype: str) -> Walk:
    if ctype == "multipart/encrypted":
        yield Unscannable(ctx.attachment("multipart/encrypted"), Reason.ENCRYPTED, "multipart/encrypted")
        return []
    for extra, label in ((part.preamble, "body[preamble]"), (part.epilogue, "body[epilogue]")):
        if extra and extra.strip() and not extra.strip().startswith("This is a multi-part message"):
            yield TextChunk(ctx.location.child(label), "body", decode_header_value(extra).strip())
    subparts = [p for p in part.get_payload() if isinstance(p, Message)]
    roles = [""] * len(subparts)
    if ctype == "multipart/signed" and len(subparts) >= 2:
        roles[-1] = "signature"
    return [(p, ctx, False, r) for p, r in zip(subparts, roles, strict=True)]


def _message(part: Message, ctx: _Msg, ctype: str, budget: Budget) -> Walk:
    """message/rfc822 (walked in place), message/delivery-status (text), the rest unsupported."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
    if ctype in ("message/partial", "message/external-body"):
        yield Unscannable(ctx.attachment(ctype), Reason.UNSUPPORTED, ctype)  # a fixed string here
        return []
    if ctype in ("message/rfc822", "message/global") and inner is None:
        data = pl.payload_bytes(part)[0]
        fname = pl.filename(part)
        where = ctx.attachment(safe_filename(fname) or "message")
        yield Part(where, ctype, fname, data, ctx.depth + 1, sniffed_type="eml")
        return []
    if inner is None or ctype not in ("message/rfc822", "message/global"):
        text = "\n".join(pl.flatten(p).decode("utf-8", "surrogateescape") for p in _messages(payload))
        yield TextChunk(ctx.body(_label(ctype)), "body", decode_header_value(text))
        return []
    # never the subject: a location is shown in logs and audit lines, a subject may carry personal data
    loc = ctx.attachment(safe_filename(pl.filename(part)) or "message.eml")
    fname = pl.filename(part)
    if fname:
        yield TextChunk(loc, "filename", fname)
    cte = pl.transfer_encoding(part)
    if cte in ("base64", "quoted-printable"):  # email parsed the encoded text as a message: undo that
        encoded = pl.flatten(inner)
        data = lenient_b64decode(encoded) if cte == "base64" else binascii.a2b_qp(encoded)
        yield Part(loc, ctype, fname, data, ctx.depth + 1, sniffed_type="eml")
        return []
    if ctx.depth + 1 > budget.limits.max_message_depth:
        yield Unscannable(loc, Reason.OVER_LIMIT, f"max_message_depth={budget.limits.max_message_depth}")
        return []
    return [(inner, _Msg(loc, ctx.depth + 1), True, "")]


def _messages(payload: object) -> list[Message]:
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _leaf(part: Message, ctx: _Msg, ctype: str, budget: Budget, role: str) -> Iterator[Item]:
    data, corrupt = pl.payload_bytes(part)
    budget.charge(len(data))
    fname = pl.filename(part)
    disposition = (pl.raw_header(part, "content-disposition") or "").strip().lower()
    if role == "signature" and ctype in _SIGNATURES and sniff(data) in ("smime", "text", "unknown"):
        return  # a detached signature holds no content; anything else under that name is scanned
    is_body = ctype in BODY_TYPES and not fname and not disposition.startswith("attachment")
    if is_body and not corrupt and (len(data) < 64 or sniff(data) in TEXTUAL):
        yield from _body(part, ctx, ctype, data)
        return
    loc = ctx.attachment(safe_filename(fname) or _label(ctype))
    if fname:
        yield TextChunk(loc, "filename", fname)
    if corrupt:
        yield Unscannable(loc, Reason.CORRUPT, "transfer encoding")
        return
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        smime = pl.param(part, "smime-type").lower()
        if smime in ("enveloped-data", "authenveloped-data"):
            yield Unscannable(loc, Reason.ENCRYPTED, "smime")
            return
    declared = ctype
    charset = pl.content_charset(part)
    if ctype.startswith("text/") and charset:
        declared = f"{ctype}; charset={charset}"
    yield Part(loc, declared, fname, data, ctx.depth + 1)


def _label(ctype: str) -> str:
    """A content type fit for a location (it is sender-controlled too)."""
    return re.sub(r"[^a-z0-9.+/_-]", "", ctype)[:60] or "part"


def _body(part: Message, ctx: _Msg, ctype: str, data: bytes) -> Iterator[Item]:
    loc = ctx.body(ctype)
    text = decode_bytes(data, pl.content_charset(part))
    if ctype == "text/html":
        text = html_to_text(text)
    else:
        flowed, delsp = pl.is_flowed(part)
        if flowed:
            text = pl.unflow(text, delsp)
    if text.strip():
        yield TextChunk(loc, "body", text)
    if _PGP in text:
        yield Unscannable(loc, Reason.ENCRYPTED, "pgp inline")
