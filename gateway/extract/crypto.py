"""Encrypted content (PGP, S/MIME): reported, never guessed at (design §5.4 ``encrypted``).

A PGP message or an S/MIME ``enveloped-data`` object cannot be read without the recipient's key, so it is
``Unscannable(encrypted)`` and the policy decides (by default: blocked to external recipients). An S/MIME
object that is only signed (opaque ``signed-data``) holds readable content, but its CMS wrapper is not
unpacked yet, so it is ``unsupported`` (still unscannable, with an honest reason).

Security: the bytes are hostile; only the first 64 bytes are looked at, with no
cryptography and no key material.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.extract.base import Budget, Item, extractor
from gateway.model import Part, Reason, Unscannable

_ENVELOPED = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03"
_SIGNED = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"


@extractor("pgp", "smime")
def extract_crypto(part: Part, budget: Budget) -> Iterator[Item]:
    """``encrypted`` for PGP and S/MIME enveloped data; ``unsupported`` for opaque signed S/MIME."""
    head = part.data[:64]
    if part.sniffed_type == "smime" and _SIGNED in head and _ENVELOPED not in head:
        yield Unscannable(part.location, Reason.UNSUPPORTED, "smime signed-data")
        return
    detail = "pgp" if part.sniffed_type == "pgp" else "smime"
    yield Unscannable(part.location, Reason.ENCRYPTED, detail)
