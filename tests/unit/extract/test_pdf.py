"""PDF extraction on files built with fpdf2: split runs, passwords, image-only pages, page limit, bombs."""

from __future__ import annotations

import io
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fpdf import FPDF

from gateway.extract import base
from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.pdf import extract_pdf, pdftotext
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"


def new_pdf() -> FPDF:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    return pdf


def split_pdf() -> bytes:
    """``19121212-`` and ``1212`` drawn by two text calls on one line, plus two table-like cells."""
    pdf = new_pdf()
    pdf.text(20, 30, "Personnummer: 19121212-")
    pdf.text(20 + pdf.get_string_width("Personnummer: 19121212-"), 30, "1212")
    pdf.set_xy(20, 40)
    pdf.cell(text="Sekretessbelagd ")
    pdf.cell(text="handling")
    pdf.set_xy(20, 50)
    pdf.cell(text="Pnr 19121212-")  # cells add padding: pdfium generates a space in the gap
    pdf.cell(text="1212")
    return bytes(pdf.output())


def png(width: int, height: int) -> bytes:
    rows = b"".join(b"\x00" + bytes([(x * 7 + y) % 256 for x in range(width)]) for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scanned_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(png(60, 80)), x=10, y=10, w=190)
    return bytes(pdf.output())


def part(data: bytes) -> Part:
    return Part(Location(("attachment[1] x.pdf",)), "application/octet-stream", "x.pdf", data, 1, "pdf")


def run(data: bytes, limits: Limits | None = None) -> list[object]:
    return list(extract_pdf(part(data), Budget(limits or Limits())))


def test_split_runs_come_back_joined_through_the_walker() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "intyg"
    msg.set_content("Bifogat.")
    msg.add_attachment(split_pdf(), maintype="application", subtype="octet-stream", filename="intyg.pdf")
    ex = extract_message(msg.as_bytes())
    assert ex.unscannable == []
    [chunk] = [c for c in ex.chunks if c.origin == "attachment"]
    assert str(chunk.location) == "attachment[1] intyg.pdf"
    assert f"Personnummer: {PNR}" in chunk.text
    assert f"Pnr {PNR}" in chunk.text
    assert "Sekretessbelagd handling" in chunk.text


def test_user_password_is_encrypted_owner_password_is_read() -> None:
    locked = new_pdf()
    locked.set_encryption(owner_password="agare", user_password="anvandare")
    locked.cell(text=f"Hemligt {PNR}")
    assert [(i.reason, i.detail) for i in run(bytes(locked.output())) if isinstance(i, Unscannable)] == [
        (Reason.ENCRYPTED, "pdf user password")
    ]
    owner_only = new_pdf()
    owner_only.set_encryption(owner_password="agare")
    owner_only.cell(text=f"Utskriftsskyddat {PNR}")
    items = run(bytes(owner_only.output()))
    assert [i.text for i in items if isinstance(i, TextChunk)] == [f"Utskriftsskyddat {PNR}"]
    assert not [i for i in items if isinstance(i, Unscannable)]


def test_image_only_pdf_needs_ocr_when_ocr_is_off() -> None:
    items = run(scanned_pdf())
    assert [(i.reason, str(i.location)) for i in items if isinstance(i, Unscannable)] == [
        (Reason.NEEDS_OCR, "attachment[1] x.pdf")
    ]


def test_image_only_pages_are_rendered_for_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_ocr(part: Part, budget: Budget) -> Iterator[TextChunk]:
        yield TextChunk(part.location, "attachment", "ocr", ocr=True)

    monkeypatch.setitem(base._REGISTRY, "image", ("image", fake_ocr))
    items = run(scanned_pdf(), Limits(ocr=True))
    [page] = [i for i in items if isinstance(i, Part)]
    assert str(page.location) == "attachment[1] x.pdf > page 1"
    assert page.sniffed_type == "image" and page.declared_type == "image/png" and page.depth == 2
    assert page.data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", page.data[16:24])
    assert abs(width - 2480) <= 1 and abs(height - 3508) <= 1  # A4 at 300 dpi
    (idat_len,) = struct.unpack(">I", page.data[33:37])
    assert page.data[37:41] == b"IDAT"
    rows = zlib.decompress(page.data[41 : 41 + idat_len])
    assert len(rows) == (width + 1) * height  # 8-bit grayscale, one filter byte per row
    assert not [i for i in items if isinstance(i, Unscannable)]


def test_page_limit_keeps_findings_of_the_first_pages() -> None:
    pdf = new_pdf()
    for n in range(600):
        if n:
            pdf.add_page()
        pdf.cell(text=f"Sida {n + 1} {PNR}")
    items = run(bytes(pdf.output()))
    [chunk] = [i for i in items if isinstance(i, TextChunk)]
    assert "Sida 1 " in chunk.text and "Sida 500 " in chunk.text and "Sida 501 " not in chunk.text
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.OVER_LIMIT, "max_pdf_pages=500")
    ]


def test_flate_stream_bomb_stops_quickly() -> None:
    packed = zlib.compress(b" " * (64 << 20), 9)
    bomb = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length " + str(len(packed)).encode() + b"/Filter/FlateDecode>>stream\n"
        + packed + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    started = time.perf_counter()
    with pytest.raises(LimitExceeded, match="max_ratio"):
        run(bomb)
    assert time.perf_counter() - started < 1.0


def test_garbage_is_corrupt() -> None:
    assert [(i.reason, i.detail) for i in run(b"%PDF-1.7\n" + b"\x00garbage" * 100) if isinstance(i, Unscannable)] == [
        (Reason.CORRUPT, "pdf")
    ]


@pytest.mark.external
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_pdftotext_fallback_reads_text_and_fails_on_garbage() -> None:
    text = pdftotext(split_pdf(), Budget())
    assert text is not None and "Sekretessbelagd handling" in text
    assert pdftotext(b"not a pdf", Budget()) is None


def form_pdf() -> bytes:
    """A filled-in AcroForm field (no appearance stream, so the text layer is empty) written by hand."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R]>>>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Annots[4 0 R]>>",
        b"<</Type/Annot/Subtype/Widget/FT/Tx/T(Personnummer)/V(" + PNR.encode() + b")/Rect[50 700 300 720]/P 3 0 R>>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_form_fields_comments_info_and_embedded_files() -> None:
    items = run(form_pdf())
    assert [(str(i.location), i.text) for i in items if isinstance(i, TextChunk)] == [
        ("attachment[1] x.pdf > annotations", f"Personnummer: {PNR}")
    ]
    assert not [i for i in items if isinstance(i, Unscannable)]
    pdf = new_pdf()
    pdf.set_title("Läkarintyg")
    pdf.cell(text="Se bilaga och kommentar.")
    pdf.text_annotation(20, 20, "Kommentar: sekretess gäller")
    pdf.embed_file(bytes=b"Personnummer;19121212-1212\n", basename="elever.csv")
    items = run(bytes(pdf.output()))
    chunks = {str(i.location): i for i in items if isinstance(i, TextChunk)}
    assert chunks["attachment[1] x.pdf > annotations"].text == "Kommentar: sekretess gäller"
    assert chunks["attachment[1] x.pdf > info"].origin == "metadata"
    assert "title: Läkarintyg" in chunks["attachment[1] x.pdf > info"].text
    [child] = [i for i in items if isinstance(i, Part)]
    assert str(child.location) == "attachment[1] x.pdf > elever.csv" and child.depth == 2
    assert child.data == b"Personnummer;19121212-1212\n"


def test_pages_without_text_or_images_are_not_silently_clean() -> None:
    blank = new_pdf()
    blank.line(10, 10, 100, 100)  # vector drawing only: outlined text looks like this
    items = run(bytes(blank.output()))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [(Reason.NEEDS_OCR, "no text layer")]


def test_generated_space_between_digits_depends_on_the_gap() -> None:
    pdf = new_pdf()
    pdf.set_xy(20, 30)
    pdf.cell(text="19121212")  # two cells side by side: one number drawn in two calls
    pdf.cell(text="1212")
    pdf.text(20, 60, "20240101")  # two table columns far apart stay two values
    pdf.text(120, 60, "4711")
    [chunk] = [i for i in run(bytes(pdf.output())) if isinstance(i, TextChunk)]
    lines = chunk.text.splitlines()
    assert "191212121212" in lines
    assert "20240101 4711" in lines
