"""Type sniffing from content (design §5.1): the extractor is chosen by bytes, never by Content-Type.

Order: magic bytes -> zip directory (OOXML ``[Content_Types].xml`` + main part, ODF ``mimetype``) -> OLE
directory (olefile; directory only) -> text-like formats (PGP armour, calendar, HTML, RFC 822) -> a text
heuristic -> ``unknown``. The declared type and file name are used only to tell ``csv`` from ``text`` and
are otherwise ignored, because a DOCX sent as octet-stream or a PDF as text/plain is common.

Security: the bytes are hostile. Only bounded prefixes are examined (the zip central directory is read
from the end record, at most ``_MAX_ZIP_NAMES`` names); a damaged OLE file falls back to a substring search
for directory names; no function here raises.
"""

from __future__ import annotations

import logging
import re
import struct
import zipfile
from io import BytesIO

import olefile

MEDIA_TYPES = frozenset({"image"})

_MAX_ZIP_NAMES = 4000
_PKCS7_OID = b"\x2a\x86\x48\x86\xf7\x0d\x01\x07"
_SIMPLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x05\x06", "zip"),
    (b"{\\rtf", "rtf"),
    (b"\x78\x9f\x3e\x22", "tnef"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"\xd7\xcd\xc6\x9a", "image"),  # WMF (Outlook inline pictures)
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_HEADER_LINE = re.compile(rb"([A-Za-z][!-9;-~]{0,76}):[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*")
_MAIL_HEADERS = frozenset(
    {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"received", b"mime-version",
     b"return-path", b"content-type", b"reply-to", b"x-mailer", b"delivered-to", b"sender"}
)
_HTML_TAG = re.compile(rb"<(?:p|div|table|span|br|b|i|a|font|td|tr|ul|li|h[1-6])[\s>/]", re.IGNORECASE)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def sniff(data: bytes, declared_type: str | None = None, filename: str | None = None) -> str:
    """The sniffed type name of ``data`` (see the common type list); never raises."""
    try:
        return _sniff(data, declared_type or "", filename or "")
    except Exception:  # noqa: BLE001 - sniffing must not fail on any input
        logging.getLogger(__name__).debug("sniff failed", exc_info=True)
        return "unknown"


def _sniff(data: bytes, declared: str, filename: str) -> str:
    if not data:
        return "text"
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x07\x08")):
        return _zip_type(data)
    if data.startswith(_OLE):
        return _ole_type(data)
    for magic, kind in _SIMPLE_MAGIC:
        if data.startswith(magic):
            return kind
    binary = _binary_magic(data)
    if binary:
        return binary
    return _text_type(data, declared.lower(), filename.lower())


def _binary_magic(data: bytes) -> str:
    """Magic numbers that need a second look (weak two-byte signatures, offsets)."""
    if data.startswith(b"BZh") and data[3:4].isdigit():
        return "bzip2"
    if len(data) >= 262 and data[257:262] == b"ustar":
        return "tar"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"avif", b"heif"):
        return "image"
    if data.startswith(b"BM") and len(data) >= 18 and data[6:10] == b"\0\0\0\0":
        if struct.unpack_from("<I", data, 14)[0] in (12, 40, 52, 56, 64, 108, 124):
            return "image"
    if data.startswith(b"\x01\x00\x00\x00") and data[40:44] == b" EMF":
        return "image"
    if data[:1] == b"\x30" and _PKCS7_OID in data[:64]:
        return "smime"
    if _openpgp_packet(data):
        return "pgp"
    return ""


def _openpgp_packet(data: bytes) -> bool:
    """A binary OpenPGP message starting with an encrypted session key packet (tag 1 or 3)."""
    if len(data) < 4:
        return False
    first = data[0]
    if first & 0xC0 == 0x80 and first & 0x03 != 0x03:  # old format, definite length
        tag, offset = (first >> 2) & 0x0F, 1 + (1, 2, 4)[first & 0x03]
    elif first & 0xC0 == 0xC0:  # new format
        tag, offset = first & 0x3F, 2 if data[1] < 192 else 3
    else:
        return False
    version = data[offset] if offset < len(data) else -1
    return (tag == 1 and version in (3, 6)) or (tag == 3 and version in (4, 5, 6))


def _zip_names(data: bytes) -> list[bytes]:
    """Member names from the central directory (via the end record), else from local headers."""
    names: list[bytes] = []
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end >= 0 and end + 22 <= len(data):
        count, size, offset = struct.unpack_from("<HII", data, end + 10)
        pos, stop = offset, min(offset + size, len(data))
        while pos + 46 <= stop and len(names) < min(count, _MAX_ZIP_NAMES):
            if data[pos : pos + 4] != b"PK\x01\x02":
                break
            nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
            names.append(data[pos + 46 : pos + 46 + nlen])
            pos += 46 + nlen + elen + clen
    if names:
        return names
    pos = 0
    while len(names) < _MAX_ZIP_NAMES:
        pos = data.find(b"PK\x03\x04", pos)
        if pos < 0 or pos + 30 > len(data):
            break
        nlen = struct.unpack_from("<H", data, pos + 26)[0]
        names.append(data[pos + 30 : pos + 30 + nlen])
        pos += 30
    return names


def _zip_type(data: bytes) -> str:
    names = _zip_names(data)
    if names and names[0] == b"mimetype" and data.startswith(b"PK\x03\x04"):
        nlen, elen = struct.unpack_from("<HH", data, 26)
        start = 30 + nlen + elen
        kind = _ODF.get(data[start : start + 60].split(b"PK", 1)[0].strip())
        if kind:
            return kind
    present = set(names)
    if b"[Content_Types].xml" in present:
        if b"word/document.xml" in present or any(n.startswith(b"word/") for n in names):
            return "docx"
        if b"xl/workbook.xml" in present or b"xl/workbook.bin" in present:
            return "xlsx"
        if b"ppt/presentation.xml" in present or any(n.startswith(b"ppt/") for n in names):
            return "pptx"
    if b"mimetype" in present and b"content.xml" in present:
        return _odf_from_member(data)
    return "zip"


def _odf_from_member(data: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            info = zf.getinfo("mimetype")
            if info.file_size < 200:
                return _ODF.get(zf.read(info).strip(), "zip")
    except Exception:  # noqa: BLE001 - damaged ODF: leave it to the archive walker
        return "zip"
    return "zip"


_OLE_NAMES: tuple[tuple[str, str], ...] = (
    ("__substg1.0_", "msg"),
    ("EncryptedPackage", "ooxml_encrypted"),
    ("EncryptionInfo", "ooxml_encrypted"),
    ("WordDocument", "ole_doc"),
    ("Workbook", "ole_xls"),
    ("Book", "ole_xls"),
    ("PowerPoint Document", "ole_ppt"),
)


def _ole_type(data: bytes) -> str:
    """Read only the OLE directory; fall back to searching UTF-16 directory names in damaged files."""
    try:
        ole = olefile.OleFileIO(data)
        try:
            top = {entry[0] for entry in ole.listdir(streams=True, storages=True) if entry}
        finally:
            ole.close()
    except Exception:  # noqa: BLE001 - damaged OLE
        top = {name for name, _ in _OLE_NAMES if name.encode("utf-16-le") in data}
    for name, kind in _OLE_NAMES:
        if name.endswith("_"):
            if any(t.startswith(name) for t in top):
                return kind
        elif name in top:
            return kind
    return "unknown"


def _text_prefix(data: bytes) -> bytes:
    """The first 4 KiB as an ASCII-compatible byte string (UTF-16/32 with a BOM re-encoded as UTF-8)."""
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) : len(bom) + 8192].decode(enc, "replace").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:4099]
    return data[:4096]


def _text_type(data: bytes, declared: str, filename: str) -> str:
    prefix = _text_prefix(data)
    start = prefix.lstrip()
    upper = start[:64].upper()
    if upper.startswith(b"-----BEGIN PGP MESSAGE-----"):
        return "pgp"
    if upper.startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if upper.startswith(b"BEGIN:VCARD"):
        return "vcf"
    bom = data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x00\x00\xfe\xff"))
    if _looks_mail(prefix if bom else data[:16384]):  # long X- header blocks come before From/To
        return "eml"
    if _looks_html(start):
        return "html"
    if not _looks_text(prefix, data):
        return "unknown"
    if declared.startswith(("text/csv", "text/comma-separated")) or filename.endswith((".csv", ".tsv")):
        return "csv"
    return "text"


def _looks_html(start: bytes) -> bool:
    low = start[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    if b"<html" in low or b"<body" in low:
        return True
    return low.startswith(b"<") and len(_HTML_TAG.findall(low)) >= 2


def _looks_mail(prefix: bytes) -> bool:
    """An unbroken RFC 822 header block at the very start with well-known header names in it.

    Two well-known names suffice; one is enough when at least four header lines precede it (an Exchange
    export may open with kilobytes of X-MS-Exchange headers before From/To).
    """
    if prefix.startswith(b"From ") and b"\n" in prefix:
        prefix = prefix.split(b"\n", 1)[1]
    pos, known, count = 0, 0, 0
    while True:
        m = _HEADER_LINE.match(prefix, pos)
        if m is None:
            break
        known += m.group(1).lower() in _MAIL_HEADERS
        count += 1
        pos = m.end()
    rest = prefix[pos:]
    ended = rest.startswith((b"\r\n", b"\n")) or b"\n" not in rest
    return ended and (known >= 2 or (known >= 1 and count >= 4))


def _looks_text(prefix: bytes, data: bytes) -> bool:
    """Decodable text with few control characters (UTF-16 without a BOM counts as text)."""
    sample = prefix[:4096]
    nuls = sample.count(b"\0")
    if nuls and nuls * 2 >= len(sample) - 2:
        even, odd = sample[0::2].count(b"\0"), sample[1::2].count(b"\0")
        if max(even, odd) >= 0.9 * (len(sample) // 2) and min(even, odd) <= 0.1 * (len(sample) // 2):
            return True
    controls = len(_CONTROL.findall(sample))
    return controls <= max(2, len(sample) // 50)
