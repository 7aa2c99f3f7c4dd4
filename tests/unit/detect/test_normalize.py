"""Normalisation joins what extractors and writers split, and never changes plain ASCII prose."""

from hypothesis import given
from hypothesis import strategies as st

from gateway.detect.normalize import normalize


def test_soft_hyphen_zero_width_and_dashes() -> None:
    assert normalize("1912\u00ad1212\u2013 1212") == "19121212- 1212"
    assert normalize("19121212\u200b-\u20601212") == "19121212-1212"
    assert normalize("19121212\u22121212") == "19121212-1212"


def test_full_width_digits_and_nbsp() -> None:
    assert normalize("１９１２１２１２\u00a0１２１２") == "19121212 1212"


def test_entities_and_hyphenated_line_break() -> None:
    assert normalize("Sekretess&nbsp;enligt &#167; 1") == "Sekretess enligt § 1"
    assert normalize("diabetes-\nmottagningen") == "diabetesmottagningen"
    assert normalize("12-\n34") == "12-\n34"  # digits are never joined across a line break here


def test_whitespace_runs_collapse() -> None:
    assert normalize("a  \t b\r\nc") == "a b\nc"


@given(st.text())
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once or "&" in once


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e)))
def test_plain_ascii_without_entities_is_untouched(text: str) -> None:
    if "&" not in text:
        assert normalize(text) == text
