"""Helpers for MIME parts: bounded parsing, raw headers, transfer decoding, file names, format=flowed.

``email`` with ``policy.compat32`` keeps header values raw (8-bit bytes as surrogate escapes) and never
decodes anything on access, which is what hostile mail needs; these helpers do the decoding with our own
lenient rules (design §5.5) instead of ``get_payload(decode=True)``, which returns undecoded base64 when
one character is wrong and loses bodies in unknown charsets.

Security: everything here reads sender-controlled bytes; every function is total (no exception escapes
for any input) and linear in its input. ``bound`` cuts a message before ``email`` sees it when it declares
more multiparts or delimiter lines than the part limit could ever admit, so a 1,000,000-part or
10,000-level message costs a tenth of a second instead of minutes or a ``RecursionError``.
"""

from __future__ import annotations

import binascii
import logging
import re
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import unquote
from io import BytesIO

from gateway.mime.charset import codec_for, decode_header_value, lenient_b64decode, robust_decode
from gateway.mime.fastparse import parse_multipart

log = logging.getLogger(__name__)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BOUNDARY_PARAM = re.compile(rb"boundary\s*=", re.IGNORECASE)
_GUESS_BOUNDARY = re.compile(rb"^--([^\s\"]{1,200}?)[ \t]*\r?$", re.MULTILINE)
_DELIMITER = re.compile(rb"\n--")


def raw_header(part: Message, name: str) -> str | None:
    """The first raw value of header ``name`` (unfolded), or ``None``; never a ``Header`` object."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return _FOLD.sub("", str(value))
    return None


_LABEL_NAME = re.compile(
    r"x-[a-z0-9-]{0,40}(?:classif|label|sensitiv|titus|marking|confiden|protect)[a-z0-9-]{0,40}"
)


def header_values(part: Message, names: dict[str, str]) -> list[tuple[str, str]]:
    """(label, unfolded raw value) for every header named in ``names`` or looking like a label header.

    ``X-*`` headers whose names speak of classification, labels, sensitivity or markings are kept as
    ``header[<name>]`` so that operator-configured label headers reach the labels detector too.
    """
    out = []
    for key, value in part.raw_items():
        name = key.lower().strip()
        label = names.get(name)
        if label is None and _LABEL_NAME.fullmatch(name):
            label = f"header[{name}]"
        if label is not None:
            out.append((label, _FOLD.sub("", str(value))))
    return out


def transfer_encoding(part: Message) -> str:
    """The lower-cased first token of Content-Transfer-Encoding ('' when absent)."""
    value = raw_header(part, "content-transfer-encoding") or ""
    return value.strip().strip("\"'").split(";", 1)[0].strip().lower()


def payload_bytes(part: Message) -> tuple[bytes, bool]:
    """The transfer-decoded body of a leaf part and whether it was undecodable (``corrupt``)."""
    payload = getattr(part, "_payload", None)  # get_payload() would decode 8-bit bytes lossily
    if isinstance(payload, bytes):
        raw = payload
    elif isinstance(payload, str):
        raw = payload.encode("utf-8", "surrogateescape")
    else:
        return b"", False
    cte = transfer_encoding(part)
    if cte == "base64":
        data = lenient_b64decode(raw)
        return data, not data and bool(raw.strip())
    if cte == "quoted-printable":
        try:
            return binascii.a2b_qp(raw), False
        except (ValueError, binascii.Error):
            return raw, False
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        decoded = part.get_payload(decode=True)
        return (decoded, False) if isinstance(decoded, bytes) else (raw, False)
    return raw, False


def content_charset(part: Message) -> str | None:
    """The declared charset, or ``None`` when absent or unreadable."""
    try:
        value = part.get_param("charset")
    except Exception:  # noqa: BLE001 - hostile parameter syntax
        return None
    if isinstance(value, tuple):
        value = value[2]
    if not isinstance(value, str):
        return None
    value = unquote(value).strip()
    return value if value.isascii() else None


def filename(part: Message) -> str | None:
    """The decoded file name: RFC 2231 (continuations, charsets), RFC 2047 (Outlook), raw 8-bit."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        source = part
        raw = raw_header(part, header)
        if raw is not None and not raw.isascii():  # raw 8-bit bytes: email would replace them with U+FFFD
            source = Message()
            source[header] = decode_header_value(raw)
        try:
            value = source.get_param(param, None, header)
        except Exception:  # noqa: BLE001 - hostile parameter syntax
            continue
        if value is None:
            continue
        if isinstance(value, tuple):
            charset, _lang, text = value
            data = str(text).encode("latin-1", "surrogateescape") if _latin(text) else str(text).encode()
            name = robust_decode(data, charset if codec_for(charset) else None)[-1]
        else:
            name = decode_header_value(unquote(str(value)))
        name = name.strip().replace("\x00", "")
        if name:
            return name
    return None


def _latin(text: object) -> bool:
    return all(ord(c) < 256 or 0xDC80 <= ord(c) <= 0xDCFF for c in str(text))


def param(part: Message, name: str, header: str = "content-type") -> str:
    """A parameter's (unquoted) value, '' when absent or unreadable; RFC 2231 values by their text."""
    try:
        value = part.get_param(name, None, header)
    except Exception:  # noqa: BLE001 - hostile parameter syntax
        return ""
    if isinstance(value, tuple):
        value = value[2]
    return unquote(str(value)).strip() if value is not None else ""


def is_flowed(part: Message) -> tuple[bool, bool]:
    """(format=flowed, delsp=yes) of a text/plain part."""
    return param(part, "format").lower() == "flowed", param(part, "delsp").lower() == "yes"


def unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 soft line breaks, so a number split at a flowed break is joined again."""
    out: list[str] = []
    buf = ""
    depth_of_buf = -1
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        if buf and depth != depth_of_buf:
            out.append(">" * depth_of_buf + (" " if depth_of_buf else "") + buf)
            buf = ""
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        buf += content
        depth_of_buf = depth
        if not soft:
            out.append(">" * depth + (" " if depth else "") + buf)
            buf = ""
    if buf:
        out.append(">" * depth_of_buf + (" " if depth_of_buf > 0 else "") + buf)
    return "\n".join(out)


def bound(raw: bytes, max_parts: int) -> tuple[bytes, bool]:
    """Cut ``raw`` where ``email`` would build more parts than the limit allows (deep nests, part floods).

    Every multipart declares one boundary and every part follows a ``--`` delimiter line, so cutting after
    ``max_parts + 1`` declarations (at most 901: deeper nesting overflows the parser's stack) or after
    ``20 * max_parts`` lines starting with ``--`` never loses a part the limit would have let through.
    """
    if raw.count(b"\n--") <= 20 * max_parts and raw.lower().count(b"boundary") <= min(max_parts, 900):
        return raw, False  # too few candidates for either cut: skip the two regex passes (3x cheaper)
    cut = len(raw)
    for i, m in enumerate(_BOUNDARY_PARAM.finditer(raw)):
        if i >= min(max_parts, 900) + 1:
            cut = m.start()
            break
    for i, m in enumerate(_DELIMITER.finditer(raw, 0, cut)):
        if i >= 20 * max_parts:
            cut = m.start()
            break
    return (raw[:cut], True) if cut < len(raw) else (raw, False)


def count(msg: Message) -> int:
    """Parts in a parsed tree, without recursion."""
    stack, n = [msg], 0
    while stack:
        part = stack.pop()
        n += 1
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
    return n


def parse(raw: bytes) -> Message | None:
    try:
        return _single_part(raw) or parse_multipart(raw) or BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception:  # noqa: BLE001 - including RecursionError: the caller scans the raw text
        log.debug("email parser failed", exc_info=True)
        return None


def _single_part(raw: bytes) -> Message | None:
    """The tree ``parsebytes(raw)`` builds, when that is one leaf part: parse the header block only.

    ``email`` reads a leaf body line by line only to join the lines again (4x the cost of the rest of the
    parse for plain-text mail). Taken only when the header block is CRLF-clean, ends at the first blank line
    without a defect and declares neither ``multipart`` nor ``message``: then the body ``email`` would set is
    exactly the rest of the bytes, decoded as ``parsebytes`` does. Anything else gets the full parse.
    """
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = raw[: end + 4]
    crlf = head.count(b"\r\n")
    if head.count(b"\r") != crlf or head.count(b"\n") != crlf:
        return None
    msg = BytesParser(policy=policy.compat32).parsebytes(head, headersonly=True)  # no multipart pass: we decide
    if msg.defects or msg.get_payload() != "" or msg.get_content_maintype() in ("multipart", "message"):
        return None
    msg.set_payload(raw[end + 4 :].decode("ascii", "surrogateescape"))
    return msg


def flatten(msg: Message) -> bytes:
    buf = BytesIO()
    try:
        BytesGenerator(buf, mangle_from_=False, maxheaderlen=0).flatten(msg)
    except Exception:  # noqa: BLE001 - keep what was written
        log.debug("flatten failed", exc_info=True)
    return buf.getvalue()


def recover_multipart(part: Message, ctype: str) -> Message | None:
    """Re-parse a multipart whose boundary is missing or wrong with the first ``--token`` line as boundary."""
    body = payload_bytes(part)[0]
    m = _GUESS_BOUNDARY.search(body)
    if m is None or body.count(b"--" + m.group(1)) < 2:
        return None
    boundary = m.group(1).decode("ascii", "replace").replace('"', "")
    head = f'Content-Type: {ctype}; boundary="{boundary}"\r\n\r\n'.encode()
    msg = parse(head + body)
    return msg if msg is not None and msg.is_multipart() else None
