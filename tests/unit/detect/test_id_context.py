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


# --- regressions from the independent corpus evaluation (bench/eval_detection.py) ---------------------

def _hits(s: str) -> list[tuple[str, float]]:
    text = _text(s)
    ctx = DetectContext()
    return [(h.detector, h.confidence) for d in IDENTITY for h in d.detect(text, ctx)]


def test_column_header_of_semicolon_rows() -> None:
    text = _text("Namn;Fnr;Klass\nA;123;3B\nB;456;3C")
    assert column_header(text, text.text.index("456")) == "fnr"


def _numbers() -> tuple[list[str], list[str]]:
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data" / "ids"
    se = [ln for ln in (data / "se_testpersonnummer_skatteverket.txt").read_text().split() if ln.startswith("2003")]
    cases = json.loads((data / "no_fodselsnummer_cases.json").read_text())["cases"]
    no = [c["nin"] for c in cases if c["expected_valid"] is True and c["declared_type"] == "fnr" and c["nin"][0] == "0"]
    return se[:2], no[:2]


def test_numeric_cells_that_lost_the_leading_zero_count_in_an_id_column() -> None:
    se, no = _numbers()
    swedish = "Efternamn\tPersonnummer\n" + "".join(f"Ek\t{p[3:]}\n" for p in se)  # 9 digits left
    norwegian = "Navn;Fødselsnummer\n" + "".join(f"Moe;{n[1:]}\n" for n in no)  # 10 digits left
    assert [d for d, c in _hits(swedish) if c >= 0.9].count("se_personnummer") == 2
    assert [d for d, c in _hits(norwegian) if c >= 0.9].count("no_fodselsnummer") == 2


def test_short_runs_outside_an_id_column_are_not_padded() -> None:
    se, no = _numbers()
    plain = f"Beställning {se[0][3:]} och {no[0][1:]} levereras i morgon."
    assert not [d for d, _ in _hits(plain) if d in ("se_personnummer", "no_fodselsnummer")]
