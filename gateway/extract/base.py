"""Extractor protocol, registry, limits and the per-message budget (design §5.3).

An extractor turns one sniffed ``Part`` into text chunks, child parts (zip members, attached mail: sniffed
again at ``depth + 1``) and ``Unscannable`` results. Extractors never decide anything and never swallow a
failure silently: a limit raises ``LimitExceeded`` (-> ``over_limit``/``timeout``), unreadable content yields
``Unscannable``; any other exception becomes ``parser_crash`` in the walker.

Security: every byte an extractor inflates goes through ``Budget.charge`` so that bombs stop cheaply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gateway.model import Part, Reason, TextChunk, Unscannable

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Configurable extraction limits; defaults from design §5.3."""

    max_message_bytes: int = 50 * MiB
    max_attachment_bytes: int = 256 * MiB  # decompressed, per attachment
    max_entry_bytes: int = 64 * MiB  # decompressed, per archive entry
    max_total_bytes: int = 512 * MiB  # decompressed, per message
    max_ratio: int = 200  # compression ratio per entry, checked once ratio_floor bytes came out
    ratio_floor: int = 16 * MiB
    max_entries: int = 2000
    max_archive_depth: int = 3
    max_message_depth: int = 5
    max_parts: int = 500
    max_pdf_pages: int = 500
    max_chars: int = 20_000_000  # extracted characters per attachment
    attachment_seconds: float = 10.0
    message_seconds: float = 30.0
    worker_memory: int = 1024 * MiB  # RLIMIT_AS per scan worker
    ocr: bool = False
    ocr_pages: int = 10
    ocr_seconds: float = 60.0


class LimitExceeded(Exception):  # noqa: N818 - a limit is not an error of ours
    """A limit was hit; ``reason`` is ``over_limit`` or ``timeout``, ``detail`` names the limit."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Budget:
    """What one message may still consume; shared by every extractor of that message."""

    limits: Limits = field(default_factory=Limits)
    started: float = field(default_factory=time.monotonic)
    total_bytes: int = 0
    parts: int = 0
    attachment_deadline: float = 0.0
    scratch: dict[str, Any] = field(default_factory=dict)  # per-message state of extractors (archive depth, OCR pages)

    def charge(self, nbytes: int) -> None:
        """Account ``nbytes`` of decompressed output; raise when the per-message total is exceeded."""
        self.total_bytes += nbytes
        if self.total_bytes > self.limits.max_total_bytes:
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_total_bytes={self.limits.max_total_bytes}")

    def count_part(self) -> None:
        """Account one more MIME part or container member."""
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_parts={self.limits.max_parts}")

    def start_attachment(self) -> None:
        """Begin the per-attachment clock."""
        self.attachment_deadline = time.monotonic() + self.limits.attachment_seconds

    def check_time(self) -> None:
        """Raise ``timeout`` once the attachment or message deadline passed (cooperative; the pool kills)."""
        now = time.monotonic()
        if now - self.started > self.limits.message_seconds:
            raise LimitExceeded(Reason.TIMEOUT, f"message_seconds={self.limits.message_seconds:g}")
        if self.attachment_deadline and now > self.attachment_deadline:
            raise LimitExceeded(Reason.TIMEOUT, f"attachment_seconds={self.limits.attachment_seconds:g}")


Item = TextChunk | Part | Unscannable
ExtractFn = Callable[[Part, Budget], Iterator[Item]]

_REGISTRY: dict[str, tuple[str, ExtractFn]] = {}


def extractor(*types: str) -> Callable[[ExtractFn], ExtractFn]:
    """Register ``fn`` as the extractor for the given sniffed types (``@extractor("pdf")``)."""

    def register(fn: ExtractFn) -> ExtractFn:
        for t in types:
            if t in _REGISTRY:
                raise ValueError(f"duplicate extractor for {t!r}")
            _REGISTRY[t] = (fn.__module__.rsplit(".", 1)[-1], fn)
        return fn

    return register


def lookup(sniffed_type: str) -> tuple[str, ExtractFn] | None:
    """The (name, function) registered for a sniffed type, if any."""
    return _REGISTRY.get(sniffed_type)


def registered_types() -> list[str]:
    """Every sniffed type some extractor handles."""
    return sorted(_REGISTRY)
