"""Person markers near a lexicon hit: is this text about an identifiable individual? (design §6.5)

Health and special-category terms only matter when they are about a person, so the detectors ask this module,
lazily and only around their candidate hits, for the best marker in a window:

* **strong** — a role noun in the definite form (``eleven``, ``brukaren``, ``patienten``, ``pasienten``,
  ``gutten``), a possessive with a relative (``min son``, ``vår dotter``, ``sønnen min``), a capitalised
  first name from ``policies/lexicons/first_names.txt`` followed by a surname or a verb (``Kalle har``), or
  in a file name any listed first name (``Läkarintyg_Kalle.pdf``);
* **weak** — a pronoun before a verb (``hon har``, ``han er``), first person (``jag är``), or a strong
  marker in generic wording: after ``om``/``när``/``hvis``/``dersom``/``varje`` in the same clause, or with a
  ``§`` sign nearby (statute and policy prose speak of "eleven" and "den enskilde" in general).

Role nouns and possessive patterns live in ``policies/lexicons/person_markers.txt`` (one ``phrase kind`` per
line) so operators can extend them like the term lexicons.

Security: reads only a bounded window of mail text (``window`` characters each side of a hit) with linear
regexes (literal alternations, no nested quantifiers); returns marker names, never text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import regex

from gateway.detect.lexicon import bundled_lexicon_dir

STRONG = 2
WEAK = 1

_GENERIC = regex.compile(
    r"^\s*(?:om|dersom|hvis|ifall|när|når)\b|\b(?:när|når|hvis|dersom|ifall|varje|alla|samtliga|hver|enhver|"
    r"alle|vilken|vilket|någon|nokon|noen)\b"
)
_CLAUSE_END = regex.compile(r"[.!?;:\n]")
_PRONOUN = regex.compile(
    r"\b(?:hon|han|hen|hun|jag|jeg|eg)\s+(?:har|hade|är|var|fick|får|blev|blir|behöver|tar|mår|ska|skall|"
    r"kommer|går|er|fikk|trenger|har|skal|tok|tar|bruker|använder|lider|hadde|vart|ble)\b"
)
_PRONOUN_GENERIC = regex.compile(
    r"\b(?:han eller hon|hon eller han|han/hon|hon/han|han el\. hon|hun eller han|han eller hun|han/hun|"
    r"hun/han)\b"
)
_NAME_PAIR = regex.compile(r"\b(\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?\s(\p{Lu}\p{Ll}+)(?:-\p{Lu}\p{Ll}+)?\b")
_NAME_VERB = regex.compile(
    r"\b(\p{Lu}\p{Ll}+)\s+(?:har|hade|är|var|fick|får|behöver|ska|kommer|mår|tar|går|er|fikk|trenger|skal|"
    r"hadde|bruker|lider|blev|ble|brukar|använder|s\s)"
)
_FILENAME_TOKEN = regex.compile(r"\p{L}+")


@dataclass(frozen=True, slots=True)
class Marker:
    """A person marker: evidence name (``person:eleven``) and strength (``STRONG``/``WEAK``)."""

    name: str
    strength: int


@dataclass(frozen=True, slots=True)
class _Markers:
    phrases: regex.Pattern[str]
    kinds: dict[str, str]
    first_names: frozenset[str]


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
def _load(base: Path) -> _Markers:
    kinds: dict[str, str] = {}
    for line in _read_lines(base / "person_markers.txt") + _read_lines(base / "local" / "person_markers.txt"):
        phrase, _, kind = line.rpartition(" ")
        if phrase:
            kinds[" ".join(phrase.lower().split())] = kind
    ordered = sorted(kinds, key=len, reverse=True)
    alternation = "|".join(regex.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    phrases = regex.compile(rf"(?<!\w)(?:{alternation or 'a^'})(?!\w)")
    names = _read_lines(base / "first_names.txt") + _read_lines(base / "local" / "first_names.txt")
    return _Markers(phrases, kinds, frozenset(n.lower() for n in names))


def markers() -> _Markers:
    """The compiled marker tables (bundled plus ``local/`` files), once per process."""
    return _load(bundled_lexicon_dir())


def _generic(lower: str, pos: int) -> bool:
    """True when the clause before ``pos`` reads as a general rule (``om eleven``, ``varje elev``)."""
    head = lower[max(0, pos - 60):pos]
    cut = max((m.end() for m in _CLAUSE_END.finditer(head)), default=0)
    return bool(_GENERIC.search(head[cut:]))


def find_marker(text: str, lower: str, span: tuple[int, int], window: int = 150,
                filename: bool = False) -> Marker | None:
    """The strongest person marker within ``window`` characters of ``span`` (``None`` if there is none)."""
    tables = markers()
    a = max(0, span[0] - window)
    b = min(len(lower), span[1] + window)
    if filename:
        return _filename_marker(lower[a:b], tables)
    low = lower[a:b]
    statute = "§" in low
    best: Marker | None = None
    for m in tables.phrases.finditer(low):
        phrase = " ".join(m.group().split())
        kind = tables.kinds.get(phrase, "role")
        weak = statute or kind == "weak" or _generic(lower, a + m.start())
        cand = Marker(f"person:{phrase}", WEAK if weak else STRONG)
        if cand.strength == STRONG:
            return cand
        best = best or cand
    name = _name_marker(text[a:b], tables)
    if name is not None:
        return name
    if best is None and not _PRONOUN_GENERIC.search(low):
        p = _PRONOUN.search(low)
        if p is not None:
            best = Marker(f"person:{p.group().split()[0]}", WEAK)
    return best


def _name_marker(window: str, tables: _Markers) -> Marker | None:
    for m in _NAME_PAIR.finditer(window):
        if m.group(1).lower() in tables.first_names:
            return Marker("person:name", STRONG)
    for m in _NAME_VERB.finditer(window):
        if m.group(1).lower() in tables.first_names:
            return Marker("person:name", STRONG)
    return None


def _filename_marker(low: str, tables: _Markers) -> Marker | None:
    for tok in _FILENAME_TOKEN.findall(low):
        if tok in tables.first_names:
            return Marker("person:name", STRONG)
        if tok in tables.kinds and tables.kinds[tok] != "weak":
            return Marker(f"person:{tok}", STRONG)
    return None
