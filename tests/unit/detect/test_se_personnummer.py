"""Swedish personnummer detection through the real registry and normalisation (design §6.2, §6.4)."""

from __future__ import annotations

import datetime
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
from gateway.scan import ScanSettings, detect_chunks
from gateway.validators import luhn

DATA = Path(__file__).parents[2] / "data"
CASES = json.loads((DATA / "ids" / "se_personnummer_cases.json").read_text())["cases"]
VALID = [c for c in CASES if c["valid"]]
INVALID = [c for c in CASES if not c["valid"] and c["reason"] != "plus_separator_under_100"]
LOC = Location(("body[text/plain]",))
TODAY = "2026-12-02"


def scan(text: str, today: str | None = None) -> tuple[list[Finding], list[Finding]]:
    det = {"se_personnummer": {"today": today}} if today else {}
    return detect_chunks([TextChunk(LOC, "body", text)], ScanSettings(detectors=det))


def se(text: str, today: str | None = None) -> list[Finding]:
    return [f for f in scan(text, today)[0] if f.detector == "se_personnummer"]


def se_below(text: str) -> list[Finding]:
    return [f for f in scan(text)[1] if f.detector == "se_personnummer"]


def hits(text: str) -> list[Hit]:
    det = next(d for d in registered() if d.id == "se_personnummer")
    return list(det.detect(Text(normalize(text), LOC, "body"), DetectContext()))


def _forms(case: dict[str, str]) -> list[str]:
    long, sep = case["separated_long"], case["separated_format"]
    s = "+" if "+" in sep else "-"
    date8, tail = long[:8], long[9:]
    return [
        case["long_format"], case["short_format"], sep, long,
        f"{date8} {s} {tail}", f"{date8}\u2013{tail}", f"{date8}\u2014{tail}", f"{date8}{s}\n{tail}",
        f"{date8}\n{s}{tail}", f"{date8[:4]}\u00ad{date8[4:]}{s}{tail}", f"{date8}\u200b{s}{tail}",
        f"{sep[:6]} {s} {sep[7:]}", f"{sep[:6]}\u2013{sep[7:]}",
    ]


@pytest.mark.parametrize("case", VALID, ids=lambda c: c["long_format"])
def test_every_valid_number_found_in_every_written_form(case: dict[str, str]) -> None:
    for form in _forms(case):
        found = se(f"Hej! Kan du kolla {form} innan mötet på fredag?")
        assert len(found) == 1, repr(form)
        assert found[0].count == 1 and found[0].confidence >= 0.75


@pytest.mark.parametrize("case", INVALID, ids=lambda c: f"{c['long_format']}-{c['reason']}")
def test_invalid_numbers_not_found(case: dict[str, str]) -> None:
    for form in _forms(case):
        text = f"Personnummer: {form}."
        assert se(text) == [] and se_below(text) == [], repr(form)


def test_same_number_in_two_forms_counts_once() -> None:
    found = se("Elev 199508102390 (950810-2390) och igen 19950810 - 2390.")
    assert found[0].count == 1 and found[0].sample == "1995****-**90"


def test_keyword_context_gives_097_and_evidence() -> None:
    (f,) = se("Personnummer till anmälan:\n\n 950810-2390")
    assert f.confidence == 0.97 and "kw:personnummer" in f.evidence and "luhn" in f.evidence
    (f,) = se("950810-2390 är vårdnadshavarens nummer")
    assert f.confidence == 0.97 and "kw:vårdnadshavare" in f.evidence


def test_base_confidences() -> None:
    assert [f.confidence for f in se("Se 19950810-2390 nu")] == [0.90]
    assert [f.confidence for f in se("Se 950810-2390 nu")] == [0.85]
    assert [f.confidence for f in se("Se 199508102390 nu")] == [0.80]
    assert [f.confidence for f in se("Se 9508102390 nu")] == [0.75]


def test_negative_keywords_halve_unless_positive_nearer() -> None:
    for prefix in ("OCR", "Bankgiro", "bg", "PG", "Faktura nr", "Kundnr:", "Ärende", "Tel", "Mobil", "sms",
                   "Org.nr", "IBAN", "Kontonummer", "Artikelnummer", "Avtalsnummer", "Ordernummer"):
        text = f"{prefix} 9508102390"
        assert se(text) == [], prefix
        (below,) = se_below(text)
        assert below.confidence <= 0.5 and any(e.startswith("neg:") for e in below.evidence), prefix
    (f,) = se("Fakturan gäller eleven med personnummer 950810-2390")
    assert f.confidence == 0.97
    assert se("Personnummer finns i bilagan. Bankgiro 950810-2390") == []


def test_glued_letters_lower_confidence_but_keep_the_candidate() -> None:
    assert se("X9508102390Y") == []
    (b,) = se_below("X9508102390Y")
    assert "glued" in b.evidence and b.confidence == 0.5
    (f,) = se("Personnummer:9508102390Sekretess")  # glued by an extractor, with a keyword
    assert f.confidence >= 0.8


def test_digit_lookarounds_and_breaking_separators() -> None:
    assert se("Nummer 19508102390 och 0199508102390") == []  # 11 and 13 digits: never Swedish tails
    assert not any(h.detector == "se_personnummer" for h in hits("219508102390"))  # century 21
    for sep in ("_", ".", "/", ":"):
        assert se(f"Personnummer 950810{sep}2390") == [], sep
        assert se(f"Personnummer 19950810{sep}2390") == [], sep


def test_plain_space_separator_needs_a_keyword() -> None:
    assert se("Rum 950810 2390") == []
    (f,) = se("Personnummer 950810 2390")
    assert f.confidence >= 0.9


def test_plus_separator_never_decides_detection() -> None:
    (f,) = se("Se 19930704+2383 idag")  # the '+' contradicts 1993; the digits are still a number
    assert f.sample == "1993****+**83"


def test_samordningsnummer_and_interim_kinds() -> None:
    (h,) = hits("Samordningsnummer 191500722390")
    assert h.kind == "samordningsnummer" and h.value == "191500722390"
    body = "9508101" + "23"
    interim = "950810-T23" + luhn.calc_check_digit(body)
    assert se(f"Se {interim} här") == []
    (f,) = se(f"T-nummer {interim}")
    assert f.confidence >= 0.9
    assert [h.kind for h in hits(f"T-nummer {interim}")] == ["interim"]


def test_three_distinct_numbers_lift_to_080() -> None:
    text = "Lista: 9508102390 Rum 19970204 2384 och 19840425 2382"
    found = se(text)
    assert found and found[0].count == 3 and found[0].confidence >= 0.8


def test_table_column_header_is_context() -> None:
    rows = "Namn\tPnr\tKlass\n" + "".join(f"Rad{i}\tx\t7A\n" for i in range(40)) + "Kalle\t9508102390\t7B\n"
    (f,) = se(rows)
    assert f.confidence == 0.97 and any(e.startswith("kw:column") for e in f.evidence)


def test_vat_number_with_personnummer_is_reported_orgnr_is_not() -> None:
    (f,) = se("Momsreg.nr SE950810239001 enskild firma")
    assert "vat" in f.evidence
    assert se("Momsreg.nr SE556677889901") == []
    assert se("Organisationsnummer 556677-8899 och 165566778899 och 5566778899") == []


def _luhn_valid(prefix: str) -> str:
    for hhmm in range(1000, 2400):
        tail = f"{hhmm // 100:02d}{hhmm % 100 % 60:02d}"
        if luhn.is_valid(prefix[2:] + tail):
            return prefix + "-" + tail
    raise AssertionError


def test_timestamps_and_recent_or_future_dates() -> None:
    recent = _luhn_valid("20261130")
    assert se(f"Loggfil {recent}", today=TODAY) == []  # born two days ago: <= 0.5
    old = _luhn_valid("20240315")
    for text in (f"Filen {old} bifogas", f"Filen {old[2:]} bifogas", f"Export {old}.csv", f"Backup kl {old}"):
        assert se(text, today=TODAY) == [], text
        (b,) = [f for f in scan(text, TODAY)[1] if f.detector == "se_personnummer"]
        assert "neg:timestamp" in b.evidence
    (f,) = se(f"Eleven {old[2:]}", today=TODAY)  # a child's number with a keyword is still reported
    assert f.confidence == 0.97
    future = _luhn_valid("20270315")
    assert se(f"Personnummer {future}", today=TODAY) == []
    assert se_below(f"Personnummer {future}") == []


TRAPS = [
    "Ring mig på 070-123 45 67 eller +46 70 123 45 67, växel 08-123 456 78, 031-12 34 56.",
    "Mötet är 2026-12-02 kl. 14:30, nästa gång 20261202 14.30 och 2026-12-09.",
    "Server 192.168.100.100 och MAC 00:1A:2B:3C:4D:5E, mask 255.255.255.0.",
    "ISBN 978-91-29-69000-0 och 9789129690000, EAN 7310865004703, GTIN 07310865004703.",
    "IBAN SE45 5000 0000 0583 9825 7466, BIC ESSESESS.",
    "Leverantör AB, org.nr 556677-8899, momsreg SE556677889901.",
    "Sekretess enligt 26 kap. 1 § OSL (SFS 2009:400).",
]


@pytest.mark.parametrize("text", TRAPS)
def test_false_positive_traps(text: str) -> None:
    found, below = scan(text)
    assert [f for f in found if f.category == "personnummer"] == []


@given(st.integers(0, 10**9 - 1))
def test_luhn_valid_payment_references_after_ocr_are_not_reported(n: int) -> None:
    body = f"{n:09d}"
    ref = body + luhn.calc_check_digit(body)
    for text in (f"OCR: {ref}", f"Betala till bankgiro 5050-1055 med OCR-nummer {ref}", f"Fakturanr {ref}"):
        assert se(text) == []


def test_statute_prose_has_no_identity_numbers() -> None:
    for path in sorted((DATA / "prose").glob("*.txt")):
        text = path.read_text()
        chunks = [TextChunk(LOC, "body", text[i : i + 16_000]) for i in range(0, len(text), 16_000)]
        found, _ = detect_chunks(chunks)
        assert [f for f in found if f.category == "personnummer"] == [], path.name


_NUMBERS = [c["long_format"] for c in VALID]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_NUMBERS), st.sampled_from(["long", "short", "sep", "seplong"]), st.text(max_size=30))
def test_samples_never_reveal_the_number(number: str, form: str, noise: str) -> None:
    case = next(c for c in VALID if c["long_format"] == number)
    written = {"long": case["long_format"], "short": case["short_format"], "sep": case["separated_format"],
               "seplong": case["separated_long"]}[form]
    found, below = scan(f"{noise} personnummer {written} {noise}")
    for f in found + below:
        if f.detector == "se_personnummer":
            assert not re.search(r"[0-9]{5}", f.sample)
            assert number[4:10] not in f.sample.replace("-", "").replace("+", "")
            assert sum(c.isdigit() for c in f.sample) <= 6


def test_today_setting_accepts_dates() -> None:
    det = {"se_personnummer": {"today": datetime.date(2026, 12, 2)}}
    found, _ = detect_chunks([TextChunk(LOC, "body", "Elev 9508102390")], ScanSettings(detectors=det))
    assert found and found[0].detector == "se_personnummer"
