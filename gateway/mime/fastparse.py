"""The tree ``email`` builds for a clean multipart message, without reading every body line through it.

``email.feedparser`` reads a part's body one line at a time, checking each line against every enclosing
boundary: for mail with a 30 KiB base64 attachment that is ~500 ``readline`` calls and most of the scan time
(1.8 ms of 3.2 ms per message in ``bench/throughput.py``'s office mix). Here the lines are split once, boundary
lines are found with one anchored regex per nesting level, and only the header blocks go through ``email``
(``headersonly``). The steps mirror ``FeedParser._parsegen`` for multiparts: preamble up to the first
boundary (its last line ending belongs to the boundary), one entity per part ending at the next line that
matches any enclosing boundary, the line ending before a boundary stripped from a leaf body or a nested
multipart's epilogue, the epilogue after the close boundary.

Taken only when nothing unusual is present — every line ends in CRLF, every header block ends at a blank line
and parses without defects, every multipart declares a boundary, uses 7bit/8bit/binary, opens with a boundary
line and closes with its close boundary, no two boundary lines follow each other, no ``message/*`` part and no
``multipart/digest`` (whose parts default to ``message/rfc822``), at most ``MAX_PARTS`` parts and
``MAX_DASH_LINES`` lines starting with ``--``. Anything else returns ``None`` and gets ``email``'s full parse,
defects and all. ``tests/unit/mime/test_fastparse.py`` compares both trees.

Security: linear in the input (one split, one regex match per line per nesting level; the nesting depth is
already bounded by ``payload.bound``); never raises for any input.
"""

from __future__ import annotations

import bisect
import re
from email import policy
from email.message import Message
from email.parser import Parser

# feedparser's headerRE: a header line, a continuation line, or a Unix From line
_HEADER_LINE = re.compile(r"(From |[\041-\071\073-\176]*:|[\t ])")
_OK_MULTIPART_CTE = ("7bit", "8bit", "binary")
# Beyond these, email's own parser is as fast or faster (each part here costs one header parse of ~20 µs; a
# flood of "--" lines is tested one by one in Python): ordinary mail has a handful of each.
MAX_PARTS = 100
MAX_DASH_LINES = 1000


class _Slow(Exception):  # noqa: N818 - control flow: this message needs the full parse
    pass


def parse_multipart(raw: bytes) -> Message | None:
    """``BytesParser(policy=compat32).parsebytes(raw)`` for a clean multipart message; else ``None``."""
    dash_lines = raw.count(b"\r\n--")
    if not dash_lines or dash_lines > MAX_DASH_LINES or not raw.count(b"\r\n") == raw.count(b"\r") == raw.count(b"\n"):
        return None
    try:
        return _Lines(raw.decode("ascii", "surrogateescape")).top()
    except (_Slow, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - any surprise: the full parse decides
        return None


class _Lines:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\r\n")
        self.ends_with_eol = self.lines[-1] == ""
        if self.ends_with_eol:
            self.lines.pop()
        self.n = len(self.lines)
        # only a line starting with "--" can be a boundary: bodies are skipped by bisecting these
        self.dashes = [i for i, line in enumerate(self.lines) if line[:2] == "--"]
        if len(self.dashes) > MAX_DASH_LINES:
            raise _Slow
        self.parts = 0

    def join(self, a: int, b: int) -> str:
        """Lines ``a`` to ``b`` (exclusive) with their line endings, as feedparser sees them."""
        if b <= a:
            return ""
        tail = "\r\n" if b < self.n or self.ends_with_eol else ""
        return "\r\n".join(self.lines[a:b]) + tail

    def next_end(self, i: int, stack: tuple[str, ...]) -> int:
        """The first line at or after ``i`` that is a boundary line of ``stack`` (``n`` if none)."""
        for k in self.dashes[bisect.bisect_left(self.dashes, i):]:
            if _ends(self.lines[k], stack):
                return k
        return self.n

    def top(self) -> Message:
        msg, _end, body = self._headers(0, ())
        if msg.get_content_maintype() != "multipart":
            raise _Slow  # leaves have their own fast path (payload._single_part)
        self._multipart(msg, body, ())
        return msg

    def _headers(self, i: int, stack: tuple[str, ...]) -> tuple[Message, int, int]:
        """Parse the header block at ``i``; (message, index of the blank line, first body line)."""
        j = i
        while j < self.n and self.lines[j] != "":
            if _ends(self.lines[j], stack) or not _HEADER_LINE.match(self.lines[j]):
                raise _Slow  # a part cut off in its headers, or a body line without the blank separator
            j += 1
        if j >= self.n:
            raise _Slow
        block = self.join(i, j) + "\r\n"
        msg = Parser(policy=policy.compat32).parsestr(block, headersonly=True)
        if msg.defects:
            raise _Slow
        return msg, j, j + 1

    def _entity(self, i: int, stack: tuple[str, ...]) -> tuple[Message, int]:
        """One part starting at line ``i``; returns it and the index of the line that ended it."""
        msg, _blank, body = self._headers(i, stack)
        maintype = msg.get_content_maintype()
        if maintype == "message":
            raise _Slow
        if maintype == "multipart":
            return msg, self._multipart(msg, body, stack)
        k = self.next_end(body, stack)
        msg.set_payload(self.join(body, k))
        return msg, k

    def _multipart(self, msg: Message, i: int, outer: tuple[str, ...]) -> int:
        """Fill multipart ``msg`` from line ``i``; returns the index of the line after its epilogue."""
        boundary = msg.get_boundary()
        cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if boundary is None or cte not in _OK_MULTIPART_CTE or msg.get_content_type() == "multipart/digest":
            raise _Slow
        here = "--" + boundary
        stack = (*outer, here)
        msg._payload = None  # type: ignore[attr-defined]  # attach() starts the list, as in feedparser
        k = self._preamble(msg, i, here, outer)
        while True:
            if k >= self.n or _ends(self.lines[k], outer):
                raise _Slow  # no close boundary
            kind = _boundary(self.lines[k], here)
            if kind == 0:
                raise _Slow
            if kind == CLOSE:
                return self._epilogue(msg, k, outer)
            k += 1
            if k < self.n and _boundary(self.lines[k], here):
                raise _Slow  # repeated boundary lines: feedparser skips them; rare enough to leave to it
            self.parts += 1
            if self.parts > MAX_PARTS:
                raise _Slow
            child, k = self._entity(k, stack)
            msg.attach(child)
            _strip_before_boundary(child)

    def _preamble(self, msg: Message, i: int, here: str, outer: tuple[str, ...]) -> int:
        """Lines before the first boundary; returns the index of that boundary line."""
        k = self.next_end(i, (*outer, here))
        if k >= self.n or _boundary(self.lines[k], here) != PART:
            raise _Slow  # no start boundary (or an enclosing part ends first, or a close boundary first)
        if k > i:
            preamble = self.join(i, k)
            msg.preamble = preamble[:-2] if preamble.endswith("\r\n") else preamble
        return k

    def _epilogue(self, msg: Message, k: int, outer: tuple[str, ...]) -> int:
        start = k + 1
        k = self.next_end(start, outer)
        # feedparser starts the epilogue with '' when the close boundary had a line ending, then adds the lines
        msg.epilogue = self.join(start, k)
        return k


PART, CLOSE = 1, 2


def _boundary(line: str, delimiter: str) -> int:
    """0, ``PART`` or ``CLOSE``: feedparser's ``--boundary(--)?[ \\t]*`` line test without a regex per message
    (compiling one per boundary cost ~0.2 ms a message)."""
    if not line.startswith(delimiter):
        return 0
    rest = line[len(delimiter) :]
    close = rest.startswith("--")
    if close:
        rest = rest[2:]
    if rest.strip(" \t"):
        return 0
    return CLOSE if close else PART


def _ends(line: str, stack: tuple[str, ...]) -> bool:
    """Is ``line`` a boundary line of any enclosing multipart (the end of the current part for feedparser)?"""
    return any(_boundary(line, delimiter) for delimiter in stack)


def _strip_before_boundary(child: Message) -> None:
    """RFC 2046: the line ending before a boundary belongs to it, not to the part before (feedparser's rule)."""
    if child.get_content_maintype() == "multipart":
        epilogue = child.epilogue
        if epilogue == "":
            child.epilogue = None
        elif epilogue is not None and epilogue.endswith("\r\n"):
            child.epilogue = epilogue[:-2]
        return
    payload = child._payload  # type: ignore[attr-defined]
    if isinstance(payload, str) and payload.endswith("\r\n"):
        child._payload = payload[:-2]  # type: ignore[attr-defined]
