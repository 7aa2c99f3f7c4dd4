"""Special-category detector (GDPR art. 9/10 other than health): positives, politicians, enumerations."""

from __future__ import annotations

import pytest

from gateway.detect import registered
from gateway.model import Category, Finding, Location, TextChunk
from gateway.scan import detect_chunks

BODY = Location(("body[text/plain]",))


def _findings(text: str) -> list[Finding]:
    found, _below = detect_chunks([TextChunk(BODY, "body", text)])
    return [f for f in found if f.detector == "special_category"]


def test_registered_with_category_and_order() -> None:
    det = {d.id: d for d in registered()}["special_category"]
    assert det.category == Category.SPECIAL_CATEGORY and det.order == 50


@pytest.mark.parametrize(("text", "group"), [
    ("Eleven är muslim och fastar under ramadan, så hen äter inte lunch i skolan.", "religion"),
    ("Min dotter har konverterat till islam och vill inte delta i skolavslutningen i kyrkan.", "religion"),
    ("Anna Lindqvist är medlem i Kommunal och vill ha en facklig företrädare med på mötet.", "union"),
    ("Klienten har berättat att han är homosexuell och rädd för familjens reaktion.", "sexual"),
    ("Sonen har polisanmälts och är misstänkt för stöld i butiken.", "offence"),
    ("Brukaren är dömd för misshandel och har utdrag ur belastningsregistret.", "offence"),
    ("Eleven har romsk bakgrund och familjen önskar modersmålsundervisning på romani.", "ethnic"),
    ("Pasienten er medlem av Fagforbundet og ønsker tillitsvalgt med.", "union"),
    ("Gutten er siktet for tyveri og politianmeldt for hærverk.", "offence"),
    ("Datteren min er lesbisk og blir mobbet på skolen.", "sexual"),
    ("Brukeren er partimedlem i et ekstremt parti og sympatisør av nynazistiske grupper.", "political"),
    ("Eleven har gjort ett DNA-test för faderskapsutredning.", "genetic"),
])
def test_positives(text: str, group: str) -> None:
    found = _findings(text)
    assert found, text
    assert found[0].confidence >= 0.75
    assert any(e.startswith("lex:") for e in found[0].evidence)


@pytest.mark.parametrize("text", [
    "Socialdemokraternas gruppledare Anna Svensson föreslår att skolan får mer resurser.",
    "Kommunalrådet Per Nilsson (M), partimedlem sedan 1990, presenterade budgeten i fullmäktige.",
    "Ordfører Kari Nordmann (Ap) foreslår nytt budsjett i kommunestyret.",
    "Skolan ska motverka diskriminering på grund av kön, etnisk tillhörighet, religion eller annan "
    "trosuppfattning, funktionsnedsättning, sexuell läggning eller ålder.",
    "Eleven får inte diskrimineras på grund av etnisk tillhörighet, religion, sexuell läggning eller "
    "funktionsnedsättning.",
    "Utdrag ur belastningsregistret krävs för alla tjänster inom förskolan.",
    "Vi har polisanmält inbrottet på skolan i helgen och väntar på försäkringsbolaget.",
    "Församlingen bjuder in till julkonsert i kyrkan på söndag, alla är välkomna.",
    "Fackförbundet Vision har begärt förhandling enligt MBL om omorganisationen.",
])
def test_hard_negatives(text: str) -> None:
    found = _findings(text)
    assert found == [], [(f.sample, f.confidence, f.evidence) for f in found]


def test_identifier_nearby_gives_095() -> None:
    (f,) = _findings("Orosanmälan: 189001019802 misstänkt för ringa narkotikabrott.")
    assert f.confidence == 0.95 and "id:same-chunk" in f.evidence


def test_sample_is_entry_name() -> None:
    (f,) = _findings("Eleven är muslim och fastar under ramadan.")
    assert f.sample in {"*muslim*", "fastar under ramadan*"}


REAL_NEGATIVES = [
"Skolavslutningen hålls i kyrkan; elever som inte vill delta erbjuds ett alternativ i aulan.",
"I undervisningen uppmärksammas muslimska och judiska högtider under läsåret.",
"Modersmålsundervisning i romani chib och samiska erbjuds för elever i åk 1-9.",
"Polisen informerar om en serie inbrott i området kring skolan. Håll dörrarna låsta.",
"Kommunfullmäktiges ledamot Anna Berg (V) röstade på förslaget om ny simhall.",
"Fritidsgården är nu HBTQ-certifierad! Välkommen på Pride-fika på fredag.",
"Vision och Kommunal har lämnat yttrande över omorganisationen inför MBL-förhandlingen.",
"Påminnelse: alla nyanställda i skolan ska lämna utdrag ur belastningsregistret till HR.",
"Ordfører Per Hansen (H) stemte på forslaget om ny skole i kommunestyret.",
"Kurs for ansatte: Hvordan snakke med barn om vold og overgrep. Påmelding innen fredag.",
"Fagforbundet inviterer til medlemsmøte om ny tariffavtale torsdag kl 18.",
"Likestillingsplan: Kommunen skal fremme likestilling uavhengig av etnisitet, religion, livssyn og seksuell orientering.",
"Vi ser fram emot Eid-firandet i förskolan, alla barn och föräldrar är välkomna.",
"Hej! Kan du boka rum för nämndens sammanträde? Ärendet gäller ekonomiskt bistånd.",
]
REAL_POSITIVES = [
"Eleven berättade för kuratorn att han är homosexuell och inte vågar berätta för föräldrarna.",
"Vi har fått veta att Omar Ali är medlem i Nordiska motståndsrörelsen, hur ska skolan agera?",
"Brukaren har tidigare dömts för våldtäkt och får inte vistas ensam med kvinnlig personal.",
"Medarbetaren Lena Ström är medlem i Vårdförbundet och har begärt facklig företrädare.",
"Pappan till eleven är dömd för narkotikabrott och sitter i fängelse.",
"Jenta er muslim og faster under ramadan, så hun spiser ikke lunsj.",
"Klienten er tiltalt for vold mot partner og har besøksforbud.",
"Sonen har gjort ett DNA-test som visar att han är bärare av genen.",
]


@pytest.mark.parametrize("text", REAL_POSITIVES)
def test_realistic_mail_is_stopped(text: str) -> None:
    assert _findings(text), text


@pytest.mark.parametrize("text", REAL_NEGATIVES)
def test_realistic_mail_passes(text: str) -> None:
    found = _findings(text)
    assert found == [], [(f.sample, f.confidence, f.evidence) for f in found]


# --- regressions from the independent corpus evaluation (bench/eval_detection.py) ---------------------

@pytest.mark.parametrize("text", [
    "Tove Lind har fått besöksförbud mot sin bror sedan i höstas.",
    "Klienten Erik Sand är villkorligt frigiven och har kontakt med frivården.",
    "Sara Nutti är same och familjen har renar i fjällen.",
    "Brukeren Trond Moe er prøveløslatt og har kontaktforbud.",
])
def test_court_outcomes_and_sami_origin(text: str) -> None:
    assert _findings(text), text


def test_same_as_an_english_word_is_not_ethnicity() -> None:
    assert _findings("Linnea Berg says it is the same as last year, same procedure.") == []


def test_signs_of_abuse_about_a_named_child() -> None:
    assert _findings("Förskolan är orolig: Elsa har blåmärken på ryggen igen och vi tror att hon far illa.")
    assert _findings("Jenta Nora har blåmerker, og barnehagen mistenker omsorgssvikt.")


@pytest.mark.parametrize("text", [
    "Föreläsning om barn som far illa och hur skolan upptäcker omsorgssvikt. Anmäl dig senast i morgon.",
    "Temadag: vold i nære relasjoner og æresrelatert vold. Påmelding innen fredag.",
])
def test_abuse_vocabulary_in_courses_is_not_a_finding(text: str) -> None:
    assert _findings(text) == []


def test_religious_fasting_in_other_inflections() -> None:
    assert _findings("Hej, Ebba kommer att fasta under ramadan och behöver inte äta lunch. /pappa")
    assert _findings("Eleven Aisha Ali skal faste under ramadan i år.")


@pytest.mark.parametrize("text", [
    "Hej! Vi har gjort en orosanmälan gällande Emma i klass 3B. Mvh Lena",
    "Pelle Andersson är placerad i familjehem sedan mars och byter skola.",
    "Kalle Svensson har en pågående barnavårdsutredning hos socialtjänsten.",
    "Vår elev Sara är utsatt för våld i hemmet enligt skolkuratorn.",
    "Mamman har beviljats försörjningsstöd för april, beslutet bifogas.",
    "Brukeren Ola har søkt sosialhjelp og venter på vedtak.",
])
def test_one_social_services_term_about_an_identified_person_is_reported(text: str) -> None:
    found = _findings(text)
    assert found and found[0].confidence >= 0.75 and "lex:case-about-person" in found[0].evidence, found


@pytest.mark.parametrize("text", [
    "Om du misstänker att ett barn far illa ska du göra en orosanmälan till socialtjänsten.",
    "Vi har fått in 45 orosanmälningar under våren, en ökning mot förra året.",
    "Om eleven far illa är all personal skyldig att göra en orosanmälan.",
    "Anna Svensson, socialsekreterare, håller en utbildning om orosanmälan på torsdag.",
    "Kontakta Lena Berg om du har frågor om hur en orosanmälan görs.",
    "Hej Kalle! Här är rutinen för orosanmälan som vi pratade om. Mvh Lena",
    "Välkommen till kursen Barn som far illa. Anmäl dig senast 3 maj. Lärare: Per Holm",
    "Information om försörjningsstöd och ekonomiskt bistånd finns på kommunens webbplats.",
])
def test_social_services_terms_without_a_person_stay_below_the_threshold(text: str) -> None:
    assert _findings(text) == []
