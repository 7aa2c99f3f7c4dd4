"""Danish CPR-nummer (design §6.3): ``DDMMYY-SSSS``, a date and a serial; no check digit since 2007.

Because 3.7 % of random 10-digit strings pass, the detector needs a keyword; this module only checks the
date. The century follows from the first serial digit (CPR-kontoret's table): 0-3 -> 1900s; 4 and 9 ->
2000s up to year 36, else 1900s; 5-8 -> 2000s up to year 57, else 1800s.

>>> validate('010100-4000')
'0101004000'
>>> birth_date('0101004000')
datetime.date(2000, 1, 1)
>>> format('3112581111')
'311258-1111'
>>> validate('300290-1111')
Traceback (most recent call last):
    ...
gateway.validators.exceptions.InvalidComponent: The birth date is not a real date.
>>> is_valid(None), is_valid('😀')
(False, False)

Security: input is untrusted text of any type; ``is_valid`` never raises; messages never repeat the number.
"""

from __future__ import annotations

import datetime
import unicodedata

from gateway.validators.exceptions import InvalidComponent, InvalidFormat, InvalidLength


def compact(number: str) -> str:
    """Digits only (whitespace and dashes removed, full-width digits folded)."""
    text = unicodedata.normalize("NFKC", str(number))
    return "".join(text.split()).replace("-", "")


def _century(yy: int, s7: int) -> int:
    if s7 <= 3:
        return 1900
    if s7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def check(n: str, today: datetime.date | None = None) -> datetime.date:
    """The birth date of 10 ASCII digits, or ``InvalidComponent`` (a date in the future is invalid)."""
    yy = int(n[4:6])
    try:
        birth = datetime.date(_century(yy, int(n[6])) + yy, int(n[2:4]), int(n[:2]))
    except ValueError:
        raise InvalidComponent("The birth date is not a real date.") from None
    if birth > (today or datetime.date.today()):
        raise InvalidComponent("The birth date is in the future.")
    return birth


def validate(number: str, today: datetime.date | None = None) -> str:
    """Return the ten digits or raise a ``ValidationError`` subclass."""
    if not isinstance(number, str) or len(number) > 32:
        raise InvalidFormat()
    n = compact(number)
    if not n.isascii() or not n.isdigit():
        raise InvalidFormat()
    if len(n) != 10:
        raise InvalidLength()
    check(n, today)
    return n


def is_valid(number: object, today: datetime.date | None = None) -> bool:
    """True when the number has a valid CPR date; never raises."""
    try:
        return isinstance(number, str) and bool(validate(number, today))
    except (ValueError, TypeError):
        return False


def birth_date(number: str, today: datetime.date | None = None) -> datetime.date:
    """The birth date."""
    return check(validate(number, today), today)


def format(number: str) -> str:  # noqa: A001
    """``DDMMYY-SSSS``."""
    n = validate(number)
    return f"{n[:6]}-{n[6:]}"
