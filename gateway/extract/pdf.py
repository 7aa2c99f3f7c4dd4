"""PDF text layer with pypdfium2, ``pdftotext`` as the fallback (design §5.2, §5.4, §5.6).

pdfium was the fastest permissive option (≈1.5 ms/page) and joins text drawn by separate operators on one
line; where it *generates* a space inside a split number (``19121212-`` ``1212`` in two cells) that space is
dropped. The page count is read first: beyond ``max_pdf_pages`` the first pages are still read (their
findings count) and the part is also ``over_limit``. A user password makes the file ``encrypted``; an
owner-password-only PDF opens without one and is read normally. Filled-in form fields (``name: value``) and
comment annotations, which the text layer lacks, become an ``annotations`` chunk; document info is
``metadata``; embedded files are child parts. Pages with images but no text (the scanned läkarintyg) are
``needs_ocr`` when OCR is off; with OCR on each such page is rendered at 300 dpi and yielded as a PNG child
part for the OCR extractor. A document with pages but neither text nor images (outlined text, damaged
content) asks ``pdftotext``, then is ``needs_ocr``; pages pdfium cannot load are ``corrupt``. When pdfium
cannot open a file, ``pdftotext`` (poppler, GPL: a subprocess only) gets a try; non-zero exit or empty
output is a failure, reported as ``corrupt``.

Security: pdfium is C code parsing hostile input, so it runs only inside a killable scan worker with
``RLIMIT_AS`` (a flate bomb aborted pdfium under a 1.5 GB cap); before pdfium sees the file, every non-image
flate stream is inflated through a counter with the per-entry size and ratio limits (``over_limit`` in
milliseconds). ``check_time`` runs per page, text is bounded by ``max_chars``, embedded files by
``max_entry_bytes``, the subprocess by the attachment clock and an output cap. Nothing is written to disk.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import struct
import subprocess
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from gateway.extract.base import Budget, Item, LimitExceeded, Limits, extractor, lookup
from gateway.masking import safe_filename
from gateway.model import Part, Reason, TextChunk, Unscannable

OCR_DPI = 300
_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
_IMAGE = (pdfium_c.FPDF_PAGEOBJ_IMAGE,)
_STREAM = re.compile(rb"stream\r?\n")
_INFO_KEYS = frozenset({"Title", "Author", "Subject", "Keywords"})
_SPLIT = re.compile(r"[0-9][-+]?( )[0-9]")


def png_gray(width: int, height: int, stride: int, pixels: bytes) -> bytes:
    """Encode 8-bit grayscale rows as a PNG (no imaging library needed)."""
    rows = b"".join(b"\x00" + pixels[y * stride : y * stride + width] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def render_png(page: pdfium.PdfPage, dpi: int = OCR_DPI) -> bytes:
    """One page rendered in grayscale at ``dpi`` as PNG bytes (for OCR)."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    try:
        size = bitmap.stride * bitmap.height
        pixels = ctypes.string_at(ctypes.addressof(bitmap.buffer), size)
        if bitmap.n_channels != 1:  # pdfium ignored the grayscale request: keep one channel
            pixels = pixels[:: bitmap.n_channels]
            return png_gray(bitmap.width, bitmap.height, bitmap.stride // bitmap.n_channels, pixels)
        return png_gray(bitmap.width, bitmap.height, bitmap.stride, pixels)
    finally:
        bitmap.close()


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        text = str(textpage.get_text_range())
        if " " in text and _SPLIT.search(text):
            text = _join_split(textpage, text)
        return text
    finally:
        textpage.close()


def _join_split(textpage: pdfium.PdfTextPage, text: str) -> str:
    """Drop the spaces pdfium *generated* inside a number drawn by separate calls (``19121212-`` ``1212``).

    After a ``-``/``+`` between digits the space always goes; between two digits only if the glyphs are
    closer than three quarters of an em (cell padding is ~0.6 em; table columns stay apart). Real spaces
    in the content are kept.
    """
    astral = any(ord(c) > 0xFFFF for c in text)
    drop: list[int] = []
    for m in _SPLIT.finditer(text):
        pos = m.start(1)
        index = pos + (sum(1 for c in text[:pos] if ord(c) > 0xFFFF) if astral else 0)
        if pdfium_c.FPDFText_IsGenerated(textpage.raw, index) != 1:
            continue
        if text[pos - 1] in "-+" or _close(textpage, index):
            drop.append(pos)
    for pos in reversed(drop):
        text = text[:pos] + text[pos + 1 :]
    return text


def _close(textpage: pdfium.PdfTextPage, index: int) -> bool:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = []
    for i in (index - 1, index + 1):
        if not pdfium_c.FPDFText_GetCharBox(textpage.raw, i, left, right, bottom, top):
            return False
        boxes.append((left.value, right.value))
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index - 1) or 10.0
    return bool(0 <= boxes[1][0] - boxes[0][1] < 0.75 * size)


def check_streams(data: bytes, budget: Budget) -> None:
    """Inflate non-image flate streams through a counter first: a stream bomb stops at the ratio limit.

    pdfium inflates content streams with no limit of its own (1 GiB of zeros peaked at 2 GB); images are
    skipped because text extraction never decodes them.
    """
    limits = budget.limits
    total = 0
    view = memoryview(data)  # slices below must not copy: a 50 MB file may hold thousands of streams
    for m in _STREAM.finditer(data):
        head = data[max(0, m.start() - 1024) : m.start()]
        head = head[head.rfind(b"obj") + 1 :]
        if b"/Image" in head or b"Flate" not in head:
            continue
        inflater = zlib.decompressobj()
        packed = view[m.end() : m.end() + limits.max_entry_bytes]
        out = 0
        try:
            for off in range(0, len(packed), 65536):
                out += len(inflater.decompress(packed[off : off + 65536], 1 << 20))
                while inflater.unconsumed_tail:
                    out += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
                    _check_ratio(out, off + 65536, limits)
                _check_ratio(out, off + 65536, limits)
                if inflater.eof:
                    break
        except zlib.error:
            pass
        total += out
        if total > limits.max_attachment_bytes:
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_attachment_bytes={limits.max_attachment_bytes}")
        budget.check_time()


def _check_ratio(out: int, packed: int, limits: Limits) -> None:
    if out > limits.max_entry_bytes:
        raise LimitExceeded(Reason.OVER_LIMIT, f"max_entry_bytes={limits.max_entry_bytes}")
    if out > limits.ratio_floor and out / packed > limits.max_ratio:
        raise LimitExceeded(Reason.OVER_LIMIT, f"max_ratio={limits.max_ratio}")


def _wide(fn: Any, *args: Any) -> str:
    """A UTF-16LE string from a pdfium ``(…, buffer, length)`` getter; capped at 1 MiB."""
    size = int(fn(*args, None, 0))
    if size <= 2:
        return ""
    size = min(size, 1 << 20)
    buf = (ctypes.c_ushort * (size // 2))()
    fn(*args, buf, size)
    return bytes(buf).decode("utf-16-le", "replace").split("\x00", 1)[0]


def _annotation_text(page: pdfium.PdfPage, form: Any) -> list[str]:
    """Comment texts and filled-in form fields (``name: value``): the text layer has neither."""
    out = []
    for i in range(min(int(pdfium_c.FPDFPage_GetAnnotCount(page.raw)), 2000)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        if not annot:
            continue
        try:
            if form is not None and pdfium_c.FPDFAnnot_GetSubtype(annot) == pdfium_c.FPDF_ANNOT_WIDGET:
                value = _wide(pdfium_c.FPDFAnnot_GetFormFieldValue, form, annot)
                if value.strip():
                    out.append(f"{_wide(pdfium_c.FPDFAnnot_GetFormFieldName, form, annot)}: {value}")
            else:
                value = _wide(pdfium_c.FPDFAnnot_GetStringValue, annot, b"Contents")
                if value.strip():
                    out.append(value)
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return out


def _document_items(doc: pdfium.PdfDocument, part: Part, budget: Budget) -> Iterator[Item]:
    """Document info (title, author…) as metadata and embedded files as child parts."""
    info = doc.get_metadata_dict(skip_empty=True)
    lines = [f"{k.lower()}: {v}" for k, v in info.items() if k in _INFO_KEYS and str(v).strip()]
    if lines:
        yield TextChunk(part.location.child("info"), "metadata", "\n".join(lines))
    for index in range(min(doc.count_attachments(), budget.limits.max_entries)):
        budget.check_time()
        attachment = doc.get_attachment(index)
        name = attachment.get_name() or f"file {index + 1}"
        where = part.location.child(safe_filename(name) or f"file {index + 1}")
        data = bytes(attachment.get_data())
        if len(data) > budget.limits.max_entry_bytes:
            yield Unscannable(where, Reason.OVER_LIMIT, f"max_entry_bytes={budget.limits.max_entry_bytes}")
            continue
        budget.charge(len(data))
        budget.count_part()
        yield Part(where, "application/octet-stream", name, data, part.depth + 1)


def _has_images(page: pdfium.PdfPage) -> bool:
    return next(iter(page.get_objects(filter=_IMAGE, max_depth=3)), None) is not None


@dataclass(slots=True)
class _Pages:
    """What the page loop learned."""

    texts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scanned: list[int] = field(default_factory=list)
    broken: int = 0
    size: int = 0
    over_chars: bool = False


def _ocr_ready(budget: Budget) -> bool:
    return budget.limits.ocr and lookup("image") is not None


def _page_image(page: pdfium.PdfPage, index: int, part: Part, budget: Budget) -> Part:
    png = render_png(page)
    budget.charge(len(png))
    return Part(part.location.child(f"page {index + 1}"), "image/png", None, png, part.depth + 1, "image")


def _one_page(
    page: pdfium.PdfPage, index: int, part: Part, budget: Budget, form: Any, st: _Pages
) -> Iterator[Item]:
    text = _page_text(page).replace("\r\n", "\n").replace("\r", "\n")
    st.notes += _annotation_text(page, form)
    if not text.strip() and _has_images(page):
        st.scanned.append(index)
        if _ocr_ready(budget) and len(st.scanned) <= budget.limits.ocr_pages:
            yield _page_image(page, index, part, budget)
    st.size += len(text) + 1
    if st.size > budget.limits.max_chars:
        st.over_chars = True
    else:
        st.texts.append(text)


def _read(doc: pdfium.PdfDocument, part: Part, budget: Budget) -> Iterator[Item]:
    limits = budget.limits
    with warnings.catch_warnings():  # a failed XFA load warns; the AcroForm values are still there
        warnings.simplefilter("ignore")
        doc.init_forms()
    form = doc.formenv.raw if doc.formenv else None
    pages = len(doc)
    st = _Pages()
    for index in range(min(pages, limits.max_pdf_pages)):
        budget.check_time()
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            st.broken += 1
            continue
        try:
            yield from _one_page(page, index, part, budget, form, st)
        finally:
            page.close()
        if st.over_chars:
            break
    joined = "\n".join(st.texts)
    if joined.strip():
        yield TextChunk(part.location, "attachment", joined)
    elif pages and not st.scanned and not st.notes:
        yield from _no_text_layer(doc, part, budget)
    if st.notes:
        yield TextChunk(part.location.child("annotations"), "attachment", "\n".join(st.notes))
    yield from _document_items(doc, part, budget)
    yield from _verdicts(part, budget, pages, st)


def _no_text_layer(doc: pdfium.PdfDocument, part: Part, budget: Budget) -> Iterator[Item]:
    """Pages but no text and no images: damaged content or outlined text. Ask pdftotext, else OCR."""
    text = pdftotext(part.data, budget)
    if text is not None:
        yield TextChunk(part.location, "attachment", text)
    elif _ocr_ready(budget):
        for index in range(min(len(doc), budget.limits.ocr_pages)):
            page = doc[index]
            try:
                yield _page_image(page, index, part, budget)
            finally:
                page.close()
    else:
        yield Unscannable(part.location, Reason.NEEDS_OCR, "no text layer")


def _verdicts(part: Part, budget: Budget, pages: int, st: _Pages) -> Iterator[Unscannable]:
    limits = budget.limits
    if st.scanned and not _ocr_ready(budget):
        yield Unscannable(part.location, Reason.NEEDS_OCR, f"image-only pages={len(st.scanned)}")
    elif len(st.scanned) > limits.ocr_pages:
        yield Unscannable(part.location, Reason.OVER_LIMIT, f"ocr_pages={limits.ocr_pages}")
    if st.broken:
        yield Unscannable(part.location, Reason.CORRUPT, f"unreadable pages={st.broken}")
    if st.over_chars:
        yield Unscannable(part.location, Reason.OVER_LIMIT, f"max_chars={limits.max_chars}")
    if pages > limits.max_pdf_pages:
        yield Unscannable(part.location, Reason.OVER_LIMIT, f"max_pdf_pages={limits.max_pdf_pages}")


def pdftotext(data: bytes, budget: Budget) -> str | None:
    """Text by ``pdftotext`` (first ``max_pdf_pages`` pages); None when it failed or is absent."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    limits = budget.limits
    cap = limits.max_chars * 4
    left = limits.attachment_seconds
    if budget.attachment_deadline:
        left = budget.attachment_deadline - time.monotonic()
    cmd = [exe, "-q", "-enc", "UTF-8", "-l", str(limits.max_pdf_pages), "-", "-"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdin, stdout = proc.stdin, proc.stdout
    if stdin is None or stdout is None:  # pragma: no cover - PIPE always gives both
        return None

    def feed() -> None:
        try:
            stdin.write(data)
            stdin.close()
        except OSError:
            pass

    expired = threading.Event()

    def expire() -> None:
        expired.set()
        proc.kill()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    timer = threading.Timer(max(0.5, min(limits.attachment_seconds, left)), expire)
    timer.start()
    out = bytearray()
    try:
        while block := stdout.read(65536):
            out += block
            if len(out) > cap:
                raise LimitExceeded(Reason.OVER_LIMIT, f"max_chars={limits.max_chars}")
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stdout.close()
        writer.join(1.0)
    if expired.is_set():
        raise LimitExceeded(Reason.TIMEOUT, f"attachment_seconds={limits.attachment_seconds:g}")
    text = out.decode("utf-8", "replace").replace("\f", "\n")
    if rc != 0 or not text.strip():
        return None
    return text


@extractor("pdf")
def extract_pdf(part: Part, budget: Budget) -> Iterator[Item]:
    """Text layer of a PDF (see the module docstring for limits, encryption, OCR hand-off and fallback)."""
    check_streams(part.data, budget)
    try:
        doc = pdfium.PdfDocument(part.data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD_ERROR:
            yield Unscannable(part.location, Reason.ENCRYPTED, "pdf user password")
            return
        text = pdftotext(part.data, budget)
        if text is None:
            yield Unscannable(part.location, Reason.CORRUPT, "pdf")
        else:
            yield TextChunk(part.location, "attachment", text)
        return
    try:
        yield from _read(doc, part, budget)
    finally:
        doc.close()
