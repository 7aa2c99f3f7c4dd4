"""Drive the extractors over a whole message: parse -> sniff -> extract, recursively, within one Budget.

The walker is the only place that catches extractor failures: a ``LimitExceeded`` becomes ``over_limit`` or
``timeout``, any other exception ``parser_crash`` for that part only — text already extracted from it is kept
and the rest of the message is still read. Types nobody extracts are ``unsupported`` (images are media: they
are read only when OCR is on, and are not unscannable by themselves).

Security: recursion is bounded by ``Part.depth`` (archive and message nesting limits) and by the part count;
``on_part`` lets the worker supervisor learn which part was being read when a worker died.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from gateway.extract.base import Budget, Item, LimitExceeded, Limits, lookup
from gateway.mime.parse import parse_message
from gateway.mime.sniff import MEDIA_TYPES, sniff
from gateway.model import Location, Part, PartInfo, Reason, TextChunk, Unscannable

PartHook = Callable[[str], None]


@dataclass(slots=True)
class Extraction:
    """Everything extracted from one message, in document order."""

    chunks: list[TextChunk] = field(default_factory=list)
    unscannable: list[Unscannable] = field(default_factory=list)
    parts: list[PartInfo] = field(default_factory=list)


def extract_message(
    raw: bytes,
    limits: Limits | None = None,
    skip: Mapping[str, Reason] | None = None,
    on_part: PartHook | None = None,
) -> Extraction:
    """Extract every text chunk of ``raw``; never raises for any input bytes.

    ``skip`` maps part locations to a reason they must be reported with instead of being read (used when a
    worker died on that part and the scan is rerun).
    """
    limits = limits or Limits()
    walker = _Walker(Budget(limits), dict(skip or {}), on_part)
    if len(raw) > limits.max_message_bytes:
        walker.out.unscannable.append(
            Unscannable(Location(("message",)), Reason.OVER_LIMIT, f"max_message_bytes={limits.max_message_bytes}")
        )
        return walker.out
    walker.drain(parse_message(raw, Location(()), 0, walker.budget), Location(("message",)))
    return walker.out


class _Walker:
    def __init__(self, budget: Budget, skip: dict[str, Reason], on_part: PartHook | None) -> None:
        self.budget = budget
        self.skip = skip
        self.on_part = on_part
        self.out = Extraction()

    def drain(self, items: Iterator[Item], where: Location, char_limit: int | None = None) -> int:
        """Consume ``items``; return the characters of text they produced."""
        chars = 0
        try:
            for item in items:
                if isinstance(item, TextChunk):
                    chars += len(item.text)
                    if char_limit is not None and chars > char_limit:
                        self.out.unscannable.append(
                            Unscannable(where, Reason.OVER_LIMIT, f"max_chars={char_limit}")
                        )
                        return chars
                    self.out.chunks.append(item)
                elif isinstance(item, Unscannable):
                    self.out.unscannable.append(item)
                else:
                    self.part(item)
        except LimitExceeded as exc:
            self.out.unscannable.append(Unscannable(where, exc.reason, exc.detail))
        except RecursionError:
            self.out.unscannable.append(Unscannable(where, Reason.OVER_LIMIT, "nesting"))
        except Exception:  # noqa: BLE001 - a parser bug costs this part, never the message
            self.out.unscannable.append(Unscannable(where, Reason.PARSER_CRASH))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        return chars

    def part(self, part: Part) -> None:
        """Sniff and extract one part, recording what happened for `explain`."""
        key = str(part.location)
        if key in self.skip:
            self.out.unscannable.append(Unscannable(part.location, self.skip[key]))
            self._info(part, "skipped", 0)
            return
        sniffed = part.sniffed_type or sniff(part.data, part.declared_type, part.filename)
        part = replace(part, sniffed_type=sniffed)
        entry = lookup(sniffed)
        if entry is None:
            if sniffed not in MEDIA_TYPES:
                self.out.unscannable.append(Unscannable(part.location, Reason.UNSUPPORTED, sniffed))
            self._info(part, "none", 0)
            return
        name, fn = entry
        if self.on_part is not None:
            self.on_part(key)
        if part.depth <= 1:
            self.budget.start_attachment()
        chars = self.drain(fn(part, self.budget), part.location, self.budget.limits.max_chars)
        self._info(part, name, chars)

    def _info(self, part: Part, extractor: str, chars: int) -> None:
        self.out.parts.append(
            PartInfo(str(part.location), part.declared_type, part.sniffed_type, extractor, chars, len(part.data))
        )
