"""Outlook .msg files: subject, names, body and attachments via olefile and a small MAPI reader (§5.2).

A .msg is an OLE compound file whose MAPI properties are streams named ``__substg1.0_<id><type>``
(type ``001F`` UTF-16LE, ``001E`` 8-bit, ``0102`` binary, ``000D`` an embedded storage). We read the
subject (0037), sender and recipient names, the plain body (1000); when there is none, the HTML body
(1013) or the compressed RTF (1009, decompressed with ``compressed_rtf``) become child parts for the html
and rtf extractors. Attachments (``__attach_version1.0_#n``) are child parts named by 3707/3704/3001;
an embedded message (3701 as storage) is read in place, one level deeper. extract-msg is GPL-3, hence
this reader.

Security: the compound file is hostile: olefile validates the sector chains and we catch its errors
(``corrupt``); no stream is larger than the file itself. The RTF decompressor's output is at most ~9x
its input, so its input is held to ``max_entry_bytes / 9``; nesting is bounded by
``max_message_depth`` and every attachment counts against ``max_parts``. S/MIME-encrypted messages are
``encrypted`` (only their subject is readable). Attachment names go into locations through
``safe_filename``; the raw name is scanned as a ``filename`` chunk.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

import olefile

from gateway.extract.base import Budget, Item, extractor
from gateway.masking import safe_filename
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

_PREFIX = "__SUBSTG1.0_"  # names are compared upper-cased
Path = tuple[str, ...]


class _Msg:
    """The streams of one compound file, indexed by their parent storage path (upper-cased names)."""

    def __init__(self, ole: olefile.OleFileIO) -> None:
        self.ole = ole
        self.streams: dict[Path, dict[str, list[str]]] = {}
        self.storages: dict[Path, set[str]] = {}
        for path in ole.listdir(streams=True, storages=False):
            upper = tuple(p.upper() for p in path)
            self.streams.setdefault(upper[:-1], {})[upper[-1]] = path
            for i in range(len(upper) - 1):
                self.storages.setdefault(upper[:i], set()).add(upper[i])

    def raw(self, where: Path, tag: str) -> bytes | None:
        """The bytes of property ``tag`` (``"0037001F"``) directly under storage ``where``."""
        path = self.streams.get(where, {}).get(_PREFIX + tag)
        return None if path is None else bytes(self.ole.openstream(path).read())

    def text(self, where: Path, prop: str) -> str:
        """A string property, Unicode or 8-bit, without its terminating NULs."""
        data = self.raw(where, prop + "001F")
        if data is not None:
            return data.decode("utf-16-le", "replace").rstrip("\x00")
        data = self.raw(where, prop + "001E")
        if data is None:
            return ""
        data = data.rstrip(b"\x00")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")

    def children(self, where: Path, prefix: str) -> list[str]:
        """Sub-storages of ``where`` whose names start with ``prefix``, in name order."""
        return sorted(n for n in self.storages.get(where, ()) if n.startswith(prefix))

    def has_props(self, where: Path) -> bool:
        return any(n.startswith(_PREFIX) for n in self.streams.get(where, {}))


@extractor("msg")
def extract_msg(part: Part, budget: Budget) -> Iterator[Item]:
    """Yield the text and attachments of an Outlook message."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(part.data))
    except Exception:  # noqa: BLE001 - olefile raises OSError, ValueError, struct.error, IndexError...
        yield Unscannable(part.location, Reason.CORRUPT, "msg: not a compound file")
        return
    with ole:
        try:
            msg = _Msg(ole)
        except Exception:  # noqa: BLE001
            yield Unscannable(part.location, Reason.CORRUPT, "msg: directory")
            return
        try:
            yield from _message(msg, (), part.location, part.depth, 1, budget)
        except (OSError, ValueError, IndexError, KeyError, EOFError, struct.error):
            yield Unscannable(part.location, Reason.CORRUPT, "msg: stream")  # a broken sector chain


def _message(msg: _Msg, where: Path, loc: Location, depth: int, level: int, budget: Budget) -> Iterator[Item]:
    """One message (top level or embedded at storage ``where``)."""
    if level > budget.limits.max_message_depth:
        yield Unscannable(loc, Reason.OVER_LIMIT, f"max_message_depth={budget.limits.max_message_depth}")
        return
    if not msg.has_props(where):
        yield Unscannable(loc, Reason.CORRUPT, "msg: no MAPI properties")
        return
    subject = msg.text(where, "0037")
    if subject:
        yield TextChunk(loc.child("subject"), "header", subject)
    names = _names(msg, where)
    if names:
        yield TextChunk(loc.child("header"), "header", names)
    klass = msg.text(where, "001A").upper()
    if klass.startswith("IPM.NOTE.SMIME") and "MULTIPARTSIGNED" not in klass:
        yield Unscannable(loc, Reason.ENCRYPTED, "S/MIME")
        return
    yield from _body(msg, where, loc, depth, budget)
    for index, storage in enumerate(msg.children(where, "__ATTACH_VERSION1.0_#"), 1):
        budget.check_time()
        yield from _attachment(msg, (*where, storage), loc, index, depth, level, budget)


def _names(msg: _Msg, where: Path) -> str:
    """Sender and recipient names and addresses as header-like lines (names carry identities too)."""
    lines = [f"From: {msg.text(where, '0C1A')} {msg.text(where, '0C1F')}".rstrip()]
    for prop, label in (("0E04", "To"), ("0E03", "Cc"), ("0E02", "Bcc")):
        value = msg.text(where, prop)
        if value:
            lines.append(f"{label}: {value}")
    for storage in msg.children(where, "__RECIP_VERSION1.0_#"):
        sub = (*where, storage)
        lines.append(f"Recipient: {msg.text(sub, '3001')} {msg.text(sub, '39FE') or msg.text(sub, '3003')}")
    return "\n".join(line for line in lines if line.split(":", 1)[1].strip())


def _body(msg: _Msg, where: Path, loc: Location, depth: int, budget: Budget) -> Iterator[Item]:
    """The plain body; failing that the HTML body or the RTF body as a child part."""
    plain = msg.text(where, "1000")
    if plain.strip():
        yield TextChunk(loc.child("body"), "body", plain)
        return
    html = msg.raw(where, "10130102")
    if html is None:
        text = msg.text(where, "1013")
        html = text.encode("utf-8") if text else None
    yield from body_part(loc, depth, budget, html, msg.raw(where, "10090102"))


def body_part(
    loc: Location, depth: int, budget: Budget, html: bytes | None, rtf: bytes | None
) -> Iterator[Item]:
    """An HTML body, else a compressed-RTF body, as a child part for the html/rtf extractors (also TNEF)."""
    if html:
        yield Part(loc.child("body.html"), "text/html", "body.html", html, depth + 1, sniffed_type="html")
        return
    if not rtf:
        return
    where = loc.child("body.rtf")
    if len(rtf) > budget.limits.max_entry_bytes // 9:
        yield Unscannable(where, Reason.OVER_LIMIT, f"max_entry_bytes={budget.limits.max_entry_bytes}")
        return
    try:
        import compressed_rtf

        data = bytes(compressed_rtf.decompress(rtf))
    except Exception:  # noqa: BLE001 - the decompressor raises plain exceptions on bad input
        yield Unscannable(where, Reason.CORRUPT, "compressed RTF")
        return
    budget.charge(len(data))
    yield Part(where, "application/rtf", "body.rtf", data, depth + 1, sniffed_type="rtf")


def _attachment(
    msg: _Msg, where: Path, loc: Location, index: int, depth: int, level: int, budget: Budget
) -> Iterator[Item]:
    """One attachment storage: data as a child part, an embedded message read in place."""
    budget.count_part()
    name = msg.text(where, "3707") or msg.text(where, "3704") or msg.text(where, "3001")
    here = loc.child(f"attachment[{index}] {safe_filename(name) or 'unnamed'}".rstrip())
    if name:
        yield TextChunk(here, "filename", name)
    data = msg.raw(where, "37010102")
    if data is not None:
        declared = msg.text(where, "370E") or "application/octet-stream"
        yield Part(here, declared, name or None, data, depth + 1)
        return
    embedded = (*where, _PREFIX + "3701000D")
    if embedded in msg.streams or embedded[-1] in msg.storages.get(where, ()):
        if msg.has_props(embedded):
            yield from _message(msg, embedded, here, depth + 1, level + 1, budget)
        else:
            yield Unscannable(here, Reason.UNSUPPORTED, "embedded OLE object")
