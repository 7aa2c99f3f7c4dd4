"""iCalendar (.ics, text/calendar invites) and vCard (.vcf): the human-written property values.

Lines are unfolded (RFC 5545 §3.1), vCard 2.1 quoted-printable values joined and decoded, escapes
(``\\n``, ``\\,``, ``\\;``, ``\\\\``) undone; SUMMARY, DESCRIPTION, LOCATION, COMMENT, ATTENDEE/ORGANIZER
(their CN), NOTE, FN, ADR and other text values are kept; structural properties (UID, DTSTART, RRULE...)
are dropped so timestamps do not look like identity numbers. ``X-ALT-DESC`` HTML goes through
``html_to_text``; inline base64 ``ATTACH`` values become child parts.

Security: the bytes are hostile; parsing is one linear pass over lines; decoded attachments are charged to
the budget and nested at ``depth + 1``.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator

from gateway.extract.base import Budget, Item, extractor
from gateway.extract.html import charset_of, html_to_text
from gateway.masking import safe_filename
from gateway.mime.charset import decode_bytes, lenient_b64decode, robust_decode
from gateway.model import Part, TextChunk

_SKIP = frozenset(
    "BEGIN END VERSION PRODID UID DTSTAMP DTSTART DTEND DUE DURATION RRULE RDATE EXDATE EXRULE SEQUENCE "
    "STATUS TRANSP CLASS PRIORITY CREATED LAST-MODIFIED RECURRENCE-ID TZID TZOFFSETFROM TZOFFSETTO TZNAME "
    "TZURL METHOD CALSCALE TRIGGER ACTION REPEAT FREEBUSY GEO REV PHOTO LOGO SOUND KEY X-WR-TIMEZONE "
    "X-MICROSOFT-CDO-BUSYSTATUS X-MICROSOFT-CDO-INTENDEDSTATUS X-MICROSOFT-CDO-IMPORTANCE "
    "X-MICROSOFT-CDO-ALLDAYEVENT X-MICROSOFT-DISALLOW-COUNTER X-MICROSOFT-CDO-APPT-SEQUENCE "
    "X-MICROSOFT-CDO-OWNERAPPTID X-MICROSOFT-DONOTFORWARDMEETING X-MS-OLK-CONFTYPE X-MS-OLK-AUTOFILLLOCATION "
    "X-MICROSOFT-LOCATIONS".split()
)
_UNFOLD = re.compile(r"\r?\n[ \t]")
_ESCAPE = re.compile(r"\\([nN,;:\\])")
_CN = re.compile(r"(?i)(?:^|;)CN=(\"[^\"]*\"|[^;:]*)")


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split(line: str) -> tuple[str, str, str]:
    """(NAME, params, value) of one content line; params keep their ';'-separated text."""
    colon = _value_colon(line)
    head, value = line[:colon], line[colon + 1 :]
    name, _, params = head.partition(";")
    name = name.rsplit(".", 1)[-1].strip().upper()  # vCard groups: item1.TEL
    return name, params, value


def _value_colon(line: str) -> int:
    """The colon that ends the property name and parameters (colons inside quoted params skipped)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return i
    return len(line)


def _qp_join(text: str) -> str:
    """vCard 2.1: a quoted-printable value continues on the next line after a trailing '='."""
    return re.sub(r"=\r?\n", "", text) if "QUOTED-PRINTABLE" in text.upper() else text


@extractor("ics", "vcf")
def extract_calendar(part: Part, budget: Budget) -> Iterator[Item]:
    """One chunk with the text values of the calendar or card, plus inline attachments as parts."""
    raw = decode_bytes(part.data, charset_of(part.declared_type))
    lines = _UNFOLD.sub("", _qp_join(raw)).splitlines()
    values: list[str] = []
    attachments = 0
    for line in lines:
        name, params, value = _split(line)
        if not name or name in _SKIP:
            continue
        upper = params.upper()
        if name == "ATTACH" and ("BASE64" in upper or "ENCODING=B" in upper):
            attachments += 1
            data = lenient_b64decode(value.encode("ascii", "ignore"))
            budget.charge(len(data))
            fmt = re.search(r"(?i)X-FILENAME=\"?([^\";:]+)", params)
            fname = fmt.group(1) if fmt else None
            loc = part.location.child(f"attach[{attachments}] {safe_filename(fname)}".rstrip())
            yield Part(loc, "application/octet-stream", fname, data, part.depth + 1)
            continue
        if "QUOTED-PRINTABLE" in upper:
            charset = re.search(r"(?i)CHARSET=([^;:]+)", params)
            qp = binascii.a2b_qp(value.encode("utf-8", "replace"))
            value = robust_decode(qp, charset.group(1) if charset else None)[-1]
        if name in ("ATTENDEE", "ORGANIZER", "CONTACT"):
            cn = _CN.search(params)
            value = (cn.group(1).strip('"') + " " if cn else "") + value
        if name == "X-ALT-DESC" and "HTML" in upper:
            value = html_to_text(_unescape(value))
        values.append(_unescape(value).strip())
    budget.check_time()
    yield TextChunk(part.location, "attachment", "\n".join(v for v in values if v))
