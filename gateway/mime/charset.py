"""Charset handling that never loses a body (design §5.5).

``robust_decode`` follows one rule for every byte string whose charset a sender declared (or did not):
a byte-order mark wins; otherwise bytes that are valid UTF-8 are UTF-8; otherwise the declared charset,
strictly; otherwise cp1252 with replacement — and when the declared charset failed, *both* readings are
returned so both are scanned. There is deliberately no statistical guesser: charset-normalizer read Swedish
cp1252 as cp1250 (Å -> Ĺ), which would hide words from the lexicons.

``decode_header_value`` decodes RFC 2047 encoded words leniently (adjacent words joined byte-wise so a
character split across two words survives, words inside quoted strings as Outlook writes them, bad
base64 padding, bogus charsets) and raw 8-bit header bytes (carried as surrogate escapes by ``email``).

Security: input is hostile. Charset names come from the sender, so only real text codecs are looked up
(Python's ``rot13``/``zlib``/``unicode_escape`` style codecs are refused); decoding is linear in the input
and never raises.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Names mail clients write for "8-bit, no idea" or for Latin-1, read the way browsers do (WHATWG).
_AS_CP1252 = frozenset(
    {
        "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "8bit", "iso-8859-1",
        "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "iso-ir-100", "cp819", "ibm819",
        "windows-1252", "cp1252", "x-cp1252", "ansi_x3.4-1968",
    }
)
_ALIASES = {"gb2312": "gbk", "x-gbk": "gbk", "ks_c_5601-1987": "cp949", "x-sjis": "shift_jis"}
_REFUSED = frozenset({"raw_unicode_escape", "unicode_escape", "undefined", "idna", "punycode", "mbcs"})
_SEVEN_BIT = ("utf_7", "iso2022", "hz")


def codec_for(declared: str | None) -> str | None:
    """The Python codec for a declared charset name, or ``None`` when it is unknown or not a text codec."""
    if not declared:
        return None
    name = declared.strip().strip("\"'").lower()
    if not name or len(name) > 40:
        return None
    if name in _AS_CP1252:
        return "cp1252"
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _REFUSED:
        return None
    return info.name


def robust_decode(data: bytes, declared: str | None = None) -> list[str]:
    """Every plausible reading of ``data``: one string normally, two when the declared charset failed."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return [data[len(bom) :].decode(enc, "replace")]
    codec = codec_for(declared)
    if codec is not None and codec.startswith(("utf_16", "utf_32")):
        try:
            return [data.decode(codec)]
        except UnicodeDecodeError:
            pass
    if data.isascii():
        if codec is not None and codec.startswith(_SEVEN_BIT):
            try:
                return [data.decode(codec)]
            except UnicodeDecodeError:
                pass
        return [data.decode("ascii")]
    try:
        return [data.decode("utf-8")]
    except UnicodeDecodeError:
        pass
    if codec is not None and codec != "utf_8":
        try:
            return [data.decode(codec)]
        except UnicodeDecodeError:
            pass
    fallback = data.decode("cp1252", "replace")
    if codec is None or codec == "cp1252":
        return [fallback]
    declared_reading = data.decode(codec, "replace")
    return [declared_reading, fallback] if declared_reading != fallback else [fallback]


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """All readings of ``data`` joined by a newline: one text to scan."""
    return "\n".join(robust_decode(data, declared))


def from_surrogates(value: str) -> bytes:
    """Bytes of a header value ``email`` decoded as ASCII with surrogate escapes (raw 8-bit headers)."""
    return value.encode("utf-8", "surrogateescape")


# An encoded word, tolerant: any charset token (with optional *language), B or Q, text without '?='.
_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")  # no '?' inside: linear, no backtracking
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_GAP = re.compile(r"[ \t\r\n]*")


def _word_bytes(enc: str, text: str) -> bytes:
    raw = text.encode("ascii", "surrogateescape")
    if enc in "qQ":
        return binascii.a2b_qp(raw.replace(b"_", b" "), header=False)
    return lenient_b64decode(raw)


def decode_header_value(raw: str | bytes | None) -> str:
    """Decode a raw header value (RFC 2047 words, raw 8-bit bytes) into text; never raises."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "surrogateescape")
    raw = _FOLD.sub("", str(raw))
    out: list[str] = []
    pos = 0
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words, joined byte-wise per charset

    def flush() -> None:
        i = 0
        while i < len(pending):
            charset, j = pending[i][0], i
            while j < len(pending) and pending[j][0] == charset:
                j += 1
            out.append(robust_decode(b"".join(p[1] for p in pending[i:j]), charset)[-1])
            i = j
        pending.clear()

    for m in _WORD.finditer(raw):
        between = raw[pos : m.start()]
        if pending and _GAP.fullmatch(between):
            between = ""
        else:
            flush()
            out.append(_plain(between))
        charset = m.group(1).split("*", 1)[0]
        try:
            pending.append((charset, _word_bytes(m.group(2), m.group(3))))
        except (ValueError, binascii.Error):
            flush()
            out.append(_plain(m.group(0)))
        pos = m.end()
    flush()
    out.append(_plain(raw[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    """Unencoded header text; raw 8-bit bytes (surrogates) go through ``robust_decode``."""
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return robust_decode(data, None)[-1]


_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")


def lenient_b64decode(data: bytes) -> bytes:
    """Decode base64 the way forgiving mail clients do: skip junk, fix padding, continue after '='."""
    stripped = data.rstrip()
    eq = stripped.find(b"=")
    if eq < 0 or not stripped[eq:].strip(b"="):  # padding only at the end: the C decoder skips junk itself
        try:
            return binascii.a2b_base64(stripped)
        except (binascii.Error, ValueError):
            pass
    data = _B64_JUNK.sub(b"", data)
    out: list[bytes] = []
    for segment in data.split(b"="):
        usable = len(segment) - len(segment) % 4
        rest = segment[usable:]
        try:
            out.append(base64.b64decode(segment[:usable]))
            if len(rest) >= 2:
                out.append(base64.b64decode(rest + b"=" * (4 - len(rest))))
        except (binascii.Error, ValueError):
            continue
    return b"".join(out)
