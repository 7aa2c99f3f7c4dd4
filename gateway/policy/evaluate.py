"""Policy evaluation: a pure function of message, scan result and policy (first matching rule wins).

Security: only decides; never touches content. A rule in ``test`` mode records the intended action but
delivers, exactly like Purview's test modes.
"""

from __future__ import annotations

from gateway.model import Action, Decision, Message, Mode, Recipient, ScanResult, Verdict
from gateway.policy.model import Policy, Rule

_FALLBACK = Rule(id="default", action=Action.DELIVER)


def decide(policy: Policy, sender: str, rcpt: Recipient, result: ScanResult) -> Decision:
    """The decision for one recipient."""
    rule = next((r for r in policy.rules if r.when.matches(sender, rcpt, result)), _FALLBACK)
    mode = rule.mode or policy.mode
    action = rule.action if mode == Mode.ENFORCE else Action.DELIVER
    notify = rule.notify if mode != Mode.TEST else frozenset()
    return Decision(rcpt, action, rule.action, rule.id, mode, rule.reply, notify)


def evaluate(policy: Policy, msg: Message, result: ScanResult) -> Verdict:
    """One decision per envelope recipient."""
    decisions = tuple(decide(policy, msg.mail_from, r, result) for r in msg.rcpts)
    return Verdict(msg.incident, decisions, result)
