"""Context scoring for ``markers``: how much a marker phrase says where it stands (design §6.6).

Support module of ``gateway.detect.markers`` (not a detector). A candidate's class gives a base confidence
(``BASE``); a marking position (``MARKED``: subject, file name, label line, upper case, classification line)
or a pointer at this document or person (``POINTED``) raises it; statute, course/policy/advice and
disclaimer wording caps it. See ``_marker_rules`` for the cue lists.

Security: reads bounded windows of hostile text around each candidate (a few hundred characters); every
search is a linear regex; nothing from the text leaves except spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.detect import _marker_rules as r
from gateway.detect.base import Text
from gateway.detect.person import first_names
from gateway.model import Category, Hit

BASE = {"strong": 0.9, "person": 0.65, "medium": 0.6, "weak": 0.5, "label": 0.0}
MARKED = {"strong": 0.95, "person": 0.9, "medium": 0.9, "weak": 0.75, "label": 0.85}
POINTED = {"strong": 0.95, "person": 0.9, "medium": 0.85, "weak": 0.6, "label": 0.0}
NO_PLAIN_LABEL = frozenset(
    {
        "tystnadsplikt",
        "taushetsplikt",
        "teieplikt",
        "konfidentiell",
        "hemlig",
        "känsliga personuppgifter",
        "kode 6/7",
    }
)
NO_LABEL_RAISE = frozenset({"hemlig", "kode 6/7"})  # "Hemligt!" in a subject is a surprise party
CAP_NEGATIVE = 0.5
UNRAISED = 0.6  # base confidence of a medium marker; below the default report threshold
CAP_DISCLAIMER = 0.2
_CAPITALISED = re.compile(r"(?<![\w])[A-ZÅÄÖÆØ][a-zåäöæøéü]{1,20}(?![\w])")
DOC_OPENING = 600  # characters of an attachment read for its title ("Riktlinjer för ...")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-ZÅÄÖÆØ])")


@dataclass(slots=True)
class Cand:
    """A phrase or reference match before scoring."""

    rule: str
    cls: str
    start: int
    end: int
    evidence: list[str] = field(default_factory=list)
    ref: bool = False  # an OSL/offl reference (upper case says nothing there)


def lower(seg: str) -> str:
    """Lower-case with the same length (only 'İ' grows under ``str.lower``)."""
    low = seg.lower() if "İ" not in seg else seg.replace("İ", "I").lower()
    if len(low) != len(seg):  # pragma: no cover - no other character grows today
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in seg)
    return low


class Scorer:
    """Context scoring of candidates in one chunk (see module docstring)."""

    def __init__(self, text: Text, has_identifier: bool) -> None:
        self.s = text.text
        self.header = text.origin in ("header", "filename")  # subject lines and file names are labels
        self.has_identifier = has_identifier
        self.statute_doc = _statute_like(self.s)
        opening = lower(self.s[:DOC_OPENING])
        self.general_doc = (
            text.origin == "attachment"
            and len(self.s) > DOC_OPENING
            and bool(r.DOC_GENERAL_CUES_FAST.search(opening) or r.GENERAL_CUES_FAST.search(opening))
        )

    def hit(self, c: Cand) -> Hit | None:
        conf, ev = self._score(c)
        if conf <= 0.0:
            return None
        return Hit(
            "markers",
            Category.CONFIDENTIAL,
            (c.start, c.end),
            conf,
            kind=c.cls,
            evidence=tuple(dict.fromkeys(c.evidence + ev)),
            sample=c.rule,
        )

    def _score(self, c: Cand) -> tuple[float, list[str]]:
        s, a, b = self.s, c.start, c.end
        para_start, para_end = _paragraph_bounds(s, a, b)
        upper = not c.ref and _is_upper(s[a:b])
        line = "" if self.header or upper else self._label_line(a, b)
        label = self.header or upper or bool(line)
        ev: list[str] = []
        conf = BASE[c.cls]
        if label:
            plain_label = line == "label" and c.rule in NO_PLAIN_LABEL
            if plain_label and c.cls == "medium" and r.REF_AFTER.match(lower(s[b : b + 60])):
                plain_label = False
            capped = plain_label or (c.rule in NO_LABEL_RAISE and line != "class")
            conf = max(conf, 0.6 if capped else MARKED[c.cls])
            ev.append("ctx:marking")
        near = lower(s[max(para_start, a - 100) : min(para_end, b + 80)])
        before = lower(s[max(para_start, a - 80) : a])
        if r.DEMONSTRATIVE.search(near) or r.DEFINITE_BEFORE.search(before) or r.CONTAINS_BEFORE.search(before):
            conf = max(conf, POINTED[c.cls])
            ev.append("ctx:document")
        if c.cls == "person" and (
            r.PERSON_CUES.search(lower(s[max(para_start, a - 40) : min(para_end, b + 30)]))
            or r.PERSON_VERB_BEFORE.search(lower(s[max(para_start, a - 30) : a]))
            or _first_name(s[max(para_start, a - 40) : min(para_end, b + 30)])
        ):
            conf = max(conf, 0.9)
            ev.append("ctx:person")
        if c.cls == "weak" and self.has_identifier:
            conf = max(conf, 0.75)
            ev.append("ctx:identifier")
        if conf <= UNRAISED:  # nothing raised it: the negative cues could only confirm that (and cost time)
            return conf, ev
        wide = lower(s[max(0, a - 300) : b + 300]) if not self.header else lower(s)
        if not self.header:
            end = r.SIGN_OFF.search(wide, a - max(0, a - 300))
            wide = wide[: end.start()] if end else wide
        general = r.GENERAL_CUES_FAST.search(wide) or (self.header and r.HEADER_GENERAL_CUES.search(wide))
        if (self.general_doc and not label) or general or r.ADVICE_BEFORE.search(before):
            conf = min(conf, CAP_NEGATIVE)
            ev.append("neg:general")
        statute_window = lower(s[max(para_start, a - 200) : min(para_end, b + 200)])
        statute = r.STATUTE_CUES_FAST.search(statute_window) or (self.statute_doc and not label)
        if not (self.header or upper) and statute:
            conf = min(conf, CAP_NEGATIVE)
            ev.append("neg:statute")
        if r.NEGATED_BEFORE.search(before[-30:]) or r.RELEASED_AFTER.match(lower(s[b : b + 120])):
            conf = min(conf, CAP_NEGATIVE)
            ev.append("neg:negated")
        if self._disclaimer(a, b, para_start, para_end, label, c.cls):
            conf = min(conf, CAP_DISCLAIMER)
            ev.append("neg:disclaimer")
        return conf, ev

    def _label_line(self, a: int, b: int) -> str:
        """``"class"`` after a classification key ("Klassificering: Konfidentiell"), ``"label"`` when the
        marking opens a short line (or is followed by ':'), as a stamp or heading does, else ``""``."""
        s = self.s
        line_start = s.rfind("\n", max(0, a - 60), a) + 1
        if line_start == 0 and a > 60:  # no line break within reach: not the start of a line
            return ""
        line_end = s.find("\n", b, b + 120)
        line_end = min(len(s), b + 120) if line_end < 0 else line_end
        prefix = r.LABEL_PREFIX.match(s[line_start:a])
        if not prefix:
            return ""
        if prefix.group("cls"):
            return "class"
        short = line_end - line_start <= 100 or s[b : b + 2].lstrip()[:1] in (":", "!", "–", "-", "(", ",")
        return "label" if short else ""

    def _disclaimer(self, a: int, b: int, para_start: int, para_end: int, label: bool, cls: str) -> bool:
        """A hedged "may contain" sentence, or a paragraph of "if received in error" wording."""
        before = self.s[max(para_start, a - 150) : a]
        cut = list(_SENTENCE_END.finditer(before))
        sentence = lower(before[cut[-1].end() :] if cut else before)
        if r.DISCLAIMER_HEDGE.search(sentence):
            return True
        if cls in ("weak", "medium") and r.DISCLAIMER_HEDGE.search(lower(self.s[b : min(para_end, b + 200)])):
            return True  # "KONFIDENTIELLT: Detta meddelande kan innehålla ..." is a disclaimer's title
        if label:
            return False
        para = lower(self.s[max(para_start, a - 400) : min(para_end, b + 400)])
        return len(r.DISCLAIMER_CUES_FAST.findall(para)) >= 2


def _first_name(window: str) -> bool:
    """A listed first name near the marker ("skyddad adress för Lisa"): about someone."""
    names = first_names()
    return any(m.group().lower() in names for m in _CAPITALISED.finditer(window))


def _paragraph_bounds(s: str, a: int, b: int) -> tuple[int, int]:
    start = s.rfind("\n\n", max(0, a - 1000), a)
    end = s.find("\n\n", b, b + 1000)
    return (0 if start < 0 else start + 2), (len(s) if end < 0 else end)


def _is_upper(seg: str) -> bool:
    letters = [ch for ch in seg if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters)


def _statute_like(s: str) -> bool:
    """Statute books are dense with '§'; mail and ordinary documents are not."""
    n = len(s)
    if n < 3000:
        return False
    sections = s.count("§")
    return sections >= 15 and sections * 400 > n
