"""Person markers: role nouns, possessives, names, pronouns, generic wording and statute prose."""

from __future__ import annotations

import pytest

from gateway.detect import lexicon
from gateway.detect.person import STRONG, WEAK, PersonIndex, first_names


def _marker(text: str, term: str, filename: bool = False) -> tuple[str, int] | None:
    lex = lexicon.get(("health", "special"))
    lower = text.lower()
    markers = [m for m in lex.find(text, lower) if m.entry.kind == "person"]
    pos = lower.index(term)
    found = PersonIndex(text, lower, markers, filename=filename).find((pos, pos + len(term)))
    return None if found is None else (found.name, found.strength)


@pytest.mark.parametrize(("text", "name"), [
    ("Eleven har diabetes.", "person:eleven"),
    ("Vi har pratat med brukaren om missbruket.", "person:brukaren"),
    ("Min son har epilepsi.", "person:min son"),
    ("Vår dotter har astma.", "person:vår dotter"),
    ("Sønnen min har diabetes.", "person:sønnen"),
    ("Pasienten har fått sykmelding.", "person:pasienten"),
    ("Jenta har epilepsi.", "person:jenta"),
    ("Läkarintyg för Kalle Andersson bifogas.", "person:name"),
    ("Sara har diabetes sedan i våras.", "person:name"),
    ("Ingrid Hansen har fått diagnose.", "person:name"),
    ("Bekymringsmelding angående Emma, vedlagt legeerklæring.", "person:name"),
    ("Orosanmälan: Alva, 7 år, har diabetes.", "person:name"),
    ("Oskar (8) har diabetes.", "person:name"),
])
def test_strong_markers(text: str, name: str) -> None:
    terms = ("diabetes", "missbruket", "epilepsi", "astma", "sykmelding", "läkarintyg", "diagnose", "legeerklæring")
    term = next(t for t in terms
                if t in text.lower())
    assert _marker(text, term) == (name, STRONG)


@pytest.mark.parametrize(("text", "term", "strength"), [
    ("Hon har diabetes.", "diabetes", STRONG),
    ("Han er sykmeldt.", "sykmeldt", STRONG),
    ("Hen behöver sin insulin före lunch.", "insulin", STRONG),
    ("Jag är sjukskriven hela veckan.", "sjukskriven", WEAK),
    ("Om hon har diabetes ska skolan informeras.", "diabetes", WEAK),
])
def test_pronouns(text: str, term: str, strength: int) -> None:
    found = _marker(text, term)
    assert found is not None and found[1] == strength


@pytest.mark.parametrize(("text", "term"), [
    ("Om eleven har ett läkarintyg ska det sparas.", "läkarintyg"),
    ("Varje elev som har diabetes ska ha en plan.", "diabetes"),
    ("Hvis pasienten har diabetes skal legen varsles.", "diabetes"),
    ("Den enskilde har rätt till tvångsvård enligt lagen.", "tvångsvård"),
    ("Om han eller hon har diabetes ska skolan informeras.", "diabetes"),
    ("Det regnar. Diabetes är en folksjukdom.", "diabetes"),
    ("Per capita ökar diabetes.", "diabetes"),
])
def test_generic_wording_marks_no_one(text: str, term: str) -> None:
    assert _marker(text, term) is None


def test_statute_prose_ignores_role_nouns_but_not_names() -> None:
    statute = "3 § Patienten ska få vård. 4 § Patienten har rätt till psykiatrisk vård. 5 § Vården ska..."
    assert _marker(statute, "psykiatrisk") is None
    named = "enligt 3 § beslutades att Kalle Andersson får psykiatrisk vård"
    assert _marker(named, "psykiatrisk") == ("person:name", STRONG)


def test_filename_first_name_alone_counts() -> None:
    assert _marker("läkarintyg_kalle.pdf", "läkarintyg", filename=True) == ("person:name", STRONG)
    assert _marker("läkarintyg_mall.pdf", "läkarintyg", filename=True) is None


def test_first_names_curated_and_common_words_left_out() -> None:
    names = first_names()
    assert {"kalle", "anna", "ingrid", "ola"} <= names
    assert not {"vår", "max", "storm", "bo"} & names
    assert len(names) >= 300


@pytest.mark.parametrize("name", ["Abdirahman", "Kjersti", "Zeynep", "Jukka", "Agnieszka", "Dragan"])
def test_more_common_first_names_mark_a_person(name: str) -> None:
    assert name.lower() in first_names()
    marker = _marker(f"{name} har fått diagnosen diabetes och behöver stöd.", "diabetes")
    assert marker == ("person:name", STRONG)


def test_marker_window_is_bounded() -> None:
    text = "Eleven kom i tid. " + "Vi pratade om schemat och lunchen. " * 20 + "Läkarintyg krävs."
    assert _marker(text, "läkarintyg") is None


# --- regressions from the independent corpus evaluation (bench/eval_detection.py) ---------------------

@pytest.mark.parametrize(("text", "term"), [
    # quote attribution lines name the author of the quoted mail, not a subject
    ("Kurs i hjärtstartare på fredag.\n\nPetra Lund skrev 4 april 2024 kl. 10:02:\n> ok", "hjärtstartare"),
    ("Kurs i HLR og bruk av hjertestarter.\n\nDen 4. april 2024 kl. 10:02 skrev Trude Moe:\n> ok", "hjertestarter"),
    # a signature with a pipe or a tab between name and title is the sender
    ("Vaccination mot influensa erbjuds.\n\nHälsningar\nMaria Ek | Skolsköterska\n", "influensa"),
    ("Namn\tFunktion\nEva Ek\tKurator\nPer Lind\tSkolsköterska", "kurator"),
])
def test_attribution_and_signature_names_are_not_subjects(text: str, term: str) -> None:
    assert _marker(text, term) is None


@pytest.mark.parametrize(("text", "term"), [
    ("Anmälan gäller Sigge Holmqvist (f. 2013-06-02) som har astma.", "astma"),
    ("Barnet, født 03.04.2012, har epilepsi.", "epilepsi"),
    ("Far har alkoholproblem och barnen är oroliga.", "alkoholproblem"),
    ("Mamma berättar att diabetes finns i släkten och pappa har fått insulin.", "insulin"),
])
def test_birth_dates_and_kinship_names_mark_a_person(text: str, term: str) -> None:
    found = _marker(text, term)
    assert found is not None and found[1] == STRONG


@pytest.mark.parametrize("name", ["Lennart", "Ahmed", "Amina", "Dragan", "Aisha", "Nour", "Fatima", "Svein"])
def test_first_names_cover_adults_and_non_nordic_names(name: str) -> None:
    assert name.lower() in first_names()
    assert _marker(f"{name} Korhonen har fått diagnosen diabetes.", "diabetes") == ("person:name", STRONG)


def test_a_name_cut_by_the_window_edge_is_judged_by_its_whole_line() -> None:
    text = "Temadag om autism för lärare." + " " * 130 + "Greta Lindholm skrev 3 maj 2024 kl. 08:01:\n> ok"
    assert _marker(text, "autism") is None


def test_semicolon_separated_title_is_a_signature_not_a_subject() -> None:
    assert _marker("Namn;Funktion\nGreta Lindholm;Kurator\nepilepsi-kurs", "epilepsi") is None


@pytest.mark.parametrize(("text", "term"), [
    ("Frukostseminarium med Lars Dahl, som berättar om sin egen utmattning.", "utmattning"),
    ("Hei alle, Trude Moe er ny enhetsleder for psykiatri og rus fra mai.", "psykiatri"),
    ("Info: Greta Lindholm blir tf. rektor och ansvarar för elevhälsan och ADHD-nätverket.", "adhd"),
])
def test_speakers_and_staff_news_are_not_subjects(text: str, term: str) -> None:
    assert _marker(text, term) is None


def test_a_new_pupil_is_still_the_subject() -> None:
    assert _marker("Greta Lindholm är ny elev i 4A och har epilepsi.", "epilepsi") == ("person:name", STRONG)


@pytest.mark.parametrize(("text", "term", "expected"), [
    ("Bruker har epilepsi og ønsker BPA.", "epilepsi", True),
    ("Pasient er innlagt med lungebetennelse.", "lungebetennelse", True),
    ("En bruker har rett til BPA ved epilepsi.", "epilepsi", False),
])
def test_norwegian_case_note_roles_without_article(text: str, term: str, expected: bool) -> None:
    found = _marker(text, term)
    assert (found is not None and found[1] == STRONG) is expected


@pytest.mark.parametrize(("text", "term"), [
    ("– Jag har haft epilepsi sedan jag var liten, säger Greta Lindholm, ny ambassadör för kampanjen.", "epilepsi"),
    ("Möt Lars Dahl, 61, som berättar om åren med diabetes i vårt nyhetsbrev.", "diabetes"),
])
def test_quoted_speakers_and_profiles_are_not_subjects(text: str, term: str) -> None:
    found = _marker(text, term)
    assert found is None or found[1] == WEAK


def test_a_named_child_with_an_age_is_still_the_subject() -> None:
    assert _marker("Greta Lindholm, 9, har diabetes.", "diabetes") == ("person:name", STRONG)


@pytest.mark.parametrize(("text", "term"), [
    ("Bifogar Gretas läkarintyg från i fredags.", "läkarintyg"),
    ("Gunnar på rum 12 har fått trycksår.", "trycksår"),
    ("Karin på avd. 3 har diabetes.", "diabetes"),
])
def test_genitive_names_and_room_phrases_mark_a_person(text: str, term: str) -> None:
    assert _marker(text, term) == ("person:name", STRONG)


def test_a_genitive_far_from_the_term_is_no_marker() -> None:
    assert _marker("Gretas kafé på torget säljer bröd för alla, även vid celiaki.", "celiaki") is None
