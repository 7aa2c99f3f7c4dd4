"""Finnish henkilötunnus (HETU, design §6.3): ``DDMMYYCZZZQ``.

Century signs ``+`` (1800s), ``-`` and since 2023 ``Y X W V U`` (1900s), ``A`` and ``B C D E F`` (2000s);
individual number 002-899 (900-999 are temporary numbers, accepted only with ``allow_temporary``); the check
character is ``DDMMYYZZZ`` mod 31 looked up in ``0123456789ABCDEFHJKLMNPRSTUVWXY``.

Examples (the Digital and Population Data Services Agency's published example and test-range numbers):

>>> validate('131052-308t')
'131052-308T'
>>> birth_date('131052-308T')
datetime.date(1952, 10, 13)
>>> is_valid('131052X308T'), is_valid('131052A308T'), is_valid('131052-308U')
(True, False, False)
>>> is_valid('010594Y9032', allow_temporary=True), is_valid('010594Y9032')
(True, False)
>>> format('131052-308T')
'131052-308T'

Security: input is untrusted text of any type; ``is_valid`` never raises; messages never repeat the number.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from gateway.validators.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
_FORM = re.compile(r"([0-9]{6})([-+A-FU-Y])([0-9]{3})([0-9A-Y])")


def compact(number: str) -> str:
    """Upper-cased, whitespace removed, dash look-alikes unified, full-width folded."""
    text = unicodedata.normalize("NFKC", str(number)).upper()
    return "".join(text.split()).translate({0x2010: "-", 0x2013: "-", 0x2014: "-", 0x2212: "-"})


def check(n: str, today: datetime.date | None = None, allow_temporary: bool = False) -> datetime.date:
    """Validate an upper-case 11-character form; return the birth date."""
    m = _FORM.fullmatch(n)
    if m is None:
        raise InvalidFormat()
    date6, sign, ind, q = m.groups()
    if CHECK_CHARS[int(date6 + ind) % 31] != q:
        raise InvalidChecksum()
    if not 2 <= int(ind) <= (999 if allow_temporary else 899):
        raise InvalidComponent("The individual number is not issued.")
    try:
        birth = datetime.date(CENTURY[sign] + int(date6[4:]), int(date6[2:4]), int(date6[:2]))
    except ValueError:
        raise InvalidComponent("The birth date is not a real date.") from None
    if birth > (today or datetime.date.today()):
        raise InvalidComponent("The birth date is in the future.")
    return birth


def validate(number: str, today: datetime.date | None = None, allow_temporary: bool = False) -> str:
    """Return the compact form or raise a ``ValidationError`` subclass."""
    if not isinstance(number, str) or len(number) > 32:
        raise InvalidFormat()
    n = compact(number)
    if len(n) != 11:
        raise InvalidLength()
    check(n, today, allow_temporary)
    return n


def is_valid(number: object, today: datetime.date | None = None, allow_temporary: bool = False) -> bool:
    """True for a valid HETU; never raises."""
    try:
        return isinstance(number, str) and bool(validate(number, today, allow_temporary))
    except (ValueError, TypeError):
        return False


def birth_date(number: str, today: datetime.date | None = None) -> datetime.date:
    """The birth date given by the date and the century sign."""
    return check(validate(number, today, True), today, True)


def format(number: str) -> str:  # noqa: A001
    """The canonical upper-case form."""
    return validate(number, allow_temporary=True)
