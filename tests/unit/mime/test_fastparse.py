"""mime.fastparse: the tree of a clean multipart message is exactly the one ``email`` builds, else ``None``."""

from __future__ import annotations

import random
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest

from gateway.mime import payload as pl
from gateway.mime.fastparse import parse_multipart


def _tree(msg: Message) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for part in msg.walk():
        payload = part._payload  # type: ignore[attr-defined]
        body = payload if isinstance(payload, str) else len(payload) if isinstance(payload, list) else payload
        out.append((type(part), part.items(), body, [type(d).__name__ for d in part.defects], part.preamble,
                    part.epilogue, part.get_unixfrom(), part.get_default_type(), part.policy))
    return out


def _crlf(m: EmailMessage) -> bytes:
    return m.as_bytes(policy=policy.SMTP)


def _office() -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@kommun.example.se", "b@example.org", "Underlag åäö"
    m.set_content("Hej,\n\nse bilagan.\n")
    m.add_alternative("<p>Hej, se <b>bilagan</b>.</p>", subtype="html")
    m.add_attachment(bytes(range(256)) * 40, maintype="application", subtype="pdf", filename="rapport.pdf")
    m.add_attachment("Elev 19121212-1212\n" * 30, filename="lista.txt")
    return _crlf(m)


def _forwarded() -> bytes:
    inner = EmailMessage()
    inner["Subject"] = "inner"
    inner.set_content("inner body")
    m = EmailMessage()
    m["Subject"] = "fwd"
    m.set_content("see below")
    m.add_attachment(inner)
    return _crlf(m)


B = b'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n'
CLEAN = [
    _office(),
    B + b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\none\r\n--b1\r\n\r\nno headers\r\n--b1--\r\n",
    B + b"\r\npreamble line 1\r\npreamble 2\r\n--b1\r\n\r\nx\r\n--b1--\r\nepilogue\r\nmore\r\n",
    B + b"\r\n--b1  \r\n\r\nws after boundary\r\n--b1--\t\r\n",
    B + b"\r\n--b1\r\n\r\n\r\n\r\nblank lines kept\r\n\r\n--b1--",
    B + b"\r\n--b1\r\n\r\n--b1x is no boundary\r\n---b1 neither\r\n--b1--\r\n\r\n",
    B + b"\r\n--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\nalt1\r\n--b2\r\n"
        b"Content-Type: text/html\r\n\r\n<p>alt2</p>\r\n--b2--\r\ninner epilogue\r\n\r\n--b1\r\n\r\nlast\r\n--b1--\r\n",
    B + b"\r\n--b1\r\nContent-Type: multipart/related; boundary=b2\r\n\r\n--b2\r\n\r\nr\r\n--b2--\r\n--b1--\r\n",
    B + b"\r\n--b1\r\nX-8bit: \xe5\xe4\r\n\r\n8-bit \xe5\xe4\xf6 \xff body\r\n--b1--\r\n",
    B + b"\r\n--b1\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nfolded header\r\n--b1--\r\n",
    b"From nobody Mon Jan  1 00:00:00 2024\r\n" + B + b"\r\n--b1\r\n\r\nunix from\r\n--b1--\r\n",
]
SLOW = [  # each needs feedparser's own handling (defects, odd layouts): the fast path must decline
    _forwarded(),  # message/rfc822 part
    B + b"\r\nno start boundary\r\n",
    B + b"\r\n--b1\r\n\r\nno close boundary\r\n",
    B + b"\r\n--b1--\r\n",
    B + b"\r\n--b1\r\n--b1\r\n\r\nrepeated boundary\r\n--b1--\r\n",
    B + b"\r\n--b1\r\nnot a header line\r\n\r\nx\r\n--b1--\r\n",
    B + b"\r\n--b1\r\nContent-Type: text/plain\r\n--b1--\r\n",
    B.replace(b"\r\n", b"\n") + b"\n--b1\n\nbare LF\n--b1--\n",
    b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n--b1\r\n\r\nno boundary parameter\r\n--b1--\r\n",
    B + b"Content-Transfer-Encoding: base64\r\n\r\n--b1\r\n\r\nx\r\n--b1--\r\n",
    b'Subject: x\r\nContent-Type: multipart/digest; boundary="b1"\r\n\r\n--b1\r\n\r\nSubject: d\r\n\r\nx\r\n--b1--\r\n',
    B + b"\r\n--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\ncut by outer\r\n--b1--\r\n",
    b"Subject: leaf\r\n\r\nnot multipart\r\n--b1\r\n",
]


@pytest.mark.parametrize("raw", CLEAN)
def test_clean_multipart_gives_the_full_parse_tree(raw: bytes) -> None:
    fast = parse_multipart(raw)
    full = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert fast is not None
    assert _tree(fast) == _tree(full)
    assert pl.flatten(fast) == pl.flatten(full)


@pytest.mark.parametrize("raw", SLOW)
def test_unusual_multipart_is_left_to_email(raw: bytes) -> None:
    assert parse_multipart(raw) is None
    assert pl.parse(raw) is not None  # the full parse still reads it


def test_generated_multiparts_match_or_decline() -> None:
    rng = random.Random(11)
    pieces = [b"--b1\r\n", b"--b1--\r\n", b"--b2\r\n", b"--b2--\r\n", b"\r\n", b"text line\r\n", b"Subject: s\r\n",
              b"Content-Type: multipart/alternative; boundary=b2\r\n", b"Content-Type: text/plain\r\n",
              b"Content-Type: message/rfc822\r\n", b" folded\r\n", b"--b1 \r\n", b"\xe5\xe4\r\n", b"-- b1\r\n"]
    taken = 0
    for _ in range(4000):
        raw = B + b"\r\n" + b"".join(rng.choice(pieces) for _ in range(rng.randint(2, 16)))
        if rng.random() < 0.5:
            raw += b"--b1\r\n\r\nlast\r\n--b1--\r\n"
        fast = parse_multipart(raw)
        if fast is None:
            continue
        taken += 1
        full = BytesParser(policy=policy.compat32).parsebytes(raw)
        assert _tree(fast) == _tree(full), raw
    assert taken > 100


def test_floods_of_parts_or_dash_lines_are_left_to_email() -> None:
    from gateway.mime.fastparse import MAX_DASH_LINES, MAX_PARTS

    many_parts = B + b"\r\n" + b"".join(b"--b1\r\n\r\npart %d\r\n" % i for i in range(MAX_PARTS + 1)) + b"--b1--\r\n"
    dashes = B + b"\r\n--b1\r\n\r\n" + b"--x\r\n" * (MAX_DASH_LINES + 1) + b"--b1--\r\n"
    fewer = B + b"\r\n" + b"".join(b"--b1\r\n\r\npart %d\r\n" % i for i in range(MAX_PARTS)) + b"--b1--\r\n"
    for raw in (many_parts, dashes):
        assert parse_multipart(raw) is None
        assert pl.parse(raw) is not None
    fast = parse_multipart(fewer)
    assert fast is not None and _tree(fast) == _tree(BytesParser(policy=policy.compat32).parsebytes(fewer))
