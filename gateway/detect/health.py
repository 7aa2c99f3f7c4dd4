"""Health data about an identifiable person (design §6.5): lexicon terms scored by proximity to a person.

Terms come from ``policies/lexicons/health_*.txt`` (Swedish written by the project, Norwegian derived from
NorMedTerm/FEST) plus operator files (docs/lexicons.md). ICD-10 codes (``F32.1``, ``B34.1A``) count as strong
terms only with ``diagnos``/``ICD``/``dx`` within 50 characters, because bare codes collide with paper sizes
(``A4``), roads (``E45``) and vitamins (``B12``).

Security: hostile mail text is searched by one Aho-Corasick pass plus bounded windows; hits carry the entry
name (``läkarintyg*``) as sample, never text. Lexicon files are trusted operator configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import regex

from gateway.detect import lexicon
from gateway.detect._proximity import score_matches
from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.lexicon import Entry, Match
from gateway.model import Category, Hit

PREFIXES = ("health", "special")  # one automaton for both detectors: one pass per chunk
ICD_WINDOW = 50
CONDITION_GROUPS = frozenset({"cond", "med", "icd"})  # what a weak (first-person) marker needs nearby
_ICD = regex.compile(r"(?<![\w.,])([A-TV-Z][0-9]{2})(?:\.?[0-9]{1,2}[A-Z]?)?(?![\w]|[.,][0-9])")
_ICD_ENTRY = Entry("icd-10", "exact", "S", "icd", (), "ICD-10", "builtin", "health")


def extra_dirs(ctx: DetectContext, det_id: str) -> tuple[str, ...]:
    """Operator lexicon directories from the detector's policy settings (``lexicon_dirs: [...]``)."""
    dirs = ctx.settings.get(det_id, {}).get("lexicon_dirs", ())
    return tuple(str(d) for d in dirs) if isinstance(dirs, list | tuple) else ()


def icd_matches(text: Text, matches: Iterable[Match]) -> list[Match]:
    """ICD-10 codes within ``ICD_WINDOW`` characters of an ICD context term (concept group ``icdctx`` or
    ``care:diagnos``)."""
    out: list[Match] = []
    seen: set[int] = set()
    for m in matches:
        if m.entry.kind != "health" or not (m.entry.group == "icdctx" or m.entry.concept == "care:diagnos"):
            continue
        lo, hi = max(0, m.start - ICD_WINDOW), min(len(text.text), m.end + ICD_WINDOW)
        for c in _ICD.finditer(text.text, lo, hi):
            if c.start() not in seen:
                seen.add(c.start())
                entry = Entry(_ICD_ENTRY.stem, "exact", "S", f"icd:{c.group(1)}", (), "ICD-10", "builtin",
                              "health")
                out.append(Match(c.start(), c.end(), entry))
    return out


@detector
class HealthDetector:
    """Health terms (conditions, medicines, care vocabulary, ICD-10 codes) about a person."""

    id: ClassVar[str] = "health"
    category: ClassVar[Category] = Category.HEALTH
    order: ClassVar[int] = 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        lex = lexicon.get(PREFIXES, extra_dirs(ctx, self.id))
        found = lex.find_cached(text)
        if not found:
            return []
        mine = [m for m in found if m.entry.kind in ("health", "person")]
        mine.extend(icd_matches(text, mine))
        return score_matches(self.id, self.category, text, ctx, mine, condition_groups=CONDITION_GROUPS)
