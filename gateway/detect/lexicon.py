"""Lexicon matching engine for the health and special-category detectors (design §6.5, docs/lexicons.md).

A lexicon file holds one entry per line, ``stem anchor weight concept`` (``#`` starts a comment); the stem may
contain spaces (``medlem i kommunal``), so the last three fields are split off from the right. Anchors say
where in a token (a run of letters/digits) the stem must sit; the input is never stemmed:

* ``head`` — token prefix: ``diabetes`` finds ``diabetesdiagnosen``, ``typ 1-diabetes``;
* ``tail`` — token end, optionally followed by one inflection of a closed list (``tail(en|er|erna)`` names its
  own): ``missbruk`` finds ``alkoholmissbruket``;
* ``exact`` — the whole token (short or ambiguous stems: ``hiv``, ``lss``, ``bup``);
* ``any`` — anywhere inside a token (long, distinctive stems: ``diabetes`` in ``barndiabetesmottagningen``);
* ``word`` — the whole token plus one inflection (``concerta`` finds ``Concertan``, not a compound): brand
  names that are also the first part of unrelated words (``amaryl`` / ``amaryllis``).

Weights: ``S`` strong, ``M`` medium, ``W`` weak (only raises), ``X`` block-list (suppresses any overlapping
match: ``journalist head X block`` keeps ``Journalisten`` from matching ``journal``). A stem written with
capitals (``KOL``, ``MS``) only matches text in exactly that case. All entries of all files are compiled
once per process into one Aho-Corasick automaton (``ahocorasick_rs`` when installed, else ``pyahocorasick``)
and run in one C pass over ``Text.lower``; Python only looks at candidates.

Security: lexicon files are operator-controlled configuration (bundled ``policies/lexicons/`` plus
``local/`` and configured extra directories); mail text is only searched, never interpreted. Matching is
linear in the text (Aho-Corasick) plus a bounded look-around per candidate (tokens are cut at
``_MAX_TOKEN`` characters).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ANCHORS = frozenset({"head", "tail", "exact", "any", "word"})
WEIGHTS = frozenset({"S", "M", "W", "X"})
MARKER_KINDS = ("role", "possessive", "weak", "doc")
DEFAULT_INFLECTIONS: tuple[str, ...] = (
    "", "s", "n", "t", "e", "a", "en", "ens", "et", "ets", "er", "ers", "erna", "ernas", "ar", "ars",
    "arna", "arnas", "or", "ors", "orna", "ornas", "na", "nas", "ne", "ene", "ane", "r", "rna", "rnas", "ns",
    "ts",
)
_SHORT = 5  # head/exact stems shorter than this are keyed with a boundary char in front (fewer raw hits)
_BOUNDARY = " \n\t(\"'/-,.;:[«»“”‘’_*+&<>|=!?•·…§#@"
_MAX_TOKEN = 64
_AT_START = frozenset({"head", "exact", "word"})
_RECHECK_SECONDS = 5.0
_SURROGATES = re.compile("[\ud800-\udfff]")


class LexiconError(ValueError):
    """A malformed lexicon line; the message names ``file:line`` (for `check-policy`)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line."""

    stem: str  # lower-case match form
    anchor: str
    weight: str
    concept: str
    inflections: tuple[str, ...] = DEFAULT_INFLECTIONS
    case: str = ""  # original spelling when the stem must match case-sensitively
    source: str = ""  # file:line, for explain and errors
    kind: str = ""  # file-name prefix: ``health``, ``special`` (which detector uses the entry)

    @property
    def name(self) -> str:
        """Display form, safe as a finding sample: ``läkarintyg*``, ``*missbruk``, ``hiv``."""
        shown = self.case or self.stem
        return {"head": f"{shown}*", "tail": f"*{shown}", "any": f"*{shown}*"}.get(self.anchor, shown)

    @property
    def group(self) -> str:
        """The concept's group (``religion`` of ``religion:muslim``)."""
        return self.concept.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Match:
    """A lexicon entry found in a text; ``span`` covers the matched stem (plus its inflection)."""

    start: int
    end: int
    entry: Entry


def parse_line(line: str, source: str, kind: str = "") -> Entry | None:
    """Parse one lexicon line (``None`` for blanks and comments); raise ``LexiconError`` when malformed."""
    body = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
    if not body:
        return None
    parts = body.rsplit(None, 3)
    if len(parts) != 4:
        raise LexiconError(f"{source}: expected 'stem anchor weight concept'")
    stem, anchor, weight, concept = parts
    inflections = DEFAULT_INFLECTIONS
    for base in ("tail", "word"):
        if anchor.startswith(base + "(") and anchor.endswith(")"):
            inflections = ("", *[s for s in anchor[len(base) + 1:-1].split("|") if s])
            anchor = base
    if anchor not in ANCHORS:
        raise LexiconError(f"{source}: unknown anchor {anchor!r} (head, tail, exact, any, word)")
    if weight not in WEIGHTS:
        raise LexiconError(f"{source}: unknown weight {weight!r} (S, M, W, X)")
    stem = " ".join(stem.split())
    if len(stem) < 2 or (anchor in ("tail", "any") and len(stem) < 4):
        raise LexiconError(f"{source}: stem {stem!r} too short for anchor {anchor}")
    case = stem if stem != stem.lower() else ""
    return Entry(stem.lower(), anchor, weight, concept, inflections, case, source, kind)


def load_markers(path: Path) -> list[Entry]:
    """Person-marker phrases (``phrase kind`` per line) as entries of kind ``person`` and weight ``P``."""
    entries: list[Entry] = []
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            body = line.split("#", 1)[0].strip()
            phrase, _, marker_kind = body.rpartition(" ")
            if not body:
                continue
            if not phrase or marker_kind not in MARKER_KINDS:
                kinds = ", ".join(MARKER_KINDS)
                raise LexiconError(f"{path.name}:{no}: expected 'phrase kind' (kind: {kinds})")
            stem = " ".join(phrase.lower().split())
            entries.append(Entry(stem, "exact", "P", marker_kind, (), "", f"{path.name}:{no}", "person"))
    return entries


def load_file(path: Path) -> list[Entry]:
    """All entries of one file, in order."""
    if path.name.startswith("person_markers"):
        return load_markers(path)
    entries: list[Entry] = []
    kind = path.name.split("_", 1)[0].split(".", 1)[0]
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            entry = parse_line(line, f"{path.name}:{no}", kind)
            if entry is not None:
                entries.append(entry)
    return entries


class Lexicon:
    """Compiled entries: ``find(text, lower)`` returns the matches that pass anchor and block-list rules."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        latest: dict[tuple[str, str, str, str], Entry] = {}
        for e in entries:  # a later file (local/, operator dirs) overrides an earlier entry for the same stem
            key = (e.stem, e.anchor, e.kind, e.case)
            latest.pop(key, None)
            latest[key] = e
        self.entries: tuple[Entry, ...] = tuple(latest.values())
        table: dict[str, list[tuple[int, int]]] = {}  # key -> [(entry index, boundary prefix length)]
        for i, e in enumerate(self.entries):
            if e.anchor in ("head", "exact", "word") and len(e.stem) < _SHORT:
                for b in _BOUNDARY:
                    table.setdefault(b + e.stem, []).append((i, 1))
            else:
                table.setdefault(e.stem, []).append((i, 0))
        self._keys = list(table)
        self._values = [tuple(table[k]) for k in self._keys]
        self._strong = [any(_triggers(self.entries[i]) for i, _ in v) for v in self._values]
        self._search = _compile(self._keys)
        self._last: tuple[object, list[Match]] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def find_cached(self, text: Any) -> list[Match]:
        """``find`` on a detector ``Text``, shared by the detectors that use this lexicon on one chunk.

        The last chunk's matches are kept (with a strong reference, so the identity check is sound): the
        health and special-category detectors run back to back on the same ``Text`` and pay one pass.
        """
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        found = self.find(text.text, text.lower)
        self._last = (text, found)
        return found

    def find(self, text: str, lower: str) -> list[Match]:
        """Matches in ``lower`` (the same-length lower-cased ``text``), block-listed ones removed.

        Empty when no S/M term (or ICD context word) occurs at all: weak terms and person markers are only
        checked in chunks that have a candidate, which keeps clean mail at the speed of the C pass."""
        hay = " " + lower
        try:
            candidates = self._search(hay)
        except UnicodeEncodeError:  # lone surrogates (surrogateescape-decoded input): same-length stand-in
            candidates = self._search(_SURROGATES.sub("\ufffd", hay))
        strong = self._strong
        if not any(strong[k] for k, _, _ in candidates):
            return []  # no S/M term anywhere: markers, weak terms and blocks cannot make a hit alone
        found: list[Match] = []
        blocks: list[tuple[int, int]] = []
        for key_index, start, end in candidates:
            for entry_index, pre in self._values[key_index]:
                entry = self.entries[entry_index]
                m = _check(entry, text, lower, start + pre - 1, end - 1)
                if m is None:
                    continue
                if entry.weight == "X":
                    blocks.append((m.start, m.end))
                else:
                    found.append(m)
        if blocks and found:
            found = [m for m in found
                     if m.entry.kind == "person" or not any(m.start < b1 and b0 < m.end for b0, b1 in blocks)]
        return found


def _triggers(entry: Entry) -> bool:
    """Entries that can start a hit (S/M terms; ICD-10 context words, which let a code count)."""
    return entry.weight in ("S", "M") or entry.group == "icdctx"


def _check(entry: Entry, text: str, lower: str, start: int, end: int) -> Match | None:
    """Apply the entry's anchor at ``lower[start:end]``; return the match span or ``None``."""
    n = len(lower)
    if start < 0:
        return None
    if entry.anchor in _AT_START and start and lower[start - 1].isalnum():
        return None
    if entry.case and text[start:end] != entry.case:
        return None
    if entry.anchor in ("head", "any"):
        return Match(start, end, entry)
    if entry.anchor == "exact":
        return Match(start, end, entry) if end >= n or not lower[end].isalnum() else None
    stop = end  # tail and word: token end after one allowed inflection
    limit = min(n, end + _MAX_TOKEN)
    while stop < limit and lower[stop].isalnum():
        stop += 1
    if lower[end:stop] in entry.inflections:
        return Match(start, stop, entry)
    return None


def _compile(keys: Sequence[str]) -> Any:
    """A function ``hay -> list of (key index, start, end)`` over all keys (overlapping matches)."""
    try:
        import ahocorasick_rs

        # DFA: ~0.3 s to build once per process, 2.5x faster matching than the default NFA (measured)
        ac = ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard,
                                        implementation=ahocorasick_rs.Implementation.DFA)
        return lambda hay: ac.find_matches_as_indexes(hay, overlapping=True)
    except ImportError:  # fallback backend (a dependency of the project already); ~3x slower
        import ahocorasick

        auto = ahocorasick.Automaton()
        for i, k in enumerate(keys):
            auto.add_word(k, (i, len(k)))
        if not keys:
            return lambda hay: []
        auto.make_automaton()

        def search(hay: str) -> list[tuple[int, int, int]]:
            return [(i, last + 1 - length, last + 1) for last, (i, length) in auto.iter(hay)]

        return search


# --- loading and caching -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def bundled_lexicon_dir() -> Path:
    """The shipped ``policies/lexicons/`` directory (found once per process)."""
    try:
        from gateway.paths import bundled_policy_dir

        return bundled_policy_dir() / "lexicons"
    except (ImportError, FileNotFoundError):  # pragma: no cover - only in odd installs
        return Path(__file__).resolve().parent.parent.parent / "policies" / "lexicons"


def lexicon_files(prefixes: Sequence[str], extra_dirs: Sequence[str | Path] = ()) -> list[Path]:
    """Files whose name starts with one of ``prefixes`` (or ``blocklist``, ``person_markers``) in the bundled
    dir, its ``local/`` subdirectory and ``extra_dirs``, in that order (sorted by name within a directory)."""
    base = bundled_lexicon_dir()
    dirs = [base, base / "local", *(Path(d) for d in extra_dirs)]
    wanted = (*prefixes, "blocklist", "person_markers")
    out: list[Path] = []
    for d in dirs:
        if d.is_dir():
            out.extend(p for p in sorted(d.glob("*.txt")) if p.name.startswith(wanted))
    return out


def build(files: Sequence[Path]) -> Lexicon:
    """Compile the entries of ``files`` (raises ``LexiconError`` on a malformed line)."""
    entries: list[Entry] = []
    for f in files:
        entries.extend(load_file(f))
    return Lexicon(entries)


_CACHE: dict[tuple[str, ...], tuple[float, tuple[tuple[str, float, int], ...], Lexicon]] = {}
_LOCK = threading.Lock()


def _signature(files: Sequence[Path]) -> tuple[tuple[str, float, int], ...]:
    sig = []
    for f in files:
        try:
            st = f.stat()
            sig.append((str(f), st.st_mtime, st.st_size))
        except OSError:
            sig.append((str(f), 0.0, -1))
    return tuple(sig)


def get(prefixes: Sequence[str], extra_dirs: Sequence[str | Path] = ()) -> Lexicon:
    """The compiled lexicon for ``prefixes``, rebuilt when a file changed (checked every few seconds).

    A file that fails to parse keeps the previous lexicon (logged by file name and line only); with no
    previous lexicon the error propagates, so a broken shipped file fails loudly in tests.
    """
    key = (*prefixes, "|", *(str(d) for d in extra_dirs))
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached is not None and now - cached[0] < _RECHECK_SECONDS:
        return cached[2]
    with _LOCK:
        files = lexicon_files(prefixes, extra_dirs)
        sig = _signature(files)
        cached = _CACHE.get(key)
        if cached is not None and cached[1] == sig:
            _CACHE[key] = (now, sig, cached[2])
            return cached[2]
        try:
            lex = build(files)
        except (LexiconError, OSError, UnicodeDecodeError) as exc:
            if cached is None:
                raise
            log.error("lexicon reload rejected, keeping the previous one: %s", exc)
            _CACHE[key] = (now, sig, cached[2])
            return cached[2]
        _CACHE[key] = (now, sig, lex)
        return lex


def validate(extra_dirs: Sequence[str | Path] = (),
             prefixes: Sequence[str] = ("health", "special")) -> list[str]:
    """Each problem in the lexicon files as ``file:line: message`` (none when all parse); for check-policy."""
    problems: list[str] = []
    for f in lexicon_files(prefixes, extra_dirs):
        try:
            load_file(f)
        except LexiconError as exc:
            problems.append(str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{f.name}: {exc.__class__.__name__}")
    return problems


def clear_cache() -> None:
    """Forget compiled lexicons (tests; a forced reload)."""
    with _LOCK:
        _CACHE.clear()
