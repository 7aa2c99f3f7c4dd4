"""Proximity scoring shared by the health and special-category detectors (design §6.5, §6.7).

A term only counts as personal data when it is near an identifiable person, so each strong (S) or medium (M)
lexicon match is scored by what surrounds it:

| evidence                                                        | S    | M    |
|-----------------------------------------------------------------|------|------|
| identity number within 300 chars, or in the same attachment      | 0.95 | 0.80 |
| strong person marker (``eleven``, ``min son``, a full name)      | 0.85 | 0.60 |
| ≥ 2 distinct S/M concepts within 300 chars + a person marker     | 0.75 | 0.75 |
| weak marker only (first person ``jag är``)                       | 0.60 | 0.40 |
| nothing                                                          | 0.50 | 0.40 |

A social-services case term (concept group ``socialcare``: orosanmälan, barnavårdsutredning, placerad i
familjehem, "far illa", "utsatt för våld" ...) next to a strong person marker scores 0.75 although it is M:
such a case about a named or otherwise identified person is secret under OSL 26 kap. whatever else is said,
while the same words without a person (how to make an orosanmälan) stay below the threshold.

For special categories, three or more concept groups within 150 characters read as a list of grounds
(discrimination policy prose) and score 0.4 unless an identity number is near. Each distinct weak (W) concept
nearby adds 0.05 (at most 0.10) to a score of at least 0.60 resting on more than a weak marker; W terms never
make a hit on their own. With only a weak (first-person) marker the two-concept rule needs one concept from
``condition_groups`` (health: a named condition, medicine or ICD code), because out-of-office replies say
"jag är sjukskriven … läkarintyg". Groups can be suppressed by other groups nearby (political opinion next to a public
role such as ``gruppledare``: politicians acting in their office are not special-category data).

Security: reads only windows of the chunk around candidate matches; hits carry entry names as samples
(``läkarintyg*``) and rule names as evidence, never mail text.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from gateway.detect.base import DetectContext, Text
from gateway.detect.lexicon import Match
from gateway.detect.person import STRONG, Marker, PersonIndex
from gateway.model import Category, Hit

ID_WINDOW = 300
ID_MIN_CONFIDENCE = 0.7  # an identity-number hit below the report threshold (a phone number?) is no evidence
CONCEPT_WINDOW = 300
SUPPRESS_WINDOW = 100
ENUM_WINDOW = 150
# second compound parts naming a service, not a person's condition ("diabetesvård", "demensboende")
SERVICE_WORDS = (
    "vård", "mottagning", "sjukskötersk", "sköterska", "team", "förbund", "förening", "fond", "forskning",
    "enhet", "avdelning", "boende", "klinik", "center", "centrum", "samordnare", "dag", "vecka", "kampanj",
    "utbildning", "kurs", "föreläsning", "specialist", "läkare", "omsorg", "sykepleier", "poliklinikk",
    "avdeling", "forbund", "forening", "forskning", "senter", "sykehjem", "koordinator", "uke", "kurs",
    "prevention", "förebygg", "forebygg", "screening", "program", "strategi", "rutin", "riktlinj",
    "retningslinj", "nätverk", "nettverk", "teamet", "konferens", "konferanse", "vaccin", "vaksin",
)
SUBJECT_LABELS = frozenset({"subject", "header[subject]"})  # location names of Subject chunks
CASE_GROUPS = frozenset({"socialcare"})  # M groups reported next to a strong person marker alone
MAX_TRIES = 8  # scored occurrences per concept and chunk (bounds work on dense medical documents)
_BASE = {  # (weight, evidence) -> confidence
    ("S", "id"): 0.95, ("S", "strong"): 0.85, ("S", "multi"): 0.75, ("S", "weak"): 0.6, ("S", "none"): 0.5,
    ("M", "id"): 0.8, ("M", "strong"): 0.6, ("M", "multi"): 0.75, ("M", "weak"): 0.4, ("M", "none"): 0.4,
}


# A sign-off on its own line opens the signature block: the titles and units there ("Enhetschef
# hemtjänsten", "Skolsköterska, Elevhälsan") describe the sender, never a person's health.
SIGN_OFF_LINES = frozenset({
    "med vänlig hälsning", "med vänliga hälsningar", "vänliga hälsningar", "vänlig hälsning", "hälsningar",
    "mvh", "med vennlig hilsen", "vennlig hilsen", "hilsen", "helsing", "med venleg helsing", "best regards",
    "kind regards",
})
_SIGN_OFF_KEYS = ("hälsning", "mvh", "hilsen", "helsing", "regards")  # str.find per key: C speed, no regex
SIGNATURE_MAX = 300  # a signature block ends at a blank line or after this many characters


def signature_zones(lower: str) -> list[tuple[int, int]]:
    """``(after, last)`` position ranges of signature blocks: after a sign-off line, to the next blank line.

    A position ``p`` lies in a block when ``after < p <= last``. One pass of ``str.find`` per sign-off key over
    the chunk (C speed), run only for chunks with a lexicon candidate; then each match is a bisect."""
    zones: list[tuple[int, int]] = []
    for key in _SIGN_OFF_KEYS:
        i = lower.find(key)
        while i >= 0:
            zone = _zone(lower, i)
            if zone is not None:
                zones.append(zone)
            i = lower.find(key, i + len(key))
    return sorted(zones)


def _zone(lower: str, i: int) -> tuple[int, int] | None:
    """The block a sign-off key at ``i`` opens, if its line is a sign-off line: at most ``SIGNATURE_MAX``
    characters from the key, ending at the first blank line after the line's own end."""
    line_start = lower.rfind("\n", 0, i) + 1
    line_end = lower.find("\n", i)
    if line_end < 0 or lower[line_start:line_end].strip(" \t,!.") not in SIGN_OFF_LINES:
        return None
    start = line_end
    while start < len(lower) and lower[start] in " \t\n" and start - line_end < 8:
        start += 1
    last = i + SIGNATURE_MAX
    blank = lower.find("\n\n", start)
    if blank >= 0:
        last = min(last, blank + 1)
    return (line_end, last) if last > line_end else None


def in_signature(lower: str, pos: int, zones: Sequence[tuple[int, int]] | None = None) -> bool:
    """True when ``pos`` lies in a signature block (see ``signature_zones``; pass them when asking often)."""
    for after, last in signature_zones(lower) if zones is None else zones:
        if after < pos <= last:
            return True
        if after >= pos:
            break
    return False


def _root(text: Text) -> str:
    return text.location.path[0] if text.location.path else ""


def _near(positions: Sequence[int], lo: int, hi: int) -> range:
    return range(bisect.bisect_left(positions, lo), bisect.bisect_right(positions, hi))


class _Scorer:
    """Scores the matches of one chunk, computing person markers lazily and once per neighbourhood."""

    def __init__(self, text: Text, ctx: DetectContext, matches: Sequence[Match],
                 condition_groups: frozenset[str] = frozenset()) -> None:
        self.condition_groups = condition_groups
        self.text = text
        # file names and subject lines are labels: "Läkarintyg_Kalle.pdf", "Sjukintyg Kalle" name a person
        self.filename = text.origin == "filename" or (
            text.origin == "header" and bool(text.location.path) and text.location.path[-1] in SUBJECT_LABELS)
        self.same_attachment = _root(text) in ctx.message_id_locations
        self.ids = sorted(h.span[0] for h in ctx.chunk_hits
                          if h.category == Category.PERSONNUMMER and h.confidence >= ID_MIN_CONFIDENCE)
        self.people = PersonIndex(text.text, text.lower, [m for m in matches if m.entry.kind == "person"],
                                  filename=self.filename)
        kept = sorted((m for m in matches if m.entry.kind != "person"), key=lambda m: m.start)
        if text.origin == "body" and kept:
            zones = signature_zones(text.lower)
            if zones:
                kept = [m for m in kept if not in_signature(text.lower, m.start, zones)]
        self.matches = kept
        self.starts = [m.start for m in self.matches]
        self._markers: dict[int, Marker | None] = {}

    def marker(self, m: Match) -> Marker | None:
        bucket = m.start // 64
        if bucket not in self._markers:
            self._markers[bucket] = self.people.find((m.start, m.end))
        return self._markers[bucket]

    def identifier(self, m: Match) -> str:
        if _near(self.ids, m.start - ID_WINDOW, m.end + ID_WINDOW):
            return "id:same-chunk"
        return "id:same-attachment" if self.same_attachment else ""

    def neighbours(self, m: Match) -> tuple[set[str], set[str], set[str]]:
        """Distinct S/M concepts, W concepts and groups within the concept window."""
        strong: set[str] = set()
        weak: set[str] = set()
        groups: set[str] = set()
        last_end = -1
        for i in _near(self.starts, m.start - CONCEPT_WINDOW, m.end + CONCEPT_WINDOW):
            other = self.matches[i]
            if other.start < last_end:
                continue  # overlapping entries (diagnos/diagnose, psykiatri/psykiatrisk) are one concept
            last_end = other.end
            e = other.entry
            (weak if e.weight == "W" else strong).add(e.concept)
            groups.add(e.group)
        return strong, weak, groups

    def enumeration(self, m: Match, groups: int) -> bool:
        """True when ``groups`` or more concept groups sit within ``ENUM_WINDOW``: a list of grounds
        ("kön, etnisk tillhörighet, religion, sexuell läggning") describes rules, not a person."""
        near = _near(self.starts, m.start - ENUM_WINDOW, m.end + ENUM_WINDOW)
        seen = {self.matches[i].entry.group for i in near if self.matches[i].entry.weight in ("S", "M")}
        return len(seen) >= groups

    def names_condition(self, concepts: set[str]) -> bool:
        """A weak marker ("jag är sjukskriven") needs a named condition or medicine nearby to count: care words
        alone are what every out-of-office reply says."""
        if not self.condition_groups:
            return True
        return any(c.split(":", 1)[0] in self.condition_groups for c in concepts)

    def weight(self, m: Match) -> str:
        """An S condition as the first part of a service word (``diabetesvård``, ``demensboende``) is M."""
        if m.entry.weight != "S" or m.entry.group != "cond":
            return m.entry.weight
        low = self.text.lower
        rest = low[m.end:m.end + 16]
        if rest.startswith("-"):
            rest = rest[1:]
        return "M" if rest.startswith(SERVICE_WORDS) else "S"

    def score(self, m: Match, enum_groups: int = 0) -> tuple[float, tuple[str, ...]]:
        evidence = [f"lex:{m.entry.name}"]
        weight = self.weight(m)
        if weight != m.entry.weight:
            evidence.append("lex:service-compound")
        ident = self.identifier(m)
        strong, weak, _ = self.neighbours(m)
        if enum_groups and self.enumeration(m, enum_groups):
            return (0.95 if ident else 0.4), (*evidence, ident or "neg:enumeration")
        if ident:
            kind = "id"
            evidence.append(ident)
        else:
            marker = self.marker(m)
            if marker is None:
                kind = "none"
            else:
                evidence.append(marker.name)
                kind = "strong" if marker.strength == STRONG else "weak"
                if len(strong) >= 2 and (kind == "weak" and self.names_condition(strong)
                                         or kind == "strong" and weight == "M"):
                    kind = "multi"
                elif kind == "strong" and weight == "M" and m.entry.group in CASE_GROUPS:
                    kind = "multi"  # a social-services case about an identified person
                    evidence.append("lex:case-about-person")
        conf = _BASE[(weight, kind)]
        if conf >= 0.6 and weak and kind != "weak":
            conf = min(0.95, conf + 0.05 * min(2, len(weak)))
            evidence.append("lex:weak-terms")
        return round(conf, 2), tuple(evidence)

    def suppressed(self, m: Match, suppress: Mapping[str, str]) -> bool:
        by = suppress.get(m.entry.group)
        if by is None:
            return False
        lo, hi = m.start - SUPPRESS_WINDOW, m.end + SUPPRESS_WINDOW
        return any(self.matches[i].entry.group == by for i in _near(self.starts, lo, hi))


def score_matches(detector: str, category: Category, text: Text, ctx: DetectContext,
                  matches: Sequence[Match], suppress: Mapping[str, str] | None = None,
                  enum_groups: int = 0, condition_groups: frozenset[str] = frozenset()) -> list[Hit]:
    """One ``Hit`` per S/M match, scored by proximity to a person (W matches only raise).

    ``enum_groups`` > 0 treats that many distinct concept groups close together as a list of grounds
    (policy prose) unless an identity number is near."""
    if not any(m.entry.weight in ("S", "M") for m in matches):
        return []
    scorer = _Scorer(text, ctx, matches, condition_groups)
    hits: list[Hit] = []
    best: dict[str, float] = {}
    tries: dict[str, int] = {}
    for m in scorer.matches:
        if m.entry.weight not in ("S", "M") or (suppress and scorer.suppressed(m, suppress)):
            continue
        concept = m.entry.concept
        if best.get(concept, 0.0) >= 0.95 or tries.get(concept, 0) >= MAX_TRIES:
            continue  # folding keeps one best hit per entry: enough evidence for this concept already
        tries[concept] = tries.get(concept, 0) + 1
        conf, evidence = scorer.score(m, enum_groups)
        best[concept] = max(conf, best.get(concept, 0.0))
        hits.append(Hit(detector, category, (m.start, m.end), conf, kind=m.entry.concept,
                        evidence=evidence, sample=m.entry.name))
    return hits
