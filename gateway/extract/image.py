"""Images: media unless OCR is on, then text through the tesseract command line (design §5.6).

With ``limits.ocr`` off an image yields nothing (photos and logos are media, not unscannable; policy may
still decide on them from the part list). With OCR on, ``tesseract stdin stdout -l swe+nor+eng`` runs
with ``OMP_THREAD_LIMIT=1`` (3.3–4.7 s per A4 page instead of 12 s with OpenMP fighting the scan pool),
within a per-message page budget (``ocr_pages``) and time budget (``ocr_seconds``). ``ocr_png`` is the
same call for pages the PDF extractor rendered. pytesseract is not used: it does not set the thread
limit and adds nothing a subprocess call does not do.

Security: image bytes are hostile and go only to a separate tesseract process: stdin only, no shell, a
timeout, an address-space limit (``worker_memory``) and a pixel-count check on the PNG/JPEG/GIF/BMP
header so a decompression-bomb image is ``over_limit`` before tesseract sees it. Failures raise
``OcrError`` (a ``LimitExceeded``), so any caller's walker reports them with their reason.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator

from gateway.extract.base import Budget, Item, LimitExceeded, extractor
from gateway.model import Part, Reason, TextChunk, Unscannable

MIN_SIDE = 20  # pixels; smaller images are not OCR'd
MAX_PIXELS = 50_000_000  # an A4 page at 300 dpi is 8.7 Mpx; 600 dpi is 35 Mpx
WANTED_LANGUAGES = ("swe", "nor", "eng")


class OcrError(LimitExceeded):
    """OCR could not run or finish: ``needs_ocr`` (no tesseract), ``over_limit``, ``timeout``, ``corrupt``."""


@extractor("image")
def extract_image(part: Part, budget: Budget) -> Iterator[Item]:
    """OCR text of an image when OCR is enabled; nothing otherwise."""
    if not budget.limits.ocr:
        return
    size = image_size(part.data)
    if size is not None and min(size) < MIN_SIDE:
        return  # icons and spacer pixels cannot hold legible text; they do not use the page budget
    try:
        text = ocr_png(part.data, budget)
    except OcrError as exc:
        yield Unscannable(part.location, exc.reason, exc.detail)
        return
    if text.strip():
        yield TextChunk(part.location, "attachment", text, ocr=True)


def ocr_png(data: bytes, budget: Budget) -> str:
    """Text of one image (any format tesseract reads, PNG from the PDF renderer), within the budgets."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrError(Reason.NEEDS_OCR, "tesseract not installed")
    limits = budget.limits
    used = _used(budget)
    if used[0] >= limits.ocr_pages:
        raise OcrError(Reason.OVER_LIMIT, f"ocr_pages={limits.ocr_pages}")
    left = limits.ocr_seconds - used[1]
    if left <= 0:
        raise OcrError(Reason.TIMEOUT, f"ocr_seconds={limits.ocr_seconds:g}")
    size = image_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise OcrError(Reason.OVER_LIMIT, f"ocr_pixels={MAX_PIXELS}")
    used[0] += 1
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [exe, "stdin", "stdout", "-l", languages(exe)],
            input=data,
            capture_output=True,
            timeout=left,
            env=_env(),
            preexec_fn=functools.partial(_limit_memory, limits.worker_memory),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(Reason.TIMEOUT, f"ocr_seconds={limits.ocr_seconds:g}") from exc
    finally:
        used[1] += time.monotonic() - started
    if proc.returncode != 0:  # a raster format we know is damaged; anything else (SVG, HEIC...) unsupported
        known = size is not None or data[:4] in (b"II*\0", b"MM\0*") or data[8:12] == b"WEBP"
        raise OcrError(Reason.CORRUPT if known else Reason.UNSUPPORTED, f"tesseract exit {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


@functools.lru_cache(maxsize=4)
def languages(exe: str) -> str:
    """``swe+nor+eng`` restricted to the installed traineddata (tesseract fails on a missing one)."""
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, timeout=10, check=False, env=_env())
    except (OSError, subprocess.TimeoutExpired):
        return "eng"
    have = set(out.stdout.decode("utf-8", "replace").split())
    return "+".join(lang for lang in WANTED_LANGUAGES if lang in have) or "eng"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF, BMP or JPEG header; None when unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            w, h = struct.unpack_from(">II", data, 16)
            return int(w), int(h)
        if data[:4] == b"GIF8":
            w, h = struct.unpack_from("<HH", data, 6)
            return int(w), int(h)
        if data[:2] == b"BM":
            w, h = struct.unpack_from("<ii", data, 18)
            return abs(int(w)), abs(int(h))
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack_from(">HH", data, pos + 5)
            return int(w), int(h)
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    return None


def _used(budget: Budget) -> list[float]:
    """Pages and seconds of OCR this message used so far."""
    used: list[float] = budget.scratch.setdefault("ocr_used", [0.0, 0.0])
    return used


def _env() -> dict[str, str]:
    env = {"OMP_THREAD_LIMIT": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    if "TESSDATA_PREFIX" in os.environ:
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    return env


def _limit_memory(nbytes: int) -> None:  # pragma: no cover - runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))
