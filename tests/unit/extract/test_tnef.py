"""TNEF (winmail.dat) extraction; streams built by a small writer following MS-OXTNEF."""

from __future__ import annotations

import struct

import compressed_rtf
import pytest

from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.tnef import extract_tnef, mapi_props, parse
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

MSG, ATT = 1, 2


def attr(level: int, attr_id: int, data: bytes) -> bytes:
    """One attribute: level, id, length, data, checksum."""
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef(*attrs: bytes) -> bytes:
    return struct.pack("<IH", 0x223E9F78, 0x0001) + attr(MSG, 0x00089006, b"\0\0\1\0") + b"".join(attrs)


def pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def prop(ptype: int, pid: int, value: bytes | int) -> bytes:
    """One MAPI property in TNEF encoding."""
    head = struct.pack("<HH", ptype, pid)
    if isinstance(value, int):
        return head + struct.pack("<I", value)
    if ptype == 0x000D:
        value = b"\x07\x03\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46" + value
    return head + struct.pack("<II", 1, len(value)) + pad(value)


def props(*items: bytes) -> bytes:
    return struct.pack("<I", len(items)) + b"".join(items)


def run(data: bytes, limits: Limits | None = None) -> list[TextChunk | Part | Unscannable]:
    part = Part(
        Location(("attachment[1] winmail.dat",)), "application/ms-tnef", "winmail.dat", data, 1, "tnef"
    )
    return list(extract_tnef(part, Budget(limits or Limits())))


def by_location(items: list[TextChunk | Part | Unscannable]) -> dict[str, TextChunk | Part | Unscannable]:
    return {str(i.location) + (f" ({i.origin})" if isinstance(i, TextChunk) else ""): i for i in items}


def attachment(title: str, data: bytes, long_name: str | None = None) -> bytes:
    out = attr(ATT, 0x00069002, b"\1\0\0\0" + b"\xff" * 10) + attr(
        ATT, 0x00018010, title.encode("cp1252") + b"\0"
    )
    out += attr(ATT, 0x0006800F, data)
    if long_name:
        out += attr(ATT, 0x00069005, props(prop(0x001F, 0x3707, (long_name + "\0").encode("utf-16-le"))))
    return out


def test_subject_body_and_attachments() -> None:
    data = tnef(
        attr(MSG, 0x00069007, struct.pack("<II", 1252, 0)),
        attr(MSG, 0x00018004, "Ärende 19121212-1212\0".encode("cp1252")),
        attr(MSG, 0x0002800C, "Sekretessbelagd handling, se bilaga.".encode("cp1252")),
        attachment("NOTES~1.TXT", b"anteckning 19121212-1212", long_name="notes.txt"),
        attachment("intyg.pdf", b"%PDF-1.4 x"),
    )
    items = by_location(run(data))
    assert items["attachment[1] winmail.dat > subject (header)"].text == "Ärende 19121212-1212"  # type: ignore[union-attr]
    assert "Sekretessbelagd" in items["attachment[1] winmail.dat > body (body)"].text  # type: ignore[union-attr]
    first = items["attachment[1] winmail.dat > attachment[1] notes.txt"]
    assert isinstance(first, Part) and first.data == b"anteckning 19121212-1212" and first.depth == 2
    second = items["attachment[1] winmail.dat > attachment[2] intyg.pdf"]
    assert isinstance(second, Part) and second.data.startswith(b"%PDF")
    assert not [i for i in items.values() if isinstance(i, Unscannable)]


def test_mapi_body_and_subject_when_no_legacy_attributes() -> None:
    block = props(
        prop(0x0003, 0x0E07, 1),
        prop(0x001F, 0x0037, "Läkarintyg\0".encode("utf-16-le")),
        prop(0x001E, 0x1000, "Diagnos enligt bilaga 19121212-1212\0".encode("cp1252")),
    )
    items = by_location(run(tnef(attr(MSG, 0x00069003, block))))
    assert items["attachment[1] winmail.dat > subject (header)"].text == "Läkarintyg"  # type: ignore[union-attr]
    assert "Diagnos" in items["attachment[1] winmail.dat > body (body)"].text  # type: ignore[union-attr]


def test_rtf_only_body_becomes_an_rtf_child_part() -> None:
    rtf = b"{\\rtf1\\ansi Sekretessbelagd handling\\par}"
    block = props(prop(0x0102, 0x1009, compressed_rtf.compress(rtf)))
    parts = [i for i in run(tnef(attr(MSG, 0x00069003, block))) if isinstance(i, Part)]
    assert [(str(p.location), p.sniffed_type, p.data) for p in parts] == [
        ("attachment[1] winmail.dat > body.rtf", "rtf", rtf)
    ]


def test_named_properties_and_multivalued_values_are_skipped_correctly() -> None:
    named = (
        struct.pack("<HH", 0x001F, 0x8001)
        + b"G" * 16
        + struct.pack("<I", 1)
        + struct.pack("<I", 6)
        + pad(b"n\0m\0\0\0")
    )
    named += struct.pack("<II", 1, 4) + b"x\0\0\0"
    by_id = (
        struct.pack("<HH", 0x0003, 0x8002) + b"G" * 16 + struct.pack("<II", 0, 0x8501) + struct.pack("<I", 7)
    )
    multi = struct.pack("<HH", 0x1003, 0x1234) + struct.pack("<IIII", 3, 1, 2, 3)
    body = prop(0x001F, 0x1000, "Brödtext\0".encode("utf-16-le"))
    parsed = mapi_props(props(named, by_id, multi, body))
    assert parsed[0x1000] == "Brödtext"
    assert parsed[0x1234] == b"\1\0\0\0"


def test_embedded_message_object_becomes_a_child_part() -> None:
    inner = tnef(attr(MSG, 0x0002800C, b"inre text"))
    data = tnef(
        attr(ATT, 0x00069002, b"\1\0\0\0"),
        attr(
            ATT,
            0x00069005,
            props(prop(0x001F, 0x3707, "inner.msg\0".encode("utf-16-le")), prop(0x000D, 0x3701, inner)),
        ),
    )
    parts = [i for i in run(data) if isinstance(i, Part)]
    assert [(str(p.location), p.data) for p in parts] == [
        ("attachment[1] winmail.dat > attachment[1] inner.msg", inner)
    ]


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\x00" * 20, "tnef: bad signature"),
        (tnef(attr(MSG, 0x0002800C, b"text"))[:-3], "tnef: truncated"),
        (
            tnef(attr(MSG, 0x00069003, props(struct.pack("<HH", 0x0999, 0x1000) + b"\0" * 8))),
            "tnef: MAPI type 0x0999",
        ),
        (tnef(attr(MSG, 0x00069003, struct.pack("<I", 10**6))), "tnef: MAPI property count"),
        (
            tnef(attr(MSG, 0x00069003, props(struct.pack("<HHII", 0x0102, 0x1009, 1, 10**6)))),
            "tnef: MAPI value truncated",
        ),
    ],
)
def test_malformed_streams_are_corrupt_never_silent(data: bytes, detail: str) -> None:
    bad = [i for i in run(data) if isinstance(i, Unscannable)]
    assert [(b.reason, b.detail) for b in bad] == [(Reason.CORRUPT, detail)]


def test_text_read_before_a_truncation_is_kept() -> None:
    data = tnef(attr(MSG, 0x0002800C, b"Sekretessbelagd"), attr(MSG, 0x00018004, b"x" * 50))[:-10]
    items = run(data)
    assert any(isinstance(i, TextChunk) and i.text == "Sekretessbelagd" for i in items)
    assert parse(data).problems == ["tnef: truncated"]


def test_attachments_count_against_max_parts() -> None:
    data = tnef(*(attachment(f"f{i}.txt", b"x") for i in range(4)))
    with pytest.raises(LimitExceeded, match="max_parts=2"):
        run(data, Limits(max_parts=2))


def test_winmail_dat_through_the_walker() -> None:
    pytest.importorskip("gateway.mime.parse")
    import email.message

    from gateway.extract.walk import extract_message

    data = tnef(
        attr(MSG, 0x0002800C, b"Sekretessbelagd handling"),
        attachment("notes.txt", b"anteckning 19121212-1212"),
    )
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.se", "b@example.org", "Outlook"
    mail.set_content("x")
    mail.add_attachment(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    out = extract_message(mail.as_bytes())
    texts = {str(c.location): c.text for c in out.chunks if c.origin != "filename"}
    assert texts["attachment[1] winmail.dat > body"] == "Sekretessbelagd handling"
    assert texts["attachment[1] winmail.dat > attachment[1] notes.txt"] == "anteckning 19121212-1212"
    assert not out.unscannable


def test_mutated_tnef_streams_never_raise() -> None:
    import random

    sample = tnef(
        attr(MSG, 0x0002800C, b"TNEF body"),
        attachment("a.txt", b"x" * 100, long_name="long.txt"),
        attr(
            MSG,
            0x00069003,
            props(prop(0x001F, 0x0037, "subj\0".encode("utf-16-le")), prop(0x0003, 0x0E07, 1)),
        ),
    )
    rng = random.Random(5)
    for _ in range(300):
        mutant = bytearray(sample)
        for _ in range(rng.randint(1, 10)):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        items = run(bytes(mutant[: rng.randrange(len(mutant) + 1)]))
        assert all(isinstance(i, (Part, TextChunk, Unscannable)) for i in items)
