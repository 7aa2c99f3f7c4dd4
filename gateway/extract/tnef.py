"""TNEF (winmail.dat): subject, body and attachments from Outlook's transport format (MS-OXTNEF).

A TNEF stream is a signature and a list of length-framed attributes. We read attSubject, attBody and
attMAPIProps (PR_SUBJECT, PR_BODY; without a plain body PR_HTML or PR_RTF_COMPRESSED become child parts,
as in .msg), and per attachment attAttachTitle, attAttachData and attAttachment (PR_ATTACH_LONG_FILENAME;
an embedded message in PR_ATTACH_DATA_OBJ is itself TNEF and becomes a child part). Other attributes
(dates, priority, rendering) carry no content and are skipped by their length.

Security: the stream is hostile: every length is checked against the bytes left (a short stream is
``corrupt`` after what was read), property counts are bounded by the bytes left, and a property block we
cannot parse is ``corrupt`` for that block instead of silently dropped. Nothing is decompressed here
except the RTF body (``body_part`` holds its input to the entry limit); attachments count against
``max_parts``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from gateway.extract.base import Budget, Item, extractor
from gateway.extract.msg import body_part
from gateway.masking import safe_filename
from gateway.model import Part, Reason, TextChunk, Unscannable

SIGNATURE = 0x223E9F78
ATT_SUBJECT, ATT_BODY, ATT_MAPI_PROPS = 0x00018004, 0x0002800C, 0x00069003
ATT_RENDDATA, ATT_TITLE, ATT_DATA, ATT_ATTACHMENT = 0x00069002, 0x00018010, 0x0006800F, 0x00069005
ATT_CODEPAGE = 0x00069007
_FIXED = {0x0001: 4, 0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4, 0x000B: 4}
_FIXED |= {0x0014: 8, 0x0040: 8, 0x0048: 16}
_VARIABLE = {0x001E, 0x001F, 0x0102, 0x000D}


class TnefError(ValueError):
    """The stream or a property block is malformed."""


@dataclass(slots=True)
class _Attachment:
    name: str = ""
    data: bytes | None = None
    embedded: bytes | None = None


@dataclass(slots=True)
class _Message:
    codepage: str = "cp1252"
    subject: str = ""
    body: str = ""
    props: dict[int, object] = field(default_factory=dict)
    attachments: list[_Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@extractor("tnef")
def extract_tnef(part: Part, budget: Budget) -> Iterator[Item]:
    """Yield the text and attachments of a winmail.dat."""
    msg = parse(part.data)
    loc = part.location
    subject = msg.subject or _text(msg.props.get(0x0037), msg.codepage)
    if subject:
        yield TextChunk(loc.child("subject"), "header", subject)
    body = msg.body or _text(msg.props.get(0x1000), msg.codepage)
    if body.strip():
        yield TextChunk(loc.child("body"), "body", body)
    else:
        html = msg.props.get(0x1013)
        html_bytes = (
            html.encode("utf-8") if isinstance(html, str) else html if isinstance(html, bytes) else None
        )
        rtf = msg.props.get(0x1009)
        yield from body_part(loc, part.depth, budget, html_bytes, rtf if isinstance(rtf, bytes) else None)
    for index, att in enumerate(msg.attachments, 1):
        budget.check_time()
        budget.count_part()
        here = loc.child(f"attachment[{index}] {safe_filename(att.name) or 'unnamed'}")
        if att.name:
            yield TextChunk(here, "filename", att.name)
        data = att.data if att.data is not None else att.embedded
        if data is not None:
            yield Part(here, "application/octet-stream", att.name or None, data, part.depth + 1)
    for problem in msg.problems:
        yield Unscannable(loc, Reason.CORRUPT, problem)


def parse(data: bytes) -> _Message:
    """Read the attributes of a TNEF stream; problems are collected, not raised."""
    msg = _Message()
    if len(data) < 6 or struct.unpack_from("<I", data)[0] != SIGNATURE:
        msg.problems.append("tnef: bad signature")
        return msg
    pos = 6
    while pos < len(data):
        if pos + 9 > len(data):
            msg.problems.append("tnef: truncated")
            break
        level, attr, length = struct.unpack_from("<BII", data, pos)
        start, pos = pos + 9, pos + 9 + length + 2
        if pos > len(data):
            msg.problems.append("tnef: truncated")
            break
        _attribute(msg, level, attr, data[start : start + length])
    return msg


def _attribute(msg: _Message, level: int, attr: int, value: bytes) -> None:
    if attr == ATT_CODEPAGE and len(value) >= 4:
        msg.codepage = f"cp{struct.unpack_from('<I', value)[0]}"
    elif attr == ATT_SUBJECT and level == 1:
        msg.subject = _text(value, msg.codepage)
    elif attr == ATT_BODY:
        msg.body = _text(value, msg.codepage)
    elif attr == ATT_MAPI_PROPS:
        try:
            msg.props.update(mapi_props(value))
        except TnefError as exc:
            msg.problems.append(f"tnef: {exc}")
    elif attr == ATT_RENDDATA:
        msg.attachments.append(_Attachment())
    elif level == 2 and attr in (ATT_TITLE, ATT_DATA, ATT_ATTACHMENT):
        if not msg.attachments:
            msg.attachments.append(_Attachment())
        att = msg.attachments[-1]
        if attr == ATT_TITLE:
            att.name = att.name or _text(value, msg.codepage)
        elif attr == ATT_DATA:
            att.data = value
        else:
            _attachment_props(msg, att, value)


def _attachment_props(msg: _Message, att: _Attachment, value: bytes) -> None:
    try:
        props = mapi_props(value)
    except TnefError as exc:
        msg.problems.append(f"tnef: attachment {exc}")
        return
    long_name = _text(props.get(0x3707), msg.codepage)
    att.name = long_name or att.name
    obj = props.get(0x3701)
    if isinstance(obj, bytes) and att.data is None:
        att.embedded = obj


def mapi_props(data: bytes) -> dict[int, object]:
    """A MAPI property block (``attMAPIProps``/``attAttachment``): property id -> first value."""
    if len(data) < 4:
        raise TnefError("MAPI properties truncated")
    (count,) = struct.unpack_from("<I", data)
    if count > len(data) // 4:
        raise TnefError("MAPI property count")
    pos = 4
    props: dict[int, object] = {}
    for _ in range(count):
        ptype, pid = _unpack("<HH", data, pos)
        pos += 4
        if pid >= 0x8000:  # named property: GUID, kind, then an id or a name
            (kind,) = _unpack("<I", data, pos + 16)
            pos += 20
            if kind == 0:
                pos += 4
            else:
                (size,) = _unpack("<I", data, pos)
                pos += 4 + size + (-size % 4)
        values, pos = _values(data, pos, ptype)
        if values:
            props.setdefault(pid, values[0])
    return props


def _values(data: bytes, pos: int, ptype: int) -> tuple[list[object], int]:
    multi, base = bool(ptype & 0x1000), ptype & ~0x1000
    if base in _FIXED:
        n = 1
        if multi:
            (n,) = _unpack("<I", data, pos)
            pos += 4
        size = _FIXED[base]
        if pos + n * size > len(data):
            raise TnefError("MAPI value truncated")
        return [data[pos + i * size : pos + (i + 1) * size] for i in range(n)], pos + n * size
    if base not in _VARIABLE:
        raise TnefError(f"MAPI type {ptype:#06x}")
    (n,) = _unpack("<I", data, pos)
    pos += 4
    if n > len(data) // 4:
        raise TnefError("MAPI value count")
    out: list[object] = []
    for _ in range(n):
        (size,) = _unpack("<I", data, pos)
        raw = data[pos + 4 : pos + 4 + size]
        if len(raw) < size:
            raise TnefError("MAPI value truncated")
        pos += 4 + size + (-size % 4)
        if base == 0x001F:
            out.append(raw.decode("utf-16-le", "replace").rstrip("\x00"))
        elif base == 0x000D:
            out.append(raw[16:])  # an object starts with its interface id
        else:
            out.append(raw)
    return out, pos


def _unpack(fmt: str, data: bytes, pos: int) -> tuple[int, ...]:
    if pos + struct.calcsize(fmt) > len(data):
        raise TnefError("MAPI properties truncated")
    return struct.unpack_from(fmt, data, pos)


def _text(value: object, codepage: str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return ""
    value = value.rstrip(b"\x00")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return value.decode(codepage, "replace")
    except LookupError:
        return value.decode("cp1252", "replace")


__all__ = ["extract_tnef", "mapi_props", "parse"]
