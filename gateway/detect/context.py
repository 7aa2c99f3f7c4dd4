"""Shared helpers for identity-number detectors: one digit-run scan per chunk, keyword windows, tables.

Every identity number written in any supported form starts with a run of at least six ASCII digits, so one
C-level pass (``regex`` ``[0-9]{6,}``, several hundred MB/s) finds every candidate; Python runs only for
those few places. The run list is cached for the last ``Text`` seen, so the four identity detectors share
one scan. Keyword windows lower-case only the slice they look at unless ``Text.lower`` already exists.

Security: text is hostile; every pattern here is linear (character classes and literal alternations, no
nested quantifiers), windows are bounded (300 characters by default), and nothing is logged.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from gateway.detect.base import Text
from gateway.model import Hit

RUN = regex.compile(r"[0-9]{6,}")
KEYWORD_WINDOW = 300
NEGATIVE_WINDOW = 40
_LETTER = regex.compile(r"[^\W\d_]")

_cache: tuple[Text, str, list[tuple[int, int]]] | None = None
_header_cache: tuple[Text, str, list[str] | None] | None = None


def digit_runs(text: Text) -> list[tuple[int, int]]:
    """Spans of every maximal run of six or more ASCII digits (cached for the last ``Text``)."""
    global _cache
    cached = _cache
    if cached is not None and cached[0] is text and cached[1] is text.text:
        return cached[2]
    runs = [m.span() for m in RUN.finditer(text.text)]
    _cache = (text, text.text, runs)
    return runs


def window(text: Text, start: int, end: int) -> str:
    """Lower-cased ``text[start:end]`` aligned with the original positions."""
    start, end = max(0, start), min(len(text.text), end)
    if text._lower is not None:
        return text._lower[start:end]
    part = text.text[start:end].lower()
    return part if len(part) == end - start else text.lower[start:end]


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
    """A compiled set of keywords, each a regex alternative with a canonical name (for evidence)."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        pairs = list(entries)
        self.names = [name for name, _ in pairs]
        body = "|".join(f"(?P<k{i}>{pat})" for i, (_, pat) in enumerate(pairs))
        self.pattern = regex.compile(rf"(?<![^\W\d_])(?:{body})(?![^\W\d_])")

    def _name(self, m: regex.Match[str]) -> str:
        return self.names[int(str(m.lastgroup)[1:])]

    def before(self, text: Text, start: int, width: int) -> Near | None:
        """The nearest keyword ending within ``width`` characters before ``start``."""
        lo = max(0, start - width)
        last = None
        for m in self.pattern.finditer(window(text, lo, start)):
            last = m
        return None if last is None else Near(self._name(last), start - lo - last.end())

    def after(self, text: Text, end: int, width: int) -> Near | None:
        """The nearest keyword starting within ``width`` characters after ``end``."""
        m = self.pattern.search(window(text, end, end + width))
        return None if m is None else Near(self._name(m), m.start())

    def near(self, text: Text, start: int, end: int, width: int = KEYWORD_WINDOW) -> Near | None:
        """The nearest keyword before or after the span within ``width`` characters."""
        found = [n for n in (self.before(text, start, width), self.after(text, end, width)) if n]
        return min(found, key=lambda n: n.distance) if found else None

    def in_string(self, value: str) -> str | None:
        """The canonical name of the first keyword in an already lower-cased string."""
        m = self.pattern.search(value)
        return None if m is None else self._name(m)


def column_header(text: Text, pos: int) -> str | None:
    """For tab-separated rows: the lower-cased header cell (first tabbed line) of the column at ``pos``."""
    s = text.text
    line_start = s.rfind("\n", 0, pos) + 1
    line_end = s.find("\n", pos)
    line_end = len(s) if line_end < 0 else line_end
    if s.find("\t", line_start, line_end) < 0:
        return None
    header = _header_cells(text)
    if header is None:
        return None
    col = s.count("\t", line_start, pos)
    return header[col] if col < len(header) else None


def _header_cells(text: Text) -> list[str] | None:
    global _header_cache
    cached = _header_cache
    if cached is not None and cached[0] is text and cached[1] is text.text:
        return cached[2]
    s = text.text
    tab = s.find("\t")
    cells = None
    if tab >= 0:
        start = s.rfind("\n", 0, tab) + 1
        end = s.find("\n", tab)
        cells = s[start : len(s) if end < 0 else end].lower().split("\t")
    _header_cache = (text, text.text, cells)
    return cells


def distinct_at_least(values: Sequence[str], n: int) -> bool:
    """True when ``values`` holds at least ``n`` distinct entries (the register/list rule)."""
    return len(set(values)) >= n


def today_for(settings: Mapping[str, Mapping[str, Any]], det_id: str) -> datetime.date:
    """``today`` from the detector's settings (tests pin it), else the real date."""
    value = settings.get(det_id, {}).get("today")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return datetime.date.today()


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
    ("personnummer", r"person(?:nummer|numret|numren|numrets|nr)|pers\.? ?nr\.?|p-?nr|pnr|personnr"),
    ("samordningsnummer", r"samordningsnum\w*|samordningsnr"),
    ("födelsedatum", r"födelsedatum\w*|födelsenummer|född|födda|f\. ?d\."),
    ("elev", r"elev(?:en|er|erna|ens|ernas)?"),
    ("patient", r"patient\w*"),
    ("brukare", r"brukar(?:e|en|na|es|ens)"),
    ("klient", r"klient(?:en|er|erna|ens)?"),
    ("vårdnadshavare", r"vårdnadshavar\w*"),
    ("fødselsnummer", r"fødselsnum\w*|fødselsnr|f\.nr|fnr|født|fødd"),
    ("d-nummer", r"d-num\w*|d-nr"),
    ("cpr", r"cpr(?:-?n(?:umme)?r\.?)?"),
    ("hetu", r"hetu|henkilötunnus\w*|sotu"),
    ("interim", r"t-num\w*|interimsnum\w*|reservnum\w*"),
])

NEGATIVE = Keywords([
    ("ocr", r"ocr(?:-?n(?:umme)?r)?"),
    ("referens", r"referen[sc]\w*|ref\.?|referanse\w*"),
    ("bankgiro", r"bankgiro\w*|bg"),
    ("plusgiro", r"plusgiro\w*|postgiro\w*|pg"),
    ("faktura", r"faktura\w*|fakt\.?|invoice\w*"),
    ("kundnr", r"kundn(?:umme)?r\w*|kundenummer\w*|kund-?id"),
    ("avtalsnummer", r"avtalsn(?:umme)?r\w*|avtale\w*"),
    ("ordernummer", r"ordern(?:umme)?r\w*|ordrenummer\w*|order|ordre"),
    ("ärende", r"ärende\w*|saksn(?:umme)?r\w*|dnr|diarienummer\w*|diarienr"),
    ("tel", r"tel\.?|telefon\w*|tlf\.?|fax|växel\w*|sentralbord\w*|ring"),
    ("mobil", r"mobil\w*|mob\.?|cell\w*"),
    ("sms", r"sms"),
    ("org.nr", r"org\.? ?nr\.?|orgnr|org\.?nummer|organisa[ts]i?on\w*"),
    ("iban", r"iban|bic|swift"),
    ("konto", r"konto\w*|clearing\w*|bankkonto\w*"),
    ("artikel", r"artikel\w*|art\.? ?nr\.?|artnr|varunummer\w*|isbn|ean|gtin"),
    ("kid", r"kid(?:-?nummer|-?nr)?"),
    ("intl-prefix", r"\+46|0046|\+47|0047|\+45|0045|\+358"),
])


__all__ = [
    "KEYWORD_WINDOW", "NEGATIVE", "NEGATIVE_WINDOW", "POSITIVE_SE", "Keywords", "Near",
    "column_header", "digit_runs", "distinct_at_least", "glued", "lift_lists", "today_for", "window",
]
