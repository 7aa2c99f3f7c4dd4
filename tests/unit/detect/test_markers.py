"""Confidentiality markers: written forms that must flag, and talk about sekretess that must not."""

from __future__ import annotations

import io
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.detect import _marker_rules as rules
from gateway.detect.base import DetectContext, Text
from gateway.detect.markers import Markers
from gateway.detect.normalize import normalize
from gateway.model import Category, Finding, Location, TextChunk
from gateway.scan import detect_chunks, scan_bytes

DATA = Path(__file__).resolve().parents[2] / "data"
BODY = Location(("body[text/plain]",))


def _findings(text: str, origin: str = "body", location: Location = BODY, ocr: bool = False) -> list[Finding]:
    findings, _ = detect_chunks([TextChunk(location, origin, text, ocr)])  # type: ignore[arg-type]
    return [f for f in findings if f.detector == "markers"]


def _below(text: str) -> list[Finding]:
    _, below = detect_chunks([TextChunk(BODY, "body", text)])
    return [f for f in below if f.detector == "markers"]


def _sample(text: str, **kw: object) -> str:
    found = _findings(text, **kw)  # type: ignore[arg-type]
    assert len(found) == 1, (text, found)
    assert found[0].category == Category.CONFIDENTIAL
    return found[0].sample


# --- OSL references in their written forms ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sample"),
    [
        ("Hej!\nHär kommer utredningen.\nSekretess enligt 26 kap. 1 § OSL\nMvh Anna", "OSL 26 kap."),
        ("Sekretessbelagd enl. 25 kap 1 § offentlighets- och sekretesslagen (2009:400)", "OSL 25 kap."),
        (
            "Uppgifterna i detta mejl omfattas av sekretess enligt 25 kap 1§ offentlighets- och sekretesslagen.",
            "OSL 25 kap.",
        ),
        ("Beslutet fattas med stöd av OSL 23:2 och gäller elevhälsans journal.", "OSL 23 kap."),
        ("Uppgifterna är sekretessbelagda enl. 21 kap. 3 § OSL.", "OSL 21 kap."),
        ("Bifogar sekretessbelagda handlingar enligt OSL 26:1.", "OSL 26 kap."),
        ("Sekretess: 26 kap 1 § första stycket OSL", "OSL 26 kap."),
        ("Handlingen sekretessprövad, se 39 kap. 3 § OSL.", "OSL 39 kap."),
        ("Sekretess enligt OSL 26 kap. 1 §", "OSL 26 kap."),
        ("Sekretess gäller enligt 22 kap. 1 § OSL för adressuppgifterna.", "OSL 22 kap."),
        ("Se 23:2 OSL om uppgifterna i ärendet.", "OSL 23 kap."),
        ("sekretess enl 26 kap 1 § osl", "OSL 26 kap."),
        ("Omfattas av sekretess, 26 kap. OSL", "OSL 26 kap."),
    ],
)
def test_osl_reference_forms(text: str, sample: str) -> None:
    assert _sample(text) == sample


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Sekretess enligt 26 kap. 1 § OSL", "concept:social_services"),
        ("Sekretess enligt 25 kap. 1 § OSL", "concept:health_care"),
        ("Sekretess enligt 23 kap. 2 § OSL", "concept:student_health"),
        ("Sekretess enligt OSL 23:2", "concept:student_health"),
        ("Sekretess enligt 23 kap. 3 § OSL", "concept:school"),
        ("Sekretess enligt 21 kap. 3 § OSL", "concept:health_sexlife_protected_identity"),
        ("Sekretess enligt 22 kap. 1 § OSL", "concept:population_registration"),
        ("Sekretess enligt 39 kap. 3 § OSL", "concept:personnel"),
    ],
)
def test_osl_chapter_maps_to_concept(text: str, concept: str) -> None:
    found = _findings(text)
    assert len(found) == 1 and concept in found[0].evidence
    assert found[0].confidence >= 0.85


def test_osl_general_chapters_are_not_markers() -> None:
    # 3 kap. is the definition of sekretess, 6 and 10 kap. are procedure: citing them marks nothing
    assert _findings("Enligt 3 kap. 1 § OSL avses med sekretess ett förbud att röja uppgift.") == []
    assert _findings("Vi lämnar ut uppgiften med stöd av 10 kap. 2 § OSL efter prövning av 6 kap. OSL.") == []


def test_ocr_reads_paragraph_sign_as_eight() -> None:
    text = "SEKRETESS\nEnligt 26 kap. 1 8 OSL gäller sekretess"
    assert _sample(text, ocr=True) in ("OSL 26 kap.", "sekretess")
    found = _findings("Beslut 26 kap 1 8 OSL", ocr=True)
    assert [f.sample for f in found] == ["OSL 26 kap."]
    assert _findings("Beslut 26 kap 1 8 OSL") == []  # only OCR text reads 8 as §


def test_sample_is_rule_name_never_text() -> None:
    text = "Sekretess enligt 26 kap. 1 § OSL gäller för Kalle Anka 19121212-1212"
    for f in _findings(text):
        assert "Kalle" not in f.sample and "1212" not in f.sample
        assert f.sample in ("OSL 26 kap.", "sekretess enligt")


# --- Swedish marking phrases and protected personal data ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sample"),
    [
        ("SEKRETESSBELAGD HANDLING\n\nHej, bifogar anteckningarna från mötet.", "sekretessbelagd"),
        ("Hej!\nBifogar utredningen, handlingen är sekretessbelagd.\nMvh", "sekretessbelagd"),
        ("Här kommer sekretessbelagda uppgifter om eleven.", "sekretessbelagd"),
        ("Detta är sekretessbelagt, sprid det inte.", "sekretessbelagd"),
        ("Observera: uppgifterna i mejlet omfattas av sekretess.", "omfattas av sekretess"),
        ("Uppgifterna omfattas av sekretess.", "omfattas av sekretess"),
        ("Allt i denna tråd omfattas av sekretess.", "omfattas av sekretess"),
        ("Informationen nedan omfattas av sekretess, sprid inte vidare.", "omfattas av sekretess"),
        ("Bifogat dokument omfattas av sekretess.", "omfattas av sekretess"),
        ("Handlingen är sekretessprövad och får lämnas ut med förbehåll.", "sekretessprövad"),
        ("Eleven har skyddad identitet och ska inte synas i klasslistor.", "skyddad identitet"),
        ("Barnet har skyddad folkbokföring, använd inte hemadressen.", "skyddad folkbokföring"),
        ("Observera att barnet har skyddade personuppgifter.", "skyddade personuppgifter"),
        ("Mamman har skyddad adress, skicka inget till folkbokföringsadressen.", "skyddad adress"),
        ("Familjen är kvarskriven i kommunen sedan i våras.", "kvarskrivning"),
        ("Personen har sekretessmarkering i folkbokföringen.", "sekretessmarkering"),
        ("Klienten lever med fingerade personuppgifter.", "fingerade personuppgifter"),
        ("Navet visar kod 01003 för eleven (sekretessmarkering).", "navet 01003/01020"),
    ],
)
def test_swedish_markers(text: str, sample: str) -> None:
    found = _findings(text)
    assert sample in {f.sample for f in found}, found
    assert all(f.confidence >= 0.85 for f in found)


def test_first_name_is_a_person_cue() -> None:
    assert _findings("Vi har fått besked om skyddade personuppgifter för Lisa i klass 3B.")


@pytest.mark.parametrize(
    "text",
    [
        "Antall barn med adressebeskyttelse i kommunen: 4",
        "Vi har rutiner för personer med skyddade personuppgifter.",
        "Statistik: 12 ärenden om skyddad adress under 2025.",
    ],
)
def test_protected_data_about_no_one_in_particular(text: str) -> None:
    assert _findings(text) == []


def test_navet_code_needs_keyword() -> None:
    assert {f.sample for f in _findings("Navet: 01020 (skyddad)")} >= {"navet 01003/01020"}
    assert _findings("Beställningsnummer 01003, leverans vecka 12.") == []


@pytest.mark.parametrize(
    "subject",
    [
        "Sekretess: utredning om eleven",
        "SEKRETESSBELAGT - orosanmälan",
        "Unntatt offentlighet: rapport",
        "Sekretessbelagd handling",
        "Strengt fortrolig",
    ],
)
def test_subject_markers_count_strongly(subject: str) -> None:
    found = _findings(subject, origin="header", location=Location(("subject",)))
    assert found and found[0].confidence >= 0.85


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("Sekretessbelagd_utredning_3B.pdf", True),
        ("skyddad_identitet_elev.docx", True),
        ("Utbildning_offentlighet_och_sekretess.pptx", False),
        ("Rutin_skyddad_identitet_2026.pdf", False),
        ("protokoll_2026-03-14.pdf", False),
    ],
)
def test_file_names(name: str, flag: bool) -> None:
    found = _findings(name, origin="filename", location=Location(("attachment[1] " + name,)))
    assert bool(found) is flag


def test_konfidentiellt_subject_is_reported_but_weak_in_running_text() -> None:
    subj = _findings("Konfidentiellt: lönesamtal", origin="header", location=Location(("subject",)))
    assert subj and subj[0].sample == "konfidentiell"
    assert _findings("Vi behandlar dina frågor konfidentiellt och svarar inom en vecka.") == []
    assert _findings("Han har en hemlig plan för julfesten.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Klassificering: Konfidentiell\nDokumentet gäller elevens placering.",
        "Informationsklass: KONFIDENTIELL",
        "Skjermingsgrad: Fortrolig\nReferat",
        "NB! Fortrolig\nHei, her er referatet.",
        "Viktigt: sekretess gäller",
        "Säkerhetsklass: HEMLIG\nSekretess enligt 15 kap. 2 § OSL",
    ],
)
def test_classification_lines(text: str) -> None:
    found = _findings(text)
    assert found and found[0].confidence >= 0.75


@pytest.mark.parametrize("subject", ["Hemligt! Tårta på fredag", "Re: HEMLIG TOMTE", "Kode 7 - quiz"])
def test_weak_words_in_subject_stay_below(subject: str) -> None:
    assert _findings(subject, origin="header", location=Location(("subject",))) == []


def test_disclaimer_with_upper_case_title() -> None:
    text = (
        "Mvh Anna\n\nKONFIDENTIELLT: Detta e-postmeddelande kan innehålla konfidentiell information avsedd "
        "endast för mottagaren. Om du fått det av misstag, meddela avsändaren."
    )
    assert _findings(text) == []
    text_no = (
        "FORTROLIG: Denne e-posten kan inneholde taushetsbelagt informasjon. Er du ikke rette mottaker, slett e-posten."
    )
    assert _findings(text_no) == []


def test_weak_marker_raised_by_identity_number_in_same_chunk() -> None:
    text = "Konfidentiellt underlag om eleven 19121212-1212, se bilaga."
    found = _findings(text)
    assert found and found[0].sample == "konfidentiell" and "ctx:identifier" in found[0].evidence


def test_tystnadsplikt_running_text_is_weak() -> None:
    assert _findings("All personal har tystnadsplikt, det vet du redan.") == []
    assert _findings("Uppgifterna i utredningen omfattas av tystnadsplikt.")  # pointed at this document


# --- Norwegian ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sample"),
    [
        (
            "Unntatt offentlighet, jf. offl. § 13 jf. fvl. § 13\n\nHei, vedlagt er rapporten.",
            "unntatt offentlighet",
        ),
        ("Dokumentet er unntatt offentlighet.", "unntatt offentlighet"),
        ("U.off. jf. offentleglova § 13\nSak: bekymringsmelding", "unntatt offentlighet"),
        ("Unnateke frå innsyn, jf. offentleglova § 13\nSaka gjeld eleven.", "offl. § 13"),
        ("Opplysningene er taushetsbelagt.", "taushetsbelagt"),
        ("Vedlagte dokument er underlagt taushetsplikt etter barnevernloven.", "taushetsplikt"),
        ("STRENGT FORTROLIG\n\nOm barnets plassering.", "strengt fortrolig"),
        ("Fortrolig\n\nReferat fra ansvarsgruppemøtet.", "fortrolig"),
        ("Barnet har fortrolig adresse, ikke oppgi adressen til far.", "fortrolig adresse"),
        ("Eleven har strengt fortrolig adresse (kode 6).", "strengt fortrolig"),
        ("Jf. offl. § 13, opplysningene i saken.", "offl. § 13"),
    ],
)
def test_norwegian_markers(text: str, sample: str) -> None:
    found = _findings(text)
    assert sample in {f.sample for f in found}, found
    assert max(f.confidence for f in found) >= 0.85


def test_offl_paragraphs_outside_exemptions_do_not_flag() -> None:
    assert _findings("Innsyn etter offl. § 3 er hovedregelen.") == []


def test_norwegian_taushetsplikt_in_running_text_does_not_flag() -> None:
    assert _findings("Alle ansatte har taushetsplikt, og det gjelder også vikarer.") == []
    assert _findings("Kode 7 er et begrep mange har hørt om.") == []


# --- hard negatives -----------------------------------------------------------------------------------------

COURSE = """Inbjudan: Utbildning i offentlighet och sekretess

Välkommen till en halvdag om offentlighet och sekretess för nya medarbetare!
Vi går igenom:
- när uppgifter omfattas av sekretess
- skyddade personuppgifter och sekretessmarkering
- sekretess enligt 26 kap. 1 § OSL inom socialtjänsten
- hur du hanterar en begäran om allmän handling

Anmälan senast den 1 mars via intranätet."""

POLICY = """Sekretess innebär ett förbud att röja uppgift, vare sig det sker muntligen, genom att lämna ut en
allmän handling eller på något annat sätt. Uppgifter om enskildas personliga förhållanden inom
socialtjänsten omfattas av sekretess enligt 26 kap. 1 § OSL. Tystnadsplikt gäller för all personal.
Rutin för hantering av personer med skyddade personuppgifter finns på intranätet."""

DISCLAIMERS = [
    "Med vänliga hälsningar\nAnna\n\nDetta e-postmeddelande kan innehålla konfidentiell information och är endast "
    "avsett för mottagaren. Om du fått det av misstag, vänligen meddela avsändaren och radera meddelandet.",
    "Detta meddelande är avsett endast för adressaten och kan innehålla uppgifter som omfattas av sekretess "
    "enligt offentlighets- och sekretesslagen. Om du inte är rätt mottagare, radera meddelandet.",
    "This e-mail may contain confidential information. If you have received it in error, please notify the "
    "sender and delete it.",
    "Denne e-posten kan inneholde fortrolig informasjon. Hvis du har mottatt den ved en feil, vennligst "
    "slett den og gi beskjed til avsender.",
    "Denne e-posten kan inneholde informasjon som er taushetsbelagt eller unntatt offentlighet. Er du ikke "
    "rette mottaker, ber vi deg slette e-posten.",
    "Tänk på att inte skicka sekretessbelagda uppgifter eller känsliga personuppgifter med vanlig e-post. "
    "Använd Säkra meddelanden.",
]

NEWSLETTER = """Nyhetsbrev vecka 12 från kommunens kansli

Nu startar vårens webbinarier om offentlighet och sekretess. Första tillfället handlar om
skyddad identitet och hur folkbokföringens sekretessmarkering fungerar. Anmäl dig senast fredag!

Lunchmenyn: måndag fiskgratäng, tisdag vegetarisk lasagne."""

MEETING = """Minnesanteckningar APT 14 mars

1. Ekonomi: prognosen visar ett litet överskott.
2. Kompetens: alla ska gå e-utbildningen om sekretess och tystnadsplikt före sommaren.
3. Övrigt: påminnelse om att vi inte skickar sekretessbelagda handlingar med e-post."""

NO_COURSE = """Invitasjon: Kurs i offentlighet og taushetsplikt

Velkommen til kurs for nyansatte. Vi går gjennom når dokumenter er unntatt offentlighet etter
offentleglova § 13, taushetsplikt etter forvaltningsloven og fortrolig adresse.
Påmelding innen 1. mars."""


@pytest.mark.parametrize("text", [COURSE, POLICY, NEWSLETTER, MEETING, NO_COURSE, *DISCLAIMERS])
def test_hard_negatives_do_not_flag(text: str) -> None:
    assert _findings(text) == []


def test_document_properties_are_label_positions() -> None:
    meta = Location(("attachment[1] utredning.docx", "core.xml"))
    found = _findings("title: Utredning\nkeywords: sekretess", origin="metadata", location=meta)
    assert [f.sample for f in found] == ["sekretess"]
    assert _findings("description: Utbildning i sekretess", origin="metadata", location=meta) == []


def test_negated_label_line() -> None:
    assert _findings("Sekretess: Nej\nDiarienummer: KS 2026/123") == []
    assert _findings("Sekretess: Ja\nDiarienummer: KS 2026/123")


def test_welcome_in_a_marked_mail_is_not_a_course() -> None:
    text = "SEKRETESSBELAGD\n\nHej och välkommen som kontaktfamilj! Här kommer uppgifterna om pojken."
    assert _findings(text)


def test_disclaimer_does_not_hide_a_real_marking() -> None:
    text = "SEKRETESSBELAGD HANDLING enligt 26 kap. 1 § OSL\n\nHej, här är utredningen.\n\n" + DISCLAIMERS[0]
    found = _findings(text)
    assert found and found[0].confidence >= 0.9


def test_course_invitation_shows_below_threshold_for_explain() -> None:
    below = _below(COURSE)
    assert below and all("neg:general" in f.evidence for f in below)


# --- realistic municipal mail lines (each alone) ------------------------------------------------------------

REALISTIC_MARKED = [
    "Hej, bifogar orosanmälan gällande eleven. OBS! Sekretess enligt 26 kap. 1 § OSL.",
    "Bifogat finner du utredningen. Handlingen omfattas av sekretess enligt 26 kap. 1 § offentlighets- och sekretesslagen.",
    "Hej! Jag vill bara informera om att Lisa i 3B har skyddad identitet, så hennes namn får inte publiceras på hemsidan.",
    "Eleven har sekretessmarkering, använd skolans adress i alla utskick.",
    "Hei, vedlagt følger sakkyndig vurdering. Unntatt offentlighet jf. offl. § 13.",
    "Opplysningene i denne e-posten er taushetsbelagt etter forvaltningsloven § 13.",
    "Hei! Gutten har fortrolig adresse og skal ikke stå på klasselisten.",
    "Strengt fortrolig adresse – ikke oppgi adresse til noen.",
    "Notera att uppgifterna nedan är sekretessbelagda.",
    "Angående elev med skyddade personuppgifter: skolskjutsen hämtar vid fritids.",
    "Hon är kvarskriven sedan 2018.",
    "Sökanden har skyddad folkbokföring.",
    "U.off. § 13\nHei, her er referatet fra ansvarsgruppemøtet.",
    "Unntatt fra offentlighet etter offentleglova § 13 første ledd, jf. forvaltningsloven § 13 første ledd nr. 1",
    "Sekretess råder enligt 26 kap OSL.",
    "Sendes kun internt – inneholder taushetsbelagte opplysninger om brukeren.",
    "Mejlet innehåller sekretessbelagda uppgifter om barnet.",
    "Taushetsplikt etter forvaltningsloven § 13\n\nHei, her er rapporten.",
    "Informasjonen i denne e-posten er konfidensiell og taushetsbelagt.",
    "Hej,\nHär kommer journalanteckningarna. De är sekretessklassade.\n/Eva",
    "SEKRETESS\n\nUtredning enligt 11 kap. 1 § SoL",
    "Pappan har skyddad adress och vi får inte lämna ut något.",
    "Barnet bor på skjermet adresse.",
    "Jf. offentleglova § 13 og forvaltningsloven § 13\nVedlagt: bekymringsmelding",
    "Personalärende – sekretess enligt 39 kap. 3 § OSL",
    "Barnet har adressebeskyttelse.",
]

REALISTIC_UNMARKED = [
    # guidance and IT-security texts, written for these tests in the style of municipal intranet pages
    "• Utbyt aldrig känslig eller sekretessbelagd information via offentliga, trådlösa nätverk.",
    "Sekretessbelagda uppgifter ska inte skickas via sms.",
    "Det finns tre typer av skyddade personuppgifter: sekretessmarkering, skyddad folkbokföring och fingerade "
    "personuppgifter.",
    "Fortrolig adresse betyr at adressen ikke skal utleveres. Strengt fortrolig adresse kalles ofte kode 6.",
    "Hur gör jag med skyddade eller sekretessmarkerade personuppgifter?\n\nSvar:\n\nOm någon är utsatt för hot "
    "kan Skatteverket besluta om skyddade personuppgifter.",
    "Inom socialtjänsten har vi enheter som har tillgång till sekretessbelagda uppgifter via appar.",
    "För socialförvaltningens del är det viktigt att vi tänker på att inte publicera sekretessbelagda uppgifter "
    "på sociala medier.",
    "Referat fra personalmøte\n\n1. Taushetsplikt: Alle nyansatte skal signere taushetserklæring.\n2. Kurs i offentleglova og unntak fra innsyn holdes 3. mai.",
    "Nyhetsbrev: Ny veileder om taushetsplikt og opplysningsplikt fra Bufdir er publisert. Les mer på bufdir.no",
    "Påminnelse: Dokumenter som er unntatt offentlighet skal ikke sendes på e-post.",
    "Hei! Vi har fått spørsmål om hvordan vi håndterer elever med fortrolig adresse. Rutinen for dette ligger på intranettet.",
    "Agenda fagdag:\n09.00 Velkommen\n09.15 Taushetsplikt i skolen\n10.30 Fortrolig og strengt fortrolig adresse – hva betyr det for oss?\n12.00 Lunsj",
    "Husk: e-post med taushetsbelagte opplysninger skal sendes via SvarUt eller Digipost.",
    "Vi minner om at alle må gjennomføre e-læringskurset «Taushetsplikt og personvern» innen 1. juni.",
    "Program för temadagen:\n09.00 Kaffe\n09.30 Sekretess inom socialtjänsten, 26 kap. OSL\n11.00 Skyddade personuppgifter\n12.00 Lunch",
    "Protokoll KS 2026-03-01\n§ 45 Information om hantering av skyddade personuppgifter\nNämnden tar informationen till dagens protokoll.",
    "Hej alla! Här är länken till e-utbildningen om offentlighet och sekretess: https://intranat/utb",
    "Frågor och svar: Vad är skillnaden mellan sekretess och tystnadsplikt? Sekretess gäller för myndigheter.",
    "Enligt dataskyddsförordningen är känsliga personuppgifter sådana som avslöjar etniskt ursprung.",
    "Påminnelse: Tystnadsplikten gäller även efter anställningens slut.",
    "Kursen Offentlighet och sekretess ges igen i höst.",
    "Sekretessfrågor hanteras av registrator.",
    "Har du frågor om sekretess, kontakta kommunjuristen.",
    "Läs mer om skyddade personuppgifter på Skatteverkets webbplats.",
    "Skatteverket: Så fungerar skyddad identitet. Läs mer på skatteverket.se.",
    "Punkt 4: Genomgång av rutin för skyddade personuppgifter.",
    "Du ska ha god kunskap om offentlighets- och sekretesslagen (OSL) och förvaltningslagen.",
    "Husk at alle har taushetsplikt om det de får vite om brukerne.",
    "Vi har uppdaterat vår integritetspolicy.",
    "Dagordning: 1. Sekretess och tystnadsplikt – genomgång med kommunjuristen 2. Övrigt",
    "KONFIDENTIALITETSMEDDELANDE: Detta e-postmeddelande kan innehålla sekretessbelagd information.",
    "CONFIDENTIALITY NOTICE: This email and any attachments are for the sole use of the intended recipient.",
    "Denne meldingen kan inneholde taushetsbelagt informasjon. Hvis du ikke er rett mottaker, slett meldingen.",
    "Fråga: Gäller sekretess även mellan olika nämnder? Svar: Ja, sekretess gäller mellan myndigheter.",
    "Webbinarium om skyddad identitet och sekretessmarkering den 3 maj. Anmäl dig senast 20 april.",
    "Hei alle! Minner om e-læringskurset om taushetsplikt og personvern som må fullføres innen fredag.",
    "Vad innebär sekretessmarkering? Skatteverket kan besluta om sekretessmarkering om det finns särskild anledning.",
    "Sekretess och offentlighet i skolan – ny vägledning från SKR.",
    "Tack för i dag! Bra diskussion om tystnadsplikt och hur vi hanterar känsliga personuppgifter.",
    "Våra medarbetare har tystnadsplikt.",
    "Hemliga vänner-leken börjar på måndag!",
    "Julfest: hemlig gäst kommer!",
    "Vi ber dig behandla uppgifterna konfidentiellt.",
    "Strengt tatt er det fortrolig, men du kan si det til Per.",
]


@pytest.mark.parametrize("text", REALISTIC_MARKED)
def test_realistic_marked_mail_flags(text: str) -> None:
    found = _findings(text)
    assert found and found[0].confidence >= 0.85, (text, found)


@pytest.mark.parametrize("text", REALISTIC_UNMARKED)
def test_realistic_unmarked_mail_does_not_flag(text: str) -> None:
    assert _findings(text) == []


# --- statute prose: measured residual ----------------------------------------------------------------------


def _paragraph_hits(path: Path) -> tuple[int, int]:
    det = Markers()
    paras = [p for p in normalize(path.read_text(encoding="utf-8")).split("\n\n") if p.strip()]
    reported = 0
    for p in paras:
        hits = det.detect(Text(p, BODY, "attachment"), DetectContext())
        reported += any(h.confidence >= 0.7 for h in hits)
    return reported, len(paras)


@pytest.mark.parametrize(("name", "limit"), [("sv_statutes_sfs.txt", 0), ("no_lovtidend_2025.txt", 2)])
def test_statute_prose_residual(name: str, limit: int) -> None:
    # Each paragraph alone (as if quoted in a mail): measured 0 / 8,429 Swedish and 1 / 9,754 Norwegian
    # ("Bruksreglene er unntatt offentlighet" in a reindeer-husbandry regulation).
    reported, total = _paragraph_hits(DATA / "prose" / name)
    assert total > 1000
    assert reported <= limit


@pytest.mark.parametrize("name", ["sv_statutes_sfs.txt", "no_lovtidend_2025.txt"])
def test_statute_book_as_one_attachment_does_not_flag(name: str) -> None:
    text = (DATA / "prose" / name).read_text(encoding="utf-8")
    assert _findings(text, origin="attachment", location=Location(("attachment[1] lag.pdf",))) == []


# --- performance --------------------------------------------------------------------------------------------

MAIL_SENTENCES = [
    "Hej! Tack för senast, här kommer protokollet från nämndens sammanträde.",
    "Vi ses på tisdag klockan 10 i stora konferensrummet på plan 3.",
    "Kan du skicka fakturan för februari till ekonomienheten innan fredag?",
    "Skolskjutsen avgår 07.45 från busshållplatsen vid torget under vecka 12.",
    "Bygglovsansökan är komplett och handläggs nu av Karin på enheten.",
    "Hei, takk for møtet i går. Referatet kommer i løpet av uka.",
    "Kan vi flytte møtet om budsjettet til torsdag etter lunsj?",
    "Vedlagt er innkallingen til foreldremøtet på skolen neste uke.",
    "Med vänliga hälsningar, Anna Andersson, handläggare, Kommunens kontaktcenter",
]


def _mail_prose(size: int) -> str:
    out: list[str] = []
    n = 0
    i = 0
    while n < size:
        s = MAIL_SENTENCES[i % len(MAIL_SENTENCES)]
        out.append(s + ("\n\n" if i % 4 == 3 else " "))
        n += len(s) + 1
        i += 1
    return "".join(out)


def test_throughput_on_mail_prose() -> None:
    text = normalize(_mail_prose(2_000_000))
    det = Markers()
    best = 1e9
    for _ in range(3):
        t = Text(text, BODY, "body")
        start = time.perf_counter()
        list(det.detect(t, DetectContext()))
        best = min(best, time.perf_counter() - start)
    mb_s = len(text) / best / 1e6
    assert mb_s > 40, mb_s  # measured ~150-200 MB/s on an idle core; the floor allows a loaded CI machine


# --- hostile input ------------------------------------------------------------------------------------------

FRAGMENTS = [
    "sekretess",
    "Sekretessbelagd",
    " enligt ",
    "26 kap. ",
    "1 § ",
    "OSL",
    "23:2",
    "İ",
    "\n",
    "\n\n",
    " ",
    "skyddad",
    " identitet",
    "Unntatt",
    " offentlighet",
    "offl. § 13",
    "taushetsbelagt",
    "kan innehålla ",
    "utbildning i ",
    "010",
    "03",
    "KONFIDENTIELLT",
    "§",
    "fortrolig",
    " adresse",
    ":",
    "ø",
    "\x00",
    "Eleven har ",
]
RULE_NAMES = (
    {name for name, _, _ in rules.PHRASES} | {f"OSL {c} kap." for c in rules.OSL_CONCEPTS} | {"navet 01003/01020"}
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join),
    st.booleans(),
    st.sampled_from(["body", "header"]),
)
def test_never_raises_and_samples_are_rule_names(text: str, ocr: bool, origin: str) -> None:
    t = Text(normalize(text), BODY, origin, ocr)  # type: ignore[arg-type]
    for hit in Markers().detect(t, DetectContext()):
        assert hit.sample in RULE_NAMES
        assert 0 <= hit.span[0] < hit.span[1] <= len(t.text)
        assert 0.0 < hit.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Sekretessbelagd handling. " * 40000,
        ("İ" * 3 + "sekretess gäller ") * 20000,
        "OSL 26:1 " * 100000,
        "§ " * 300000,
        "kretess " * 200000,
    ],
)
def test_marker_flood_is_bounded_in_time(text: str) -> None:
    start = time.perf_counter()
    Markers().detect(Text(text, BODY, "body"), DetectContext())
    assert time.perf_counter() - start < 5.0


# --- whole messages through the pipeline --------------------------------------------------------------------

FOOTER = (
    "\n\n--\nAnna Andersson\nSocialsekreterare, Barn och familj\nKommunen\n\nDetta e-postmeddelande kan "
    "innehålla konfidentiell information. Om du fått det av misstag, meddela avsändaren och radera det.\n"
)


def _message(subject: str, body: str, html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "anna.andersson@kommun.example.se"
    msg["To"] = "mottagare@example.com"
    msg["Subject"] = subject
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def _confidential(raw: bytes) -> list[Finding]:
    return [f for f in scan_bytes(raw).findings if f.category == Category.CONFIDENTIAL]


def test_marked_social_services_mail_with_footer() -> None:
    body = (
        "Hej!\n\nHär kommer utredningen om familjen som vi pratade om.\n\nSekretess enligt 26 kap. 1 § OSL\n" + FOOTER
    )
    found = _confidential(_message("Utredning", body))
    assert [f.sample for f in found] == ["OSL 26 kap."]


def test_subject_marking_alone() -> None:
    found = _confidential(_message("SEKRETESS: underlag till nämnden", "Hej, se bifogat." + FOOTER))
    assert [f.location for f in found] == ["subject"]


def test_norwegian_mail_marked_in_first_line() -> None:
    body = (
        "Unntatt offentlighet jf. offl. § 13 jf. fvl. § 13 første ledd nr. 1\n\nHei,\n\nVedlagt følger "
        "referat fra ansvarsgruppemøtet.\n\nMed vennlig hilsen\nKari Nordmann\nBarneverntjenesten\n\n"
        "Denne e-posten kan inneholde fortrolig informasjon. Hvis du har mottatt den ved en feil, slett den."
    )
    found = _confidential(_message("Referat", body))
    assert [f.sample for f in found] == ["unntatt offentlighet"]


def test_html_newsletter_about_sekretess_training_is_clean() -> None:
    html = (
        "<html><body><h1>Nyhetsbrev mars</h1><p>Välkommen till vårens utbildning i offentlighet och "
        "sekretess!</p><ul><li>Sekretess enligt 26 kap. OSL inom socialtjänsten</li><li>Skyddade "
        "personuppgifter och sekretessmarkering</li></ul><p>Anmäl dig senast 1 april.</p></body></html>"
    )
    raw = _message("Nyhetsbrev mars", "Välkommen till vårens utbildning i offentlighet och sekretess!", html)
    assert _confidential(raw) == []


def test_meeting_notes_mentioning_training_are_clean() -> None:
    body = (
        "Minnesanteckningar arbetsplatsträff\n\n1. Budget: oförändrad.\n2. Alla ska gå e-utbildningen om "
        "sekretess och tystnadsplikt innan sommaren.\n3. Påminnelse: skicka inte sekretessbelagda uppgifter "
        "med vanlig e-post, använd Säkra meddelanden.\n4. Nästa möte 12 april." + FOOTER
    )
    assert _confidential(_message("Minnesanteckningar APT", body)) == []


@pytest.mark.parametrize(
    ("text", "sample"),
    [
        ("Dokumentet er untatt offentlighet.", "unntatt offentlighet"),  # common misspelling
        ("Unntatt innsyn jf. offl. § 13", "offl. § 13"),
        ("Personen är spärrmarkerad, se sekretessrutinen.", "spärrmarkering"),
        ("Handlingen är hemligstämplad och sekretess gäller.", "hemligstämplad"),
    ],
)
def test_older_terms_and_misspellings(text: str, sample: str) -> None:
    assert _sample(text) == sample


def test_every_anchor_has_a_rule_family() -> None:
    stems = {s.lower() for s in rules._ANCHOR_STEMS} | {s.lower() for s in rules._EXTRA_ANCHORS}
    assert stems == set(rules.FAMILIES) - {"extra"}
    phrase_names = {name for name, _, _ in rules.PHRASES}
    for names in rules.FAMILIES.values():
        assert {n for n in names if not n.startswith("@")} <= phrase_names


POLICY_DOC = (
    "Riktlinjer för hantering av allmänna handlingar och sekretess\n\nAntagen av kommunstyrelsen 2025-05-12\n\n"
    + "1. Inledning\nKommunen hanterar dagligen handlingar av olika slag. " * 12
    + "\n\n4. Förvaring\nHandlingar som omfattas av sekretess enligt 26 kap. 1 § OSL ska förvaras i låst skåp. "
    "Uppgifter om personer med skyddad identitet hanteras enligt särskild rutin.\n"
)
CASE_DOC = (
    "Utredning enligt 11 kap. 1 § SoL\n\nDatum: 2026-03-01\nHandläggare: Anna Andersson\n\n"
    + "Bakgrund\nFamiljen har varit aktuell sedan tidigare. " * 15
    + "\n\nUppgifterna omfattas av sekretess enligt 26 kap. 1 § OSL.\n"
)


def test_attached_policy_document_is_about_sekretess() -> None:
    loc = Location(("attachment[1] riktlinjer.pdf",))
    assert _findings(POLICY_DOC, origin="attachment", location=loc) == []
    assert _findings(CASE_DOC, origin="attachment", location=Location(("attachment[1] utredning.pdf",)))


def test_marking_in_docx_page_header_end_to_end() -> None:
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "SEKRETESSBELAGD – 26 kap. 1 § OSL"
    doc.add_paragraph("Utredning om familjens situation. Bakgrund och bedömning följer nedan.")
    buf = io.BytesIO()
    doc.save(buf)
    msg = EmailMessage()
    msg["From"] = "anna@kommun.example.se"
    msg["To"] = "extern@example.com"
    msg["Subject"] = "Underlag"
    msg.set_content("Hej, se bifogad fil.")
    msg.add_attachment(
        buf.getvalue(),
        maintype="application",
        filename="underlag.docx",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    found = _confidential(msg.as_bytes())
    assert any(f.location.endswith("header1.xml") and f.confidence >= 0.9 for f in found), found


# --- regressions from the independent corpus evaluation (bench/eval_detection.py) ---------------------

def test_footer_cues_after_a_sign_off_do_not_weaken_a_marking() -> None:
    text = ("Hei,\nfamilien har strengt fortrolig adresse og skal ikke stå på klasselista.\n\nHilsen\nTrude\n\n"
            "Vi behandler personopplysninger i samsvar med loven. Les mer på www.example.kommune.no")
    assert _sample(text) == "strengt fortrolig"


@pytest.mark.parametrize("text", [
    "Hej, enligt 25 kap. 1 § OSL gäller sekretess inom hälso- och sjukvården för uppgift om enskilds hälsotillstånd, "
    "om det inte står klart att uppgiften kan röjas utan att den enskilde lider men. Därför kan vi inte svara.",
    "Som du vet gäller sekretess enligt 23 kap. 2 § OSL om det kan antas att den enskilde lider betydande men.",
])
def test_quoted_damage_test_is_statute_prose(text: str) -> None:
    assert _findings(text) == []


@pytest.mark.parametrize("text", [
    "Protokollet är inte sekretessbelagt och kan publiceras.",
    "Vedlegget er ikke unntatt offentlighet.",
    "Beslutet är sekretessprövat och lämnas ut utan förbehåll till dig som begärt det.",
    "Rapporten är sekretessprövad, den lämnas ut i sin helhet.",
])
def test_negated_or_released_markings_are_not_findings(text: str) -> None:
    assert _findings(text) == []


def test_release_with_restrictions_is_still_a_marking() -> None:
    assert _findings("Journalen är sekretessprövad och lämnas ut med förbehåll enligt 10 kap. 14 § OSL.")


def test_nynorsk_teieplikt_marking_alone_is_found_but_a_general_duty_is_not() -> None:
    from gateway.model import Location, TextChunk
    from gateway.scan import detect_chunks

    def conf(text: str) -> float:
        found, below = detect_chunks([TextChunk(Location(("body[text/plain]",)), "body", text)])
        return max((f.confidence for f in found + below if f.detector == "markers"), default=0.0)

    assert conf("Vedlagt er teiepliktige opplysningar om jenta, som avtalt i går.") >= 0.7
    assert conf("Alle tilsette har teieplikt etter forvaltningslova.") < 0.7
