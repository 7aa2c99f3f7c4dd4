"""Other special categories of personal data (GDPR art. 9 and 10) about a person (design §6.7).

Ethnic origin, political opinion, religion or belief, trade-union membership, sex life and sexual orientation,
genetic and biometric data, criminal offences and convictions, and Norwegian child-welfare cases
(``barnevern``, M): terms from ``policies/lexicons/special_*.txt``, scored by proximity to a person exactly
like health terms. Political-opinion terms next to a public role (``gruppledare``, ``kommunalråd``,
``ordfører``: concept group ``publicrole``) are dropped, since politicians acting in office are not
special-category data about a private person.

Security: same as the health detector — one shared Aho-Corasick pass, bounded windows, entry names as
samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from gateway.detect import lexicon
from gateway.detect._proximity import score_matches
from gateway.detect.base import DetectContext, Text, detector
from gateway.detect.health import PREFIXES, extra_dirs
from gateway.model import Category, Hit

ENUM_GROUPS = 3  # "kön, etnisk tillhörighet, religion, sexuell läggning": a list of grounds, not a person
SUPPRESS = {"political": "publicrole", "religion": "publicrole_religion"}


@detector
class SpecialCategoryDetector:
    """Art. 9/10 terms other than health about an identifiable private person."""

    id: ClassVar[str] = "special_category"
    category: ClassVar[Category] = Category.SPECIAL_CATEGORY
    order: ClassVar[int] = 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        lex = lexicon.get(PREFIXES, extra_dirs(ctx, self.id) or extra_dirs(ctx, "health"))
        found = lex.find_cached(text)
        if not found:
            return []
        mine = [m for m in found if m.entry.kind in ("special", "person")]
        return score_matches(self.id, self.category, text, ctx, mine, SUPPRESS, ENUM_GROUPS)
