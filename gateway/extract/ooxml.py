"""DOCX and PPTX text by streaming their XML parts (§5.2); python-docx was 7-12x slower, missed headers.

Word: the body, every ``header*``/``footer*``, footnotes, endnotes, comments, SmartArt, chart data; run text
(``w:t``), tracked deletions (``w:delText``) and insertions, field codes, text boxes and hidden (``w:vanish``)
text are all kept, because a sender hides nothing from us by formatting. PowerPoint: slides **and** speaker
notes and comments. Each part becomes one chunk located ``attachment[1] report.docx > header1.xml``.
``docProps`` (title, subject, keywords, description, author...) and sensitivity labels
(``docProps/custom.xml`` ``MSIP_Label_<GUID>_<Field>`` properties, ``docMetadata/LabelInfo.xml``) become
``metadata`` chunks in the line format ``gateway.detect.labels`` parses, as do ``customXml`` items (SharePoint
column values, data-bound content controls) as ``name: value`` lines. Embedded objects (an xlsx in a docx,
OLE objects) are yielded as child parts so they are sniffed and read like attachments; images only when OCR
is on.

Security: the zip and its XML are hostile: the entry count is read before listing, members are inflated
through ``Budget.charge`` with per-entry size and ratio limits (``xmlsafe``), entity declarations are
rejected, an encrypted member is ``encrypted``, a broken zip or XML ``corrupt``. Member names are masked by
``safe_filename`` before they appear in a location.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Iterator

import olefile

from gateway.extract.base import Budget, Item, extractor
from gateway.extract.xmlsafe import (
    Spec,
    element_text,
    iterparse,
    local,
    metadata_chunk,
    open_part,
    read_or_unscannable,
    text_or_unscannable,
)
from gateway.masking import safe_filename
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

WORD = Spec(
    text=frozenset({"t", "delText", "instrText"}),
    paragraph=frozenset({"p"}),
    cell=frozenset({"tc"}),
    row=frozenset({"tr"}),
    skip=frozenset({"Fallback", "pPr", "rPr"}),
    emit={"tab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"},
)
DRAWING = Spec(  # PresentationML / DrawingML, old (p:text) and modern comments
    text=frozenset({"t", "text"}),
    paragraph=frozenset({"p", "cm"}),
    cell=frozenset({"tc"}),
    row=frozenset({"tr"}),
    skip=frozenset({"Fallback"}),
    emit={"br": "\n"},
)

CHART = Spec(  # chart caches: one line per data point or title paragraph
    text=frozenset({"v", "t"}),
    paragraph=frozenset({"pt", "p"}),
    skip=frozenset({"formatCode", "f"}),
)

_DOCX_PARTS = re.compile(
    r"word/(document\d*|header\d*|footer\d*|footnotes|endnotes|comments\w*|diagrams/data\d*|charts/chart\d+)\.xml",
    re.IGNORECASE,
)
_PPTX_PARTS = re.compile(
    r"ppt/(slides/slide\d+|notesSlides/notesSlide\d+|comments/\w+|diagrams/data\d*|charts/chart\d+)\.xml",
    re.IGNORECASE,
)
_EMBEDDED = re.compile(r"(word|xl|ppt)/embeddings/[^/]+", re.IGNORECASE)
_MEDIA = re.compile(r"(word|xl|ppt)/media/[^/]+", re.IGNORECASE)
_CUSTOM_XML = re.compile(r"customXml/item\d+\.xml", re.IGNORECASE)
_CORE_FIELDS = ("title", "subject", "keywords", "description", "creator", "lastModifiedBy", "category")
_APP_FIELDS = ("Company", "Manager", "HyperlinkBase")
_PRIORITY = ("document", "slide", "header", "footer", "footnotes", "endnotes", "notes", "comment")


def member_location(location: Location, name: str) -> Location:
    """``report.docx > header1.xml``: members are named by their (masked) file name."""
    return location.child(safe_filename(name) or "member")


def _natural(name: str) -> tuple[int, str, int]:
    base = name.rsplit("/", 1)[-1].lower()
    rank = next((i for i, p in enumerate(_PRIORITY) if base.startswith(p)), len(_PRIORITY))
    digits = re.search(r"(\d+)\.xml$", base)
    return rank, base, int(digits.group(1)) if digits else 0


def _props_text(data: bytes, fields: tuple[str, ...]) -> str:
    wanted = set(fields)
    lines = []
    for elem in iterparse(data):
        name = local(elem.tag)
        if name in wanted:
            value = element_text(elem).strip()
            if value:
                lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _custom_text(data: bytes) -> str:
    """``name=value`` per custom property (``MSIP_Label_<GUID>_<Field>=<value>`` for sensitivity labels)."""
    lines = []
    for elem in iterparse(data):
        if local(elem.tag) == "property":
            name = (elem.get("name") or "").strip()
            value = element_text(elem).strip()
            if name:
                lines.append(f"{name}={value}")
    return "\n".join(lines)


def labelinfo_text(data: bytes) -> str:
    """One line per label in ``docMetadata/LabelInfo.xml``; removed labels are left out."""
    lines = []
    for elem in iterparse(data):
        if local(elem.tag) != "label" or elem.get("removed", "0") in ("1", "true"):
            continue
        enabled = "true" if elem.get("enabled", "0") in ("1", "true") else "false"
        lines.append(
            f"label id={_guid(elem.get('id'))} enabled={enabled} siteId={_guid(elem.get('siteId'))} "
            f"method={elem.get('method', '')} contentBits={elem.get('contentBits', '0')}"
        )
    return "\n".join(lines)


def _leaf_text(data: bytes) -> str:
    """``name: value`` per leaf element: SharePoint column values and data-bound content controls."""
    lines = []
    for elem in iterparse(data):
        if len(elem) == 0 and elem.text and elem.text.strip():
            lines.append(f"{local(elem.tag)}: {elem.text.strip()}")
    return "\n".join(lines)


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}")


_META_PARTS: dict[str, Callable[[bytes], str]] = {
    "docprops/core.xml": lambda d: _props_text(d, _CORE_FIELDS),
    "docprops/app.xml": lambda d: _props_text(d, _APP_FIELDS),
    "docprops/custom.xml": _custom_text,
    "docmetadata/labelinfo.xml": labelinfo_text,
}


def metadata_items(zf: zipfile.ZipFile, location: Location, budget: Budget) -> Iterator[Item]:
    """Document properties and sensitivity labels of an OOXML package as ``metadata`` chunks."""
    for info in zf.infolist():
        parse = _META_PARTS.get(info.filename.lower())
        if parse is None and _CUSTOM_XML.fullmatch(info.filename):
            parse = _leaf_text
        if parse is None:
            continue
        where = member_location(location, info.filename.rsplit("/", 1)[-1])
        yield from metadata_chunk(zf, info, where, budget, parse)


def embedded_items(zf: zipfile.ZipFile, part: Part, budget: Budget) -> Iterator[Item]:
    """Embedded objects (and images when OCR is on) as child parts, sniffed again by the walker."""
    for info in zf.infolist():
        name = info.filename
        media = bool(_MEDIA.fullmatch(name))
        if not (_EMBEDDED.fullmatch(name) or (media and budget.limits.ocr)) or info.is_dir():
            continue
        base = name.rsplit("/", 1)[-1]
        where = member_location(part.location, base)
        data = read_or_unscannable(zf, info, where, budget)
        if isinstance(data, Unscannable):
            yield data
            continue
        budget.count_part()
        inner = unwrap_ole_object(data)
        if inner is not None:  # an OLE wrapper around a packaged file: the file is what was embedded
            name, data = inner
            base = name or base
            where = member_location(part.location, base)
        yield Part(where, "application/octet-stream", base, data, part.depth + 1)


_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def unwrap_ole_object(data: bytes) -> tuple[str, bytes] | None:
    """The file inside an embedded OLE object (``\\x01Ole10Native`` package, ``Package``, ``CONTENTS``)."""
    if not data.startswith(_OLE_MAGIC):
        return None
    try:
        ole = olefile.OleFileIO(data)
    except (OSError, ValueError, struct.error, IndexError, TypeError):
        return None
    try:
        if ole.exists("\x01Ole10Native"):
            return _ole10native(bytes(ole.openstream("\x01Ole10Native").read()))
        for name in ("Package", "CONTENTS"):
            if ole.exists(name):
                return "", bytes(ole.openstream(name).read())
    except (OSError, ValueError, struct.error, IndexError):
        return None
    finally:
        ole.close()
    return None


def _ole10native(raw: bytes) -> tuple[str, bytes] | None:
    """``size, type, label\\0, path\\0, reserved, temp path, data size, data`` (MS-OLEDS packager)."""
    try:
        pos = 6
        end = raw.index(b"\x00", pos)
        label = raw[pos:end].decode("cp1252", "replace")
        pos = raw.index(b"\x00", end + 1) + 1 + 4  # original path, then 4 reserved bytes
        (temp_len,) = struct.unpack_from("<I", raw, pos)
        pos += 4 + temp_len
        (size,) = struct.unpack_from("<I", raw, pos)
        body = raw[pos + 4 : pos + 4 + size]
        if len(body) == size:
            return label, body
    except (ValueError, struct.error):
        pass
    (total,) = struct.unpack_from("<I", raw, 0) if len(raw) >= 4 else (0,)
    return "", raw[4 : 4 + total]  # a non-package native object: the bytes after the size


def has_media(zf: zipfile.ZipFile) -> bool:
    """Whether the package carries images (a scanned page pasted into a document)."""
    return any(_MEDIA.fullmatch(i.filename) for i in zf.infolist())


def _spec(name: str, word: bool) -> Spec:
    lower = name.lower()
    if "/charts/" in lower:
        return CHART
    if "/diagrams/" in lower or not word:
        return DRAWING
    return WORD


def _extract(part: Part, budget: Budget, parts: re.Pattern[str], word: bool) -> Iterator[Item]:
    zf = open_part(part.data, part.location, budget)
    if isinstance(zf, Unscannable):
        yield zf
        return
    with zf:
        chars = 0
        members = [i for i in zf.infolist() if parts.fullmatch(i.filename)]
        members.sort(key=lambda i: _natural(i.filename))
        for info in members:
            budget.check_time()
            where = member_location(part.location, info.filename.rsplit("/", 1)[-1])
            data = read_or_unscannable(zf, info, where, budget)
            if isinstance(data, Unscannable):
                yield data
                continue
            spec = _spec(info.filename, word)
            text = text_or_unscannable(data, spec, where, budget)
            if isinstance(text, Unscannable):
                yield text
            elif text.strip():
                chars += len(text.strip())
                yield TextChunk(where, "attachment", text)
        if not members:
            yield Unscannable(part.location, Reason.CORRUPT, "no document part")
        elif chars == 0 and has_media(zf) and not budget.limits.ocr:
            yield Unscannable(part.location, Reason.NEEDS_OCR, "images only")
        yield from metadata_items(zf, part.location, budget)
        yield from embedded_items(zf, part, budget)


@extractor("docx", "pptx")
def extract_ooxml(part: Part, budget: Budget) -> Iterator[Item]:
    """Text of a Word or PowerPoint package (see the module docstring for what is read)."""
    word = part.sniffed_type != "pptx"
    yield from _extract(part, budget, _DOCX_PARTS if word else _PPTX_PARTS, word)
