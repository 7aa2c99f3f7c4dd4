"""Scan pool overhead: round trip per task vs in-process ``scan_bytes``, and the cost of killing a hung worker.

Usage: ``.venv/bin/python bench/pool.py [--runs 200]`` from the repository root. Prints medians and ratios
against the in-process baseline measured in the same run (absolute figures drift 30-40 % on shared machines).

- tiny: a one-line text mail; docx: the same with a ~38 KB DOCX (python-docx); each scanned in-process and
  through a 1-worker pool; the pool's own cost is also given as round trip minus the worker's ``scan_ms``
  (same task, so immune to the drift between separate runs);
- large: a mail with a 5.8 MB binary attachment (sent to the worker from a thread; the scan itself is cheap);
- kill: a part that hangs (test-only extractor) with a 0.2 s part deadline: scan time minus it is the
  SIGKILL + rerun of the message without that part (with 1 worker the rerun waits for the replacement,
  with 2 it runs on the other one); also the time until the replacement worker is ready (warm-up included).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.extract.base import Limits  # noqa: E402
from gateway.extract.pool import ScanPool  # noqa: E402
from gateway.scan import ScanSettings, scan_bytes  # noqa: E402

HOSTILE = str(ROOT / "tests/unit/extract/_hostile_extractors.py")


def _docx() -> bytes:
    import docx  # test dependency

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "Sekretess enligt OSL"
    for i in range(400):
        doc.add_paragraph(f"Stycke {i}: uppföljning av ärendet, se protokoll och bilagor, dnr 2026/{i}.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _mail(*attachments: tuple[bytes, str, str, str]) -> bytes:
    m = EmailMessage()
    m["From"] = "anna@kommun.example.se"
    m["To"] = "x@example.com"
    m["Subject"] = "Underlag"
    m.set_content("Hej, här kommer underlaget. Eleven har personnummer 19121212-1212.\n")
    for data, maintype, subtype, name in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def _inprocess(raw: bytes, settings: ScanSettings, runs: int) -> float:
    scan_bytes(raw, settings)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        scan_bytes(raw, settings)
        samples.append(time.perf_counter() - t)
    return _median_ms(samples)


async def _pooled(pool: ScanPool, raw: bytes, settings: ScanSettings, runs: int) -> tuple[float, float]:
    """(median round trip, median round trip minus the worker's own scan time) in ms."""
    await pool.scan(raw, settings)
    samples, transport = [], []
    for _ in range(runs):
        t = time.perf_counter()
        result = await pool.scan(raw, settings)
        samples.append(time.perf_counter() - t)
        transport.append(samples[-1] - result.scan_ms / 1000.0)
    return _median_ms(samples), _median_ms(transport)


async def _kill(runs: int, workers: int) -> tuple[float, float, float]:
    """(pool start ms, median scan time beyond the deadline ms, median kill-to-replacement-ready ms)."""
    deadline = 0.2  # the per-part kill; the message budget (2 s) leaves time for the rerun
    limits = Limits(message_seconds=2.0, attachment_seconds=deadline)
    settings = ScanSettings(limits=limits)
    raw = _mail((b"HOSTILE:hang\n", "application", "octet-stream", "hang.bin"))
    pool = ScanPool(workers=workers, limits=limits, preload=[HOSTILE], grace=0.0)
    t = time.perf_counter()
    await pool.start()
    started = time.perf_counter() - t
    extra, ready = [], []
    for _ in range(runs):
        t = time.perf_counter()
        result = await pool.scan(raw, settings)
        extra.append(time.perf_counter() - t - deadline)
        assert result.unscannable, "the hanging part must be reported"
        while pool.stats().alive < workers:
            await asyncio.sleep(0.002)
        ready.append(time.perf_counter() - t - deadline)
    await pool.close()
    return started * 1000.0, _median_ms(extra), _median_ms(ready)


async def main(runs: int) -> None:
    settings = ScanSettings()
    tiny = _mail()
    small = _mail((_docx(), "application", "vnd.openxmlformats-officedocument.wordprocessingml.document", "r.docx"))
    large = _mail((os.urandom(5_800_000), "application", "octet-stream", "blob.bin"))
    pool = ScanPool(workers=1)
    await pool.start()
    for name, raw, n in (("tiny", tiny, runs), ("docx", small, runs), ("large", large, max(5, runs // 20))):
        local = _inprocess(raw, settings, n)
        pooled, transport = await _pooled(pool, raw, settings, n)
        print(f"{name}: {len(raw) / 1024:.0f} KiB message, {n} runs: in-process {local:.2f} ms, "
              f"pool {pooled:.2f} ms (ratio {pooled / local:.2f}); round trip minus worker scan time "
              f"{transport:.2f} ms")
    await pool.close()
    for workers in (1, 2):
        start_ms, kill_ms, ready_ms = await _kill(max(5, runs // 20), workers)
        print(f"{workers} worker(s): pool start {start_ms:.0f} ms; hung part killed at the 0.2 s deadline: "
              f"result {kill_ms:.1f} ms later (rerun without the part), replacement ready after {ready_ms:.0f} ms")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    asyncio.run(main(parser.parse_args().runs))
