"""Danish CPR-nummer in text (design §6.3): date-only numbers, so a keyword is required.

Candidates: a bare 10-digit run or ``DDMMYY-SSSS`` (dash or space). 3.7 % of random 10-digit strings have a
valid CPR date, so without ``cpr`` (or ``personnummer`` for a number that is not also a valid Swedish
personnummer, which ``se_personnummer`` reports) within 300 characters a hit scores 0.4 and is not
reported; with one it scores 0.97 (0.90 bare). Negative keywords within 40 characters before halve it.

Security: sees hostile text; only the shared digit-run scan touches the whole chunk; ``Hit.sample`` is
masked with ``gateway.masking.mask_dk``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import ClassVar

import regex

from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.context import NEGATIVE, NEGATIVE_WINDOW, Keywords, digit_runs, glued, today_for
from gateway.masking import mask_dk
from gateway.model import Category, Hit
from gateway.validators import dk_cpr, se_personnummer
from gateway.validators.exceptions import ValidationError

_TAIL = regex.compile(r"(?P<sep>[ \t]*-[ \t]*|[ \t])(?P<tail>[0-9]{4})(?![0-9])")
CPR = Keywords([("cpr", ["cpr"])])
GENERIC = Keywords([("personnummer", ["personnummer*", "personnr*", "pnr", "p-nr"])])


def candidates(text: Text) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, digits, separated) for CPR-shaped places."""
    s = text.text
    for start, end in digit_runs(text):
        if s[start] not in "0123" or s[start + 2] not in "01":
            continue  # cannot start with DDMM
        if end - start == 10:
            yield start, end, s[start:end], False
        elif end - start == 6:
            m = _TAIL.match(s, end)
            if m is not None:
                yield start, m.end(), s[start:end] + m.group("tail"), True


@detector
class DanishCpr:
    """Registered detector ``dk_cpr``."""

    id: ClassVar[str] = "dk_cpr"
    category: ClassVar[Category] = Category.PERSONNUMMER
    order: ClassVar[int] = 10

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        if not digit_runs(text):
            return []
        today = today_for(ctx.settings, self.id)
        return [h for c in candidates(text) if (h := self._score(text, *c, today)) is not None]

    def _score(self, text: Text, start: int, end: int, digits: str, separated: bool,
               today: datetime.date) -> Hit | None:
        try:
            dk_cpr.check(digits, today)
        except ValidationError:
            return None
        evidence = ["date"]
        kw = CPR.near(text, start, end)
        if kw is None and (kw := GENERIC.near(text, start, end)) is not None:
            # "personnummer" alone: a valid Swedish number is se_personnummer's, not a CPR
            if se_personnummer.is_valid(digits[:6] + ("-" if separated else "") + digits[6:], today):
                kw = None
        if kw is None:
            conf = 0.4
        else:
            evidence.append(f"kw:{kw.name}")
            conf = 0.97 if separated else 0.90
            if glued(text, start, end):
                conf, evidence = 0.8, [*evidence, "glued"]
        neg = NEGATIVE.before(text, start, NEGATIVE_WINDOW)
        if neg is not None and not (kw and kw.distance < neg.distance):
            conf *= 0.5
            evidence.append(f"neg:{neg.name}")
        return Hit(self.id, self.category, (start, end), round(conf, 3), "cpr", tuple(evidence),
                   digits, mask_dk(digits))

