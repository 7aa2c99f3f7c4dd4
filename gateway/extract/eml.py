"""Attached mail (.eml, message/rfc822 sniffed from bytes): parsed like the outer message, one level down.

``parse_message`` yields the attached message's subject, bodies and attachments under this part's location
(``attachment[2] Fwd: Läkarintyg > body[text/plain]``); its own attachments go back to the walker at
``depth + 1``.

Security: nesting is bounded by ``limits.max_message_depth`` (-> ``over_limit``), parts by the shared
budget; the bytes are hostile and handled by ``gateway.mime.parse``.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.extract.base import Budget, Item, LimitExceeded, extractor
from gateway.model import Part, Reason


@extractor("eml")
def extract_eml(part: Part, budget: Budget) -> Iterator[Item]:
    """Recurse into an attached message unless it is nested too deep."""
    if part.depth > budget.limits.max_message_depth:
        raise LimitExceeded(Reason.OVER_LIMIT, f"max_message_depth={budget.limits.max_message_depth}")
    from gateway.mime.parse import parse_message  # late: gateway.mime.parse imports this package

    yield from parse_message(part.data, part.location, part.depth, budget)
