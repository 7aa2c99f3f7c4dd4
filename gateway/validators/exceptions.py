"""Typed validation errors shared by every validator (python-stdnum style).

``validate()`` raises one of these subclasses so callers (and tests) can tell a wrong length from a
wrong check digit or an impossible date; ``is_valid()`` turns all of them into ``False``.

Security: messages are fixed strings that never contain the number being validated, so an exception
that ends up in a log cannot leak an identity number.
"""

from __future__ import annotations


class ValidationError(ValueError):
    """The number is not valid; ``message`` says why without repeating the number."""

    message = "Invalid number."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidFormat(ValidationError):  # noqa: N818 - stdnum names
    """Characters or layout the number cannot have."""

    message = "The number has an invalid format."


class InvalidChecksum(ValidationError):  # noqa: N818
    """The check digit (or check character) does not match."""

    message = "The number's checksum or check digit is invalid."


class InvalidComponent(ValidationError):  # noqa: N818
    """A part of the number (date, century, serial) is impossible."""

    message = "One of the parts of the number is invalid or unknown."


class InvalidLength(InvalidFormat):
    """Too many or too few characters."""

    message = "The number has an invalid length."


__all__ = ["InvalidChecksum", "InvalidComponent", "InvalidFormat", "InvalidLength", "ValidationError"]
