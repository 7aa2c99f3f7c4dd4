"""The one pipeline used by `serve`, `scan` and `explain`: extract -> normalise -> detect -> fold.

``scan_bytes`` is a plain CPU function (it runs in a scan worker under `serve`, directly under `scan`);
``scan_message`` adds the policy verdict. Detection runs in two passes so that health and special-category
detectors know where identity numbers were found anywhere in the message ("the same attachment").

Security: findings carry masked samples only; ``Hit.value`` is used here for distinct counting and dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from gateway.detect import DetectContext, Detector, Text, registered
from gateway.detect.normalize import normalize
from gateway.envelope import build_message
from gateway.extract.base import Limits
from gateway.extract.walk import extract_message
from gateway.model import Category, Finding, Hit, Reason, ScanResult, TextChunk, Verdict
from gateway.settings import ScanSettings

if TYPE_CHECKING:
    from gateway.policy.model import Policy

__all__ = ["ScanSettings", "detect_chunks", "scan_bytes", "scan_message"]

ID_PASS_MAX_ORDER = 49  # detectors with order below this run in the first pass


def scan_bytes(
    raw: bytes,
    settings: ScanSettings | None = None,
    skip: Mapping[str, Reason] | None = None,
    on_part: Callable[[str], None] | None = None,
) -> ScanResult:
    """Scan one raw message; never raises for any input bytes."""
    settings = settings or ScanSettings()
    started = time.perf_counter()
    extraction = extract_message(raw, settings.limits, skip=skip, on_part=on_part)
    findings, below = detect_chunks(extraction.chunks, settings)
    return ScanResult(
        findings=tuple(findings),
        unscannable=tuple(extraction.unscannable),
        parts=tuple(extraction.parts),
        scan_ms=(time.perf_counter() - started) * 1000.0,
        below_threshold=tuple(below),
    )


def detect_chunks(
    chunks: Iterable[TextChunk], settings: ScanSettings | None = None
) -> tuple[list[Finding], list[Finding]]:
    """Run every enabled detector over the chunks; return (findings, hits below the report threshold)."""
    settings = settings or ScanSettings()
    detectors = [d for d in registered() if settings.enabled(d)]
    first = [d for d in detectors if d.order <= ID_PASS_MAX_ORDER]
    second = [d for d in detectors if d.order > ID_PASS_MAX_ORDER]
    texts = [Text(normalize(c.text), c.location, c.origin, c.ocr) for c in chunks if c.text.strip()]
    ctx = DetectContext(settings=settings.detectors)
    per_chunk: list[list[Hit]] = []
    for text in texts:
        hits = _run(first, text, ctx, [])
        if any(h.category == Category.PERSONNUMMER and h.confidence >= settings.report_threshold
               for h in hits):  # a number below the threshold is no "same attachment" evidence
            ctx.message_id_locations.add(_root(text))
        per_chunk.append(hits)
    for text, hits in zip(texts, per_chunk, strict=True):
        _run(second, text, ctx, hits)
    return _fold(texts, per_chunk, settings.report_threshold)


def _root(text: Text) -> str:
    """The top-level location (the attachment) a chunk belongs to."""
    return text.location.path[0] if text.location.path else ""


def _run(detectors: Sequence[Detector], text: Text, ctx: DetectContext, hits: list[Hit]) -> list[Hit]:
    ctx.chunk_hits = hits
    for det in detectors:
        hits.extend(det.detect(text, ctx))
    return hits


def _fold(
    texts: Sequence[Text], per_chunk: Sequence[Sequence[Hit]], threshold: float
) -> tuple[list[Finding], list[Finding]]:
    """Fold hits into one finding per (detector, location): distinct values counted, best confidence kept."""
    groups: dict[tuple[str, str, bool], list[Hit]] = {}
    for text, hits in zip(texts, per_chunk, strict=True):
        loc = str(text.location)
        for h in hits:
            groups.setdefault((h.detector, loc, h.confidence >= threshold), []).append(h)
    findings: list[Finding] = []
    below: list[Finding] = []
    for (det, loc, reported), hits in groups.items():
        best = max(hits, key=lambda h: h.confidence)
        distinct = {h.value or h.sample or str(h.span) for h in hits}
        evidence = tuple(dict.fromkeys(e for h in hits for e in h.evidence))
        finding = Finding(det, best.category, loc, len(distinct), best.confidence, best.sample, evidence)
        (findings if reported else below).append(finding)
    return findings, below


def scan_message(
    raw: bytes,
    mail_from: str,
    rcpts: Sequence[str],
    policy: Policy,
    limits: Limits | None = None,
    internal: Sequence[str] = (),
    partner: Sequence[str] = (),
) -> Verdict:
    """Scan and decide one message exactly as the running gateway would (used by `scan` and `explain`)."""
    msg = build_message(raw, mail_from, rcpts, internal, partner)
    result = scan_bytes(msg.raw, policy.scan_settings(limits))
    return policy.evaluate(msg, result)
