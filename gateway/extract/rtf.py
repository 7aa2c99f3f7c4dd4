"""RTF text with striprtf (BSD-3), with the destinations it drops restored (design §5.2).

Stock striprtf treats ``{\\header}``, ``{\\footer}`` (and ``l``/``r``/``f`` variants), footnotes, comments
(``\\*\\annotation``), shape text, text boxes and the ``\\info`` fields (title, author, keywords...) as
destinations and drops their text: the "Sekretessbelagd handling" in a letterhead would vanish. A linear
pre-pass rewrites those control words into ``\\par`` so their groups become ordinary text, turns ``\\cell``
into a tab (striprtf prints ``|``) and defuses striprtf's HYPERLINK regular expression, whose nested ``.*``
backtracks quadratically on a long hostile line (the field *result* is still kept). ``\\u`` escapes and
``\\'xx`` (cp1252 unless ``\\ansicpg`` says otherwise) are decoded by striprtf; runs are joined with ``""``
so a number split over formatting groups stays whole. User properties (``{\\*\\userprops}``, where Word keeps
``MSIP_Label_*`` sensitivity labels) become a ``metadata`` chunk of ``name=value`` lines.

Security: the input is hostile; the pre-pass is one linear regex, the text is bounded by ``max_chars`` and
the part by the attachment clock of the scan worker (striprtf itself cannot be interrupted); an undecodable
code page falls back to cp1252 with replacement; nothing is fetched or executed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from striprtf.striprtf import rtf_to_text

from gateway.extract.base import Budget, Item, LimitExceeded, extractor
from gateway.model import Part, Reason, TextChunk, Unscannable

_KEEP = (
    "header|headerl|headerr|headerf|footer|footerl|footerr|footerf|footnote|annotation|shptxt|dptxbxtext"
    "|info|title|subject|author|keywords|doccomm|comment|company|manager|category|operator"
)
_REWRITE = re.compile(
    rb"\\\\|\\[{}]|(?P<star>\\\*[ \r\n]*)?\\(?P<word>"
    + _KEEP.encode()
    + rb"|cell|nestcell|field)(?![a-zA-Z]) ?"
)
_CHARSET = re.compile(rb"\\fcharset\d+")
_HEX_RUN = re.compile(rb"(?:[0-9a-fA-F]{2}[\r\n]*){128,}")
_USERPROP = re.compile(
    rb"\\propname[ ]?([^{}\\]{1,256})\}\s*\\proptype\d+\s*\{\\staticval[ ]?([^{}\\]{0,4096})\}"
)


def _rewrite(match: re.Match[bytes]) -> bytes:
    word = match.group("word")
    if word is None:
        return match.group()  # an escaped backslash or brace: keep, so "\\header" in text is not touched
    if word in (b"cell", b"nestcell"):
        return b"\\tab "
    if word == b"field":
        return b"\\field "  # breaks striprtf's HYPERLINK pattern, which starts with a literal "{\field{"
    return b"\\par "


def restore_destinations(data: bytes) -> str:
    """The RTF with header/footer/note/comment/info destinations turned into ordinary groups.

    Long hex runs (picture and object data) are cut first: striprtf would walk them one character at a time.
    """
    return _REWRITE.sub(_rewrite, _HEX_RUN.sub(b"", data)).decode("latin-1")


def rtf_text(data: bytes) -> str:
    """Plain text of RTF bytes (see the module docstring)."""
    try:
        return _strip(restore_destinations(data))
    except LookupError:  # a font charset Python has no codec for (mac_japanese...): read it as cp1252
        return _strip(restore_destinations(_CHARSET.sub(rb"\\fcharset0", data)))


def _strip(source: str) -> str:
    return str(rtf_to_text(source, encoding="cp1252", errors="replace"))  # type: ignore[no-untyped-call]


def user_properties(data: bytes) -> str:
    """``{\\*\\userprops}`` as ``name=value`` lines (sensitivity labels live there)."""
    pairs = ((m.group(1).decode("cp1252"), m.group(2).decode("cp1252")) for m in _USERPROP.finditer(data))
    return "\n".join(f"{name.strip()}={value.strip()}" for name, value in pairs)


@extractor("rtf")
def extract_rtf(part: Part, budget: Budget) -> Iterator[Item]:
    """Text of an RTF document, headers, footers, footnotes, comments and info fields included."""
    budget.check_time()
    try:
        text = rtf_text(part.data)
    except (ValueError, IndexError, RecursionError, LookupError):
        yield Unscannable(part.location, Reason.CORRUPT, "rtf")
        return
    budget.check_time()
    if len(text) > budget.limits.max_chars:
        yield TextChunk(part.location, "attachment", text[: budget.limits.max_chars])
        raise LimitExceeded(Reason.OVER_LIMIT, f"max_chars={budget.limits.max_chars}")
    props = user_properties(part.data)
    if props:
        yield TextChunk(part.location.child("userprops"), "metadata", props)
    if text.strip():
        yield TextChunk(part.location, "attachment", text)
    elif b"\\pict" in part.data:
        yield Unscannable(part.location, Reason.NEEDS_OCR, "rtf with images only")
    elif len(part.data) > 256:  # a non-trivial document that gave nothing is a failure, not clean
        yield Unscannable(part.location, Reason.CORRUPT, "rtf without text")
