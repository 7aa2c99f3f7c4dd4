"""The text/csv extractor: BOMs, declared charsets, cp1252 fallback; reached through the walker by content."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from gateway.extract.base import Budget
from gateway.extract.text import extract_text
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, TextChunk

LINE = "Namn;Personnummer\nÅsa Öberg;19121212-1212\n"


def text_of(data: bytes, declared: str = "text/plain") -> str:
    part = Part(Location(("attachment[1] lista.csv",)), declared, "lista.csv", data, 1, "csv")
    chunks = [c for c in extract_text(part, Budget()) if isinstance(c, TextChunk)]
    assert len(chunks) == 1 and chunks[0].origin == "attachment"
    return chunks[0].text


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_encodings(enc: str) -> None:
    assert text_of(LINE.encode(enc)) == LINE


def test_declared_charset_in_declared_type() -> None:
    assert text_of("Łódź".encode("iso-8859-2"), "text/plain; charset=iso-8859-2") == "Łódź"
    both = text_of("Läkare".encode("cp1252"), "text/plain; charset=utf-8")
    assert both.splitlines()[-1] == "Läkare"


def test_csv_attachment_through_the_walker() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Lista"
    msg.set_content("Se bifogad lista.")
    msg.add_attachment(LINE.encode("cp1252"), maintype="application", subtype="octet-stream", filename="elever.csv")
    ex = extract_message(msg.as_bytes())
    (info,) = ex.parts
    assert (info.sniffed_type, info.extractor) == ("csv", "text")
    assert [c.text for c in ex.chunks if c.origin == "attachment"] == [LINE]
