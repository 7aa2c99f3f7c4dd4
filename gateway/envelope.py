"""Build a ``Message`` from an SMTP envelope: recipient scopes, incident id, fingerprint, line endings.

Security: addresses are only split, never trusted for decisions beyond their domain; stray CR or LF in the
body become CRLF here, so the bytes we scan are the bytes we relay (design §10, smuggling).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable, Sequence

from gateway.model import Message, Recipient, Scope

# `scan` and `explain` without --from/--to: an internal-looking sender and an external recipient.
DEFAULT_FROM = "avsandare@kommun.example.se"
DEFAULT_TO = "mottagare@extern.example.com"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")


def new_incident(now: float | None = None) -> str:
    """``DLP-YYYYMMDD-`` + 8 random Crockford base32 characters (replicas share no counter)."""
    day = time.strftime("%Y%m%d", time.gmtime(now if now is not None else time.time()))
    n = int.from_bytes(secrets.token_bytes(5), "big")  # 40 random bits = 8 base32 characters, one syscall
    return f"DLP-{day}-" + "".join(_CROCKFORD[(n >> shift) & 31] for shift in range(35, -1, -5))


def domain_of(address: str) -> str:
    """Lower-cased domain of an address (empty for the null sender)."""
    return address.rsplit("@", 1)[-1].strip().strip(">").lower() if "@" in address else ""


def _matches(domain: str, patterns: Iterable[str]) -> bool:
    for p in patterns:
        p = p.lower().lstrip("@")
        if domain == p or (p.startswith("*.") and domain.endswith(p[1:])) or domain.endswith("." + p):
            return True
    return False


def classify(address: str, internal: Sequence[str] = (), partner: Sequence[str] = ()) -> Recipient:
    """A recipient with its scope: internal domains (and their subdomains), partners, everything else."""
    dom = domain_of(address)
    if _matches(dom, internal):
        scope = Scope.INTERNAL
    elif _matches(dom, partner):
        scope = Scope.PARTNER
    else:
        scope = Scope.EXTERNAL
    return Recipient(address, dom, scope)


def normalize_newlines(raw: bytes) -> bytes:
    """Turn every bare CR or bare LF into CRLF."""
    crlf = raw.count(b"\r\n")
    if raw.count(b"\n") == crlf and raw.count(b"\r") == crlf:  # already clean: 8x cheaper than the regex pass
        return raw
    return _BARE.sub(b"\r\n", raw)


def build_message(
    raw: bytes,
    mail_from: str,
    rcpts: Sequence[str],
    internal: Sequence[str] = (),
    partner: Sequence[str] = (),
    **extra: object,
) -> Message:
    """A ``Message`` ready for scanning and hand-off."""
    raw = normalize_newlines(raw)
    return Message(
        raw=raw,
        mail_from=mail_from,
        rcpts=tuple(classify(r, internal, partner) for r in rcpts),
        incident=new_incident(),
        fingerprint=hashlib.sha256(raw).hexdigest()[:32],
        received_at=time.time(),
        **extra,  # type: ignore[arg-type]
    )
