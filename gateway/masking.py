"""Masked samples and safe names: the only way a matched value may ever be shown (design §6.7).

Identity numbers keep their birth year and last two digits (``19121212-1212`` -> ``1912****-**12``,
``121212-1212`` -> ``12****-**12``); Norwegian 11-digit numbers keep year and last two (``15507600333`` ->
``****76***33``). File names in locations have every run of six or more digits masked and are cut at 40
characters, so a ``Läkarintyg_191212121212.pdf`` never shows its number.

Security: total functions; any input gives a string that contains no run of more than four original
digits.
"""

from __future__ import annotations

import re

_DIGIT_RUN = re.compile(r"[0-9]{6,}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>\"\\]")


def mask_se(value: str) -> str:
    """Mask a Swedish personnummer/samordningsnummer in its written form."""
    digits = "".join(c for c in value if c.isdigit())
    sep = "+" if "+" in value else "-"
    if len(digits) == 12:
        return f"{digits[:4]}****{sep}**{digits[-2:]}"
    if len(digits) == 10:
        return f"{digits[:2]}****{sep}**{digits[-2:]}"
    return mask_generic(value)


def mask_no(value: str) -> str:
    """Mask a Norwegian fødselsnummer/D-nummer (DDMMYY + 5): keep YY and the last two digits."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 11:
        return f"****{digits[4:6]}***{digits[-2:]}"
    return mask_generic(value)


def mask_dk(value: str) -> str:
    """Mask a Danish CPR number (DDMMYY-SSSS)."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 10:
        return f"****{digits[4:6]}-**{digits[-2:]}"
    return mask_generic(value)


def mask_fi(value: str) -> str:
    """Mask a Finnish henkilötunnus (DDMMYYCZZZQ): keep YY, century sign and the check character."""
    v = value.strip()
    if len(v) == 11:
        return f"****{v[4:6]}{v[6]}***{v[-1]}"
    return mask_generic(value)


def mask_generic(value: str) -> str:
    """Keep at most the first two and last two characters of an identifier."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def safe_filename(name: str | None, limit: int = 40) -> str:
    """A file name fit for locations, logs and replies: digit runs masked, control chars dropped, cut."""
    if not name:
        return ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name)
    name = _DIGIT_RUN.sub(lambda m: "#" * len(m.group()), name)
    if len(name) > limit:
        name = name[: limit - 1] + "…"
    return name
