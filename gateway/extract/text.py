"""Plain text and CSV attachments: ``robust_decode`` and nothing else (design §5.2 text row, §5.5).

UTF-8/UTF-16/UTF-32 with a byte-order mark, valid UTF-8, then the declared charset, then cp1252 with
replacement; when a declared charset fails both readings are scanned. CSV needs no parsing: detectors read
cells as text, and a number in a cell is still a number in the line.

Security: the bytes are hostile and already bounded by the message size; decoding is linear; the walker's
``max_chars`` bounds the text.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.extract.base import Budget, Item, extractor
from gateway.extract.html import charset_of
from gateway.mime.charset import decode_bytes
from gateway.model import Part, TextChunk


@extractor("text", "csv")
def extract_text(part: Part, budget: Budget) -> Iterator[Item]:
    """One chunk with every plausible decoding of the part."""
    text = decode_bytes(part.data, charset_of(part.declared_type))
    budget.check_time()
    yield TextChunk(part.location, "attachment", text)
