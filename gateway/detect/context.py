"""Shared helpers for identity-number detectors: one digit-run scan per chunk, keyword windows, tables.

Every identity number written in any supported form starts with a run of at least six ASCII digits, so one
C-level pass (``regex`` ``[0-9]{6,}``, several hundred MB/s) finds every candidate; Python runs only for
those few places. The run list is cached for the last ``Text`` seen, so the four identity detectors share
one scan. Keywords sit in one Aho-Corasick automaton (lower, Capitalised and UPPER spellings), searched only
in the 300-character window around a validated candidate, so no chunk is ever lower-cased for them.

Security: text is hostile; every pattern here is linear (character classes and literal alternations, no
nested quantifiers), windows are bounded (300 characters by default), and nothing is logged.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick
import regex

from gateway.detect.base import Text
from gateway.model import Hit

RUN = regex.compile(r"[0-9]{6,}")
KEYWORD_WINDOW = 300
NEGATIVE_WINDOW = 40
MAX_ROW = 4096  # longest tab-separated row searched for its column (bounded work per candidate)
_LETTER = regex.compile(r"[^\W\d_]")

_cache: tuple[Text, str, list[tuple[int, int]]] | None = None
_header_cache: tuple[Text, str, list[str] | None, str] | None = None


def digit_runs(text: Text) -> list[tuple[int, int]]:
    """Spans of every maximal run of six or more ASCII digits (cached for the last ``Text``)."""
    global _cache
    cached = _cache
    if cached is not None and cached[0] is text and cached[1] is text.text:
        return cached[2]
    runs = [m.span() for m in RUN.finditer(text.text)]
    _cache = (text, text.text, runs)
    return runs


def glued(text: Text, start: int, end: int) -> bool:
    """True when a letter touches the span on either side (``X9001019802Y``, ``…9802Sekretess``)."""
    s = text.text
    return bool((start > 0 and _LETTER.match(s, start - 1)) or (end < len(s) and _LETTER.match(s, end)))


@dataclass(frozen=True, slots=True)
class Near:
    """A keyword found near a span: its canonical name and distance in characters."""

    name: str
    distance: int


class Keywords:
    """Keywords in one Aho-Corasick automaton (one C pass per window), with word-boundary checks.

    ``entries`` maps a canonical name (used in evidence, ``kw:<name>``) to lower-case spellings; the
    automaton also holds their Capitalised and UPPER forms, so windows are searched without lower-casing.
    A spelling ending in ``*`` is a prefix (``patient*`` matches ``patienten``); any other must end at a
    word boundary. Every spelling must start at one (no letter before it).
    """

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        self.automaton = ahocorasick.Automaton()
        for name, spellings in entries:
            for spelling in spellings:
                prefix = spelling.endswith("*")
                word = spelling.rstrip("*")
                for form in {word, word.capitalize(), word.upper()}:
                    self.automaton.add_word(form, (name, len(form), prefix))
        self.automaton.make_automaton()

    def _matches(self, part: str) -> list[tuple[int, int, str]]:
        """(start, end, name) of every keyword in ``part`` that sits on word boundaries."""
        out = []
        for last, (name, length, prefix) in self.automaton.iter(part):
            start, end = last + 1 - length, last + 1
            if start > 0 and part[start - 1].isalpha() and part[start].isalpha():
                continue
            if not prefix and end < len(part) and part[end].isalpha() and part[end - 1].isalpha():
                continue
            out.append((start, end, name))
        return out

    def near(
        self, text: Text, start: int, end: int, width: int = KEYWORD_WINDOW, after: bool = True
    ) -> Near | None:
        """The nearest keyword before (or, with ``after``, after) the span, within ``width`` characters."""
        s = text.text
        lo, hi = max(0, start - width - 1), min(len(s), end + width + 1) if after else start
        part = s[lo:hi]
        rel_start, rel_end = start - lo, end - lo
        best: Near | None = None
        for m_start, m_end, name in self._matches(part):
            if (m_start == 0 and lo > 0) or (after and m_end == len(part) and hi < len(s)):
                continue  # cut by the window: its boundary cannot be checked
            if m_end <= rel_start:
                distance = rel_start - m_end
            elif m_start >= rel_end:
                distance = m_start - rel_end
            else:
                continue
            if distance <= width and (best is None or distance < best.distance):
                best = Near(name, distance)
        return best

    def before(self, text: Text, start: int, width: int) -> Near | None:
        """The nearest keyword ending within ``width`` characters before ``start``."""
        return self.near(text, start, start, width, after=False)

    def in_string(self, value: str) -> str | None:
        """The canonical name of the first keyword in a string (a table header cell)."""
        found = self._matches(value)
        return found[0][2] if found else None


def column_header(text: Text, pos: int) -> str | None:
    """For tab- or ``;``-separated rows (office tables, Nordic CSV): the lower-cased header cell (first line
    with that separator) of the column at ``pos``."""
    s = text.text
    lo = max(0, pos - MAX_ROW)
    line_start = s.rfind("\n", lo, pos) + 1
    if line_start == 0 and lo > 0:
        return None  # a row longer than MAX_ROW: no table context (keeps the cost per candidate bounded)
    line_end = s.find("\n", pos, pos + MAX_ROW)
    line_end = min(len(s), pos + MAX_ROW) if line_end < 0 else line_end
    sep = "\t" if s.find("\t", line_start, line_end) >= 0 else ";" if s.find(";", line_start, line_end) >= 0 else ""
    if not sep:
        return None
    header = _header_cells(text, sep)
    if header is None:
        return None
    col = s.count(sep, line_start, pos)
    return header[col] if col < len(header) else None


def id_column(text: Text, pos: int, positive: Keywords) -> str | None:
    """The keyword heading the table column at ``pos`` ("Personnummer", "Fnr"), if any: a spreadsheet that
    stored identity numbers as numbers dropped their leading zero in that column."""
    header = column_header(text, pos)
    return positive.in_string(header) if header is not None else None


def _header_cells(text: Text, sep: str = "\t") -> list[str] | None:
    global _header_cache
    cached = _header_cache
    if cached is not None and cached[0] is text and cached[1] is text.text and cached[3] == sep:
        return cached[2]
    s = text.text
    tab = s.find(sep)
    cells = None
    if tab >= 0:
        start = s.rfind("\n", 0, tab) + 1
        end = s.find("\n", tab)
        cells = s[start : len(s) if end < 0 else end].lower().split(sep)
    _header_cache = (text, text.text, cells, sep)
    return cells


def today_for(settings: Mapping[str, Mapping[str, Any]], det_id: str) -> datetime.date:
    """``today`` from the detector's settings (tests pin it), else the real date."""
    value = settings.get(det_id, {}).get("today")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return datetime.date.today()


@dataclass(slots=True)
class Scored:
    """Confidence and evidence of one validated candidate, and whether context (a keyword) backed it."""

    confidence: float
    evidence: list[str]
    keyword: bool
    negative: bool


def score(text: Text, start: int, end: int, base: float, weak: Sequence[str], evidence: list[str],
          positive: Keywords) -> Scored:
    """The §6.4 scoring shared by identity detectors.

    A positive keyword within 300 characters (or a tab-separated column headed by one) gives 0.97, or 0.90
    when the form is weak (glued letters, space separator, very recent birth date); without one a weak
    form is capped at 0.5. A negative keyword within 40 characters before, or a ``+`` straight before the
    digits (a phone number), halves the result unless the positive keyword is nearer.
    """
    kw = positive.near(text, start, end)
    head = None
    if kw is None:
        header = column_header(text, start)
        head = positive.in_string(header) if header else None
    if kw is not None or head is not None:
        evidence.append(f"kw:{kw.name}" if kw else f"kw:column:{head}")
        conf = 0.90 if weak else 0.97
    else:
        conf = min(base, 0.5) if weak else base
    evidence.extend(weak)
    neg = NEGATIVE.before(text, start, NEGATIVE_WINDOW)
    if neg is None and start > 0 and text.text[start - 1] == "+":
        neg = Near("intl-prefix", 0)
    negative = neg is not None and not (kw is not None and kw.distance < neg.distance)
    if neg is not None and negative:
        conf *= 0.5
        evidence.append(f"neg:{neg.name}")
    return Scored(conf, evidence, kw is not None or head is not None, negative)


def lift_lists(hits: list[Hit], minimum: float = 0.80, count: int = 3) -> list[Hit]:
    """Three or more distinct numbers in one chunk (a register): each at least ``minimum``.

    Hits with negative evidence (``neg:*``) are not lifted: a page of OCR references stays a page of OCR
    references.
    """
    if len({h.value for h in hits}) < count:
        return hits
    out = []
    for h in hits:
        if h.confidence < minimum and not any(e.startswith("neg:") for e in h.evidence):
            h = Hit(h.detector, h.category, h.span, minimum, h.kind, (*h.evidence, "list"), h.value, h.sample)
        out.append(h)
    return out


POSITIVE_SE = Keywords([
    ("personnummer", ["personnummer*", "personnumr*", "personnr*", "pers.nr", "pers. nr", "pers nr", "pnr",
                      "p-nr", "p.nr", "personbevis"]),
    ("samordningsnummer", ["samordningsnum*", "samordningsnr*"]),
    ("födelsedatum", ["födelsedatum*", "födelsenummer*", "född", "födda", "f.d.", "födelsedag*"]),
    ("elev", ["elev", "eleven", "elever", "eleverna", "elevens", "elevernas", "elev-"]),
    ("patient", ["patient*"]),
    ("brukare", ["brukare", "brukaren", "brukarna", "brukares", "brukarens"]),
    ("klient", ["klient", "klienten", "klienter", "klienterna", "klientens"]),
    ("vårdnadshavare", ["vårdnadshavar*"]),
    ("fødselsnummer", ["fødselsnum*", "fødselsnr*", "f.nr", "fnr", "født", "fødd",
                       "fødselsdato*"]),
    ("d-nummer", ["d-num*", "d-nr"]),
    ("cpr", ["cpr"]),
    ("hetu", ["hetu", "henkilötunnu*", "sotu", "personbeteckning*"]),
    ("interim", ["t-num*", "interimsnum*", "reservnum*", "reservnr"]),
])

NEGATIVE = Keywords([
    ("ocr", ["ocr"]),
    ("referens", ["referens*", "referenc*", "ref", "ref.", "referanse*", "reference*"]),
    ("bankgiro", ["bankgiro*", "bg", "bg."]),
    ("plusgiro", ["plusgiro*", "postgiro*", "pg", "pg."]),
    ("faktura", ["faktura*", "fakt.", "invoice*"]),
    ("kundnr", ["kundnr*", "kundnummer*", "kundenummer*", "kund-id", "kundid"]),
    ("avtalsnummer", ["avtalsnummer*", "avtalsnr*", "avtal", "avtale*"]),
    ("ordernummer", ["ordernummer*", "ordernr*", "order", "ordre*", "beställningsnummer*"]),
    ("ärende", ["ärende*", "saksnummer*", "saksnr*", "dnr", "diarienummer*", "diarienr*"]),
    ("tel", ["tel", "tel.", "telefon*", "tlf", "tlf.", "fax", "växel*", "sentralbord*", "ring"]),
    ("mobil", ["mobil*", "mob", "mob.", "mobiltelefon*"]),
    ("sms", ["sms"]),
    ("org.nr", ["org.nr*", "org nr", "org. nr", "orgnr", "org.nummer",
                "organisationsnummer*", "organisasjonsnummer*"]),
    ("iban", ["iban", "bic", "swift"]),
    ("konto", ["konto*", "clearing*", "bankkonto*"]),
    ("artikel", ["artikel*", "art.nr", "artnr", "varunummer*", "isbn", "ean", "gtin"]),
    ("kid", ["kid", "kid-nummer", "kid-nr", "kidnummer"]),
    ("intl-prefix", ["+46", "0046", "+47", "0047", "+45", "0045", "+358"]),
    ("timestamp", ["kl", "kl.", "klockan", "tidpunkt*", "tidsstämp*", "logg*", "backup*", "export*",
                   "version", "ver.", "build", "skapad", "ändrad", "uppdaterad", "daterad",
                   "timestamp*", "modified"]),
])


__all__ = [
    "KEYWORD_WINDOW", "NEGATIVE", "NEGATIVE_WINDOW", "POSITIVE_SE", "Keywords", "Near",
    "Scored", "column_header", "id_column", "digit_runs", "glued", "lift_lists", "score", "today_for",
]
