"""Luhn, organisationsnummer, Danish CPR and Finnish HETU validators (design §6.3)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.validators import dk_cpr, fi_hetu, luhn, se_orgnr, se_personnummer
from gateway.validators.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

TODAY = datetime.date(2026, 12, 2)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_luhn_check_digit_round_trip(body: str) -> None:
    number = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(number)
    assert not luhn.is_valid(body + str((int(number[-1]) + 1) % 10))


def test_luhn_errors() -> None:
    with pytest.raises(InvalidFormat):
        luhn.checksum("12a4")
    with pytest.raises(InvalidChecksum):
        luhn.validate("9001019803")


def test_orgnr() -> None:
    assert se_orgnr.validate("556677-8899") == "5566778899"
    assert se_orgnr.is_valid("165566778899")
    assert se_orgnr.format("5566778899") == "556677-8899"
    with pytest.raises(InvalidComponent):
        se_orgnr.validate("9001019802")  # a personnummer is not a legal person's number
    with pytest.raises(InvalidLength):
        se_orgnr.validate("55667788")
    assert not se_personnummer.is_valid("5566778899")  # third digit >= 2 never forms a date
    assert not se_personnummer.is_valid("165566778899")


@given(st.integers(0, 99), st.integers(20, 99), st.integers(0, 99999))
def test_no_orgnr_is_a_personnummer(a: int, b: int, rest: int) -> None:
    body = f"{a:02d}{b:02d}{rest:05d}"
    number = body + luhn.calc_check_digit(body)
    assert se_orgnr.is_valid(number)
    assert not se_personnummer.is_valid(number, TODAY)


def test_dk_cpr_centuries_and_dates() -> None:
    assert dk_cpr.birth_date("0101004000", TODAY) == datetime.date(2000, 1, 1)
    assert dk_cpr.birth_date("0101374000", TODAY) == datetime.date(1937, 1, 1)
    assert dk_cpr.birth_date("0101585000", TODAY) == datetime.date(1858, 1, 1)
    assert dk_cpr.birth_date("0101571000", TODAY) == datetime.date(1957, 1, 1)
    with pytest.raises(InvalidComponent):
        dk_cpr.validate("3002901111", TODAY)
    with pytest.raises(InvalidComponent):
        dk_cpr.validate("0101305000", TODAY)  # 2030: in the future
    assert dk_cpr.format("0101004000") == "010100-4000"


def test_fi_hetu() -> None:
    assert fi_hetu.validate("131052-308T", TODAY) == "131052-308T"
    assert fi_hetu.is_valid("131052Y308T", TODAY)  # the 2023 century letters
    assert fi_hetu.birth_date("131052Y308T", TODAY) == datetime.date(1952, 10, 13)
    assert not fi_hetu.is_valid("131052A308T", TODAY)  # 2052: in the future
    with pytest.raises(InvalidChecksum):
        fi_hetu.validate("131052-308U", TODAY)
    with pytest.raises(InvalidComponent):
        fi_hetu.validate("131052-001" + fi_hetu.CHECK_CHARS[131052001 % 31], TODAY)
    with pytest.raises(InvalidFormat):
        fi_hetu.validate("131052G308T", TODAY)
    assert fi_hetu.birth_date("010594Y9032", TODAY) == datetime.date(1994, 5, 1)


@given(st.dates(datetime.date(1900, 1, 1), datetime.date(2025, 12, 31)), st.integers(2, 899), st.integers(0, 10))
def test_fi_generated_and_changed(birth: datetime.date, ind: int, pos: int) -> None:
    date6 = birth.strftime("%d%m%y")
    sign = "-" if birth.year < 2000 else "A"
    number = f"{date6}{sign}{ind:03d}{fi_hetu.CHECK_CHARS[int(date6 + f'{ind:03d}') % 31]}"
    assert fi_hetu.birth_date(number, TODAY) == birth
    if pos in (6, 10):
        return
    changed = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]
    assert not fi_hetu.is_valid(changed, TODAY)
