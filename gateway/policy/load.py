"""Load a policy directory: ``default.yaml`` (or ``override.d/default.yaml``) plus ``local.d/*.yaml``.

Every error carries ``file:line`` from PyYAML's node marks so an operator can fix it; a policy that does not
validate is never half-loaded (the caller keeps the old one).

Security: ``yaml.safe_load`` semantics only (compose + our own construction); regexes are not accepted here yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from gateway.model import Action, Category, Mode, Reason, Scope
from gateway.paths import bundled_policy_dir
from gateway.policy.model import Condition, Policy, Rule, with_data_files

_TOP_KEYS = {"version", "mode", "report_threshold", "detectors", "rules", "groups"}
_RULE_KEYS = {"id", "description", "when", "action", "mode", "reply", "notify"}
_WHEN_KEYS = {"recipients", "categories", "unscannable", "sender", "recipient_domains"}


class PolicyError(Exception):
    """A policy that cannot be used; ``errors`` are ``file:line: message`` strings."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(slots=True)
class _Ctx:
    file: str
    errors: list[str]

    def err(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.errors.append(f"{self.file}:{line}: {message}")


def load_policy(directory: Path | str | None = None) -> Policy:
    """Load and validate a policy directory (default: the bundled ``policies/``); raise ``PolicyError``."""
    root = Path(directory) if directory is not None else bundled_policy_dir()
    base = root / "override.d" / "default.yaml"
    if not base.is_file():
        base = root / "default.yaml"
    if not base.is_file():
        raise PolicyError([f"{root}: no default.yaml"])
    errors: list[str] = []
    top, top_ctx = _read(base, errors)
    rules: list[Rule] = []
    for local in sorted((root / "local.d").glob("*.yaml")) if (root / "local.d").is_dir() else []:
        data, ctx = _read(local, errors)
        if data is not None:
            rules.extend(_rules(data, ctx))
    policy = None
    if top is not None:
        policy = _policy(top, top_ctx, rules, str(root))
        policy = replace(policy, detectors=with_data_files(root, policy.detectors))
    _check_ids(policy, errors)
    if errors or policy is None:
        raise PolicyError(errors or [f"{base}:0: empty policy"])
    return policy


def _read(path: Path, errors: list[str]) -> tuple[yaml.MappingNode | None, _Ctx]:
    ctx = _Ctx(str(path), errors)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        ctx.err(None, f"cannot read: {exc.__class__.__name__}")
        return None, ctx
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        errors.append(f"{path}:{line}: YAML syntax error: {exc.problem}")
        return None, ctx
    if node is None:
        return None, ctx
    if not isinstance(node, yaml.MappingNode):
        ctx.err(node, "top level must be a mapping")
        return None, ctx
    return node, ctx


def _items(node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    for k, v in node.value:
        yield str(k.value), k, v


def _value(node: yaml.Node) -> Any:
    return yaml.SafeLoader(yaml.serialize(node)).get_single_data() if node is not None else None


def _policy(node: yaml.MappingNode, ctx: _Ctx, local_rules: list[Rule], source: str) -> Policy:
    fields: dict[str, Any] = {}
    rules: list[Rule] = []
    for key, knode, vnode in _items(node):
        if key not in _TOP_KEYS:
            ctx.err(knode, f"unknown key {key!r}")
        elif key == "rules":
            rules = _rules(node, ctx)
        elif key == "mode":
            fields["mode"] = _enum(Mode, _value(vnode), vnode, ctx) or Mode.ENFORCE
        elif key == "report_threshold":
            val = _value(vnode)
            if not isinstance(val, int | float) or not 0 <= val <= 1:
                ctx.err(vnode, "report_threshold must be a number in [0, 1]")
            else:
                fields["report_threshold"] = float(val)
        elif key == "detectors":
            val = _value(vnode) or {}
            if not isinstance(val, dict):
                ctx.err(vnode, "detectors must be a mapping")
            else:
                fields["detectors"] = val
    if not rules and not local_rules:
        ctx.err(node, "no rules")
    return Policy(rules=tuple(local_rules + rules), source=source, **fields)


def _rules(node: yaml.MappingNode, ctx: _Ctx) -> list[Rule]:
    out: list[Rule] = []
    for key, _, vnode in _items(node):
        if key != "rules":
            continue
        if not isinstance(vnode, yaml.SequenceNode):
            ctx.err(vnode, "rules must be a list")
            return out
        for rnode in vnode.value:
            rule = _rule(rnode, ctx)
            if rule is not None:
                out.append(rule)
    return out


def _rule(node: yaml.Node, ctx: _Ctx) -> Rule | None:
    if not isinstance(node, yaml.MappingNode):
        ctx.err(node, "a rule must be a mapping")
        return None
    raw: dict[str, Any] = {}
    for key, knode, vnode in _items(node):
        if key not in _RULE_KEYS:
            ctx.err(knode, f"unknown rule key {key!r}")
        raw[key] = (vnode, _value(vnode))
    if "id" not in raw or not isinstance(raw["id"][1], str):
        ctx.err(node, "rule without an id")
        return None
    if "action" not in raw:
        ctx.err(node, f"rule {raw['id'][1]!r} has no action")
        return None
    action = _enum(Action, raw["action"][1], raw["action"][0], ctx)
    mode = _enum(Mode, raw["mode"][1], raw["mode"][0], ctx) if "mode" in raw else None
    when = _condition(raw["when"][0], ctx) if "when" in raw else Condition()
    notify = raw.get("notify", (None, []))[1] or []
    bad_notify = [n for n in notify if n not in ("sender", "security")]
    if bad_notify:
        ctx.err(raw["notify"][0], f"notify accepts sender, security (got {bad_notify})")
    if action is None or when is None:
        return None
    return Rule(id=raw["id"][1], action=action, when=when, description=str(raw.get("description", (0, ""))[1]),
                mode=mode, reply=raw.get("reply", (None, None))[1], notify=frozenset(notify))


def _condition(node: yaml.Node, ctx: _Ctx) -> Condition | None:
    if not isinstance(node, yaml.MappingNode):
        ctx.err(node, "when must be a mapping")
        return None
    kw: dict[str, Any] = {}
    for key, knode, vnode in _items(node):
        val = _value(vnode)
        items = val if isinstance(val, list) else [val]
        if key not in _WHEN_KEYS:
            ctx.err(knode, f"unknown condition {key!r}")
        elif key == "recipients":
            kw["recipients"] = frozenset(s for s in (_enum(Scope, i, vnode, ctx) for i in items) if s)
        elif key == "categories":
            kw["categories"] = frozenset(c for c in (_enum(Category, i, vnode, ctx) for i in items) if c)
        elif key == "unscannable":
            kw["unscannable"] = frozenset() if val == "any" else frozenset(
                r for r in (_enum(Reason, i, vnode, ctx) for i in items) if r)
        elif key == "sender":
            kw["senders"] = tuple(str(i) for i in items)
        elif key == "recipient_domains":
            kw["recipient_domains"] = tuple(str(i).lower() for i in items)
    return Condition(**kw)


def _enum(kind: type[Any], value: Any, node: yaml.Node, ctx: _Ctx) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m) for m in kind)
        ctx.err(node, f"unknown {kind.__name__.lower()} {value!r} (one of {allowed})")
        return None


def _check_ids(policy: Policy | None, errors: list[str]) -> None:
    if policy is None:
        return
    seen: set[str] = set()
    for rule in policy.rules:
        if rule.id in seen:
            errors.append(f"{policy.source}:0: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
