"""gateway.replies: ASCII replies, bilingual 550 blocks, templates, LMTP rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.model import Reply
from gateway.paths import bundled_policy_dir
from gateway.replies import (
    DEFAULT_TEMPLATES,
    TEMP_INTERNAL,
    BlockTemplate,
    block_reply,
    category_text,
    check_template,
    load_templates,
    ok,
    render_lmtp,
    to_ascii,
)


def test_to_ascii_transliterates_nordic_letters_and_flattens_lines() -> None:
    assert to_ascii("Säkra meddelanden, Ärende, öga, Ø, Æ, é") == "Sakra meddelanden, Arende, oga, O, AE, e"
    assert to_ascii("a\r\n550 injected\tline") == "a 550 injected line"
    assert to_ascii("emoji \U0001f600 and \x00") == "emoji ? and ?"


def test_block_reply_two_lines_swedish_then_english() -> None:
    r = block_reply(DEFAULT_TEMPLATES["sensitive"], "DLP-20260822-7K3M9Q2T", ["personnummer"], "sensitive-external")
    lines = r.render().split("\r\n")
    assert lines[0].startswith("550-5.7.1 Meddelandet stoppades: personnummer till extern mottagare.")
    assert "Skicka via Sakra meddelanden. Arende DLP-20260822-7K3M9Q2T" in lines[0]
    assert lines[1].startswith("550 5.7.1 Blocked by data-loss policy: identity numbers to an external")
    assert lines[1].endswith("Incident DLP-20260822-7K3M9Q2T (rule sensitive-external)")
    assert all(c.isascii() for c in r.render()) and len(lines) == 2


def test_template_values_cannot_add_reply_lines() -> None:
    t = BlockTemplate("sv {rule}", "en {rule}")
    r = block_reply(t, "DLP-1", [], "x\r\n250 Ok")
    assert r.render().count("\r\n") == 1 and "250 Ok" in r.render().split("\r\n")[0]


def test_category_text_both_languages() -> None:
    assert category_text(["personnummer", "health"], 0) == "personnummer, halsouppgifter"
    assert category_text(["personnummer", "health"], 1) == "identity numbers, health data"
    assert category_text([], 1) == "sensitive content"


def test_check_template_flags_unknown_placeholders_and_non_ascii() -> None:
    assert check_template("Arende {incident} {categories} {rule}") == []
    assert any("unknown placeholder {subject}" in p for p in check_template("{subject}"))
    assert any("non-ASCII" in p for p in check_template("Ärende {incident}"))
    assert any("bad template syntax" in p for p in check_template("{incident"))


def test_bundled_replies_yaml_is_valid_and_ascii() -> None:
    templates = load_templates(bundled_policy_dir())
    assert {"sensitive", "unscannable", "use_treserva", "remove_identity"} <= set(templates)
    for t in templates.values():
        assert check_template(t.sv) == [] and check_template(t.en) == []


def test_load_templates_rejects_bad_placeholder(tmp_path: Path) -> None:
    (tmp_path / "replies.yaml").write_text("replies:\n  x: {sv: 'hej {body}', en: 'hi'}\n")
    with pytest.raises(ValueError, match="unknown placeholder"):
        load_templates(tmp_path)
    (tmp_path / "replies.yaml").write_text("replies:\n  x: {sv: 'hej'}\n")
    with pytest.raises(ValueError, match="needs 'sv' and 'en'"):
        load_templates(tmp_path)


def test_lmtp_rendering_one_reply_per_recipient() -> None:
    text = render_lmtp([ok("DLP-1"), TEMP_INTERNAL, Reply(550, "5.7.1", "a\nb")])
    assert text.split("\r\n") == ["250 2.0.0 Ok DLP-1", "451 4.3.0 Temporary local problem, please try again later",
                                  "550-5.7.1 a", "550 5.7.1 b"]
