"""Damaged office files: random byte flips and truncations never escape the extractors as exceptions.

A failure inside an extractor would cost the part as ``parser_crash``; damaged input must instead come back
as text, ``corrupt``, ``needs_ocr`` or a limit. Seeds are fixed so a failure is reproducible.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator

import docx
import openpyxl
import pytest
from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.text import P

from gateway.extract.base import Budget, Item, LimitExceeded
from gateway.extract.odf import extract_odf
from gateway.extract.ooxml import extract_ooxml
from gateway.extract.pdf import extract_pdf
from gateway.extract.rtf import extract_rtf
from gateway.extract.xlsx import extract_spreadsheet
from gateway.model import Location, Part, TextChunk, Unscannable


def _docx() -> bytes:
    doc = docx.Document()
    doc.add_paragraph("Personnummer 19121212-1212")
    doc.sections[0].header.paragraphs[0].text = "Sekretessbelagd handling"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Personnummer", 191212121212])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Personnummer 19121212-1212")
    return bytes(pdf.output())


def _odt() -> bytes:
    doc = OpenDocumentText()
    doc.text.addElement(P(text="Personnummer 19121212-1212"))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _rtf() -> bytes:
    return b"{\\rtf1\\ansi{\\header Sekretessbelagd handling\\par}\\pard Personnummer {\\b 19121212-}1212\\par}"


Extract = Callable[[Part, Budget], Iterator[Item]]
CASES: list[tuple[str, Extract, Callable[[], bytes]]] = [
    ("docx", extract_ooxml, _docx),
    ("xlsx", extract_spreadsheet, _xlsx),
    ("pdf", extract_pdf, _pdf),
    ("odt", extract_odf, _odt),
    ("rtf", extract_rtf, _rtf),
]


@pytest.mark.parametrize(("kind", "fn", "build"), CASES, ids=[c[0] for c in CASES])
def test_mutants_give_text_or_a_reason(kind: str, fn: Extract, build: Callable[[], bytes]) -> None:
    rng = random.Random(kind)
    original = build()
    assert any(isinstance(i, TextChunk) for i in fn(Part(Location(("a",)), "", "a", original, 1, kind), Budget()))
    for _ in range(60):
        data = bytearray(original)
        for _ in range(rng.choice((1, 4, 16))):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        try:
            items = list(fn(Part(Location(("a",)), "", "a", bytes(data), 1, kind), Budget()))
        except LimitExceeded:
            continue  # the walker reports it as over_limit/timeout
        if kind == "pdf":  # a PDF never comes back silently empty
            assert any(isinstance(i, TextChunk | Unscannable) for i in items)
