"""Policy loading: the bundled default, operator rules in local.d, and file:line errors."""

from pathlib import Path

import pytest

from gateway.model import (
    Action,
    Category,
    Finding,
    Location,
    Message,
    Reason,
    Recipient,
    ScanResult,
    Scope,
    Unscannable,
)
from gateway.policy import PolicyError, load_policy


def _msg(*scopes: Scope) -> Message:
    rcpts = tuple(Recipient(f"r{i}@d{i}.se", f"d{i}.se", s) for i, s in enumerate(scopes))
    return Message(b"", "s@kommun.se", rcpts, "DLP-20260101-AAAAAAAA", "f")


def _result(*cats: Category, unscannable: bool = False) -> ScanResult:
    findings = tuple(Finding("x", c, "body", 1, 0.9, "s") for c in cats)
    uns = (Unscannable(Location(("attachment[1] a.zip",)), Reason.ENCRYPTED),) if unscannable else ()
    return ScanResult(findings, uns)


def test_bundled_default_decides_as_the_design_says() -> None:
    policy = load_policy()
    ext = _msg(Scope.EXTERNAL)
    assert policy.evaluate(ext, _result()).action == Action.DELIVER
    for cat in (Category.PERSONNUMMER, Category.HEALTH, Category.CONFIDENTIAL, Category.SPECIAL_CATEGORY):
        v = policy.evaluate(ext, _result(cat))
        assert (v.action, v.rule) == (Action.REROUTE, "sensitive-external")
        assert v.decisions[0].notify == {"sender"}
    v = policy.evaluate(ext, _result(unscannable=True))
    assert (v.action, v.rule, v.decisions[0].reply) == (Action.BLOCK, "unscannable-external", "unscannable")


def test_internal_recipients_get_plain_delivery_partner_counts_as_external() -> None:
    policy = load_policy()
    v = policy.evaluate(_msg(Scope.INTERNAL, Scope.PARTNER), _result(Category.HEALTH))
    assert [d.action for d in v.decisions] == [Action.DELIVER, Action.REROUTE]


def _write(tmp: Path, name: str, text: str) -> None:
    (tmp / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp / name).write_text(text, encoding="utf-8")


def test_local_rules_come_first_and_test_mode_delivers(tmp_path: Path) -> None:
    _write(tmp_path, "default.yaml", "version: 1\nrules:\n  - {id: default, action: deliver}\n")
    _write(tmp_path, "local.d/soc.yaml",
           "rules:\n  - id: soc-block\n    when: {sender: '*@kommun.se', categories: [health]}\n"
           "    action: block\n    mode: test\n")
    policy = load_policy(tmp_path)
    d = policy.evaluate(_msg(Scope.EXTERNAL), _result(Category.HEALTH)).decisions[0]
    assert (d.rule, d.action, d.intended, str(d.mode)) == ("soc-block", Action.DELIVER, Action.BLOCK, "test")


def test_errors_carry_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "default.yaml",
           "version: 1\nrules:\n  - id: a\n    action: explode\n  - id: b\n    when: {categories: [gossip]}\n"
           "    action: deliver\n    colour: red\n")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    errors = info.value.errors
    assert any(e.endswith("default.yaml:4: unknown action 'explode' (one of deliver, block, reroute, quarantine)")
               for e in errors), errors
    assert any(":6: unknown category 'gossip'" in e for e in errors)
    assert any(":8: unknown rule key 'colour'" in e for e in errors)


def test_yaml_syntax_error_and_missing_dir(tmp_path: Path) -> None:
    _write(tmp_path, "default.yaml", "rules: [\n")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    assert "YAML syntax error" in info.value.errors[0]
    with pytest.raises(PolicyError):
        load_policy(tmp_path / "nope")
