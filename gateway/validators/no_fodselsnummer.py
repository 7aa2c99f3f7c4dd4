"""Norwegian fødselsnummer, D-nummer, H-nummer, Tenor test numbers and FH-nummer (design §6.3).

``DDMMYY iii k1 k2``. k1 uses weights 3,7,6,1,8,9,4,5,2, k2 weights 5,4,3,2,7,6,5,4,3,2 over the first ten
digits; a check digit of 10 is impossible. Numbers issued from 2032 may leave remainder 0-3 in the k1 sum
(weights 3,7,6,1,8,9,4,5,2,1 over the first ten digits); both rules are accepted. D-nummer add 40 to the
day, H-nummer (and NAV's synthetic numbers) 40 to the month, Tenor/Test-Norge 80 to the month. FH-nummer
start with 8 or 9 and carry no date. Century from the individual number: 000-499 -> 1900s, 500-749 with
year >= 54 -> 1800s, 500-999 with year < 40 -> 2000s, 900-999 with year >= 40 -> 1900s; numbers valid only
under the 2032 rule take the latest century that is not in the future.

Examples (Tenor / published test vectors only):

>>> validate('17912099997')
'17912099997'
>>> kind('17912099997'), birth_date('17912099997')
('tenor', datetime.date(2020, 11, 17))
>>> rule('30108299939')
'2032'
>>> kind('81234567802')
'fh'
>>> format('17912099997')
'179120 99997'
>>> validate('17912099996')
Traceback (most recent call last):
    ...
gateway.validators.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> is_valid(b'17912099997'), is_valid('1791209999')
(False, False)

Security: input is untrusted text of any type; ``is_valid`` never raises; messages never repeat the number;
inputs over 32 characters are rejected before parsing.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import NamedTuple

from gateway.validators.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


class Info(NamedTuple):
    """A validated number: digits, kind (fnr|dnr|hnr|tenor|fh), check rule (classic|2032), birth date."""

    digits: str
    kind: str
    rule: str
    birth: datetime.date | None


def compact(number: str) -> str:
    """ASCII digits only: whitespace and dashes removed, full-width digits folded.

    >>> compact('179120 99997')
    '17912099997'
    """
    text = unicodedata.normalize("NFKC", str(number))
    return "".join(text.split()).replace("-", "")


def checksum_rule(digits: str) -> str | None:
    """``classic``, ``2032`` or ``None`` (invalid) for 11 ASCII digits."""
    d = [ord(c) - 48 for c in digits]
    if sum(w * x for w, x in zip(_W2, d, strict=False)) % 11 != 0:
        return None
    r1 = sum(w * x for w, x in zip(_W1, d, strict=False)) % 11
    if r1 == 0:
        return "classic"
    return "2032" if r1 <= 3 else None


def info(number: str, today: datetime.date | None = None, allow_future: bool = True) -> Info:
    """Parse and validate; raise a ``ValidationError`` subclass when invalid.

    ``allow_future`` accepts a classic number whose individual-number century puts the birth date after
    ``today`` (validator test suites generate such numbers); the detector passes ``False``.
    """
    if not isinstance(number, str) or len(number) > 32:
        raise InvalidFormat()
    n = compact(number)
    if not n.isascii() or not n.isdigit():
        raise InvalidFormat()
    if len(n) != 11:
        raise InvalidLength()
    return check(n, today or datetime.date.today(), allow_future)


def check(n: str, today: datetime.date, allow_future: bool = False) -> Info:
    """Validate 11 ASCII digits (the detector's fast path)."""
    rule_ = checksum_rule(n)
    if rule_ is None:
        raise InvalidChecksum()
    if n[0] in "89":
        return Info(n, "fh", rule_, None)
    dd, mm, yy, ind = int(n[:2]), int(n[2:4]), int(n[4:6]), int(n[6:9])
    kind_ = "fnr"
    if dd > 40:
        dd, kind_ = dd - 40, "dnr"
    if mm > 80:
        mm, kind_ = mm - 80, "tenor"
    elif mm > 40:
        mm, kind_ = mm - 40, "hnr" if kind_ == "fnr" else "dnr"
    birth = _birth(dd, mm, yy, ind, rule_, today, allow_future)
    return Info(n, kind_, rule_, birth)


def _centuries(yy: int, ind: int, rule_: str) -> list[int]:
    if rule_ == "2032":
        return [2000, 1900, 1800]
    if ind <= 499:
        return [1900]
    out = []
    if ind <= 749 and yy >= 54:
        out.append(1800)
    if yy < 40:
        out.append(2000)
    if ind >= 900 and yy >= 40:
        out.append(1900)
    return out


def _birth(dd: int, mm: int, yy: int, ind: int, rule_: str, today: datetime.date,
           allow_future: bool) -> datetime.date:
    for century in _centuries(yy, ind, rule_):
        try:
            birth = datetime.date(century + yy, mm, dd)
        except ValueError:
            raise InvalidComponent("The birth date is not a real date.") from None
        if birth <= today or (allow_future and rule_ == "classic"):
            return birth
    raise InvalidComponent("The individual number does not fit the birth year.")


def validate(number: str, today: datetime.date | None = None, allow_future: bool = True) -> str:
    """Return the 11 digits of a valid number or raise a ``ValidationError`` subclass."""
    return info(number, today, allow_future).digits


def is_valid(number: object, today: datetime.date | None = None, allow_future: bool = True) -> bool:
    """True for any valid fødselsnummer, D-, H-, Tenor or FH-nummer; never raises."""
    try:
        return isinstance(number, str) and bool(info(number, today, allow_future))
    except (ValueError, TypeError, OverflowError):
        return False


def kind(number: str, today: datetime.date | None = None) -> str:
    """``fnr``, ``dnr``, ``hnr``, ``tenor`` or ``fh``."""
    return info(number, today).kind


def rule(number: str, today: datetime.date | None = None) -> str:
    """Which check-digit rule the number satisfies: ``classic`` or ``2032``."""
    return info(number, today).rule


def birth_date(number: str, today: datetime.date | None = None) -> datetime.date:
    """The birth date (offsets removed); ``InvalidComponent`` for FH-nummer."""
    birth = info(number, today).birth
    if birth is None:
        raise InvalidComponent("FH-nummer carry no birth date.")
    return birth


def format(number: str) -> str:  # noqa: A001
    """``DDMMYY iiikk``."""
    n = validate(number)
    return f"{n[:6]} {n[6:]}"
