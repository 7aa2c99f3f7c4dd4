"""Images: media with OCR off; tesseract OCR with page, pixel and time budgets when on."""

from __future__ import annotations

import io
import shutil
import struct
import zlib

import pytest

from gateway.extract import image
from gateway.extract.base import Budget, Limits
from gateway.extract.image import OcrError, extract_image, image_size, ocr_png
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PIL = pytest.importorskip("PIL.Image")
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


def render(text: str, size: int = 48) -> bytes:
    """A PNG of black text on white, like a clean 300-dpi scan line."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=size)
    lines = text.split("\n")
    img = Image.new(
        "L", (60 + int(size * 0.62 * max(map(len, lines))), 60 + int(size * 1.4) * len(lines)), 255
    )
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((30, 30 + i * int(size * 1.4)), line, fill=0, font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming any size (no pixel data needed to test the header check)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def run(data: bytes, limits: Limits) -> list[TextChunk | Part | Unscannable]:
    part = Part(Location(("attachment[1] scan.png",)), "image/png", "scan.png", data, 1, "image")
    return list(extract_image(part, Budget(limits)))


def test_ocr_off_yields_nothing_without_running_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.subprocess, "run", lambda *a, **k: pytest.fail("tesseract ran"))
    assert run(render("19121212-1212"), Limits(ocr=False)) == []


def test_missing_tesseract_is_needs_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.shutil, "which", lambda name: None)
    items = run(render("x"), Limits(ocr=True))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.NEEDS_OCR, "tesseract not installed")
    ]


def test_pixel_bomb_header_is_over_limit_before_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(image.subprocess, "run", lambda *a, **k: pytest.fail("tesseract ran"))
    items = run(png_header(100_000, 100_000), Limits(ocr=True))
    assert [(i.reason, i.detail) for i in items] == [(Reason.OVER_LIMIT, f"ocr_pixels={image.MAX_PIXELS}")]  # type: ignore[union-attr]


def test_tiny_images_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.subprocess, "run", lambda *a, **k: pytest.fail("tesseract ran"))
    assert run(png_header(16, 16), Limits(ocr=True)) == []


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png_header(2480, 3508), (2480, 3508)),
        (b"GIF89a" + struct.pack("<HH", 640, 480), (640, 480)),
        (b"BM" + b"\0" * 16 + struct.pack("<ii", 800, -600), (800, 600)),
        (
            b"\xff\xd8\xff\xe0\x00\x04\0\0\xff\xc0\x00\x11\x08" + struct.pack(">HH", 1200, 1600) + b"\0" * 8,
            (1600, 1200),
        ),
        (b"II*\0 tiff", None),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0", None),
    ],
)
def test_image_size_from_headers(data: bytes, size: tuple[int, int] | None) -> None:
    assert image_size(data) == size


@pytest.mark.ocr
@needs_tesseract
def test_ocr_reads_swedish_text_with_a_test_number() -> None:
    png = render("Sekretessbelagd handling\nPersonnummer 19121212-1212")
    items = run(png, Limits(ocr=True))
    chunks = [i for i in items if isinstance(i, TextChunk)]
    assert len(chunks) == 1 and chunks[0].ocr and chunks[0].origin == "attachment"
    assert "Sekretessbelagd" in chunks[0].text
    assert "19121212-1212" in chunks[0].text.replace(" ", "")


@pytest.mark.ocr
@needs_tesseract
def test_page_budget_is_per_message() -> None:
    budget = Budget(Limits(ocr=True, ocr_pages=1))
    png = render("Sida")
    assert "Sida" in ocr_png(png, budget)
    with pytest.raises(OcrError, match="ocr_pages=1") as info:
        ocr_png(png, budget)
    assert info.value.reason == Reason.OVER_LIMIT
    assert "Sida" in ocr_png(png, Budget(Limits(ocr=True, ocr_pages=1)))  # a new message, a new budget


@pytest.mark.ocr
@needs_tesseract
def test_unreadable_image_is_corrupt() -> None:
    items = run(png_header(800, 600) + b"garbage", Limits(ocr=True))
    assert [i.reason for i in items if isinstance(i, Unscannable)] == [Reason.CORRUPT]


def test_exhausted_ocr_time_is_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.shutil, "which", lambda name: "/usr/bin/tesseract")
    with pytest.raises(OcrError, match="ocr_seconds=0") as info:
        ocr_png(render("x"), Budget(Limits(ocr=True, ocr_seconds=0)))
    assert info.value.reason == Reason.TIMEOUT


@pytest.mark.ocr
@needs_tesseract
def test_format_tesseract_cannot_read_is_unsupported() -> None:
    items = run(b'<svg xmlns="http://www.w3.org/2000/svg"><text>19121212-1212</text></svg>', Limits(ocr=True))
    assert [i.reason for i in items if isinstance(i, Unscannable)] == [Reason.UNSUPPORTED]
