"""Log lines never carry a valid identity number, whatever code logged it."""

import logging

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
