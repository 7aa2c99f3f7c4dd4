"""RTF extraction: header/footer destinations, escapes, tables and info fields, written by hand."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest

from gateway.extract.base import Budget
from gateway.extract.rtf import extract_rtf, rtf_text
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, TextChunk

LETTER = rb"""{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}}
{\info{\title Beslut}{\author Handl\'e4ggare}{\keywords l\'e4karintyg}}
{\header \pard\plain Sekretessbelagd handling\par}
{\footerl \pard Sidfot v\'e4nster\par}
{\footer \pard Socialf\'f6rvaltningen\par}
\pard Personnummer {\b 19121212-}1212 \u228?r registrerat.\par
\trowd\cellx2000\cellx4000 Namn\cell Personnummer\cell\row
\trowd\cellx2000\cellx4000 Tolvan\cell 191212121212\cell\row
Text med fotnot{\super\chftn}{\footnote \pard {\super\chftn} Se l\'e4karintyg.\par}
{\field{\*\fldinst{HYPERLINK "https://example.se/"}}{\fldrslt{l\'e4nktext}}}
Kommentar h\'e4r{\*\atnid HA}{\*\atnauthor Anna}\chatn{\*\annotation{\pard Omfattas av sekretess\par}}\par
Escaped \\header is text.\par
}"""


def test_rtf_through_the_message_walker() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "brev"
    msg.set_content("Se bilaga.")
    msg.add_attachment(LETTER, maintype="application", subtype="octet-stream", filename="brev.rtf")
    ex = extract_message(msg.as_bytes())
    assert ex.unscannable == []
    [chunk] = [c for c in ex.chunks if str(c.location) == "attachment[1] brev.rtf" and c.origin == "attachment"]
    text = chunk.text
    for expected in (
        "Sekretessbelagd handling\n",
        "Sidfot vänster",
        "Socialförvaltningen",
        "Personnummer 19121212-1212 är registrerat.",
        "Namn\tPersonnummer\t\nTolvan\t191212121212\t\n",
        "Se läkarintyg.",
        "länktext",
        "Omfattas av sekretess",
        "Beslut",
        "Handläggare",
        "Escaped \\header is text.",
    ):
        assert expected in text


def test_stock_striprtf_would_lose_the_header() -> None:
    from striprtf.striprtf import rtf_to_text

    assert "Sekretessbelagd" not in rtf_to_text(LETTER.decode("latin-1"))  # why the pre-pass exists
    assert "Sekretessbelagd" in rtf_text(LETTER)


def test_long_hostile_field_line_is_linear() -> None:
    # stock striprtf needs ~10 s for this 33 KB line (its HYPERLINK pattern backtracks)
    hostile = b"{\\rtf1 " + b'{\\field{\\*\\fldinst{HYPERLINK "x"' * 1000 + b"}"
    started = time.perf_counter()
    rtf_text(hostile)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("data", [b"{\\rtf1 {\\pict\\pngblip 89504e47}}", b"{\\rtf1 }"])
def test_no_text(data: bytes) -> None:
    part = Part(Location(("attachment[1] x.rtf",)), "", "x.rtf", data, 1, "rtf")
    items = list(extract_rtf(part, Budget()))
    assert not any(isinstance(i, TextChunk) for i in items)
    if b"pict" in data:
        assert [getattr(i, "reason", None) for i in items] == ["needs_ocr"]


def test_user_properties_carry_sensitivity_labels() -> None:
    guid = "3a3b5f2e-1d2c-4b5a-9e8f-0123456789ab"
    data = (
        b"{\\rtf1\\ansi{\\*\\userprops {\\propname MSIP_Label_" + guid.encode() + b"_Enabled}\\proptype30{\\staticval true}"
        b"{\\propname MSIP_Label_" + guid.encode() + b"_Name}\\proptype30{\\staticval Konfidentiell}}\\pard Text\\par}"
    )
    part = Part(Location(("attachment[1] x.rtf",)), "", "x.rtf", data, 1, "rtf")
    chunks = {str(c.location): c for c in extract_rtf(part, Budget()) if isinstance(c, TextChunk)}
    meta = chunks["attachment[1] x.rtf > userprops"]
    assert meta.origin == "metadata"
    assert meta.text.splitlines() == [f"MSIP_Label_{guid}_Enabled=true", f"MSIP_Label_{guid}_Name=Konfidentiell"]


def test_nontrivial_rtf_without_text_is_corrupt() -> None:
    data = b"{\\rtf1{\\fonttbl{\\f0 Arial;}}{\\*\\generator " + b"x" * 400 + b"}}"
    part = Part(Location(("attachment[1] x.rtf",)), "", "x.rtf", data, 1, "rtf")
    assert [(getattr(i, "reason", None), getattr(i, "detail", None)) for i in extract_rtf(part, Budget())] == [
        ("corrupt", "rtf without text")
    ]


def test_picture_hex_is_skipped_quickly() -> None:
    picture = b"{\\pict\\pngblip " + bytes(range(256)).hex().encode() * 4000 + b"}"
    data = b"{\\rtf1\\ansi\\pard Personnummer 19121212-1212\\par " + picture + b"\\pard Slut\\par}"
    started = time.perf_counter()
    assert rtf_text(data) == "Personnummer 19121212-1212\nSlut\n"
    assert time.perf_counter() - started < 1.0
