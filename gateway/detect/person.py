"""Person markers near a lexicon hit: is this text about an identifiable individual? (design §6.5)

Health and special-category terms only matter when they are about a person. Marker phrases from
``policies/lexicons/person_markers.txt`` (``phrase kind``) are compiled into the same Aho-Corasick automaton
as the terms, so they cost nothing extra; this module judges them, lazily and only around candidate hits:

* **strong** — a role noun in the definite form (``eleven``, ``brukaren``, ``patienten``, ``pasienten``,
  ``gutten``; kind ``role``), a possessive with a relative (``min son``, ``sønnen min``; kind
  ``possessive``), a capitalised first name from ``first_names.txt`` followed by a capitalised surname or a
  verb (``Kalle har``), a named subject (``angående Emma``, ``Alva, 7 år``), an honorific (``Herr Nilsson``),
  or in a file name or subject line any listed first name (``Läkarintyg_Kalle.pdf``). Names in greetings and
  signatures, before a title (``Anna Svensson, skolsköterska``) and of speakers, authors and new staff
  (``Sara Lind berättar om``, ``boken av``, ``Johan Ek börjar som``) are not the subject;
* a third-person pronoun before a verb (``hon har``, ``han er``, ``hen behöver``) is strong too: both sides
  of the mail know who is meant;
* **weak** — first person before a verb (``jag är sjukskriven``: the sender, often an auto-reply).

Generic wording marks no one: kind ``weak`` phrases (``den enskilde``, ``vårdnadshavare``) and role nouns in a
clause opened by ``om``/``när``/``hvis``/``dersom`` or containing ``varje``/``alla``/``hver`` before the noun
are ignored, as policy texts say "om eleven har ett läkarintyg" about every pupil.

In statute-like text (three or more ``§`` in the chunk, or one within ``STATUTE_WINDOW``) and generic
documents (two kinds of ``doc`` cue in the chunk: ``vi söker`` + ``ansökan``, ``rutin`` + ``syfte``,
``föreläsning`` + ``anmäl dig``) role nouns and pronouns are ignored: laws, job ads, routines and course
invitations speak of "barnet" and "patienten" in general. Names and possessives still count.

Security: reads only a bounded window of mail text around a hit with linear regexes (no nested quantifiers);
returns marker names, never text.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import regex

from gateway.detect.lexicon import Match, bundled_lexicon_dir

STRONG = 2
WEAK = 1
STATUTE_WINDOW = 400
DOC_CUES = 2  # distinct generic-document cues (job ad, routine, newsletter) that make role nouns generic

_GENERIC = regex.compile(
    r"^\s*(?:om|dersom|hvis|ifall|när|når|vid|ved|inför|innan|før)\b|\b(?:när|når|hvis|dersom|ifall|varje|alla|"
    r"samtliga|hver|enhver|alle|vilken|vilket|någon|nokon|noen|hur|hvordan)\b|\batt\s+(?:möta|bemöta|stötta|"
    r"stödja|hjälpa|förstå|arbeta\s+med|undervisa|ta\s+emot|bemöta)\b|\bå\s+(?:møte|støtte|hjelpe|forstå|"
    r"jobbe\s+med|ta\s+imot)\b"
)
_CLAUSE_END = regex.compile(r"[.!?;:\n]")
# Rule statements anywhere in the sentence: "Patienten ska alltid informeras ... enligt patientlagen"
_GENERIC_SENTENCE = regex.compile(
    r"\b(?:(?:ska|skal|måste|må)\s+(?:alltid|aldrig|aldri)|ansvarar\s+för|ansvarlig\s+for|har\s+rätt\s+till|har\s+rett\s+til|har\s+krav\s+på|"
    r"enligt\s+\w*lagen|etter\s+\w*loven|i\s+enlighet\s+med|skall|bör|vid\s+upprepad|vid\s+behov|ved\s+behov|"
    r"i\s+regel|som\s+regel|generellt|generelt)\b"
)
_SENTENCE_END = regex.compile(r"[.!?\n]")
# Kinship words used as names in case notes ("Mor har rusproblemer", "Pappa dricker mycket") read like pronouns.
# Norwegian case notes name the client by role without article ("Bruker har vedtak om BPA", "Søker er
# sykmeldt"); after an article or quantifier ("en bruker har") the noun is generic.
_SUBJECT_WORDS = ("hon", "han", "hen", "hun", "ho", "jag", "jeg", "eg", "mamma", "pappa", "mor", "far", "mora",
                  "faren", "moren", "mormor", "farmor", "morfar", "farfar")
_ROLE_WORDS = ("bruker", "brukar", "pasient", "søker", "søkjar", "klient")
_PRONOUN = regex.compile(
    r"\b(?:" + "|".join(_SUBJECT_WORDS) + r"|"
    r"(?<!\b(?:en|ein|ei|ett|hver|enhver|kvar|alle|varje|the|a)\s)(?:" + "|".join(_ROLE_WORDS) + r"))"
    r"\s+(?:har|hade|är|var|fick|får|blev|blir|behöver|tar|mår|ska|skall|"
    r"kommer|går|er|fikk|fekk|trenger|treng|skal|tok|bruker|brukar|använder|lider|hadde|vart|ble)\b"
)
_CONTACT_BEFORE = regex.compile(
    r"(?:kontakta|kontakt\s+med|ring|ringa|mejla|maila|vänd\s+dig\s+till|hänvisa\s+till|kontakt|kontakte|"
    r"ta\s+kontakt\s+med|henvend\s+deg\s+til|ring\s+til|send\s+til|skicka\s+till|cc|kopia\s+till)\s*$"
)
_FIRST_PERSON = frozenset({"jag", "jeg", "eg"})  # the sender about themselves: weak (auto-replies)
_PRONOUN_GENERIC = regex.compile(
    r"\b(?:han eller hon|hon eller han|han/hon|hon/han|han el\. hon|hun eller han|han eller hun|han/hun|"
    r"hun/han)\b"
)
_NAME_PAIR = regex.compile(
    r"\b(\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?\s(\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?\b(?!-)"  # not "Lindgren-skolan"
)
# A birth date names one person: "(f. 2008-03-27)", "född 2011-05-04", "født 03.04.2012".
_BIRTH_DATE = regex.compile(
    r"(?<![\w])(?:f\.|född|født|fødd|födelsedatum|fødselsdato)\s?:?\s?(?:(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]|"
    r"[0-3]?[0-9]\.[01]?[0-9]\.(?:19|20)?[0-9]{2}|[0-3]?[0-9]\s\p{Ll}{3,9}\s(?:19|20)[0-9]{2})(?![0-9])",
    regex.IGNORECASE,
)
# A listed first name in the genitive right before the term: "Elsas läkarutlåtande", "Olles nya medicin".
_GENITIVE = regex.compile(r"\b(\p{Lu}\p{Ll}+)s\s(?:\p{Ll}+\s)?$")
_HONORIFIC = regex.compile(r"\b(?:[Hh]err|[Ff]ru|[Ff]röken|[Hh]r\.|[Ff]r\.)\s+\p{Lu}\p{Ll}+")
# The name of an expert, author, speaker or contact is not the subject: "Sara Lind berättar om autism",
# "boken av Kim Jensen", "Johan Ek börjar som kurator".
_NAME_EXPERT = regex.compile(
    r"\s*(?:\([^()\n]{1,20}\)\s*)?(?:,\s*(?:[0-9]{1,3}\s*(?:år\s*)?,\s*)?(?:som|who)\s+(?:själv\s+|selv\s+)?)?"
    # "Per Holm, som berättar om", "Per Lind, 54, som berättar om" (a newsletter profile)
    # staff news: "Kari Moe er ny leder for …", "Per Lind blir tf. rektor", "Anna Ek är vår nya kurator"
    r"(?:(?:är|er|blir|blev|ble|har\s+blivit|har\s+blitt)\s+(?:(?:vår|våra|vårt|vores)\s+)?"
    r"(?:ny|nya|nytt|tillförordnad|tf\.|t\.f\.|konstituert|fungerande)\s"
    r"(?!elev|brukar|patient|klient|deltagar|deltaker|pasient|bruker|barn|medlem)|"  # "är ny elev" is the subject
    r"(?:berättar|pratar|talar|informerar|skriver|presenterar|forteller|snakker|"
    r"presenterer|skriver)\s+om|föreläser|foreleser|medverkar|gästar|yrkade|föreslår|foreslår|kommenterar|"
    r"(?:håller|holder)\s+(?:föredrag|föreläsning|foredrag|kurs|i\s+)|(?:arbetar|jobbar|jobber|arbeider)\s+"
    r"(?:som|med|på|inom|i)|(?:börjar|begynner|startar)\s+som|leder\s+(?:kursen|gruppen|arbetet|kurset))\b"
)
_NAME_VERB = regex.compile(
    r"\b(\p{Lu}\p{Ll}+)(?:\s+(?:i|på)\s+(?:klass\s+|klasse\s+|åk\s+|årskurs\s+|rum\s+|rom\s+|avd\.?\s*|"
    r"avdelning\s+|avdeling\s+)?\w{1,6}|\s*\([^()\n]{1,20}\))?"  # "Olle i 4B har", "Gunnar på rum 4 har"
    r"\s+(?:har|hade|är|var|fick|får|behöver|ska|kommer|mår|tar|går|er|fikk|trenger|skal|hadde|bruker|lider|"
    r"blev|ble|brukar|använder)\b"
)
# "angående Emma", "Alva, 7 år", "Emma (8)": a named subject without a surname
_NAME_SUBJECT = regex.compile(
    r"(?:\b(?:om|angående|gällande|ang\.|avseende|rörande|beträffande|vedrørende|vedr\.|gjelder|gäller)\s+"
    r"(\p{Lu}\p{Ll}+)\b)|\b(\p{Lu}\p{Ll}+)\s*(?:\(\s*[0-9]{1,2}(?:\s*år)?\s*\)|,\s*[0-9]{1,2}\s*år\b)"
)
# A name right after a greeting or sign-off, or followed by a title or party, is the sender or addressee.
_NAME_BEFORE = regex.compile(
    r"(?:hälsning|hälsningar|mvh|hilsen|hilsing|vänligen|regards|hej|hei|hallo|hejsan|kära|bästa|tack|takk|"
    r"från|fra|till|kontakt|kontakta|ring|ringa|mejla|mail|e-post|skrev|skreiv|wrote|/)[\s,:!.-]*$"
)
_NAME_BY = regex.compile(r"(?:\b(?:berättar|säger|menar|forteller|sier|mener)|"
                         r"\bav|\bby|\bskriven av|\bskrevet av|\butfärdad av|psykiatern|psykologen|läkaren|"
                         r"doktor|dr\.|överläkare|professor|forskaren|föreläsaren|författaren|legen|forfatter)\s*$")
_NAME_END = regex.compile(r"[ \t]*(?:[,!.:;\n]|$)")
# "Lärare: Per Holm", "Handläggare: Anna Ek": a staff role labelling the name (invitations, case headers)
_STAFF_LABEL = regex.compile(
    r"\b(?:lärare|föreläsare|kursledare|handläggare|ansvarig|kontaktperson|kontakt|samordnare|arrangör|"
    r"moderator|talare|rektor|kurator|skolsköterska|sjuksköterska|socialsekreterare|chef|enhetschef|"
    r"utbildare|lærer|foreleser|kursleder|saksbehandler|kontaktlærer|rådgiver|ansvarlig)[ \t]*:[ \t]*$"
)
_NAME_AFTER = regex.compile(
    r"\s+(?:skrev|skreiv|wrote|schrieb)\b|"  # a quote attribution: "Anna Berg skrev 3 mars 2024 kl. 09:12:"
    r"\s*(?:[,;(\n|\t–-]\s*)+(?:\p{Lu}{1,3}\)|[\w]+-?(?:specialist|chef|ansvarig|samordnare|handläggare|konsulent|"
    r"rådgivare|rådgiver|sjuksköterska|sykepleier)\b|rektor|biträdande|skolsköterska|sjuksköterska|skolsjuksköterska|"
    r"kurator|skolkurator|psykolog|handläggare|socialsekreterare|chef|enhetschef|avdelningschef|verksamhetschef|"
    r"samordnare|mentor|lärare|klasslärare|förskollärare|specialpedagog|kommunalråd|ordförande|ledamot|"
    r"gruppledare|oppositionsråd|kommundirektör|direktör|sekreterare|administratör|assistent|koordinator|"
    r"helsesykepleier|sykepleier|rådgiver|saksbehandler|leder|enhetsleder|avdelingsleder|rektor|kontaktlærer|"
    r"lærer|ordfører|varaordfører|konsulent|seniorrådgiver|kommunalsjef|spesialpedagog|miljøterapeut|"
    r"fysioterapeut|ergoterapeut|läkare|lege|överläkare|overlege|tel|telefon|mobil|e-post|epost)",
    regex.IGNORECASE,
)
_FILENAME_TOKEN = regex.compile(r"\p{L}+")
_PRONOUN_KEYS = tuple(sorted(set(_SUBJECT_WORDS + _ROLE_WORDS)))
_CAPITALISED = regex.compile(r"\b\p{Lu}\p{Ll}+")  # what every name pattern starts with (group 1)


@dataclass(frozen=True, slots=True)
class Marker:
    """A person marker: evidence name (``person:eleven``) and strength (``STRONG``/``WEAK``)."""

    name: str
    strength: int


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        body = line.split("#", 1)[0].strip()
        if body:
            out.append(body)
    return out


@functools.lru_cache(maxsize=4)
def _first_names(base: Path) -> frozenset[str]:
    names = _read_lines(base / "first_names.txt") + _read_lines(base / "local" / "first_names.txt")
    return frozenset(n.lower() for n in names)


def first_names() -> frozenset[str]:
    """Listed first names (bundled plus ``local/first_names.txt``), lower-cased, once per process."""
    return _first_names(bundled_lexicon_dir())


def _generic(lower: str, pos: int) -> bool:
    """True when the clause before ``pos`` reads as a general rule (``om eleven``, ``varje elev``) or the
    sentence states one (``ska alltid``, ``enligt patientlagen``, ``ansvarar för``)."""
    head = lower[max(0, pos - 60):pos]
    cut = max((m.end() for m in _CLAUSE_END.finditer(head)), default=0)
    if _GENERIC.search(head[cut:]):
        return True
    before = lower[max(0, pos - 150):pos]
    start = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
    after = lower[pos:pos + 150]
    stop = _SENTENCE_END.search(after)
    sentence = before[start:] + (after[:stop.start()] if stop else after)
    return bool(_GENERIC_SENTENCE.search(sentence))


class PersonIndex:
    """Marker matches of one chunk, sorted, with the chunk-level statute signal."""

    def __init__(self, text: str, lower: str, markers: Sequence[Match], filename: bool = False) -> None:
        self.text = text
        self.lower = lower
        self.filename = filename
        doc_cues = {m.entry.stem for m in markers if m.entry.concept == "doc"}
        self.markers = sorted((m for m in markers if m.entry.concept != "doc"), key=lambda m: m.start)
        self._starts = [m.start for m in self.markers]
        self._statute = lower.count("§") >= 3 or len(doc_cues) >= DOC_CUES

    def statute_near(self, pos: int) -> bool:
        if self._statute:
            return True
        return "§" in self.lower[max(0, pos - STATUTE_WINDOW):pos + STATUTE_WINDOW]

    def find(self, span: tuple[int, int], window: int = 150) -> Marker | None:
        """The strongest person marker within ``window`` characters of ``span`` (``None`` if none)."""
        a = max(0, span[0] - window)
        b = min(len(self.lower), span[1] + window)
        if self.filename:
            return _filename_marker(self.lower[a:b], self.markers)
        statute: bool | None = None
        lo, hi = bisect.bisect_left(self._starts, a), bisect.bisect_right(self._starts, b)
        for m in self.markers[lo:hi]:
            kind = m.entry.concept
            if kind != "possessive":
                if statute is None:
                    statute = self.statute_near(span[0])
                if statute:
                    continue
            if kind == "weak" or (kind == "role" and _generic(self.lower, m.start)):
                continue  # generic wording names no one
            if _CONTACT_BEFORE.search(self.lower[max(0, m.start - 30):m.start]):
                continue  # "kontakta min kollega": a contact, not the subject
            return Marker(f"person:{m.entry.stem}", STRONG)
        if _name_marker(self.text, a, b) or _genitive(self.text, span[0]):
            return Marker("person:name", STRONG)
        low = self.lower[a:b]
        if _PRONOUN_GENERIC.search(low) or self.statute_near(span[0]):
            return None
        best: Marker | None = None
        if not _pronoun_candidate(low):
            return None
        for p in _PRONOUN.finditer(low):
            word = p.group().split()[0]
            if word in _FIRST_PERSON or _generic(self.lower, a + p.start()):
                best = best or Marker(f"person:{word}", WEAK)
                continue
            return Marker(f"person:{word}", STRONG)  # "hon har", "han er": someone both sides know
        return best


def _pronoun_candidate(low: str) -> bool:
    """A necessary condition for ``_PRONOUN``: one of its words at a word start, followed by whitespace.

    One C-level Aho-Corasick pass over the window instead of the pattern's alternation at every position
    (~15x cheaper); the pattern itself then runs only on the few windows that pass."""
    for _key, start, end in _pronoun_search(low):
        if (start == 0 or not _is_word(low[start - 1])) and end < len(low) and low[end].isspace():
            return True
    return False


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _pronoun_search(hay: str) -> list[tuple[int, int, int]]:
    """Every occurrence (overlapping) of a pronoun or role word in ``hay``: ``(key, start, end)``."""
    return _pronoun_automaton()(hay)


@functools.lru_cache(maxsize=1)
def _pronoun_automaton() -> Callable[[str], list[tuple[int, int, int]]]:
    try:
        import ahocorasick_rs

        ac = ahocorasick_rs.AhoCorasick(list(_PRONOUN_KEYS), matchkind=ahocorasick_rs.MatchKind.Standard,
                                        implementation=ahocorasick_rs.Implementation.DFA)
        return lambda hay: ac.find_matches_as_indexes(hay, overlapping=True)
    except ImportError:  # the regex alternation finds the same starts (slower)
        longest_first = sorted(_PRONOUN_KEYS, key=len, reverse=True)  # "farfar" before "far" at one start
        words = regex.compile("(?=(" + "|".join(longest_first) + "))")
        return lambda hay: [(0, m.start(), m.start() + len(m.group(1))) for m in words.finditer(hay)]


def _name_marker(text: str, a: int, b: int) -> bool:
    """A listed first name with a surname or a verb in ``text[a:b]``, not in a greeting, signature, title or
    quote-attribution line. The context tests read past the window, so a name cut by the window edge
    ("Maja Lind|qvist skrev ...") is judged by its whole line."""
    names = first_names()
    stop = min(len(text), b + 40)
    if not any(w.group().lower() in names for w in _CAPITALISED.finditer(text, a, stop)):
        # no listed first name in reach: only an honorific or a birth date can name someone (one cheap pass
        # instead of three name patterns, which matters in long mail with many candidate terms)
        return bool(_HONORIFIC.search(text, a, b) or _BIRTH_DATE.search(text, a, b))
    for pattern in (_NAME_PAIR, _NAME_VERB):
        for m in pattern.finditer(text, a, stop):
            if m.start() >= b:
                break
            if m.group(1).lower() not in names:
                continue
            before = text[max(0, m.start() - 40):m.start()].lower()
            end = m.end()
            greeted = pattern is _NAME_PAIR and _NAME_BEFORE.search(before) and _NAME_END.match(text, end)
            if greeted or _NAME_AFTER.match(text, end) or _NAME_BY.search(before) or _STAFF_LABEL.search(before):
                continue
            if pattern is _NAME_PAIR and _NAME_EXPERT.match(text, end):
                continue
            return True
    if _HONORIFIC.search(text, a, b) or _BIRTH_DATE.search(text, a, b):
        return True
    return any((m.group(1) or m.group(2)).lower() in names for m in _NAME_SUBJECT.finditer(text, a, b))


def _genitive(text: str, pos: int) -> bool:
    g = _GENITIVE.search(text, max(0, pos - 40), pos)
    if g is None:
        return False
    name = g.group(1).lower()
    return name in first_names() and name + "s" not in first_names()  # "Jonas", "Elias" are not genitives


def _filename_marker(low: str, markers: Sequence[Match]) -> Marker | None:
    names = first_names()
    for tok in _FILENAME_TOKEN.findall(low):
        if tok in names:
            return Marker("person:name", STRONG)
    for m in markers:
        if m.entry.concept != "weak":
            return Marker(f"person:{m.entry.stem}", STRONG)
    return None
