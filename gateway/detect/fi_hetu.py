"""Finnish henkilötunnus (HETU) in text (design §6.3): ``DDMMYYCZZZQ`` with a mod-31 check character.

Candidates: six digits followed by a century sign (``+ -`` or the letters ``A-F U-Y`` used since 2023),
three digits and a check character. A letter sign or letter check character is distinctive (0.85); the
all-digit ``DDMMYY-ZZZQ`` form looks like a Swedish or Danish number (0.6, and skipped when it is a valid
Swedish personnummer, which ``se_personnummer`` reports) and ``+`` (born in the 1800s) scores 0.5; a
``hetu``/``henkilötunnus``/``sotu`` keyword within 300 characters gives 0.97. Negative keywords within 40
characters before halve the score.

Security: sees hostile text; only the shared digit-run scan touches the whole chunk; ``Hit.sample`` is
masked with ``gateway.masking.mask_fi``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import ClassVar

import regex

from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.context import NEGATIVE, NEGATIVE_WINDOW, Keywords, digit_runs, today_for
from gateway.masking import mask_fi
from gateway.model import Category, Hit
from gateway.validators import fi_hetu, se_personnummer
from gateway.validators.exceptions import ValidationError

_TAIL = regex.compile(r"[-+A-FU-Y][0-9]{3}[0-9A-Y](?![0-9A-Za-z])")
POSITIVE_FI = Keywords([
    ("hetu", ["hetu", "henkilötunnu*", "sotu", "personbeteckning*"]),
    ("personnummer", ["personnummer*", "identitetsnummer*"]),
])


@detector
class FinnishHetu:
    """Registered detector ``fi_hetu``."""

    id: ClassVar[str] = "fi_hetu"
    category: ClassVar[Category] = Category.PERSONNUMMER
    order: ClassVar[int] = 10

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        runs = digit_runs(text)
        if not runs:
            return []
        today = today_for(ctx.settings, self.id)
        hits = []
        s = text.text
        for start, end in runs:
            if end - start == 6 and (m := _TAIL.match(s, end)) is not None:
                hit = self._score(text, start, m.end(), today)
                if hit is not None:
                    hits.append(hit)
        return hits

    def _score(self, text: Text, start: int, end: int, today: datetime.date) -> Hit | None:
        value = text.text[start:end]
        try:
            fi_hetu.check(value, today)
        except ValidationError:
            return None
        kw = POSITIVE_FI.near(text, start, end)
        sign, q = value[6], value[10]
        evidence = ["mod31"]
        swedish_shape = sign in "-+" and q.isdigit()
        if swedish_shape and (kw is None or kw.name != "hetu") and se_personnummer.is_valid(value, today):
            return None  # a valid Swedish number is se_personnummer's unless a Finnish keyword says otherwise
        if kw is not None:
            evidence.append(f"kw:{kw.name}")
            conf = 0.97
        elif sign == "+":
            conf = 0.5
        elif swedish_shape:
            conf = 0.6
        else:
            conf = 0.85
        if start > 0 and text.text[start - 1].isalpha():
            conf = min(conf, 0.5 if kw is None else 0.9)
            evidence.append("glued")
        neg = NEGATIVE.before(text, start, NEGATIVE_WINDOW)
        if neg is not None and not (kw and kw.distance < neg.distance):
            conf *= 0.5
            evidence.append(f"neg:{neg.name}")
        return Hit(self.id, self.category, (start, end), round(conf, 3), "hetu", tuple(evidence),
                   value, mask_fi(value))
