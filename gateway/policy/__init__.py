"""Policy: load YAML, validate with file:line errors, evaluate per recipient."""

from gateway.policy.load import PolicyError, load_policy
from gateway.policy.model import Condition, Policy, Rule

__all__ = ["Condition", "Policy", "PolicyError", "Rule", "load_policy"]
