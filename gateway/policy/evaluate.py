"""Policy evaluation as functions (the logic lives on ``Policy``: ``decide`` per recipient, ``evaluate``).

Security: only decides; never touches content.
"""

from __future__ import annotations

from gateway.model import Decision, Message, Recipient, ScanResult, Verdict
from gateway.policy.model import Policy


def decide(policy: Policy, sender: str, rcpt: Recipient, result: ScanResult) -> Decision:
    """The decision for one recipient."""
    return policy.decide(sender, rcpt, result)


def evaluate(policy: Policy, msg: Message, result: ScanResult) -> Verdict:
    """One decision per envelope recipient."""
    return policy.evaluate(msg, result)
