"""Norwegian fødselsnummer, D-, H-, Tenor and FH-nummer in text (design §6.3, §6.4).

Candidates: a bare 11-digit run, or six digits, an optional space/line break/dash and five digits. Random
11-digit strings pass the two mod-11 checks far more often than a Swedish Luhn + date, so the shape counts
for less: 0.75 bare and 0.80 with the usual space after the birth date; a number valid only under the
2032 rule (not issued yet) and a glued or very recent one stay at 0.5, an FH-nummer (no date) at 0.3,
unless a keyword is within 300 characters (0.97). Negative keywords within 40 characters before (konto,
tlf, KID, faktura ...) halve the score unless a positive keyword is nearer; registers of three or more
distinct numbers lift each to 0.80.

Security: sees hostile text; only the shared linear digit-run scan touches the whole chunk; ``Hit.value``
holds the digits for counting and ``Hit.sample`` is masked with ``gateway.masking.mask_no``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import ClassVar

import regex

from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.context import POSITIVE_SE, digit_runs, glued, id_column, lift_lists, score, today_for
from gateway.masking import mask_no
from gateway.model import Category, Hit
from gateway.validators import no_fodselsnummer as fnr
from gateway.validators.exceptions import ValidationError

_TAIL = regex.compile(r"(?P<sep>[ \t]?\n[ \t]?|[ \t]|-)?(?P<tail>[0-9]{5})(?![0-9])")


_NO_COLUMNS = frozenset({"fødselsnummer", "d-nummer"})


def candidates(text: Text) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, digits, separated) for Norwegian-shaped places."""
    s = text.text
    for start, end in digit_runs(text):
        if (end - start == 10 and s[start] != "0" and s[start + 1] in "014589"
                and id_column(text, start, POSITIVE_SE) in _NO_COLUMNS):
            yield start, end, "0" + s[start:end], False  # a numeric spreadsheet cell lost the day's leading 0
            continue
        if s[start] not in "89" and s[start + 2] not in "014589":
            continue  # month digit of no fnr/D/H/Tenor month (FH-nummer, 8/9 first, carry no date)
        if end - start == 11:
            yield start, end, s[start:end], False
        elif end - start == 6:
            m = _TAIL.match(s, end)
            if m is not None:
                yield start, m.end(), s[start:end] + m.group("tail"), m.group("sep") is not None


@detector
class NorwegianFodselsnummer:
    """Registered detector ``no_fodselsnummer``."""

    id: ClassVar[str] = "no_fodselsnummer"
    category: ClassVar[Category] = Category.PERSONNUMMER
    order: ClassVar[int] = 10

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        if not digit_runs(text):
            return []
        today = today_for(ctx.settings, self.id)
        hits = [h for c in candidates(text) if (h := self._score(text, *c, today)) is not None]
        return lift_lists(hits)

    def _score(self, text: Text, start: int, end: int, digits: str, separated: bool,
               today: datetime.date) -> Hit | None:
        try:
            info = fnr.check(digits, today)
        except ValidationError:
            return None
        weak = []
        if glued(text, start, end):
            weak.append("glued")
        if info.birth is not None and 0 <= (today - info.birth).days <= 30:
            weak.append("recent-birth")
        if info.rule == "2032":
            weak.append("rule-2032")  # not issued before 2032: shape alone is not enough
        evidence = ["mod11" if info.rule == "classic" else "mod11-2032"]
        scored = score(text, start, end, 0.80 if separated else 0.75, weak, evidence, POSITIVE_SE)
        conf = scored.confidence
        if info.kind == "fh" and not scored.keyword:
            conf = min(conf, 0.3)
        return Hit(self.id, self.category, (start, end), round(conf, 3), info.kind, tuple(scored.evidence),
                   digits, mask_no(digits))
