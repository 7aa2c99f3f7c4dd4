"""Norwegian, Danish and Finnish identity-number detectors through the real registry (design §6.3, §6.4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.detect import registered
from gateway.detect.base import DetectContext, Text
from gateway.detect.normalize import normalize
from gateway.model import Finding, Hit, Location, TextChunk
from gateway.scan import detect_chunks

CASES = json.loads((Path(__file__).parents[2] / "data" / "ids" / "no_fodselsnummer_cases.json").read_text())["cases"]
LOC = Location(("body[text/plain]",))
NO_VALID = [c["nin"] for c in CASES if c["expected_valid"] and c["computed_type"] != "fh"
            and c["checksum_classic"] and c["computed_birth_date"] <= "2026-01-01"]
NO_INVALID = [c["nin"] for c in CASES if len(c["nin"]) == 11 and not c["checksum_2032"]]


def found(text: str, detector: str) -> list[Finding]:
    return [f for f in detect_chunks([TextChunk(LOC, "body", text)])[0] if f.detector == detector]


def below(text: str, detector: str) -> list[Finding]:
    return [f for f in detect_chunks([TextChunk(LOC, "body", text)])[1] if f.detector == detector]


def hits(text: str, detector: str) -> list[Hit]:
    det = next(d for d in registered() if d.id == detector)
    return list(det.detect(Text(normalize(text), LOC, "body"), DetectContext()))


def test_registered_ids_order_and_category() -> None:
    ids = {d.id: d for d in registered()}
    for name in ("se_personnummer", "no_fodselsnummer", "dk_cpr", "fi_hetu"):
        assert ids[name].order == 10 and ids[name].category == "personnummer"


def test_every_valid_norwegian_number_found_with_and_without_space() -> None:
    assert len(NO_VALID) > 500
    for nin in NO_VALID:
        for form in (nin, f"{nin[:6]} {nin[6:]}"):
            fs = found(f"Hei, her er nummeret {form} til saken.", "no_fodselsnummer")
            assert len(fs) == 1, form
            assert fs[0].sample == f"****{nin[4:6]}***{nin[-2:]}"


def test_invalid_norwegian_numbers_not_found() -> None:
    assert NO_INVALID
    for nin in NO_INVALID:
        assert found(f"Fødselsnummer {nin}", "no_fodselsnummer") == [], nin


def test_norwegian_keyword_kinds_and_negatives() -> None:
    (f,) = found("Fødselsnummer: 179120 99997", "no_fodselsnummer")
    assert f.confidence == 0.97 and "kw:fødselsnummer" in f.evidence
    assert [h.kind for h in hits("fnr 17912099997", "no_fodselsnummer")] == ["tenor"]
    assert found("Kontonummer 17912099997", "no_fodselsnummer") == []
    assert found("+4717912099997", "no_fodselsnummer") == []


def test_fh_and_2032_numbers_need_a_keyword() -> None:
    assert found("Nummer 81234567802 her", "no_fodselsnummer") == []
    assert found("Fødselsnummer 81234567802", "no_fodselsnummer")
    assert [h.kind for h in hits("Fødselsnummer 81234567802", "no_fodselsnummer")] == ["fh"]
    assert found("Nummer 30108299939 her", "no_fodselsnummer") == []
    (f,) = found("Fødselsnummer 30108299939", "no_fodselsnummer")
    assert "mod11-2032" in f.evidence


def test_eleven_digit_run_is_not_swedish() -> None:
    text = "Nummer 17912099997 her"
    assert [f.detector for f in found(text, "se_personnummer")] == []


def test_danish_cpr_requires_keyword() -> None:
    assert found("Nummer 010100-4000 her", "dk_cpr") == []
    assert below("Nummer 010100-4000 her", "dk_cpr")
    (f,) = found("CPR-nr.: 010100-4000", "dk_cpr")
    assert f.confidence == 0.97 and f.sample == "****00-**00"
    assert found("CPR 0101004000", "dk_cpr")[0].confidence == 0.90
    assert found("Faktura 010100-4000, CPR", "dk_cpr") == []
    assert found("CPR 300290-1111", "dk_cpr") == []  # 30 February


def test_swedish_number_with_personnummer_keyword_is_not_a_cpr() -> None:
    text = "Personnummer 950810-2390"
    assert found(text, "dk_cpr") == []
    assert found(text, "se_personnummer")
    assert found("Personnummer 010100-4000", "dk_cpr")  # not a valid Swedish number: a CPR


def test_finnish_hetu_forms() -> None:
    (f,) = found("Henkilötunnus 131052-308T", "fi_hetu")
    assert f.confidence == 0.97 and f.sample == "****52-***T"
    assert found("Tunnus 131052-308T", "fi_hetu")[0].confidence == 0.85
    assert found("Tunnus 131052Y308T", "fi_hetu")  # 2023 century letters
    assert found("Tunnus 131052-308U", "fi_hetu") == []  # wrong check character
    assert found("Tunnus 131052-308TX", "fi_hetu") == []
    assert found("OCR 131052-308T", "fi_hetu") == []


TRAPS = [
    "Ring 070-123 45 67 eller +47 912 34 567, tlf 22 33 44 55, sentralbord 815 00 000.",
    "Møtet er 02.12.2026 kl. 14:30; neste møte 2026-12-09 14:30.",
    "Kontonummer 1234.56.78903 og KID 1234567890123, org.nr. 974 760 673.",
    "IP 192.168.100.100, MAC 00-1A-2B-3C-4D-5E, ISBN 978-82-02-12345-7, EAN 7038010055690.",
    "IBAN NO93 8601 1117 947 og IBAN DK50 0040 0440 1162 43.",
]


@pytest.mark.parametrize("text", TRAPS)
def test_nordic_false_positive_traps(text: str) -> None:
    fs, _ = detect_chunks([TextChunk(LOC, "body", text)])
    assert [f for f in fs if f.category == "personnummer"] == []


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NO_VALID), st.booleans(), st.text(max_size=20))
def test_norwegian_samples_never_reveal_the_number(nin: str, spaced: bool, noise: str) -> None:
    form = f"{nin[:6]} {nin[6:]}" if spaced else nin
    fs, bs = detect_chunks([TextChunk(LOC, "body", f"{noise} fødselsnummer {form} {noise}")])
    for f in fs + bs:
        if f.detector == "no_fodselsnummer":
            assert not re.search(r"[0-9]{3}", f.sample)
            assert nin[:6] not in f.sample


def test_swedish_number_is_not_reported_as_finnish() -> None:
    # a Skatteverket test number that also passes the Finnish mod-31 check
    text = "Eleven med personnummer 021113-2386 behöver stöd."
    assert found(text, "fi_hetu") == [] and below(text, "fi_hetu") == []
    assert found(text, "se_personnummer")
    assert found("HETU 021113-2386", "fi_hetu")
