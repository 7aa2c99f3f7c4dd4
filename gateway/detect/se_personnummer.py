"""Swedish personnummer, samordningsnummer and interim numbers in text (design §6.2, §6.4).

Candidates come from the shared digit-run scan (``context.digit_runs``): a bare run of 10 or 12 digits, or
a run of 6 or 8 digits followed by a separator (``-``/``+`` with optional spaces or one line break around
it, or a plain space/line break) and four characters. An 11-digit run is never read as Swedish. Scoring
follows §6.4: 0.90/0.85 with a separator (12/10 digits), 0.80/0.75 bare; a positive keyword within 300
characters (or a tab-separated column headed by one) gives 0.97; letters glued to the number, a plain
space separator, a birth date in the last 30 days cap it at 0.5 without a keyword; a negative keyword
within 40 characters before (OCR, bankgiro, tel, ...) or a timestamp-like tail halve it unless a positive
keyword is nearer; three or more distinct numbers in a chunk lift each to at least 0.80. A valid number
inside an ``SE…01`` VAT number is a sole trader's personnummer and is reported.

Security: sees hostile text; only the shared linear patterns run over the whole chunk; ``Hit.value`` holds
the long form for counting and ``Hit.sample`` is masked with ``gateway.masking.mask_se``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import regex

from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.context import POSITIVE_SE, digit_runs, glued, id_column, lift_lists, score, today_for
from gateway.masking import mask_se
from gateway.model import Category, Hit
from gateway.validators import se_personnummer as pnr
from gateway.validators.exceptions import ValidationError

_TAIL = regex.compile(
    r"(?P<sep>[ \t]*\n?[ \t]*[-+][ \t]*\n?[ \t]*|[ \t]?\n[ \t]?|[ \t])"
    r"(?P<tail>[0-9" + pnr.INTERIM_LETTERS + r"][0-9]{3})(?![0-9])"
)
_CENTURIES = ("18", "19", "20")
_BASE = {(12, True): 0.90, (10, True): 0.85, (12, False): 0.80, (10, False): 0.75}


@dataclass(slots=True)
class Candidate:
    """One place that looks like a Swedish number, before validation."""

    start: int
    end: int
    century: str
    yymmdd: str
    sep: str  # "-", "+", " " (plain space or line break) or "" (bare)
    tail: str
    vat: bool = False


def _plausible(s: str, i: int) -> bool:
    """Cheap pre-check of ``YYMMDD`` at ``s[i:]``: month 00-19 and a day digit a date can start with."""
    return s[i + 2] in "01" and s[i + 4] in "01236789"


_SE_COLUMNS = frozenset({"personnummer", "samordningsnummer"})


def candidates(text: Text) -> Iterable[Candidate]:
    """Swedish-shaped candidates from the shared digit-run scan."""
    s = text.text
    for start, end in digit_runs(text):
        length = end - start
        if length in (10, 12):
            run = s[start:end]
            if length == 12 and run.endswith("01") and _vat_prefix(s, start):
                if _plausible(run, 0):
                    yield Candidate(start, end, "", run[:6], "", run[6:10], vat=True)
            elif length == 10:
                if _plausible(run, 0):
                    yield Candidate(start, end, "", run[:6], "", run[6:])
            elif run[:2] in _CENTURIES and _plausible(run, 2):
                yield Candidate(start, end, run[:2], run[2:8], "", run[8:])
        elif length == 9 and s[start + 1] in "01" and id_column(text, start, POSITIVE_SE) in _SE_COLUMNS:
            run = "0" + s[start:end]  # a numeric spreadsheet cell lost the leading 0 of a 2000s birth year
            if _plausible(run, 0):
                yield Candidate(start, end, "", run[:6], "", run[6:])
        elif length in (6, 8) and _plausible(s, end - 6):
            m = _TAIL.match(s, end)
            if m is None:
                continue
            century = s[start : start + 2] if length == 8 else ""
            if length == 8 and century not in _CENTURIES:
                continue
            raw = m.group("sep")
            sep = "+" if "+" in raw else "-" if "-" in raw else " "
            yield Candidate(start, m.end(), century, s[end - 6 : end], sep, m.group("tail"))


def _vat_prefix(s: str, start: int) -> bool:
    head = s[max(0, start - 3) : start].upper().replace(" ", "")
    return head.endswith("SE")


def _timestamp(c: Candidate, birth: datetime.date | None, today: datetime.date) -> bool:
    """``(YY)YYMMDD-HHMM`` with a date in the last ten years reads as a timestamp.

    14 % of all serials look like a time, so only recent dates (children, who come with a keyword such as
    ``elev`` or ``vårdnadshavare`` in practice) are affected.
    """
    if c.sep not in ("-", "") or birth is None or c.tail[0] not in "012" or c.vat:
        return False
    hh, mm = int(c.tail[:2]), int(c.tail[2:])
    return hh < 24 and mm < 60 and (today - birth).days < 3653


@detector
class SwedishPersonnummer:
    """Registered detector ``se_personnummer``."""

    id: ClassVar[str] = "se_personnummer"
    category: ClassVar[Category] = Category.PERSONNUMMER
    order: ClassVar[int] = 10

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        if not digit_runs(text):
            return []
        today = today_for(ctx.settings, self.id)
        hits = [h for c in candidates(text) if (h := self._score(text, c, today)) is not None]
        return lift_lists(hits)

    def _score(self, text: Text, c: Candidate, today: datetime.date) -> Hit | None:
        info = _validate(c, today)
        if info is None:
            return None
        base = _BASE[(12 if c.century else 10, c.sep in ("-", "+"))]
        weak = []
        if not c.vat and glued(text, c.start, c.end):
            weak.append("glued")
        if c.sep == " ":
            weak.append("space-sep")
        if info.birth is not None and 0 <= (today - info.birth).days <= 30:
            weak.append("recent-birth")
        scored = score(text, c.start, c.end, 0.80 if c.vat else base, weak,
                       ["luhn", "vat"] if c.vat else ["luhn"], POSITIVE_SE)
        conf = scored.confidence
        if not scored.keyword:
            if info.kind == "interim":
                conf = min(conf, 0.4)  # interim numbers need a keyword
            if not scored.negative and _timestamp(c, info.birth, today):
                conf *= 0.5
                scored.evidence.append("neg:timestamp")
        padded = c.end - c.start == 9  # a spreadsheet cell that lost its leading zero
        if padded:
            scored.evidence.append("leading-zero")
        sample = (mask_se(c.yymmdd + c.tail) if c.vat or padded
                  else mask_se("".join(text.text[c.start : c.end].split())))
        return Hit(self.id, self.category, (c.start, c.end), round(conf, 3), info.kind,
                   tuple(scored.evidence), info.long, sample)


def _validate(c: Candidate, today: datetime.date) -> pnr.Info | None:
    """Validate; a ``+`` that contradicts the century never decides detection."""
    sep = c.sep if c.sep in ("-", "+") and not c.century else ""
    try:
        return pnr.check(c.century, c.yymmdd, sep, c.tail, today)
    except ValidationError:
        if sep == "+":
            try:
                return pnr.check(c.century, c.yymmdd, "", c.tail, today)
            except ValidationError:
                return None
        return None
