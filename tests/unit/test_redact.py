"""Log lines never carry a valid identity number, whatever code logged it."""

import logging
from pathlib import Path

import pytest

from gateway.redact import RedactingFilter, redact


@pytest.mark.parametrize("value, masked", [
    ("19121212-1212", "1912****-**12"),
    ("191212121212", "1912****-**12"),
    ("121212-1212", "12****-**12"),
])
def test_swedish_numbers_are_masked(value: str, masked: str) -> None:
    assert redact(f"failed on {value} in part") == f"failed on {masked} in part"


def test_norwegian_tenor_number_is_masked() -> None:
    assert redact("fnr 15507600333 registrert") == "fnr ****76***33 registrert"


def test_ordinary_numbers_stay_readable() -> None:
    line = "listening on 127.0.0.1:10025, pid 4711, 2026-12-02, 1234567890 bytes, DLP-20261202-7K3M9Q2T"
    assert redact(line) == line


def test_filter_masks_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("dlp.test.redact")
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda r: records.append(logging.Formatter().format(r))  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.error("value %s", "19121212-1212")
        try:
            raise ValueError("bad input 191212121212")
        except ValueError:
            logger.exception("parser failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert "19121212-1212" not in text and "191212121212" not in text
    assert "1912****-**12" in text and "ValueError" in text


def test_scan_workers_log_through_the_redaction_too(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "noisy.py").write_text(
        "import logging\nlogging.getLogger('dlp.test').warning('parser saw %s', '19121212-1212')\n")
    script = tmp_path / "run.py"
    script.write_text(
        "import asyncio\nfrom gateway.extract.pool import ScanPool\nfrom gateway.scan import ScanSettings\n"
        "async def main():\n"
        f"    p = ScanPool(workers=1, preload=({str(tmp_path / 'noisy.py')!r},))\n"
        "    await p.start()\n    await p.scan(b'Subject: x\\r\\n\\r\\nhej\\r\\n', ScanSettings())\n"
        "    await p.close()\n"
        "if __name__ == '__main__':\n    asyncio.run(main())\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert b"parser saw 1912****-**12" in proc.stderr and b"19121212-1212" not in proc.stderr
