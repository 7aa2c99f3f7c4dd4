"""Encrypted and signed wrappers (PGP, S/MIME): encrypted content is reported, signed content is read.

A PGP message or an S/MIME ``enveloped-data`` object cannot be read without the recipient's key, so it is
``Unscannable(encrypted)`` and the policy decides (by default: blocked to external recipients). An opaque
S/MIME ``signed-data`` object (Outlook's "send signed" without clear signing) carries its MIME content
inside the CMS structure: a small BER reader takes the ``eContent`` octets out and they are parsed like any
other MIME entity. Detached signatures hold no content and yield nothing; anything else is ``unsupported``.

Security: the bytes are hostile. The BER reader is bounded (``_MAX_NODES`` TLVs, nesting ``_MAX_DEPTH``),
checks every length against the buffer and raises ``ValueError`` on any inconsistency (-> ``corrupt``); no
cryptography is done and no signature is trusted or verified.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.extract.base import Budget, Item, extractor
from gateway.model import Part, Reason, Unscannable

_PKCS7 = b"\x2a\x86\x48\x86\xf7\x0d\x01\x07"
_SIGNED, _ENVELOPED = _PKCS7 + b"\x02", _PKCS7 + b"\x03"
_AUTH_ENVELOPED = b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17"
_MAX_NODES, _MAX_DEPTH = 200_000, 64

Node = tuple[int, int, int]  # tag, content start, content end


class _Ber:
    """Just enough BER/DER to walk a CMS ContentInfo (definite and indefinite lengths)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.nodes = 0

    def node(self, pos: int, depth: int) -> tuple[Node, int]:
        """The TLV at ``pos`` and the position after it."""
        self.nodes += 1
        if self.nodes > _MAX_NODES or depth > _MAX_DEPTH or pos + 2 > len(self.data):
            raise ValueError("ber: bounds")
        data = self.data
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:  # high tag number form
            while pos < len(data) and data[pos] & 0x80:
                pos += 1
            pos += 1
        if pos >= len(data):
            raise ValueError("ber: truncated")
        first = data[pos]
        pos += 1
        if first == 0x80:
            if not tag & 0x20:
                raise ValueError("ber: indefinite primitive")
            end = pos
            while data[end : end + 2] != b"\0\0":
                end = self.node(end, depth + 1)[1]
            return (tag, pos, end), end + 2
        if first & 0x80:
            n = first & 0x7F
            if n > 4:
                raise ValueError("ber: length")
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        else:
            length = first
        if pos + length > len(data):
            raise ValueError("ber: length beyond data")
        return (tag, pos, pos + length), pos + length

    def children(self, node: Node, depth: int) -> list[Node]:
        out: list[Node] = []
        pos = node[1]
        while pos < node[2] and self.data[pos : pos + 2] != b"\0\0":
            child, pos = self.node(pos, depth + 1)
            out.append(child)
        return out

    def octets(self, node: Node, depth: int) -> bytes:
        """An OCTET STRING's value, primitive or constructed from chunks."""
        if node[0] == 0x04:
            return self.data[node[1] : node[2]]
        if node[0] == 0x24:
            return b"".join(self.octets(c, depth + 1) for c in self.children(node, depth))
        raise ValueError("ber: not an octet string")


def content_type(data: bytes) -> bytes:
    """The contentType OID of a CMS ContentInfo, or b'' when the bytes are no ContentInfo."""
    try:
        ber = _Ber(data)
        root = ber.node(0, 0)[0]
        oid = ber.children(root, 0)[0]
        return data[oid[1] : oid[2]] if oid[0] == 0x06 else b""
    except (ValueError, IndexError):  # truncated: the OID near the start still says what it was
        for known in (_SIGNED, _ENVELOPED, _AUTH_ENVELOPED):
            if b"\x06" + bytes([len(known)]) + known in data[:32]:
                return known
        return b""


def signed_content(data: bytes) -> bytes | None:
    """The encapsulated content of a SignedData ContentInfo; ``None`` when detached (signature only)."""
    ber = _Ber(data)
    root = ber.node(0, 0)[0]
    _oid, explicit = ber.children(root, 0)[:2]
    signed = ber.children(explicit, 1)[0]
    encap = ber.children(signed, 2)[2]
    parts = ber.children(encap, 3)
    if len(parts) < 2:
        return None
    return ber.octets(ber.children(parts[1], 4)[0], 5)


@extractor("pgp", "smime")
def extract_crypto(part: Part, budget: Budget) -> Iterator[Item]:
    """``encrypted`` for PGP and S/MIME enveloped data; the content of opaque signed S/MIME is parsed."""
    if part.sniffed_type == "pgp":
        yield Unscannable(part.location, Reason.ENCRYPTED, "pgp")
        return
    kind = content_type(part.data)
    if kind in (_ENVELOPED, _AUTH_ENVELOPED):
        yield Unscannable(part.location, Reason.ENCRYPTED, "smime")
        return
    if kind != _SIGNED:
        yield Unscannable(part.location, Reason.UNSUPPORTED, "smime")
        return
    try:
        content = signed_content(part.data)
    except (ValueError, IndexError):
        yield Unscannable(part.location, Reason.CORRUPT, "smime signed-data")
        return
    if content:
        from gateway.mime.parse import parse_message  # late: gateway.mime.parse imports this package

        budget.charge(len(content))
        yield from parse_message(content, part.location, part.depth, budget)
