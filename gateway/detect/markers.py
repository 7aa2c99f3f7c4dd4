"""Confidentiality markers: OSL/offentleglova references and marking phrases (design §6.6, ``confidential``).

A message is stop-worthy when it is *marked* — "Sekretessbelagd handling", "Sekretess enligt 26 kap. 1 § OSL",
"Unntatt offentlighet jf. offl. § 13", "eleven har skyddad identitet" — not when it talks *about* sekretess
(a course on offentlighet och sekretess, a policy text, statute prose) or carries the usual disclaimer footer.
So a phrase's class (see ``_marker_rules``) gives a base confidence, and its surroundings move it:

* marking position — the subject line, a short label line ("SEKRETESSBELAGD", "Obs! Sekretess enligt ..."),
  upper case — or a pointer at this document/person ("uppgifterna i mejlet", "vedlagte dokument", "eleven
  har") raise it;
* statute wording ("utan hinder av", "Lag (2019:835)", "denna lag", a §-dense document), course/policy/advice
  wording ("utbildning i", "rutin för", "skicka inte ... med e-post", a programme with times), or an attached
  document whose opening says it is a policy/routine/handbook, cap it at 0.5 (label lines excepted there);
* a disclaimer ("kan innehålla konfidentiell information", "may contain", ≥ 2 "if received in error" cues)
  caps it at 0.2.

OSL chapter references are kept only for the sekretess chapters (15–40) and name the chapter's concept in
``evidence`` (21 health/sex life/protected identity, 22 folkbokföring, 23 school, 23:2 student health, 25
health care, 26 social services, 39 personnel). ``Hit.sample`` is always the rule name (``OSL 26 kap.``,
``sekretessbelagd``, ``unntatt offentlighet``), never surrounding text. In OCR text ``§`` may read as ``8``.

Measured on ``tests/data/prose`` (statutes, each paragraph scanned alone as if quoted in a mail): 0 of 8,429
Swedish and 1 of 9,754 Norwegian paragraphs reported ("Bruksreglene er unntatt offentlighet"); each statute
book as one attachment: nothing reported.

Speed: one ``re`` pass over the original-case text with anchors starting on letters rare in Nordic prose
(``kretess``, ``yddad``, ``OSL`` ...; the alternation factored into a trie), then only the rule family of each
anchor on a lower-cased window of ~200 characters. Measured with labels (2-vCPU shared machine, 5 MB of
mail prose, best of 5): 140-160 MB/s, 0.6-0.8x one ``str.lower()`` of the same text in the same run; statute
prose, with a marker word every few hundred bytes: 25-50 MB/s.

Security: input is hostile text; all patterns are linear and run on windows of a few hundred characters;
nothing from the text is copied into a hit except its span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from gateway.detect import _marker_rules as r
from gateway.detect._marker_score import Cand, Scorer, lower
from gateway.detect.base import DetectContext, Text, detector
from gateway.model import Category, Hit

FAMILY_BEFORE, FAMILY_AFTER = 90, 110  # an OSL reference may start ~60 characters before "sekretesslagen"
EXTRA_WINDOW = 200
MAX_ANCHORS = MAX_CANDIDATES = 5000  # hostile input: a chunk that is nothing but markers is bounded in time
ENOUGH_HITS = 50
LABEL_HEADERS = frozenset({"header[msip_labels]", "header[sensitivity]", "header[x-titus-metadata-40]"})


@detector
class Markers:
    """Confidentiality markings in Swedish and Norwegian text."""

    id = "markers"
    category = Category.CONFIDENTIAL
    order = 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        """Yield one hit per marking found in ``text``."""
        if _skip(text):
            return []
        if text.origin == "filename" and "_" in text.text:  # "Sekretessbelagd_utredning.pdf"
            text = Text(text.text.replace("_", " "), text.location, text.origin, text.ocr)
        found = islice(r.ANCHORS.find_matches_as_indexes(text.text), MAX_ANCHORS)
        anchors = [(start, r.ANCHOR_WORDS[i].lower()) for i, start, _ in found]
        if not anchors:
            return []
        scorer = Scorer(text, bool(ctx.identifier_spans()))
        hits: list[Hit] = []
        strong = False
        for cand in _merge(list(islice(_candidates(text, anchors), MAX_CANDIDATES))):
            hit = scorer.hit(cand)
            if hit is not None:
                hits.append(hit)
                strong = strong or hit.confidence >= 0.9
            if strong and len(hits) >= ENOUGH_HITS:  # the chunk is flagged; more hits add nothing but time
                break
        return hits


def _skip(text: Text) -> bool:
    """Label headers and LabelInfo parts belong to ``labels``; scanning them twice adds noise only."""
    last = text.location.path[-1].lower() if text.location.path else ""
    return last in LABEL_HEADERS or last.endswith("labelinfo.xml")


def _region(s: str, p: int, before: int, after: int) -> tuple[int, int]:
    """``[start, end)`` around ``p``, widened to whitespace so no word is cut at an edge."""
    start, end = max(0, p - before), min(len(s), p + after)
    while start > 0 and not s[start - 1].isspace() and p - start < before + 30:
        start -= 1
    while end < len(s) and not s[end].isspace() and end - p < after + 30:
        end += 1
    return start, end


def _candidates(text: Text, anchors: list[tuple[int, str]]) -> Iterator[Cand]:
    s = text.text
    families = r.FAMILY_PATTERNS_OCR if text.ocr else r.FAMILY_PATTERNS
    last_extra = -1
    for p, stem in anchors:
        if stem == "§":  # statutes are full of '§': only a Norwegian law abbreviation just before counts
            before = s[max(0, p - 20) : p].lower()
            if "offl" not in before and "fvl" not in before and "offentl" not in before:
                continue
            yield from _run(s, *_region(s, p, 24, 12), *families[stem])
            continue
        yield from _run(s, *_region(s, p, FAMILY_BEFORE, FAMILY_AFTER), *families[stem])
        if p > last_extra:  # rules without an anchor of their own, once per stretch of text
            ws, we = _region(s, p, EXTRA_WINDOW, EXTRA_WINDOW)
            last_extra = we - EXTRA_WINDOW
            window = lower(s[ws:we])
            if any(
                key in window for key in r.EXTRA_KEYS
            ):  # substring checks are ~100x cheaper than the regex
                yield from _run(s, ws, we, *families["extra"])


def _run(
    s: str, ws: int, we: int, pattern: re.Pattern[str], rules: dict[str, tuple[str, str, str]]
) -> Iterator[Cand]:
    low = lower(s[ws:we])
    for m in pattern.finditer(low):
        if m.start() > 0 and (low[m.start() - 1].isalnum() or low[m.start() - 1] == ":"):
            continue  # inside a word or number
        kind, name, cls = rules[m.lastgroup or ""]
        if kind == "phrase":
            cand = _phrase(name, cls, m, ws)
        elif kind == "osl":
            cand = _osl(m, name, ws)
        else:
            near = low[max(0, m.start() - 80) : m.end() + 80]
            cand = (
                Cand(name, cls, ws + m.start(), ws + m.end(), ["kw:navet"])
                if r.NAVET_KEYWORDS.search(near)
                else None
            )
        if cand is not None:
            yield cand


def _phrase(name: str, cls: str, m: re.Match[str], off: int) -> Cand | None:
    if name == "offl. § 13":
        par = int(m.group("offl"))
        if not 13 <= par <= 26:  # offl. §§ 13-26 are the exemption grounds
            return None
        return Cand(name, cls, off + m.start(), off + m.end(), [f"offl:{par}"], ref=True)
    return Cand(name, cls, off + m.start(), off + m.end(), [f"rule:{name}"], ref=name in ("fvl. § 13",))


def _osl(m: re.Match[str], group: str, off: int) -> Cand | None:
    chapter = int(m.group(f"{group}ch"))
    concept = r.OSL_CONCEPTS.get(chapter)
    if concept is None:  # chapters 1-14 are general provisions, not a sekretess ground
        return None
    par = _paragraph(m, group)
    if chapter == 23 and par == 2:
        concept = r.SCHOOL_HEALTH
    return Cand(
        f"OSL {chapter} kap.",
        "strong",
        off + m.start(),
        off + m.end(),
        [f"osl:{chapter}", f"concept:{concept}"],
        ref=True,
    )


def _paragraph(m: re.Match[str], group: str) -> int | None:
    par = m.groupdict().get(f"{group}par")
    if par:
        return int(par)
    found = r.OSL_COLON_PAR.search(m.group(0)) or r.OSL_PAR.search(m.group(0))
    return int(found.group("par")) if found else None


_INTO_REF = frozenset(
    {
        "sekretess enligt",
        "sekretessbelagd",
        "omfattas av sekretess",
        "sekretess gäller",
        "sekretessprövad",
        "taushetsbelagt",
        "unntatt fra innsyn",
        "taushetsplikt",
    }
)


def _merge(cands: list[Cand]) -> list[Cand]:
    """One hit per marking: "Sekretess enligt 26 kap. 1 § OSL" is the OSL reference, "Unntatt offentlighet
    jf. offl. § 13" the phrase; duplicates from overlapping reference patterns are dropped."""
    cands.sort(key=lambda c: (c.start, -c.end))
    out: list[Cand] = []
    for c in cands:
        prev = out[-1] if out else None
        if prev is not None and c.start < prev.end and c.ref == prev.ref:
            prev.end = max(prev.end, c.end)
            continue
        if prev is not None and 0 <= c.start - prev.end <= 45:
            if c.ref and prev.rule in _INTO_REF:
                c.evidence = prev.evidence + c.evidence
                c.start = prev.start
                out[-1] = c
                continue
            if c.ref and prev.rule == "unntatt offentlighet":
                prev.evidence += c.evidence
                prev.end = c.end
                continue
        out.append(c)
    return out
