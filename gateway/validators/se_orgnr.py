"""Swedish organisationsnummer (design §6.3): ten digits, third digit >= 2, Luhn; optional ``16`` prefix.

The third digit is the month's first digit in a personnummer, so a value >= 2 can never be a birth date:
an organisationsnummer is never reported as a personnummer. A sole trader's company number *is* their
personnummer; ``birth_date`` returns its date for that case and raises for legal persons.

>>> validate('556677-8899')
'5566778899'
>>> is_valid('165566778899'), is_valid('556677-8898'), is_valid('9001019802')
(True, False, False)
>>> format('2120000142')
'212000-0142'
>>> validate('16212000-0142')
'2120000142'
>>> birth_date('5566778899')
Traceback (most recent call last):
    ...
gateway.validators.exceptions.InvalidComponent: A legal person's number carries no birth date.

Security: input is untrusted text of any type; ``is_valid`` never raises; messages never repeat the number.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from gateway.validators import luhn, se_personnummer
from gateway.validators.exceptions import InvalidComponent, InvalidFormat, InvalidLength

_CLEAN = str.maketrans({" ": None, "\t": None, "\u2010": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})
_FORM = re.compile(r"(?:16)?([0-9]{6})-?([0-9]{4})")


def compact(number: str) -> str:
    """Digits only, without the ``16`` prefix.

    >>> compact('16 212000-0142')
    '2120000142'
    """
    text = unicodedata.normalize("NFKC", str(number)).translate(_CLEAN)
    m = _FORM.fullmatch(text)
    if m is None:
        return text.replace("-", "")
    return m.group(1) + m.group(2)


def validate(number: str) -> str:
    """Return the ten digits of a valid organisationsnummer or raise a ``ValidationError`` subclass."""
    if not isinstance(number, str) or len(number) > 32:
        raise InvalidFormat()
    n = compact(number)
    if not n.isascii() or not n.isdigit():
        raise InvalidFormat()
    if len(n) != 10:
        raise InvalidLength()
    if n[2] < "2":
        raise InvalidComponent("The third digit of an organisationsnummer is at least 2.")
    return luhn.validate(n)


def is_valid(number: object) -> bool:
    """True for a valid organisationsnummer; never raises."""
    try:
        return isinstance(number, str) and bool(validate(number))
    except (ValueError, TypeError):
        return False


def format(number: str) -> str:  # noqa: A001
    """``NNNNNN-NNNN``."""
    n = validate(number)
    return f"{n[:6]}-{n[6:]}"


def birth_date(number: str, today: datetime.date | None = None) -> datetime.date:
    """A sole trader's company number is a personnummer: its birth date; legal persons raise."""
    if se_personnummer.is_valid(number, today):
        return se_personnummer.birth_date(number, today)
    raise InvalidComponent("A legal person's number carries no birth date.")
