"""Legacy Office (.doc, .xls, .ppt) and encrypted OOXML, read from their OLE storages with olefile (BSD).

Encrypted OOXML (an OLE file with ``EncryptionInfo``/``EncryptedPackage``) is ``encrypted``; its label
information stays readable and is reported as ``metadata`` (a ``LabelInfo`` stream, ``MSIP_Label_*``
user-defined properties). Word 97-2003: the FIB's ``fEncrypted`` flag means ``encrypted``; otherwise the text
comes from the piece table (``Clx`` in the ``0Table``/``1Table`` stream), which covers body, footnotes,
headers, comments and text boxes. Excel BIFF8: ``FILEPASS`` means ``encrypted``; otherwise the shared strings
(``SST`` across ``CONTINUE``), ``LABELSST``/``LABEL``, ``NUMBER``/``RK``/``MULRK`` cells (integral numbers
without ``.0``) per sheet, one tab-separated line per row. PowerPoint: ``TextCharsAtom``/``TextBytesAtom``.
Where a structure is damaged, best-effort text runs (UTF-16LE, cp1252, at least four characters) are used.
Summary information (title, subject, author, keywords, comments) becomes ``metadata``. Nothing decodable
is ``unsupported``.

Security: every offset and length is hostile and checked against the stream; streams larger than
``max_entry_bytes`` are not read; everything read is charged to the budget; loops are bounded by the data.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

import olefile

from gateway.extract.base import Budget, Item, LimitExceeded, extractor
from gateway.extract.ooxml import labelinfo_text
from gateway.extract.xlsx import cell_text
from gateway.extract.xmlsafe import XmlRejectedError
from gateway.masking import safe_filename
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

_WORD_CTRL = str.maketrans(
    {
        "\r": "\n",
        "\x07": "\t",
        "\x0b": "\n",
        "\x0c": "\n",
        "\x1e": "-",
        "\x1f": None,
        "\x13": None,
        "\x14": None,
        "\x15": None,
        "\x01": None,
        "\x08": None,
        "\x00": None,
    }
)
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\xa0-\xff]\x00|[\t\r\n]\x00){4,}")
_BYTE_RUN = re.compile(rb"[\x20-\x7e\xa0-\xff\t\r\n]{4,}")


class _Ole:
    """olefile access with the size limit and budget applied to every stream."""

    def __init__(self, ole: olefile.OleFileIO, budget: Budget) -> None:
        self.ole = ole
        self.budget = budget
        self.names = ["/".join(p) for p in ole.listdir(streams=True, storages=False)]

    def has(self, name: str) -> bool:
        return any(n.lower() == name.lower() for n in self.names)

    def read(self, name: str) -> bytes:
        size = self.ole.get_size(name)
        if size > self.budget.limits.max_entry_bytes:
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_entry_bytes={self.budget.limits.max_entry_bytes}")
        data = bytes(self.ole.openstream(name).read())
        self.budget.charge(len(data))
        return data


def best_effort(data: bytes) -> str:
    """UTF-16LE and cp1252 runs of at least four characters (for damaged or unknown structures)."""
    runs = [m.group().decode("utf-16-le") for m in _UTF16_RUN.finditer(data)]
    if not runs:
        runs = [m.group().decode("cp1252", "replace") for m in _BYTE_RUN.finditer(data)]
    return "\n".join(r.strip() for r in runs if r.strip())


def word_text(word: bytes, table: bytes) -> str:
    """Text of every piece of a Word 97-2003 document (raises ``ValueError`` on damaged structures)."""
    pos = 32
    (csw,) = struct.unpack_from("<H", word, pos)
    pos += 2 + csw * 2
    (cslw,) = struct.unpack_from("<H", word, pos)
    pos += 2 + cslw * 4
    pos += 2
    fc_clx, lcb_clx = struct.unpack_from("<II", word, pos + 33 * 8)
    clx = table[fc_clx : fc_clx + lcb_clx]
    if lcb_clx == 0 or len(clx) != lcb_clx:
        raise ValueError("no piece table")
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc entries before the Pcdt
        (cb,) = struct.unpack_from("<H", clx, i + 1)
        i += 3 + cb
    if i >= len(clx) or clx[i] != 0x02:
        raise ValueError("no Pcdt")
    (lcb,) = struct.unpack_from("<I", clx, i + 1)
    plc = clx[i + 5 : i + 5 + lcb]
    n = (len(plc) - 4) // 12
    if n <= 0:
        raise ValueError("empty piece table")
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    out = []
    for k in range(n):
        (fc,) = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)
        count = max(0, min(cps[k + 1] - cps[k], len(word)))
        if fc & 0x40000000:
            start = (fc & 0x3FFFFFFF) // 2
            out.append(word[start : start + count].decode("cp1252", "replace"))
        else:
            out.append(word[fc : fc + 2 * count].decode("utf-16-le", "replace"))
    return "".join(out).translate(_WORD_CTRL)


def _doc(ole: _Ole, location: Location) -> Iterator[Item]:
    word = ole.read("WordDocument")
    if len(word) < 64 or struct.unpack_from("<H", word, 0)[0] != 0xA5EC:
        yield Unscannable(location, Reason.CORRUPT, "doc fib")
        return
    (flags,) = struct.unpack_from("<H", word, 0x0A)
    if flags & 0x0100:
        yield Unscannable(location, Reason.ENCRYPTED, "doc password")
        return
    table_name = "1Table" if flags & 0x0200 else "0Table"
    try:
        text = word_text(word, ole.read(table_name) if ole.has(table_name) else b"")
    except (ValueError, struct.error):
        text = best_effort(word[0x200:])
    yield from _text(location, text)


def _text(location: Location, text: str) -> Iterator[Item]:
    if text.strip():
        yield TextChunk(location, "attachment", text)


def _ppt(ole: _Ole, location: Location, budget: Budget) -> Iterator[Item]:
    if ole.has("EncryptedSummary"):
        yield Unscannable(location, Reason.ENCRYPTED, "ppt password")
        return
    data = ole.read("PowerPoint Document")
    out: list[str] = []
    pos = 0
    while pos + 8 <= len(data):
        ver_inst, kind, size = struct.unpack_from("<HHI", data, pos)
        if ver_inst & 0x0F == 0x0F:  # container: step inside
            pos += 8
            continue
        body = data[pos + 8 : pos + 8 + size]
        if kind == 0x0FA0:
            out.append(body.decode("utf-16-le", "replace"))
        elif kind == 0x0FA8:
            out.append(body.decode("cp1252", "replace"))
        elif kind == 0x2F14:
            yield Unscannable(location, Reason.ENCRYPTED, "ppt password")
            return
        pos += 8 + size
        if len(out) % 256 == 0:
            budget.check_time()
    yield from _text(location, "\n".join(s.replace("\r", "\n") for s in out))


# --- Excel BIFF8 --------------------------------------------------------------------------------------------


def _records(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(data):
        kind, size = struct.unpack_from("<HH", data, pos)
        yield kind, data[pos + 4 : pos + 4 + size]
        pos += 4 + size


class _Segments:
    """SST data split over CONTINUE records; a string continuing into a new record restarts its flags."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.i = 0
        self.pos = 0

    def take(self, n: int) -> bytes:
        out = bytearray()
        while n > 0 and self.i < len(self.parts):
            chunk = self.parts[self.i][self.pos : self.pos + n]
            out += chunk
            n -= len(chunk)
            self.pos += len(chunk)
            if self.pos >= len(self.parts[self.i]) and n > 0:
                self.i, self.pos = self.i + 1, 0
        if n > 0:
            raise ValueError("truncated")
        return bytes(out)

    def chars(self, count: int, high: bool) -> str:
        out = []
        while count > 0:
            if self.i < len(self.parts) and self.pos >= len(self.parts[self.i]):
                self.i, self.pos = self.i + 1, 0
                high = bool(self.take(1)[0] & 1)
            left = len(self.parts[self.i]) - self.pos if self.i < len(self.parts) else 0
            n = min(count, left // (2 if high else 1)) or count
            raw = self.take(n * (2 if high else 1))
            out.append(raw.decode("utf-16-le" if high else "latin-1", "replace"))
            count -= n
        return "".join(out)


def _sst(parts: list[bytes], budget: Budget) -> list[str]:
    seg = _Segments(parts)
    (_total, unique) = struct.unpack("<II", seg.take(8))
    strings: list[str] = []
    try:
        for n in range(unique):
            if n % 4096 == 0:
                budget.check_time()
            cch, flags = struct.unpack("<HB", seg.take(3))
            runs = struct.unpack("<H", seg.take(2))[0] if flags & 0x08 else 0
            ext = struct.unpack("<I", seg.take(4))[0] if flags & 0x04 else 0
            strings.append(seg.chars(cch, bool(flags & 0x01)))
            seg.take(4 * runs + ext)
    except (ValueError, struct.error):
        pass  # a truncated table: keep the strings read so far
    return strings


def _rk(value: int) -> float:
    """An RK number: a 30-bit integer or the top 30 bits of a double, optionally divided by 100."""
    if value & 2:
        num = float((value >> 2) - (1 << 30) if value & 0x80000000 else value >> 2)
    else:
        num = float(struct.unpack("<d", struct.pack("<Q", (value & 0xFFFFFFFC) << 32))[0])
    return num / 100 if value & 1 else num


def _xls(data: bytes, location: Location, budget: Budget) -> Iterator[Item]:
    sheets: list[str] = []
    cells: list[dict[int, dict[int, str]]] = []
    sst_parts: list[bytes] = []
    strings: list[str] = []
    current: dict[int, dict[int, str]] | None = None
    last = depth = count = 0
    for kind, body in _records(data):
        if kind == 0x002F:
            yield Unscannable(location, Reason.ENCRYPTED, "xls password")
            return
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET
            cch, flags = body[6], body[7]
            sheets.append(
                body[8 : 8 + cch * 2].decode("utf-16-le", "replace")
                if flags & 1
                else body[8 : 8 + cch].decode("latin-1")
            )
        elif kind == 0x0809:  # BOF: a top-level sheet starts (charts nested in a sheet do not count)
            depth += 1
            kind_of = struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0
            if depth == 1 and kind_of in (0x10, 0x20, 0x40):
                cells.append({})
                current = cells[-1]
        elif kind == 0x000A:  # EOF
            depth = max(0, depth - 1)
            if depth == 0:
                current = None
        elif kind == 0x00FC:
            sst_parts = [body]
        elif kind == 0x003C and last == 0x00FC:
            sst_parts.append(body)
            kind = 0x00FC
        elif current is not None and depth == 1 and len(body) >= 6:
            row, col = struct.unpack_from("<HH", body, 0)
            value = _cell(kind, body, strings, sst_parts)
            if isinstance(value, list):
                for i, v in enumerate(value):
                    current.setdefault(row, {})[col + i] = v
            elif value is not None:
                current.setdefault(row, {})[col] = value
        count += 1
        if count % 65536 == 0:
            budget.check_time()
        if kind != 0x00FC and sst_parts and not strings:
            strings = _sst(sst_parts, budget)
        last = kind
    size = 0
    for index, rows in enumerate(cells):
        name = sheets[index] if index < len(sheets) else f"sheet {index + 1}"
        lines = [name]
        for row in sorted(rows):
            cols = rows[row]
            span = range(max(cols) + 1) if max(cols) < 256 else sorted(cols)  # keep columns aligned
            lines.append("\t".join(cols.get(c, "") for c in span))
            size += len(lines[-1]) + 1
            if size > budget.limits.max_chars:
                raise LimitExceeded(Reason.OVER_LIMIT, f"max_chars={budget.limits.max_chars}")
        yield from _text(location.child(safe_filename(name) or "sheet"), "\n".join(lines) + "\n")
    if not cells and strings:
        yield from _text(location, "\n".join(strings))


def _cell(kind: int, body: bytes, strings: list[str], sst_parts: list[bytes]) -> str | list[str] | None:
    if kind == 0x00FD and len(body) >= 10:  # LABELSST
        (idx,) = struct.unpack_from("<I", body, 6)
        return strings[idx] if idx < len(strings) else None
    if kind == 0x0203 and len(body) >= 14:  # NUMBER
        return cell_text(struct.unpack_from("<d", body, 6)[0])
    if kind == 0x027E and len(body) >= 10:  # RK
        return cell_text(_rk(struct.unpack_from("<I", body, 6)[0]))
    if kind == 0x00BD and len(body) >= 12:  # MULRK: col first, then (xf, rk) pairs, then col last
        n = (len(body) - 6) // 6
        return [cell_text(_rk(struct.unpack_from("<I", body, 4 + 6 * i + 2)[0])) for i in range(n)]
    if kind == 0x0204 and len(body) >= 9:  # LABEL (BIFF8: XLUnicodeString)
        (cch,) = struct.unpack_from("<H", body, 6)
        high = body[8] & 1
        raw = body[9 : 9 + cch * (2 if high else 1)]
        return raw.decode("utf-16-le" if high else "latin-1", "replace")
    if kind == 0x0006 and len(body) >= 14 and body[12:14] != b"\xff\xff":  # FORMULA with a cached number
        return cell_text(struct.unpack_from("<d", body, 6)[0])
    return None


def _content(ole: _Ole, loc: Location, budget: Budget) -> Iterator[Item]:
    if ole.has("WordDocument"):
        yield from _doc(ole, loc)
    elif ole.has("Workbook") or ole.has("Book"):
        yield from _xls(ole.read("Workbook" if ole.has("Workbook") else "Book"), loc, budget)
    elif ole.has("PowerPoint Document"):
        yield from _ppt(ole, loc, budget)
    else:
        yield Unscannable(loc, Reason.UNSUPPORTED, "ole")


def _legacy(ole: _Ole, part: Part, budget: Budget) -> Iterator[Item]:
    loc = part.location
    if ole.has("EncryptionInfo") or ole.has("EncryptedPackage"):
        yield Unscannable(loc, Reason.ENCRYPTED, "ooxml password")
    else:
        decoded = False
        for item in _content(ole, loc, budget):
            decoded = decoded or not isinstance(item, TextChunk) or bool(item.text.strip())
            yield item
        if not decoded:  # nothing decodable is a failure, not a clean document
            yield Unscannable(loc, Reason.UNSUPPORTED, "no text decoded")
    for name in ole.names:
        if "labelinfo" in name.lower():
            yield from _labelinfo(ole.read(name), loc.child("LabelInfo"))
    for name in ("\x05SummaryInformation", "\x05DocumentSummaryInformation"):
        if ole.has(name):
            text = property_text(ole.read(name))
            if text:
                yield TextChunk(loc.child(name[1:]), "metadata", text)


def _labelinfo(data: bytes, location: Location) -> Iterator[Item]:
    """A ``LabelInfo`` stream (XML, UTF-8 or UTF-16) as label lines; undecodable streams are skipped."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode("utf-8")
    start = data.find(b"<")
    try:
        text = labelinfo_text(data[start:]) if start >= 0 else ""
    except (XmlRejectedError, SyntaxError, ValueError):
        return
    if text:
        yield TextChunk(location, "metadata", text)


# --- property sets ([MS-OLEPS]): summary information and user-defined properties ---------------------------

_SUMMARY_NAMES = {
    2: "title",
    3: "subject",
    4: "author",
    5: "keywords",
    6: "comments",
    8: "lastAuthor",
    18: "application",
}
_DOC_SUMMARY_NAMES = {2: "category", 14: "manager", 15: "company"}
_FMTID_SUMMARY = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")
_FMTID_USER = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def _value(data: bytes, off: int, codepage: int) -> object:
    (vt,) = struct.unpack_from("<H", data, off)
    off += 4
    if vt == 0x1E:  # VT_LPSTR
        (n,) = struct.unpack_from("<I", data, off)
        raw = data[off + 4 : off + 4 + n]
        enc = "utf-16-le" if codepage == 1200 else f"cp{codepage}" if codepage > 0 else "cp1252"
        try:
            return raw.decode(enc, "replace").rstrip("\x00")
        except LookupError:
            return raw.decode("cp1252", "replace").rstrip("\x00")
    if vt == 0x1F:  # VT_LPWSTR
        (n,) = struct.unpack_from("<I", data, off)
        return data[off + 4 : off + 4 + 2 * n].decode("utf-16-le", "replace").rstrip("\x00")
    if vt in (0x02, 0x12):
        return struct.unpack_from("<h" if vt == 2 else "<H", data, off)[0]
    if vt in (0x03, 0x13):
        return struct.unpack_from("<i" if vt == 3 else "<I", data, off)[0]
    if vt == 0x0B:
        return "true" if struct.unpack_from("<H", data, off)[0] else "false"
    if vt == 0x05:
        return struct.unpack_from("<d", data, off)[0]
    return None


def _section(data: bytes, base: int) -> tuple[dict[int, object], dict[int, str]]:
    """Property values and the dictionary (id -> name) of one section."""
    _size, count = struct.unpack_from("<II", data, base)
    entries = [struct.unpack_from("<II", data, base + 8 + 8 * i) for i in range(min(count, 4096))]
    offsets = dict(entries)
    codepage = 1252
    if 1 in offsets:
        codepage = int(struct.unpack_from("<H", data, base + offsets[1] + 4)[0]) & 0xFFFF
    names: dict[int, str] = {}
    values: dict[int, object] = {}
    for pid, off in entries:
        if pid == 0:  # the dictionary of user-defined names
            pos = base + off
            (n,) = struct.unpack_from("<I", data, pos)
            pos += 4
            for _ in range(min(n, 4096)):
                key, length = struct.unpack_from("<II", data, pos)
                pos += 8
                if codepage == 1200:
                    names[key] = data[pos : pos + 2 * length].decode("utf-16-le", "replace").rstrip("\x00")
                    pos += 2 * length + (2 * length) % 4
                else:
                    names[key] = data[pos : pos + length].decode("cp1252", "replace").rstrip("\x00")
                    pos += length
        elif pid > 1:
            values[pid] = _value(data, base + off, codepage)
    return values, names


def property_text(data: bytes) -> str:
    """Summary fields as ``name: value`` and user-defined properties (MSIP labels) as ``name=value`` lines."""
    lines: list[str] = []
    try:
        (sets,) = struct.unpack_from("<I", data, 24)
        for i in range(min(sets, 4)):
            fmtid = data[28 + 20 * i : 44 + 20 * i]
            (off,) = struct.unpack_from("<I", data, 44 + 20 * i)
            values, names = _section(data, off)
            if fmtid == _FMTID_USER:
                lines += [
                    f"{names[k]}={cell_text(v)}" for k, v in values.items() if k in names and v is not None
                ]
                continue
            fields = _SUMMARY_NAMES if fmtid == _FMTID_SUMMARY else _DOC_SUMMARY_NAMES
            lines += [
                f"{fields[k]}: {v}" for k, v in values.items() if k in fields and isinstance(v, str) and v
            ]
    except (struct.error, ValueError, KeyError):
        pass  # keep what was read: a damaged property set is no reason to lose the document text
    return "\n".join(lines)


@extractor("ole_doc", "ole_xls", "ole_ppt", "ooxml_encrypted")
def extract_ole(part: Part, budget: Budget) -> Iterator[Item]:
    """Text, encryption state and labels of a legacy Office file or an encrypted OOXML package."""
    try:
        handle = olefile.OleFileIO(part.data)
    except (OSError, ValueError, struct.error, IndexError, TypeError):
        yield Unscannable(part.location, Reason.CORRUPT, "ole")
        return
    try:
        yield from _legacy(_Ole(handle, budget), part, budget)
    except (OSError, struct.error, IndexError) as exc:  # olefile raises these for damaged sector chains
        del exc
        yield Unscannable(part.location, Reason.CORRUPT, "ole stream")
    finally:
        handle.close()
