"""OpenDocument text and presentations (ODT, ODP; metadata also for ODS) by streaming ``content.xml``.

``content.xml`` carries paragraphs and headings, tables, footnotes (``text:note``), comments
(``office:annotation``), tracked deletions (``text:changed-region``), hidden text, frames and text boxes and
presentation notes; headers and footers live in ``styles.xml`` (stock extractors that read only the content
miss them), title/author/keywords and user-defined properties (where LibreOffice keeps ``MSIP_Label_*``
sensitivity labels) in ``meta.xml``. Runs of one paragraph are joined with ``""`` so numbers split across
spans stay whole.

Security: the package is hostile: members are read through ``xmlsafe`` (entry count, per-entry size, ratio
and the budget), entity declarations are rejected, a package whose manifest declares encryption is
``encrypted`` and a broken zip or XML ``corrupt``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from gateway.extract.base import Budget, Item, extractor
from gateway.extract.ooxml import unwrap_ole_object
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

ODF = Spec(
    text=frozenset({"p", "h"}),
    paragraph=frozenset({"p", "h"}),
    cell=frozenset({"table-cell", "covered-table-cell"}),
    row=frozenset({"table-row"}),
    skip=frozenset({"note-citation"}),
    emit={"s": " ", "tab": "\t", "line-break": "\n"},
)
ANNOTATIONS = Spec(  # only comments: ODS cell values come from calamine
    text=frozenset({"annotation"}),
    paragraph=frozenset({"p", "h"}),
    emit={"s": " ", "tab": "\t", "line-break": "\n"},
)
_META_FIELDS = frozenset({"title", "description", "subject", "keyword", "initial-creator", "creator"})


def _member(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    try:
        return zf.getinfo(name)
    except KeyError:
        return None


def is_encrypted_package(zf: zipfile.ZipFile, location: Location, budget: Budget) -> Unscannable | None:
    """``encrypted`` when the manifest declares encryption data (password-protected ODF)."""
    info = _member(zf, "META-INF/manifest.xml")
    if info is None:
        return None
    data = read_or_unscannable(zf, info, location.child("manifest.xml"), budget)
    if isinstance(data, Unscannable):
        return data
    if b"encryption-data" in data:
        return Unscannable(location, Reason.ENCRYPTED, "odf password")
    return None


def _meta_text(data: bytes) -> str:
    lines = []
    for elem in iterparse(data):
        name = local(elem.tag)
        value = element_text(elem).strip()
        if name == "user-defined":
            key = next((v for k, v in elem.attrib.items() if local(k) == "name"), "")
            if key:
                lines.append(f"{key}={value}")
        elif name in _META_FIELDS and value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def metadata_items(zf: zipfile.ZipFile, location: Location, budget: Budget) -> Iterator[Item]:
    """``meta.xml`` as one ``metadata`` chunk (user-defined properties as ``name=value`` lines)."""
    info = _member(zf, "meta.xml")
    if info is None:
        return
    yield from metadata_chunk(zf, info, location.child("meta.xml"), budget, _meta_text)


def member_text(
    zf: zipfile.ZipFile, name: str, spec: Spec, location: Location, budget: Budget
) -> Iterator[Item]:
    """One XML member laid out by ``spec`` as an ``attachment`` chunk (nothing if absent or empty)."""
    info = _member(zf, name)
    if info is None:
        return
    budget.check_time()
    where = location.child(name)
    data = read_or_unscannable(zf, info, where, budget)
    if isinstance(data, Unscannable):
        yield data
        return
    text = text_or_unscannable(data, spec, where, budget)
    if isinstance(text, Unscannable):
        yield text
    elif text.strip():
        yield TextChunk(where, "attachment", text)


def embedded_items(zf: zipfile.ZipFile, part: Part, budget: Budget) -> Iterator[Item]:
    """Embedded objects (``Object N/`` sub-documents are XML and read here; binary OLE blobs as parts)."""
    for info in zf.infolist():
        name = info.filename
        top = name.split("/", 1)[0]
        if not top.startswith("Object") or info.is_dir() or name.endswith(".xml"):
            continue
        where = part.location.child(safe_filename(name.replace("/", "_")) or "object")
        data = read_or_unscannable(zf, info, where, budget)
        if isinstance(data, Unscannable):
            yield data
            continue
        budget.count_part()
        base = name.rsplit("/", 1)[-1]
        inner = unwrap_ole_object(data)  # an OLE object in ODF wraps the packaged file like in OOXML
        if inner is not None:
            base, data = inner[0] or base, inner[1]
            where = part.location.child(safe_filename(base) or "object")
        yield Part(where, "application/octet-stream", base, data, part.depth + 1)
    for info in zf.infolist():  # sub-documents (a chart or formula object) have their own content.xml
        top, _, rest = info.filename.partition("/")
        if top.startswith("Object") and rest == "content.xml":
            yield from member_text(zf, info.filename, ODF, part.location, budget)


@extractor("odt", "odp")
def extract_odf(part: Part, budget: Budget) -> Iterator[Item]:
    """Text of an OpenDocument text or presentation: content, styles (headers/footers), meta."""
    zf = open_part(part.data, part.location, budget)
    if isinstance(zf, Unscannable):
        yield zf
        return
    with zf:
        encrypted = is_encrypted_package(zf, part.location, budget)
        if encrypted is not None:
            yield encrypted
            yield from metadata_items(zf, part.location, budget)  # meta.xml stays readable
            return
        if _member(zf, "content.xml") is None:
            yield Unscannable(part.location, Reason.CORRUPT, "no content.xml")
        yield from member_text(zf, "content.xml", ODF, part.location, budget)
        yield from member_text(zf, "styles.xml", ODF, part.location, budget)
        yield from metadata_items(zf, part.location, budget)
        yield from embedded_items(zf, part, budget)
