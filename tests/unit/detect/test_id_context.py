"""Shared identity-detector helpers: keyword windows, table headers, bounded work on hostile input."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.detect import registered
from gateway.detect.base import DetectContext, Text
from gateway.detect.context import NEGATIVE, POSITIVE_SE, column_header, digit_runs, glued
from gateway.detect.normalize import normalize
from gateway.model import Category, Location

LOC = Location(("body[text/plain]",))
IDENTITY = [d for d in registered() if d.category == Category.PERSONNUMMER]


def _text(s: str) -> Text:
    return Text(normalize(s), LOC, "body")


def test_keywords_respect_word_boundaries_and_case() -> None:
    t = _text("Hotellet ringde. PERSONNUMMER: 9508102390")
    near = POSITIVE_SE.near(t, 31, 41)
    assert near is not None and near.name == "personnummer" and near.distance == 2
    assert NEGATIVE.before(t, 31, 40) is None  # 'tel' inside 'Hotellet' and 'ring' inside 'ringde' do not count
    t = _text("Tel: 9508102390")
    neg = NEGATIVE.before(t, 5, 40)
    assert neg is not None and neg.name == "tel"
    assert POSITIVE_SE.near(_text("Elevatorn 9508102390"), 10, 20) is None
    assert POSITIVE_SE.near(_text("Eleverna 9508102390"), 9, 19) is not None


def test_keyword_window_is_bounded() -> None:
    t = _text("personnummer" + " x" * 200 + " 9508102390")
    start = t.text.index("9508")
    assert POSITIVE_SE.near(t, start, start + 10) is None


def test_digit_runs_cached_per_text_and_glued() -> None:
    t = _text("a 123456 b 1234567890 c 12345")
    assert digit_runs(t) == [(2, 8), (11, 21)]
    assert digit_runs(t) is digit_runs(t)
    other = _text("999999")
    assert digit_runs(other) == [(0, 6)]
    assert glued(_text("X9508102390"), 1, 11) and not glued(_text("(9508102390)"), 1, 11)


def test_column_header_of_tab_separated_rows() -> None:
    t = _text("Namn\tPersonnummer\nKalle\t9508102390\n")
    pos = t.text.index("9508")
    assert column_header(t, pos) == "personnummer"
    assert column_header(_text("Kalle 9508102390"), 6) is None
    long_row = _text("a\t" + "b" * 10_000 + "\t9508102390")
    assert column_header(long_row, len(long_row.text) - 10) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 -+\n\tTXSEabcå.:/_", max_size=200))
def test_identity_detectors_never_raise(junk: str) -> None:
    t = _text(junk)
    for det in IDENTITY:
        for hit in det.detect(t, DetectContext()):
            assert 0.0 <= hit.confidence <= 1.0 and hit.sample and hit.value


def test_many_candidates_stay_fast() -> None:
    body = "\t".join(["9508102390"] * 20_000)  # one 220 KB table row of valid numbers
    t = _text("Personnummer\n" + body)
    started = time.perf_counter()
    hits = [h for det in IDENTITY for h in det.detect(t, DetectContext())]
    assert time.perf_counter() - started < 5.0
    assert len({h.value for h in hits if h.detector == "se_personnummer"}) == 1
