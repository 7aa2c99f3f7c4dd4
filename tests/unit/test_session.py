"""gateway.session: the DATA reader (same message and end of data as aiosmtpd's per-line loop) and envelope paths."""

from __future__ import annotations

import asyncio
import random

import pytest

from gateway.session import read_data

NEXT = b"QUIT\r\n"  # what the client sends after the end of data: must stay unread


def _reference(stream: bytes, limit: int) -> tuple[bytes | None, int]:
    """aiosmtpd 1.4.6's algorithm without a line limit: (message or None when too much, bytes consumed)."""
    pos, lines, size, fragments = 0, [], 0, False
    while True:
        end = stream.find(b"\r\n", pos)
        if end < 0:
            raise AssertionError("no end of data")
        line = stream[pos : end + 2]
        pos = end + 2
        if line == b".\r\n":
            break
        size += len(line)
        lines.append(line)
    del fragments
    if size > limit:
        return None, pos
    return b"".join(x[1:] if x.startswith(b".") else x for x in lines), pos


async def _read(stream: bytes, limit: int, chunk: int) -> tuple[bytes | None, bytes]:
    reader = asyncio.StreamReader(limit=limit + 8)

    async def feed() -> None:
        for i in range(0, len(stream), chunk):
            reader.feed_data(stream[i : i + chunk])
            await asyncio.sleep(0)

    feeder = asyncio.ensure_future(feed())
    got = await asyncio.wait_for(read_data(reader, limit), 5)
    await feeder
    reader.feed_eof()
    return got, await reader.read()


CASES = [
    b"",
    b"Subject: x\r\n\r\nhej\r\n",
    b"one line\r\n",
    b"\r\n",
    b"\r\n\r\n\r\n",
    b"..\r\n",
    b".hidden dot line\r\n..\r\n...\r\n",
    b"a\r\n..\r\nb\r\n",
    b"bare LF\n.\nstill data\r\n",
    b"lf dot crlf\n.\r\nstill data\r\n",
    b"cr dot\r.\r\nstill\r\n",
    b"\rstarts with CR\r\n",
    b"\r\r\n.\r\r\n",
    b"x" * 5000 + b"\r\n" + b"y\r\n" * 100,
    b"Subject: smuggle\r\n\r\nbody\r\n.\n\r\nMAIL FROM:<evil@example.org>\r\n",
]


@pytest.mark.parametrize("body", CASES)
@pytest.mark.parametrize("chunk", [1, 3, 7, 65536])
def test_same_message_and_end_as_aiosmtpd(body: bytes, chunk: int) -> None:
    stream = body + b".\r\n" + NEXT
    want, used = _reference(stream, 10_000)
    got, rest = asyncio.run(_read(stream, 10_000, chunk))
    assert got == want
    assert rest == stream[used:] == NEXT


def test_too_much_data_is_none_and_the_rest_is_drained() -> None:
    for body in (b"z" * 20_000 + b"\r\n", b"line\r\n" * 3000, b".\r\n".join([b"."] * 10) + b"x" * 11_000 + b"\r\n"):
        stream = body + b".\r\n" + NEXT
        for chunk in (5, 4096, 65536):
            got, rest = asyncio.run(_read(stream, 10_000, chunk))
            assert got is None and rest == NEXT


def test_random_streams_match_the_reference() -> None:
    rng = random.Random(5)
    alphabet = [b".", b"\r", b"\n", b"\r\n", b"a", b".\r\n", b"\r\n.", b"bb"]
    for _ in range(400):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) + b"\r\n"
        stream = body + b".\r\n" + NEXT
        want, used = _reference(stream, 40)
        got, rest = asyncio.run(_read(stream, 40, rng.choice([1, 2, 5, 1000])))
        assert (got, rest) == (want, stream[used:]), stream


# --- envelope paths: the fast <local@domain> parse gives aiosmtpd's result ---------------------------------

_PATHS = [
    "<>", "<> SIZE=10", "<a@b>", "<a@b> BODY=8BITMIME", "<a@b>  SIZE=100 RET=FULL", "<a@b>\tSIZE=1",
    "<a@b> SIZE=1 ", "<a.b+c@d.e>", "<@route:a@b>", "<a@[1.2.3.4]>", "<a..b@c>", "<.a@b>", "<a.@b>", "<a@b.>",
    "<a@-b>", "<A@B.SE>", "<a@b>x", "<a b@c>", "<kalle@kommun.example.se>", "<åsa@kommun.se>", "<a@b..c>",
    "<a@b> ", "<a@>", "<@b>", '<"a b"@c>', "<a@b> (comment) SIZE=1", "<a(b)@c>", "<a@b>>", "<<a@b>", "a@b",
    " <a@b>", "<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b", "<o'brien@example.org>", "<a=b@c.d>",
]


def _sessions() -> tuple[object, object]:
    from aiosmtpd.smtp import SMTP

    from gateway.session import GatewaySMTP

    class _Host:
        cfg = None
        stopping = False
        connections: set[object] = set()

    return SMTP(object()), GatewaySMTP(object(), _Host())  # type: ignore[arg-type]


@pytest.mark.parametrize("path", _PATHS)
def test_fast_path_parse_equals_aiosmtpd(path: str) -> None:
    stock, ours = _sessions()
    assert ours._getaddr(path) == stock._getaddr(path)  # type: ignore[attr-defined]


def test_generated_paths_parse_as_aiosmtpd_does() -> None:
    rng = random.Random(5)
    alphabet = "ab.@<>-_+ \t=\"()[]:;,'åZ9"
    stock, ours = _sessions()
    checked = 0
    for _ in range(20000):
        text = "<" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        try:
            expected = stock._getaddr(text)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - aiosmtpd's own parser fails on some junk; ours must not be used then
            continue
        assert ours._getaddr(text) == expected, text  # type: ignore[attr-defined]
        checked += 1
    assert checked > 15000
