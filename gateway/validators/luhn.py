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

_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit sum of 2 * d


def checksum(number: str) -> int:
    """The Luhn sum mod 10 of ``number`` (0 means a valid check digit at the end)."""
    if not (number.isascii() and number.isdigit()):
        raise InvalidFormat()
    return sum(map(int, number[-1::-2] + number[-2::-2].translate(_DOUBLED))) % 10


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
