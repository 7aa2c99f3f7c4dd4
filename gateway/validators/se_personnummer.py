"""Swedish personnummer, samordningsnummer and interim (T-) numbers (design §6.2).

Forms ``YYMMDD-NNNC``, ``YYMMDD+NNNC``, ``YYMMDDNNNC``, ``YYYYMMDD-NNNC``, ``YYYYMMDDNNNC``. The Luhn check
covers the last ten characters only (never the century). A 10-digit number gets the latest century that
does not put the birth date in the future; ``+`` means one century earlier (100 years or older).
Samordningsnummer add 60 to the day; Skatteverket also issues month ``00``, day ``60`` and days that do not
exist in their month, so the samordningsnummer branch accepts month 00-12 x day 60-91 without a per-month
check. Serial ``000`` is never issued. Interim numbers (``YYMMDD-Tnnn``) replace the first serial digit by
one of ``TRSUWXJKLMN``, counted as 1 in the Luhn sum.

Examples (Skatteverket test numbers only):

>>> validate('18900101-9802')
'189001019802'
>>> format('189001019802')
'900101+9802'
>>> format('9508102390', long=True)
'19950810-2390'
>>> kind('200904682390')
'samordningsnummer'
>>> is_valid('19150072+2390')  # samordningsnummer with month 00
True
>>> birth_date('197602292380')
datetime.date(1976, 2, 29)
>>> validate('199402292388')
Traceback (most recent call last):
    ...
gateway.validators.exceptions.InvalidComponent: The birth date is not a real date.
>>> validate('19930704+2383')
Traceback (most recent call last):
    ...
gateway.validators.exceptions.InvalidComponent: A '+' separator contradicts the century.
>>> is_valid('9508102391'), is_valid(None), is_valid('１９９５０８１０２３９０')
(False, False, True)

Security: input is untrusted text of any type; ``is_valid`` never raises; exception messages never contain
the number; work is bounded (inputs longer than 32 characters are rejected before any parsing).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import NamedTuple

from gateway.validators import luhn
from gateway.validators.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

INTERIM_LETTERS = "TRSUWXJKLMN"
_FORM = re.compile(r"((?:18|19|20)?)([0-9]{6})([-+]?)([0-9" + INTERIM_LETTERS + r"][0-9]{3})")
_SHAPE = re.compile(r"([0-9]{2})?[0-9]{6}[-+]?[0-9A-Z][0-9]{3}")
_CLEAN = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                        "\u2212": "-", " ": None, "\t": None, "\n": None, "\r": None, "\u00a0": None})
_MAX_INPUT = 32


class Info(NamedTuple):
    """A validated number: 12-character long form, kind and birth date (``None`` when unknown)."""

    long: str
    kind: str  # personnummer | samordningsnummer | interim
    birth: datetime.date | None
    separator: str


def compact(number: str) -> str:
    """Fold to ASCII (full-width digits), drop whitespace, unify dashes; keep a ``-``/``+`` separator.

    >>> compact(' 19500810 - 2390 ')
    '19500810-2390'
    """
    text = unicodedata.normalize("NFKC", str(number)).translate(_CLEAN).upper()
    return text


def info(number: str, today: datetime.date | None = None, allow_interim: bool = True) -> Info:
    """Parse and validate; return what the number says, or raise a ``ValidationError`` subclass."""
    if not isinstance(number, str) or len(number) > _MAX_INPUT:
        raise InvalidFormat()
    n = compact(number)
    m = _FORM.fullmatch(n)
    if m is None:
        if _SHAPE.fullmatch(n):
            raise InvalidComponent("The century or the serial is not possible.")
        bare = n.replace("-", "").replace("+", "")
        raise InvalidLength() if bare.isascii() and bare.isdigit() else InvalidFormat()
    century, yymmdd, sep, tail = m.groups()
    return check(century, yymmdd, sep, tail, today or datetime.date.today(), allow_interim)


def check(century: str, yymmdd: str, sep: str, tail: str, today: datetime.date,
          allow_interim: bool = True) -> Info:
    """Validate pre-split parts (the detector's fast path; same rules as ``info``)."""
    interim = not tail[0].isdigit()
    if interim and (not allow_interim or tail[0] not in INTERIM_LETTERS):
        raise InvalidFormat("Interim numbers are not accepted here.")
    ten = yymmdd + ("1" + tail[1:] if interim else tail)
    if luhn.checksum(ten) != 0:
        raise InvalidChecksum()
    if tail[1:3] == "00" and tail[0] == "0":
        raise InvalidComponent("Serial 000 is never issued.")
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    coordination = dd >= 60
    if coordination:
        if mm > 12 or dd > 91:
            raise InvalidComponent("The birth date is not a real date.")
        month, day = mm, dd - 60
    else:
        if not 1 <= mm <= 12 or dd == 0:
            raise InvalidComponent("The birth date is not a real date.")
        month, day = mm, dd
    approx = (max(month, 1), max(day, 1))
    if century:
        year = int(century) * 100 + yy
        if sep == "+" and _age(year, approx, today) < 100:
            raise InvalidComponent("A '+' separator contradicts the century.")
    else:
        year = today.year - (today.year - yy) % 100
        if (year, *approx) > (today.year, today.month, today.day):
            year -= 100
        if sep == "+":
            year -= 100
    birth = _birth(year, month, day, coordination)
    if (year, *approx) > (today.year, today.month, today.day):
        raise InvalidComponent("The birth date is in the future.")
    kind = "interim" if interim else "samordningsnummer" if coordination else "personnummer"
    return Info(f"{year:04d}{yymmdd[2:]}{tail}", kind, birth, sep)


def _age(year: int, approx: tuple[int, int], today: datetime.date) -> int:
    return today.year - year - ((today.month, today.day) < approx)


def _birth(year: int, month: int, day: int, coordination: bool) -> datetime.date | None:
    """The birth date; ``None`` for samordningsnummer with an unknown or impossible date."""
    try:
        return datetime.date(year, month, day)
    except ValueError:
        if coordination:
            return None
        raise InvalidComponent("The birth date is not a real date.") from None


def validate(number: str, today: datetime.date | None = None, allow_interim: bool = True) -> str:
    """Return the 12-character long form (``YYYYMMDDNNNC``) or raise a ``ValidationError`` subclass."""
    return info(number, today, allow_interim).long


def is_valid(number: object, today: datetime.date | None = None) -> bool:
    """True for a valid personnummer, samordningsnummer or interim number; never raises."""
    try:
        return isinstance(number, str) and bool(info(number, today))
    except (ValueError, TypeError, OverflowError):
        return False


def kind(number: str, today: datetime.date | None = None) -> str:
    """``personnummer``, ``samordningsnummer`` or ``interim``."""
    return info(number, today).kind


def birth_date(number: str, today: datetime.date | None = None) -> datetime.date:
    """The birth date (day - 60 for samordningsnummer); ``InvalidComponent`` when it is unknown."""
    birth = info(number, today).birth
    if birth is None:
        raise InvalidComponent("The number does not carry a known birth date.")
    return birth


def format(number: str, today: datetime.date | None = None, long: bool = False) -> str:  # noqa: A001
    """``YYMMDD-NNNC`` (``+`` from the 100th birthday) or, with ``long``, ``YYYYMMDD-NNNC``."""
    today = today or datetime.date.today()
    parsed = info(number, today)
    lf = parsed.long
    if long:
        return f"{lf[:8]}-{lf[8:]}"
    mm, dd = int(lf[4:6]), int(lf[6:8])
    day = dd - 60 if dd >= 60 else dd
    sep = "+" if _age(int(lf[:4]), (max(mm, 1), max(day, 1)), today) >= 100 else "-"
    return f"{lf[2:8]}{sep}{lf[8:]}"
