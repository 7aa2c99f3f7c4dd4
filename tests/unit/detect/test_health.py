"""Health detector: compound/inflection matches, person proximity, identifiers, file names, hard negatives."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.detect import registered
from gateway.model import Category, Finding, Location, TextChunk
from gateway.scan import detect_chunks

PROSE = Path(__file__).resolve().parents[2] / "data" / "prose"
BODY = Location(("body[text/plain]",))


def _findings(text: str, detector: str = "health", origin: str = "body", loc: Location = BODY) -> list[Finding]:
    found, _below = detect_chunks([TextChunk(loc, origin, text)])  # type: ignore[arg-type]
    return [f for f in found if f.detector == detector]


def _below(text: str, detector: str = "health") -> list[Finding]:
    _found, below = detect_chunks([TextChunk(BODY, "body", text)])
    return [f for f in below if f.detector == detector]


def test_registered_with_category_and_order() -> None:
    det = {d.id: d for d in registered()}["health"]
    assert det.category == Category.HEALTH and det.order == 50


@pytest.mark.parametrize("text", [
    "Hej! Eleven har fått diabetesdiagnosen och använder insulinpumpen på lektionerna.",
    "Min son har fått epilepsianfallen tätare, kan ni ringa mig?",
    "Bifogar läkarintyget för Kalle Andersson inför idrottslektionerna.",
    "Brukaren har ett känt alkoholmissbruk och behöver stöd vid läkemedelsutdelning.",
    "Vår dotter har ADHD-diagnos och tar Concerta på morgonen.",
    "Patienten är sjukskriven till och med 30 april enligt läkarintyget.",
    "Klienten har varit inlagd på psykiatrisk avdelning sedan i fredags.",
    "Sonen har fått en autismdiagnos efter utredningen på BUP.",
    "Pasienten har fått sykmelding og legeerklæring fra fastlegen.",
    "Eleven har epilepsi og bruker Lamictal, se vedlagt epikrise.",
    "Gutten har diabetes type 1 og insulinpumpe, og helsesykepleier følger ham opp.",
    "Datteren min er henvist til BUP for utredning av angst og depresjon.",
    "Brukeren har rusmisbruk og er innlagt på avrusning.",
    "Ingrid Hansen har fått diagnosen schizofreni.",
])
def test_person_proximity_positives(text: str) -> None:
    found = _findings(text)
    assert found, text
    assert found[0].confidence >= 0.75
    assert found[0].category == Category.HEALTH


def test_sample_is_entry_name_never_text() -> None:
    (f,) = _findings("Eleven har fått diabetesdiagnosen och använder insulinpumpen.")
    assert f.sample in {"*diabetes*", "*diagnos*", "insulin*", "*insulinpump*"}
    assert "lex:*diabetes*" in f.evidence and "person:eleven" in f.evidence
    assert "Eleven" not in f.sample and f.count >= 2


def test_identifier_in_same_chunk_gives_095() -> None:
    text = "Läkarintyg för 19121212-1212 bifogas, eleven ska vara befriad från idrott."
    (f,) = _findings(text)
    assert f.confidence == 0.95 and any(e.startswith("id:") for e in f.evidence)


def test_norwegian_identifier_gives_095() -> None:
    (f,) = _findings("Sykmelding for 17912099997 gjelder to uker.")
    assert f.confidence == 0.95


def test_identifier_in_other_chunk_of_same_attachment() -> None:
    loc1 = Location(("attachment[1] elev.docx", "word/document.xml"))
    loc2 = Location(("attachment[1] elev.docx", "word/header1.xml"))
    chunks = [TextChunk(loc2, "attachment", "Personnummer 189001019802"),
              TextChunk(loc1, "attachment", "Diagnos: epilepsi. Behandlas med Keppra.")]
    found, _ = detect_chunks(chunks)
    health = [f for f in found if f.detector == "health"]
    assert health and health[0].confidence == 0.95 and "id:same-attachment" in health[0].evidence


def test_lone_strong_term_is_not_reported() -> None:
    assert _findings("Läkarintyg ska lämnas till HR senast fredag.") == []
    assert [f.confidence for f in _below("Läkarintyg ska lämnas till HR senast fredag.")] == [0.5]


def test_filename_chunk_counts() -> None:
    loc = Location(("attachment[1] Läkarintyg_Kalle.pdf",))
    (f,) = _findings("Läkarintyg_Kalle.pdf", origin="filename", loc=loc)
    assert f.confidence >= 0.85 and f.sample == "*läkarintyg*"


def test_icd_code_needs_context() -> None:
    (f,) = _findings("Patienten har diagnos F32.1 sedan i våras.")
    assert "lex:ICD-10" in f.evidence
    assert _findings("Skriv ut på A4 och kör E45 norrut, ta vitamin B12.") == []


@pytest.mark.parametrize("text", [
    # vaccination campaign, no person
    "Välkommen till årets influensavaccination! Alla medarbetare över 65 år och riskgrupper erbjuds vaccin "
    "på vårdcentralen. Vaccinationen är gratis. Vid frågor om astma eller allergi, kontakta din läkare.",
    # staff talk about stress and wellbeing
    "Inbjudan: föreläsning om stress, sömn och återhämtning. Psykisk ohälsa och utmattning ökar i "
    "arbetslivet; vi pratar om hur vi förebygger sjukskrivningar och vad friskvårdsbidraget kan användas till.",
    # job ad
    "Vi söker en legitimerad sjuksköterska till hemsjukvården. Du har erfarenhet av diabetesvård och "
    "demensvård. Tjänsten är en tillsvidareanställning på heltid. Välkommen med din ansökan!",
    # policy text on läkarintyg in general
    "Rutin: Om en elev behöver vara befriad från idrott ska vårdnadshavare lämna läkarintyg. "
    "Läkarintyget förvaras i elevakten. När eleven har en diagnos ska elevhälsan informeras.",
    # lunch menu
    "Lunchmeny vecka 12: måndag kolgrillad kyckling, tisdag fiskgratäng, onsdag vegetarisk lasagne. "
    "Glutenfri och laktosfri kost finns, meddela allergier till köket.",
    # Journalisten / parkering
    "Journalisten från lokaltidningen parkerade på sjukhusparkeringen och grillade på kolgrillen.",
    # school math diagnosis
    "Eleverna gör den diagnostiska prov i matematik på tisdag; diagnosen i matte rättas av läraren.",
    # Norwegian public health info
    "Kommunen tilbyr gratis vaksinasjon mot influensa for alle over 65 år. Personer med diabetes, "
    "astma eller hjertesykdom anbefales å ta vaksinen. Ta kontakt med fastlegen ved spørsmål.",
    "Beroende på vädret flyttas friluftsdagen. Remissvaret om den nya översiktsplanen skickas i maj.",
])
def test_hard_negatives(text: str) -> None:
    assert _findings(text) == [], [(f.sample, f.confidence, f.evidence) for f in _findings(text)]


@pytest.mark.parametrize("name", ["sv_statutes_sfs.txt", "no_lovtidend_2025.txt"])
def test_statute_prose_yields_no_findings(name: str) -> None:
    raw = (PROSE / name).read_text(encoding="utf-8")
    chunks, cur = [], ""
    for para in raw.split("\n\n"):
        cur += para + "\n\n"
        if len(cur) > 4000:
            chunks.append(cur)
            cur = ""
    chunks.append(cur)
    reported = []
    for c in chunks:
        found, _ = detect_chunks([TextChunk(BODY, "body", c)])
        reported += [f for f in found if f.detector in ("health", "special_category")]
    assert reported == [], [(f.detector, f.sample, f.evidence) for f in reported[:5]]
