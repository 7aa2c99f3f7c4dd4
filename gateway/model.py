"""Types passed between the pipeline stages (design §2.3).

Every stage speaks these frozen, slotted dataclasses so that a stage can be read and tested on its own:
parse/extract produce ``TextChunk``/``Part``/``Unscannable``, detectors produce ``Hit``, the scanner folds
hits into ``Finding`` and returns a ``ScanResult``, the policy turns that into a ``Verdict``.

Security: nothing here holds a matched value except ``TextChunk.text`` (inside one scan) and
``Message.raw``; ``Finding.sample`` is always masked by ``gateway.masking`` before it is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Scope(StrEnum):
    """Where a recipient lives, as seen from the organisation."""

    INTERNAL = "internal"
    PARTNER = "partner"
    EXTERNAL = "external"


class Action(StrEnum):
    """What the gateway does with a message for one recipient."""

    DELIVER = "deliver"
    BLOCK = "block"
    REROUTE = "reroute"
    QUARANTINE = "quarantine"


class Mode(StrEnum):
    """Enforce a rule, or only record (and optionally tell the sender) what it would have done."""

    ENFORCE = "enforce"
    TEST = "test"
    TEST_NOTIFY = "test_notify"


class Category(StrEnum):
    """The closed set of finding categories (a contract: `scan --json`, metrics, policy)."""

    PERSONNUMMER = "personnummer"
    HEALTH = "health"
    CONFIDENTIAL = "confidential"
    SPECIAL_CATEGORY = "special_category"
    UNSCANNABLE = "unscannable"


class Reason(StrEnum):
    """Why content could not be inspected (closed set)."""

    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    OVER_LIMIT = "over_limit"
    TIMEOUT = "timeout"
    PARSER_CRASH = "parser_crash"
    UNSUPPORTED = "unsupported"
    NEEDS_OCR = "needs_ocr"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a piece of text came from: ``("attachment[1] report.docx", "header1.xml")``.

    Elements are already safe to show (file names are masked by the extractor via
    ``gateway.masking.safe_filename``).
    """

    path: tuple[str, ...]

    def __str__(self) -> str:
        return " > ".join(self.path)

    def child(self, name: str) -> Location:
        """The location of something inside this one (a zip member, a part of a document)."""
        return Location((*self.path, name))


@dataclass(frozen=True, slots=True)
class Unscannable:
    """Content that could not be inspected; the policy decides on it (fail closed by default)."""

    location: Location
    reason: Reason
    detail: str = ""  # e.g. the limit that was hit ("max_archive_depth=3"); never content


Origin = Literal["header", "body", "attachment", "filename", "metadata"]


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Extracted text of one place in a message, ready for normalisation and detection."""

    location: Location
    origin: Origin
    text: str
    ocr: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    """A binary object found inside a message or container, to be sniffed and extracted."""

    location: Location
    declared_type: str
    filename: str | None
    data: bytes
    depth: int
    sniffed_type: str = ""


@dataclass(frozen=True, slots=True)
class PartInfo:
    """What `explain` shows per part: declared and sniffed type, extractor and text size."""

    location: str
    declared_type: str
    sniffed_type: str
    extractor: str
    chars: int
    size: int


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of one detector inside one normalised chunk.

    ``value`` is the matched identifier (only identity-number detectors set it; it is used for masking
    and distinct counting, and never leaves the scanner). ``sample`` is set by lexicon/marker detectors
    to the rule or entry name, which is safe to show.
    """

    detector: str
    category: Category
    span: tuple[int, int]
    confidence: float
    kind: str = ""
    evidence: tuple[str, ...] = ()
    value: str = field(default="", repr=False)
    sample: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """Hits of one detector in one location, folded; the only detection output that leaves a scan."""

    detector: str
    category: Category
    location: str
    count: int
    confidence: float
    sample: str
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The `scan --json` shape (design §12)."""
        return {
            "detector": self.detector,
            "category": str(self.category),
            "location": self.location,
            "count": self.count,
            "confidence": round(self.confidence, 2),
            "sample": self.sample,
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything a scan learned about a message; picklable, so it crosses the worker-pool boundary."""

    findings: tuple[Finding, ...]
    unscannable: tuple[Unscannable, ...]
    parts: tuple[PartInfo, ...] = ()
    scan_ms: float = 0.0
    below_threshold: tuple[Finding, ...] = ()

    @property
    def categories(self) -> tuple[Category, ...]:
        """Categories present, in the closed set's order (``unscannable`` when anything was unreadable)."""
        present = {f.category for f in self.findings}
        if self.unscannable:
            present.add(Category.UNSCANNABLE)
        return tuple(c for c in Category if c in present)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One envelope recipient with its scope."""

    address: str
    domain: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class Message:
    """One message as received: raw bytes (line endings already CRLF-normalised) and its envelope."""

    raw: bytes
    mail_from: str
    rcpts: tuple[Recipient, ...]
    incident: str
    fingerprint: str
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[tuple[str, ...], ...] = ()  # per recipient, same order as rcpts
    peer: str = ""
    queue_id: str | None = None
    received_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMTP reply; text is ASCII (aiosmtpd pushes ASCII unless SMTPUTF8)."""

    code: int
    enhanced: str
    text: str

    def render(self) -> str:
        """One or more reply lines, ``code-enh text`` continued, ``code enh text`` last."""
        lines = self.text.split("\n")
        out = [f"{self.code}-{self.enhanced} {line}" for line in lines[:-1]]
        out.append(f"{self.code} {self.enhanced} {lines[-1]}")
        return "\r\n".join(out)


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's decision for one recipient."""

    recipient: Recipient
    action: Action
    intended: Action
    rule: str
    mode: Mode = Mode.ENFORCE
    reply: str | None = None  # name of a reply template for blocks
    notify: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Verdict:
    """Decisions for every recipient of one message, with the scan they rest on."""

    incident: str
    decisions: tuple[Decision, ...]
    result: ScanResult

    @property
    def action(self) -> Action:
        """The message-level action: the most restrictive one of any recipient (for `scan`)."""
        order = [Action.BLOCK, Action.QUARANTINE, Action.REROUTE, Action.DELIVER]
        actions = {d.action for d in self.decisions}
        return next((a for a in order if a in actions), Action.DELIVER)

    @property
    def rule(self) -> str:
        """The rule behind the message-level action."""
        for d in self.decisions:
            if d.action == self.action:
                return d.rule
        return "default"
