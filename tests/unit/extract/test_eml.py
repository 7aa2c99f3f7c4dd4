"""Attached .eml files (sniffed from bytes) are parsed like the outer mail, within max_message_depth."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.eml import extract_eml
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk

PNR = "19121212-1212"


def forwarded(levels: int) -> bytes:
    """A message carrying an .eml as application/octet-stream, nested ``levels`` deep."""
    msg = EmailMessage()
    msg["Subject"] = "Elevärende"
    msg["From"] = "rektor@skola.kommun.example.se"
    msg.set_content(f"Sekretessbelagd: elevens personnummer {PNR}")
    for level in range(levels):
        outer = EmailMessage()
        outer["Subject"] = f"Fwd {level}"
        outer["From"] = "a@kommun.example.se"
        outer.set_content("Se bifogat.")
        outer.add_attachment(msg.as_bytes(), maintype="application", subtype="octet-stream", filename=f"arende{level}.eml")
        msg = outer
    return msg.as_bytes()


def test_attached_eml_is_sniffed_and_parsed() -> None:
    ex = extract_message(forwarded(1))
    assert [(p.sniffed_type, p.extractor) for p in ex.parts] == [("eml", "eml")]
    where = {str(c.location): c.text for c in ex.chunks}
    assert where["attachment[1] arende0.eml > subject"] == "Elevärende"
    assert PNR in where["attachment[1] arende0.eml > body[text/plain]"]
    assert ex.unscannable == []


def test_depth_limit_is_over_limit() -> None:
    ex = extract_message(forwarded(4), Limits(max_message_depth=2))
    assert [(u.reason, u.detail) for u in ex.unscannable] == [(Reason.OVER_LIMIT, "max_message_depth=2")]
    assert not any(PNR in c.text for c in ex.chunks)
    assert any(PNR in c.text for c in extract_message(forwarded(4)).chunks)


def test_extractor_directly() -> None:
    part = Part(Location(("attachment[1] a.eml",)), "message/rfc822", "a.eml", forwarded(0), 1, "eml")
    chunks = [i for i in extract_eml(part, Budget()) if isinstance(i, TextChunk)]
    assert {str(c.location) for c in chunks} == {
        "attachment[1] a.eml > subject", "attachment[1] a.eml > body[text/plain]", "attachment[1] a.eml > headers"}
    deep = Part(part.location, part.declared_type, part.filename, part.data, 9, "eml")
    with pytest.raises(LimitExceeded):
        list(extract_eml(deep, Budget()))


def test_text_file_that_looks_like_a_message_keeps_its_header_lines() -> None:
    data = b"Namn: Test Testsson\nPersonnummer: 19121212-1212\n\nAnteckningar om eleven\n"
    part = Part(Location(("attachment[1] elever.txt",)), "text/plain", "elever.txt", data, 1, "eml")
    chunks = [i for i in extract_eml(part, Budget()) if isinstance(i, TextChunk)]
    assert any("19121212-1212" in c.text for c in chunks)
