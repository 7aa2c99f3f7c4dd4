"""Swedish personnummer/samordningsnummer validator against every Skatteverket test number (design §6.2)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.validators import luhn
from gateway.validators import se_personnummer as pnr
from gateway.validators.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

IDS = Path(__file__).parents[2] / "data" / "ids"
REF = datetime.date(2026, 1, 1)  # the cases file's separator reference date


def _personnummer() -> list[str]:
    return (IDS / "se_testpersonnummer_skatteverket.txt").read_text().split()


def _samordning() -> list[tuple[str, str]]:
    rows = (IDS / "se_testsamordningsnummer_skatteverket.tsv").read_text().splitlines()[1:]
    return [(r.split("\t")[0], r.split("\t")[1]) for r in rows]


def _cases() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = json.loads((IDS / "se_personnummer_cases.json").read_text())["cases"]
    return cases


def test_every_published_test_personnummer_validates() -> None:
    numbers = _personnummer()
    assert len(numbers) == 41_493
    bad = [n for n in numbers if not pnr.is_valid(n, REF)]
    assert bad == []
    assert {pnr.kind(n, REF) for n in numbers} == {"personnummer"}


def test_every_published_test_samordningsnummer_validates() -> None:
    rows = _samordning()
    assert len(rows) == 2_264
    assert [n for n, _ in rows if not pnr.is_valid(n, REF)] == []
    assert {pnr.kind(n, REF) for n, _ in rows} == {"samordningsnummer"}
    statuses = {s for _, s in rows}
    assert statuses == {"ok", "month_00", "day_00", "invalid_date"}


def test_samordningsnummer_with_unknown_date_has_no_birth_date() -> None:
    unknown = [n for n, s in _samordning() if s != "ok"]
    assert len(unknown) == 194
    for n in unknown[:20]:
        with pytest.raises(InvalidComponent):
            pnr.birth_date(n, REF)
    ok = next(n for n, s in _samordning() if s == "ok")
    assert pnr.birth_date(ok, REF).day == int(ok[6:8]) - 60


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['long_format']}-{c['reason']}")
def test_labelled_cases_in_every_written_form(case: dict[str, object]) -> None:
    forms = ["long_format", "short_format", "separated_format", "separated_long"]
    if case["reason"] == "plus_separator_under_100":
        # only the '+' contradicts the explicit century; the digits themselves are a valid number
        with pytest.raises(InvalidComponent):
            pnr.validate(str(case["separated_long"]), REF)
        assert pnr.is_valid(str(case["long_format"]), REF)
        return
    for form in forms:
        assert pnr.is_valid(str(case[form]), REF) is case["valid"], form
    if case["valid"]:
        assert pnr.validate(str(case["separated_format"]), REF) == case["long_format"]
        assert pnr.format(str(case["long_format"]), REF) == case["separated_format"]
        expected = "samordningsnummer" if case["type"] == "con" else "personnummer"
        assert pnr.kind(str(case["long_format"]), REF) == expected


def test_error_types() -> None:
    with pytest.raises(InvalidChecksum):
        pnr.validate("199508102391", REF)
    with pytest.raises(InvalidComponent):
        pnr.validate("199402292388", REF)  # 29 Feb in a non-leap year, check digit recomputed
    with pytest.raises(InvalidLength):
        pnr.validate("19950810239", REF)
    with pytest.raises(InvalidFormat):
        pnr.validate("1995O8102390", REF)
    with pytest.raises(InvalidComponent):
        pnr.validate("169508102390", REF)  # century 16
    assert issubclass(InvalidLength, ValidationError) and issubclass(InvalidChecksum, ValueError)


def test_century_inference_and_plus() -> None:
    today = datetime.date(2026, 12, 2)
    assert pnr.validate("9508102390", today) == "199508102390"
    assert pnr.validate("210313-2383", today) == "202103132383"
    assert pnr.validate("030517+9814", today) == "190305179814"
    # a 12-digit date in the future is invalid; a 10-digit one falls back a century
    future = "2027010" + "1" + "123"
    future += luhn.calc_check_digit(future[2:])
    assert not pnr.is_valid(future, today)
    assert pnr.validate(future[2:], today) == "19" + future[2:]


def test_serial_000_invalid() -> None:
    body = "950810000"
    number = body + luhn.calc_check_digit(body)
    with pytest.raises(InvalidComponent):
        pnr.validate(number, REF)


def test_interim_number() -> None:
    # YYMMDD-Tnnn: the letter counts as 1 in the Luhn sum
    body = "9508101" + "23"
    number = "950810-T23" + luhn.calc_check_digit(body)
    assert pnr.kind(number, REF) == "interim"
    assert pnr.validate(number, REF) == "19950810T23" + number[-1]
    with pytest.raises(InvalidFormat):
        pnr.validate(number, REF, allow_interim=False)
    assert not pnr.is_valid("950810-Q23" + number[-1], REF)


def test_full_width_digits_and_dashes() -> None:
    assert pnr.is_valid("１９９５０８１０－２３９０", REF)
    assert pnr.is_valid("950810\u20132390", REF)
    assert pnr.compact(" 950810 - 2390 ") == "950810-2390"


@st.composite
def _valid(draw: st.DrawFn) -> tuple[str, datetime.date]:
    birth = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2025, 12, 31)))
    coordination = draw(st.booleans())
    day = birth.day + (60 if coordination else 0)
    serial = draw(st.integers(1, 999))
    nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{serial:03d}"
    return f"{birth.year // 100}{nine}{luhn.calc_check_digit(nine)}", birth


@given(_valid(), st.integers(2, 11), st.integers(1, 9))
def test_generated_numbers_validate_and_one_changed_digit_fails(
    value: tuple[str, datetime.date], pos: int, delta: int
) -> None:
    number, birth = value
    assert pnr.validate(number, REF) == number
    if int(number[6:8]) < 60:
        assert pnr.birth_date(number, REF) == birth
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert not pnr.is_valid(changed, REF)  # Luhn catches every single-digit change
