"""mime.payload.parse: the header-only fast path for leaf messages builds exactly the tree ``email`` builds."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest

from gateway.mime import payload as pl


def _plain() -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@kommun.example.se", "b@example.org", "Möte om budget"
    m.set_content("Hej\n\nPersonnummer 19121212-1212\n" + "rad\n" * 50)
    return m.as_bytes(policy=policy.SMTP)


def _multipart() -> bytes:
    m = EmailMessage()
    m["Subject"] = "x"
    m.set_content("body")
    m.add_attachment(b"data", maintype="application", subtype="octet-stream", filename="a.bin")
    return m.as_bytes(policy=policy.SMTP)


CASES = [
    _plain(),
    _multipart(),
    b"Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n",
    b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n--a\r\n\r\nno boundary param\r\n",
    b"Subject: x\nTo: y\n\nbare LF body\n",
    b"Subject: x\r\nTo: y\n\r\n\r\nmixed endings\r\n",
    b"Subject: x\r\nthis line is no header\r\nTo: y\r\n\r\nbody\r\n",
    b"\r\n\r\nbody without headers\r\n",
    b"Subject: x\r\n\r\n",
    b"Subject: x\r\n\r\n\r\n\r\nbody after blank lines\r\n.\r\n",
    b"Subject: folded\r\n continued\r\n\tagain\r\nX-8bit: \xe5\xe4\xf6\r\n\r\n8-bit body \xe5\xe4\xf6 \xff\r\n",
    b"From nobody Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nunix from line\r\n",
    b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGVqPC9iPg==\r\n",
    b"Content-Type: \r\n\r\nempty content type\r\n",
    b"Subject: no blank line at all\r\nTo: y\r\n",
    b"Subject: x\r\n\r\nbody without final newline",
]


def _tree(msg: Message) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for part in msg.walk():
        payload = part.get_payload()
        body = payload if isinstance(payload, str) else len(payload) if isinstance(payload, list) else None
        out.append((part.items(), body, [type(d).__name__ for d in part.defects], part.preamble, part.epilogue,
                    part.get_unixfrom()))
    return out


@pytest.mark.parametrize("raw", CASES)
def test_same_tree_as_a_full_parse(raw: bytes) -> None:
    fast = pl.parse(raw)
    full = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert fast is not None
    assert _tree(fast) == _tree(full)
    assert pl.flatten(fast) == pl.flatten(full)


def test_fast_path_only_for_clean_leaf_messages() -> None:
    assert pl._single_part(_plain()) is not None
    assert pl._single_part(CASES[12]) is not None  # base64 html leaf
    for raw in (CASES[1], CASES[2], CASES[3], CASES[4], CASES[5], CASES[6], CASES[7], CASES[14]):
        assert pl._single_part(raw) is None, raw[:40]


def test_bound_shortcut_cuts_exactly_where_the_regex_passes_do() -> None:
    def slow(raw: bytes, max_parts: int) -> tuple[bytes, bool]:
        cut = len(raw)
        for i, m in enumerate(pl._BOUNDARY_PARAM.finditer(raw)):
            if i >= min(max_parts, 900) + 1:
                cut = m.start()
                break
        for i, m in enumerate(pl._DELIMITER.finditer(raw, 0, cut)):
            if i >= 20 * max_parts:
                cut = m.start()
                break
        return (raw[:cut], True) if cut < len(raw) else (raw, False)

    for n in range(0, 12):
        for raw in (b'Content-Type: multipart/mixed; BOUNDARY="b"\r\n' * n + b"x",
                    b"\r\n--b\r\n" * (n * 6), b"boundary boundary=\r\n--" * n):
            for max_parts in (1, 2, 3):
                assert pl.bound(raw, max_parts) == slow(raw, max_parts)
    assert pl.bound(b"\r\n--b" * 100, 2)[1] is True
