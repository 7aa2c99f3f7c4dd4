"""Detector protocol and registry: adding a detector is adding one module that uses ``@detector``.

A detector sees one normalised chunk at a time (``Text``) plus a ``DetectContext`` that carries what earlier
detectors (lower ``order``) found in the same chunk and message, so that health and special-category
detectors can score by proximity to an identity number without re-detecting it.

Security: detectors receive matched text; they must put identity values only into ``Hit.value`` (masked by
the scanner) and rule names into ``Hit.sample``; never log text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from gateway.model import Category, Hit, Location, Origin


@dataclass(slots=True)
class Text:
    """A normalised chunk: ``text`` for spans, ``lower`` the same length lower-cased copy for lexicons."""

    text: str
    location: Location
    origin: Origin
    ocr: bool = False
    _lower: str | None = field(default=None, repr=False)

    @property
    def lower(self) -> str:
        """Lower-cased text with exactly the same length (so spans stay aligned)."""
        if self._lower is None:
            low = self.text.lower()
            if len(low) != len(self.text):  # e.g. 'İ' grows; keep positions aligned char by char
                low = "".join(c.lower() if len(c.lower()) == 1 else c for c in self.text)
            self._lower = low
        return self._lower


@dataclass(slots=True)
class DetectContext:
    """Per-message state shared by detectors.

    ``chunk_hits`` holds the hits of earlier detectors in the current chunk; ``message_id_locations`` the
    locations (as strings) where an identity number was found anywhere in the message so far — the "same
    attachment" rule of health scoring. ``settings`` carries per-detector policy settings by detector id.
    """

    chunk_hits: list[Hit] = field(default_factory=list)
    message_id_locations: set[str] = field(default_factory=set)
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def identifier_spans(self) -> list[tuple[int, int]]:
        """Spans of identity-number hits already found in the current chunk."""
        return [h.span for h in self.chunk_hits if h.category == Category.PERSONNUMMER]


class Detector(Protocol):
    """What the scanner needs from a detector."""

    id: ClassVar[str]
    category: ClassVar[Category]
    order: ClassVar[int]  # identity detectors 10, lexicon/marker detectors 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        """Yield hits in ``text``; must not raise on any input."""
        ...


_REGISTRY: dict[str, Detector] = {}
D = TypeVar("D")


def detector(cls: Callable[[], D]) -> Callable[[], D]:
    """Class decorator: instantiate and register a detector under its ``id``."""
    instance: Any = cls()
    if instance.id in _REGISTRY:
        raise ValueError(f"duplicate detector id {instance.id!r}")
    _REGISTRY[instance.id] = instance
    return cls


def registered() -> list[Detector]:
    """All registered detectors in run order (identity numbers first)."""
    return sorted(_REGISTRY.values(), key=lambda d: (d.order, d.id))
