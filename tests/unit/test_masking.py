"""Masked samples never reveal an identity number."""

import re

from hypothesis import given
from hypothesis import strategies as st

from gateway.masking import mask_dk, mask_fi, mask_generic, mask_no, mask_se, safe_filename


def test_swedish_forms_keep_year_and_last_two() -> None:
    assert mask_se("19121212-1212") == "1912****-**12"
    assert mask_se("121212-1212") == "12****-**12"
    assert mask_se("191212121212") == "1912****-**12"
    assert mask_se("121212+1212") == "12****+**12"


def test_norwegian_keeps_year_and_last_two() -> None:
    assert mask_no("15507600333") == "****76***33"
    assert mask_no("155076 00333") == "****76***33"


def test_danish_and_finnish() -> None:
    assert mask_dk("010190-1234") == "****90-**34"
    assert mask_fi("131052-308T") == "****52-***T"


def test_generic_and_short() -> None:
    assert mask_generic("abcd") == "****"
    assert mask_generic("abcdefgh") == "ab****gh"


@given(st.text(alphabet="0123456789-+ ", min_size=0, max_size=20))
def test_no_sample_shows_more_than_four_original_digits_in_a_row(value: str) -> None:
    for masked in (mask_se(value), mask_no(value), mask_dk(value)):
        assert not re.search(r"[0-9]{5,}", masked)


def test_safe_filename_masks_digit_runs_and_paths() -> None:
    assert safe_filename("../../etc/Läkarintyg_191212121212.pdf") == "Läkarintyg_############.pdf"
    assert safe_filename("a\r\nb.txt") == "ab.txt"
    assert len(safe_filename("x" * 100 + ".pdf")) == 40
    assert safe_filename(None) == ""
