"""Hostile MIME: each case returns quickly through extract_message, keeps what it could read, never raises."""

from __future__ import annotations

import base64
import functools
import time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from gateway.detect import registered
from gateway.extract.base import Limits
from gateway.extract.walk import Extraction, extract_message
from gateway.model import Category, Reason
from gateway.scan import scan_bytes

PNR = "19121212-1212"
MARK = "Sekretessbelagd"
HAS_PNR_DETECTOR = any(d.category == Category.PERSONNUMMER for d in registered() if hasattr(d, "category"))


def run(raw: bytes, limits: Limits | None = None, seconds: float = 2.0) -> Extraction:
    start = time.perf_counter()
    ex = extract_message(raw, limits)
    assert time.perf_counter() - start < seconds
    return ex


def found(ex: Extraction, needle: str) -> list[str]:
    return [str(c.location) for c in ex.chunks if needle in c.text]


def assert_scan_finds_pnr(raw: bytes) -> None:
    if not HAS_PNR_DETECTOR:
        pytest.skip("no personnummer detector registered")
    result = scan_bytes(raw)
    assert Category.PERSONNUMMER in result.categories


def test_missing_boundary_is_scanned_as_text() -> None:
    raw = (b"Subject: t\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n"
           b"Elevens personnummer 19121212-1212\r\n--x--\r\n")
    ex = run(raw)
    assert found(ex, PNR)
    assert_scan_finds_pnr(raw)


def test_wrong_boundary_is_recovered() -> None:
    raw = (b"Subject: t\r\nContent-Type: multipart/mixed; boundary=\"declared\"\r\n\r\n--actual\r\n"
           b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(f"{MARK} {PNR}".encode()) + b"--actual--\r\n")
    ex = run(raw)
    assert found(ex, PNR) == ["body[text/plain]"]


def test_invalid_base64_is_decoded_leniently() -> None:
    good = base64.encodebytes(f"{MARK} {PNR}".encode())
    raw = b"Subject: t\r\nContent-Transfer-Encoding: base64\r\n\r\n" + good[:8] + b"!!*\x00" + good[8:].rstrip(b"=\n") + b"\r\n"
    assert found(run(raw), PNR) == ["body[text/plain]"]
    garbage = b"Subject: t\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! **** ????\r\n"
    ex = run(garbage)
    assert [(u.reason, u.detail) for u in ex.unscannable] == [(Reason.CORRUPT, "transfer encoding")]


def test_nul_bytes() -> None:
    raw = b"Subject: t\x00x\r\nContent-Type: text/plain\r\n\r\nA\x00B\x00 " + PNR.encode() + b" \x00" * 100 + b"\r\n"
    ex = run(raw)
    assert found(ex, PNR) == ["body[text/plain]"]
    html = b"Content-Type: text/html\r\n\r\n<p>\x00" + PNR.encode() + b"</p>"
    assert found(run(html), PNR) == ["body[text/html]"]


def test_raw_8bit_headers() -> None:
    raw = "Subject: Läkarintyg för Åsa 19121212-1212\r\nFrom: Åsa <a@b.se>\r\n\r\nhej\r\n".encode("cp1252")
    assert found(run(raw), "Läkarintyg för Åsa") == ["subject"]
    utf8 = "Subject: Läkarintyg för Åsa\r\n\r\nhej\r\n".encode()
    assert found(run(utf8), "Läkarintyg för Åsa") == ["subject"]


def test_twenty_thousand_character_line() -> None:
    line = ("x" * 10_000 + f" {PNR} " + "y" * 10_000).encode()
    raw = b"Subject: t\r\nContent-Type: text/plain\r\n\r\n" + line + b"\r\n"
    assert found(run(raw), PNR) == ["body[text/plain]"]
    long_header = b"Subject: " + line + b"\r\n\r\nbody\r\n"
    assert found(run(long_header), PNR) == ["subject"]


def test_path_traversal_file_names() -> None:
    raw = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"..\\\\..\\\\windows\\\\system32\\\\x\r\ny.exe\"\r\n\r\nMZ\r\n"
           b"--b\r\nContent-Type: application/octet-stream; name=\"/etc/../../passwd\"\r\n\r\nx\r\n--b--\r\n")
    ex = run(raw)
    locations = [p.location for p in ex.parts]
    assert all("/" not in loc and "\\" not in loc and "\n" not in loc for loc in locations)
    assert locations[1] == "attachment[2] passwd"


@pytest.mark.parametrize("enc", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_bodies(enc: str) -> None:
    charset = "utf-16" if enc == "utf-16" else enc.replace("-le", "le").replace("-be", "be")
    body = base64.encodebytes(f"Elevhälsa {PNR}".encode(enc))
    raw = (f"Subject: t\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           ).encode() + body
    assert found(run(raw), f"Elevhälsa {PNR}") == ["body[text/plain]"]


def nested(levels: int) -> bytes:
    head, tail = b"", b""
    for i in range(levels):
        head += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        tail = b"\r\n--b%d--" % i + tail
    return b"Subject: nest\r\n" + head + f"Content-Type: text/plain\r\n\r\n{MARK} {PNR}".encode() + tail + b"\r\n"


def test_two_hundred_level_nesting() -> None:
    ex = run(nested(200))
    assert found(ex, PNR) == ["body[text/plain]"]
    assert ex.unscannable == []


def test_ten_thousand_level_nesting_is_over_limit_cheaply() -> None:
    ex = run(nested(10_000), seconds=3.0)
    assert [u.reason for u in ex.unscannable] == [Reason.OVER_LIMIT]
    assert found(ex, "nest") == ["subject"]


def test_five_thousand_parts_stop_at_the_part_limit() -> None:
    outer = MIMEMultipart()
    outer["Subject"] = f"Lista {PNR}"
    outer.attach(MIMEText(f"{MARK} först"))
    for i in range(5000):
        outer.attach(MIMEText(f"del {i}"))
    raw = outer.as_bytes()
    ex = run(raw)
    assert [(u.reason, u.detail) for u in ex.unscannable] == [(Reason.OVER_LIMIT, "max_parts=500")]
    assert found(ex, MARK) == ["body[text/plain]"]
    assert found(ex, PNR) == ["subject"]
    assert len(ex.chunks) < 600
    result = scan_bytes(raw)
    assert Category.UNSCANNABLE in result.categories


def test_unterminated_multipart_and_truncated_message() -> None:
    raw = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           + PNR.encode() + b"\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x")
    ex = run(raw)
    assert found(ex, PNR) == ["body[text/plain]"]
    assert [p.sniffed_type for p in ex.parts] == ["pdf"]


def test_garbage_headers_and_parameters() -> None:
    raw = (b"Content-Type: text/plain; charset=\"=?x?q?\x00?=\"; ;;; format=flowed; delsp=\r\n"
           b"Content-Disposition: ;;;filename*0*=bad'';filename*1=x\r\n"
           b"Content-Transfer-Encoding: \xff\xfe\r\n\r\n" + PNR.encode() + b"\r\n")
    ex = run(raw)
    assert any(PNR in c.text for c in ex.chunks)


@pytest.mark.parametrize("junk", [b"", b"\r\n", b"\x00" * 100, bytes(range(256)) * 10, b"--\r\n" * 1000,
                                  b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n--\r\n"])
def test_junk_never_raises(junk: bytes) -> None:
    ex = run(junk)
    assert isinstance(ex, Extraction)


def test_scan_bytes_on_a_split_qp_number() -> None:
    raw = (b"Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Personnummer 191212=\r\n12-1212\r\n")
    assert found(run(raw), PNR) == ["body[text/plain]"]
    assert_scan_finds_pnr(raw)


def test_many_dash_lines_in_text_are_not_a_part_flood() -> None:
    dump = "".join(f"-- kommentar {i}\nSELECT {i};\n" for i in range(12_000))
    raw = (b"Subject: dump\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           + dump.encode() + f"\r\n{PNR}\r\n--b--\r\n".encode())
    ex = run(raw)
    assert ex.unscannable == []
    assert found(ex, PNR) == ["body[text/plain]"]


@functools.cache
def _hostile_corpus() -> dict[str, bytes]:
    flood = MIMEMultipart()
    for i in range(5000):
        flood.attach(MIMEText(f"del {i}"))
    return {
        "missing-boundary": b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\n" + PNR.encode() + b"\r\n--x--\r\n",
        "bad-base64": b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PNR.encode())[:-3] + b"*!\r\n",
        "nul": b"Subject: \x00\r\n\r\n\x00" + PNR.encode() + b"\x00",
        "8bit-headers": "Subject: Läkarintyg 19121212-1212\r\n\r\nx".encode("cp1252"),
        "long-line": b"Subject: t\r\n\r\n" + b"x" * 20_000 + b" " + PNR.encode() + b"\r\n",
        "traversal": b"Content-Type: application/pdf; name=\"../../../../etc/passwd\"\r\n\r\n%PDF-1.4",
        "utf16": b"Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(PNR.encode("utf-16")),
        "nest-200": nested(200),
        "nest-10000": nested(10_000),
        "parts-5000": flood.as_bytes(),
    }


@pytest.mark.parametrize("name", sorted(_hostile_corpus()))
def test_scan_bytes_survives_the_hostile_corpus(name: str) -> None:
    raw = _hostile_corpus()[name]
    start = time.perf_counter()
    result = scan_bytes(raw)
    assert time.perf_counter() - start < 3.0
    assert all(u.reason != Reason.PARSER_CRASH for u in result.unscannable)
    if name not in ("traversal", "parts-5000", "nest-10000"):
        assert Category.PERSONNUMMER in result.categories, name
    for finding in result.findings:
        assert PNR not in finding.sample and "191212121212" not in finding.sample
