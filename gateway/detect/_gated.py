"""A big regex alternation, run only where one of its literal words occurs.

CPython's ``re`` tries every alternative at every position of an alternation (80 cue phrases cost ~150 µs per
600 characters). ``Gated`` splits the pattern at its top-level ``|``, finds each alternative's leading literal
word, locates all of them in one Aho-Corasick pass, and runs only the alternatives whose word is present
(alternatives without a usable literal always run). Used for yes/no cues and counts, where the leftmost
match does not matter.

Security: patterns are ours (module constants); input is bounded windows of mail text.
"""

from __future__ import annotations

import re

import ahocorasick_rs

_META = frozenset(".^$*+?{}[]\\|()")
_LEADING_LOOKBEHIND = re.compile(r"\(\?<[!=](?:\[[^\]]*\]|[^()\[\]])*\)")


def split_alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a pattern (respecting groups, classes and escapes)."""
    parts: list[str] = []
    cur: list[str] = []
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def literal_prefix(alternative: str) -> str:
    """The literal text every match of ``alternative`` starts with ("" when under three characters)."""
    lead = _LEADING_LOOKBEHIND.match(alternative)
    body = alternative[lead.end() :] if lead else alternative
    out: list[str] = []
    for ch in body:
        if ch in _META:
            break
        out.append(ch)
    literal = "".join(out)
    if literal and len(body) > len(literal) and body[len(literal)] in "?*{":
        literal = literal[:-1]  # a quantifier makes the last character optional
    return literal if len(literal) >= 3 else ""


# Leading elements that add no literal: a lookbehind, a start-of-line anchor, optional whitespace, an optional
# group. Skipping them is sound because a gate literal only has to occur somewhere in every match.
_SKIPPABLE = re.compile(r"\(\?<[!=](?:\[[^\]]*\]|[^()\[\]])*\)|\(\?:\^\|\\n\)|\\s\*|\[ \\t\]\*|\(\?:[^()]*\)\?")
_LITERAL_GROUP = re.compile(r"\(\?:((?:[^()\\\[\]*+{}.^$|?]+\??\|)*[^()\\\[\]*+{}.^$|?]+\??)\)(?![?*{])")


def gate_literals(alternative: str) -> list[str]:
    """Literals of which at least one occurs in every match of ``alternative`` ([] when none is known)."""
    prefix = literal_prefix(alternative)
    if prefix:
        return [prefix]
    body = alternative
    while (m := _SKIPPABLE.match(body)) is not None and m.end() > 0:
        body = body[m.end() :]
    group = _LITERAL_GROUP.match(body)
    if group:
        options = [o[:-2] if o.endswith("?") else o for o in group.group(1).split("|")]
        return options if all(len(o) >= 2 for o in options) else []
    prefix = literal_prefix(body)
    return [prefix] if prefix else []


class Gated:
    """``search`` / ``findall`` with the semantics "does any alternative match" / "all matches"."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        always: list[re.Pattern[str]] = []
        literals: list[str] = []
        gated: list[re.Pattern[str]] = []
        for alt in split_alternatives(pattern.pattern):
            compiled = re.compile(alt, pattern.flags)
            lits = gate_literals(alt)
            for lit in lits:
                literals.append(lit)
                gated.append(compiled)
            if not lits:
                always.append(compiled)
        self._always = always
        self._gated = gated
        self._ac = ahocorasick_rs.AhoCorasick(literals) if literals else None

    def _candidates(self, text: str) -> list[re.Pattern[str]]:
        found = [] if self._ac is None else self._ac.find_matches_as_indexes(text, overlapping=True)
        picked = dict.fromkeys(self._gated[i] for i in sorted({m[0] for m in found}))  # one run per alternative
        return self._always + list(picked)

    def search(self, text: str) -> re.Match[str] | None:
        """Some match of the alternation in ``text`` (not necessarily the leftmost)."""
        for p in self._candidates(text):
            m = p.search(text)
            if m:
                return m
        return None

    def findall(self, text: str) -> list[str]:
        """Every match of every alternative."""
        return [m.group() for p in self._candidates(text) for m in p.finditer(text)]
