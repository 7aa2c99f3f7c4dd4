"""The immutable policy: ordered rules, each a condition and an action (design §7.1).

This is the minimal engine the detection issue needs (the policy issue extends the condition set); a
``Policy`` is built once per load and swapped whole on reload, so in-flight messages keep theirs.

Security: conditions look only at scopes, categories, sender and unscannable reasons — never at content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from gateway.extract.base import Limits
from gateway.model import (
    Action,
    Category,
    Decision,
    Message,
    Mode,
    Reason,
    Recipient,
    ScanResult,
    Scope,
    Verdict,
)
from gateway.settings import ScanSettings


@dataclass(frozen=True, slots=True)
class Condition:
    """``when:`` of a rule; an empty condition matches everything."""

    recipients: frozenset[Scope] = frozenset()
    categories: frozenset[Category] = frozenset()
    unscannable: frozenset[Reason] | None = None  # None: not a condition; empty set: any reason
    senders: tuple[str, ...] = ()
    recipient_domains: tuple[str, ...] = ()

    def matches(self, sender: str, rcpt: Recipient, result: ScanResult) -> bool:
        """Does this condition hold for one recipient of a scanned message?"""
        if self.recipients and not self._scope_ok(rcpt.scope):
            return False
        if self.recipient_domains and not any(fnmatchcase(rcpt.domain, d) for d in self.recipient_domains):
            return False
        if self.senders and not any(fnmatchcase(sender.lower(), s.lower()) for s in self.senders):
            return False
        if self.categories and not self.categories & {f.category for f in result.findings}:
            return False
        if self.unscannable is not None:
            reasons = {u.reason for u in result.unscannable}
            if not reasons or (self.unscannable and not self.unscannable & reasons):
                return False
        return True

    def _scope_ok(self, scope: Scope) -> bool:
        # `external` also matches partners (design §7.1)
        return scope in self.recipients or (scope == Scope.PARTNER and Scope.EXTERNAL in self.recipients)


@dataclass(frozen=True, slots=True)
class Rule:
    """One named rule; ids are stable (seen in `scan --json`, audit and metrics)."""

    id: str
    action: Action
    when: Condition = field(default_factory=Condition)
    description: str = ""
    mode: Mode | None = None
    reply: str | None = None
    notify: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated, merged policy."""

    rules: tuple[Rule, ...]
    mode: Mode = Mode.ENFORCE
    report_threshold: float = 0.7
    detectors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = ""

    def evaluate(self, msg: Message, result: ScanResult) -> Verdict:
        """One decision per envelope recipient: a pure function of message, scan result and policy."""
        return Verdict(msg.incident, tuple(self.decide(msg.mail_from, r, result) for r in msg.rcpts), result)

    def decide(self, sender: str, rcpt: Recipient, result: ScanResult) -> Decision:
        """The first matching rule decides; a rule in ``test`` mode records the intended action but delivers."""
        rule = next((r for r in self.rules if r.when.matches(sender, rcpt, result)), _FALLBACK)
        mode = rule.mode or self.mode
        action = rule.action if mode == Mode.ENFORCE else Action.DELIVER
        notify = rule.notify if mode != Mode.TEST else frozenset()
        return Decision(rcpt, action, rule.action, rule.id, mode, rule.reply, notify)

    def scan_settings(self, limits: Limits | None = None) -> ScanSettings:
        """What a scan needs from this policy: threshold and per-detector settings (data files included)."""
        return ScanSettings(limits=limits or Limits(), report_threshold=self.report_threshold,
                            detectors=self.detectors)

    def detector_settings(self) -> dict[str, dict[str, Any]]:
        """Per-detector settings (a copy), as the scan sees them."""
        return {k: dict(v) for k, v in self.detectors.items() if isinstance(v, Mapping)}


_FALLBACK = Rule(id="default", action=Action.DELIVER)


def with_data_files(root: Path, detectors: Mapping[str, Any]) -> dict[str, Any]:
    """Per-detector settings with a policy directory's own ``lexicons/`` and ``labels.yaml`` filled in.

    Done once at load (not per message): a directory other than the bundled one contributes its lexicons to
    the health and special-category detectors and its label mapping over the bundled one, unless the policy's
    ``detectors:`` section names files itself.
    """
    out: dict[str, Any] = {k: dict(v) if isinstance(v, Mapping) else v for k, v in detectors.items()}
    if not root.is_dir() or _is_bundled(root):
        return out
    if (root / "lexicons").is_dir():
        for det in ("health", "special_category"):
            out.setdefault(det, {}).setdefault("lexicon_dirs", [str(root / "lexicons")])
    if (root / "labels.yaml").is_file():
        out.setdefault("labels", {}).setdefault("file", str(root / "labels.yaml"))
    return out


def _is_bundled(root: Path) -> bool:
    from gateway.paths import bundled_policy_dir

    try:
        return root.resolve() == bundled_policy_dir().resolve()
    except FileNotFoundError:
        return False
