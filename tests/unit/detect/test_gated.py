"""Literal-gated alternations answer exactly like the plain regex."""

import re

from hypothesis import given
from hypothesis import strategies as st

from gateway.detect import _marker_rules as rules
from gateway.detect._gated import Gated, literal_prefix, split_alternatives


def test_split_respects_groups_classes_and_escapes() -> None:
    assert split_alternatives(r"a(?:b|c)|[|x]|\||d") == [r"a(?:b|c)", r"[|x]", r"\|", "d"]


def test_literal_prefix() -> None:
    assert literal_prefix(r"utbildning(?:en)?\s") == "utbildning"
    assert literal_prefix(r"(?<![a-zåäö])den\ssom") == "den"
    assert literal_prefix(r"kurse?\s") == "kurs"
    assert literal_prefix(r"(?:^|\n)kl") == ""
    assert literal_prefix("ab") == ""


WORDS = ["utbildning i ", "policy", "denna lag", "kl. 09.00", "sekretess", "den som ", "hej", "\n", " ", "lag (2017:900)"]


@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_same_answer_as_the_plain_pattern(parts: list[str]) -> None:
    text = "".join(parts)
    for pattern in (rules.GENERAL_CUES, rules.STATUTE_CUES, rules.DISCLAIMER_CUES):
        assert bool(Gated(pattern).search(text)) == bool(pattern.search(text))


def test_findall_counts_every_alternative() -> None:
    g = Gated(re.compile(r"abc|def|x+"))
    assert sorted(g.findall("abc def xx abc")) == ["abc", "abc", "def", "xx"]


def test_gate_literals_look_past_lookbehinds_anchors_and_optional_groups() -> None:
    from gateway.detect._gated import gate_literals

    assert gate_literals(r"(?:två\s|tre\s)?(?:typer|sorters?)\sav") == ["typer", "sorter"]
    assert gate_literals(r"(?<![a-z])(?:inte|ej)\sskick") == ["inte", "ej"]
    assert gate_literals(r"(?:^|\n)\s*(?:svar|fråga)\s?:") == ["svar", "fråga"]
    assert gate_literals(r"(?:^|\n)[ \t]*[0-2]?[0-9][.:]") == []
    assert gate_literals(r"(?:a|bb)x") == []  # a one-letter option cannot gate


def test_marker_anchor_dfa_finds_what_the_trie_regex_finds() -> None:
    text = ("Sekretessbelagd enligt OSL 26:1. SKYDDAD identitet, Unntatt offentlighet jf. offl. § 13, "
            "U.off. Konfidentiellt; taushetsbelagt, KVARSKRIVEN, fortrolig adresse, oslo, §§ 3")
    regex = [(m.start(), m.group()) for m in rules.PREFILTER.finditer(text)]
    dfa = [(s, rules.ANCHOR_WORDS[i]) for i, s, _ in rules.ANCHORS.find_matches_as_indexes(text)]
    assert dfa == regex and len(dfa) >= 10
