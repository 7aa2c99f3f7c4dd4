"""Luhn (mod 10) check digits, as used by Swedish personnummer, organisationsnummer and OCR references.

>>> validate('9001019802')
'9001019802'
>>> calc_check_digit('900101980')
'2'
>>> is_valid('9001019803')
False

Security: pure arithmetic over ``[0-9]`` only (anything else is ``InvalidFormat``); linear in the input.
"""

from __future__ import annotations

from gateway.validators.exceptions import InvalidChecksum, InvalidFormat

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_ASCII_DIGITS = frozenset("0123456789")


def checksum(number: str) -> int:
    """The Luhn sum mod 10 of ``number`` (0 means a valid check digit at the end)."""
    if not number or not set(number) <= _ASCII_DIGITS:
        raise InvalidFormat()
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        total += _DOUBLED[d] if i & 1 else d
    return total % 10


def calc_check_digit(number: str) -> str:
    """The digit to append to ``number`` to make it Luhn-valid."""
    return str((10 - checksum(number + "0")) % 10)


def validate(number: str) -> str:
    """Return ``number`` when its last digit is a correct Luhn check digit."""
    if checksum(number) != 0:
        raise InvalidChecksum()
    return number


def is_valid(number: object) -> bool:
    """Like ``validate`` but never raises (any input)."""
    try:
        return isinstance(number, str) and bool(validate(number))
    except ValueError:
        return False
