"""Legacy Office and encrypted OOXML on OLE files written by a minimal compound-file writer (olefile can't write)."""

from __future__ import annotations

import struct
from email.message import EmailMessage

import olefile
import pytest

from gateway.extract.base import Budget, Limits
from gateway.extract.ole_legacy import best_effort, extract_ole
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file with every stream in the regular FAT (padded to 4096 bytes)."""
    items = [(name, data.ljust(4096, b"\x00")) for name, data in streams.items()]
    n_dir = (len(items) + 1 + 3) // 4
    fat: list[int] = [FATSECT]
    fat += [len(fat) + i + 1 for i in range(n_dir - 1)] + [END]
    starts = []
    for _, data in items:
        count = len(data) // 512 + (1 if len(data) % 512 else 0)
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [END]
    assert len(fat) <= 128
    fat += [FREE] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = FREE, right: int = FREE) -> bytes:
        raw = (name + "\x00").encode("utf-16-le")
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", FREE, right, child)
            + b"\x00" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, END, 0, child=1 if items else FREE)
    for i, ((name, data), start) in enumerate(zip(items, starts, strict=True)):
        directory += entry(name, 2, start, len(data), right=i + 2 if i + 1 < len(items) else FREE)
    directory = directory.ljust(n_dir * 512, b"\x00")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    body = b"".join(data for _, data in items)
    return header + struct.pack("<128I", *fat) + directory + body


def fib_doc(text: str, encrypted: bool = False) -> dict[str, bytes]:
    """WordDocument + 1Table with a one-piece table holding ``text`` as compressed (cp1252) characters."""
    fib = bytearray(0x800)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0xC1)
    struct.pack_into("<H", fib, 0x0A, 0x0200 | (0x0100 if encrypted else 0))
    pos = 32
    struct.pack_into("<H", fib, pos, 14)
    pos += 2 + 28
    struct.pack_into("<H", fib, pos, 22)
    pos += 2 + 88
    struct.pack_into("<H", fib, pos, 93)
    pos += 2
    raw = text.encode("cp1252")
    plc = struct.pack("<II", 0, len(raw)) + struct.pack("<HIH", 0, (0x800 * 2) | 0x40000000, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", fib, pos + 33 * 8, 0, len(clx))
    return {"WordDocument": bytes(fib) + raw, "1Table": clx}


def summary(title: str, labels: dict[str, str] | None = None) -> dict[str, bytes]:
    def section(props: list[tuple[int, bytes]]) -> bytes:
        head = struct.pack("<II", 0, len(props))
        offsets, blobs, off = b"", b"", 8 + 8 * len(props)
        for pid, blob in props:
            offsets += struct.pack("<II", pid, off)
            blobs += blob
            off += len(blob)
        return struct.pack("<I", off) + head[4:] + offsets + blobs

    def lpstr(value: str) -> bytes:
        raw = value.encode("cp1252") + b"\x00"
        raw = raw.ljust((len(raw) + 3) // 4 * 4, b"\x00")
        return struct.pack("<II", 0x1E, len(raw)) + raw

    codepage = struct.pack("<HHHH", 2, 0, 1252, 0)

    def stream(fmtid: str, props: list[tuple[int, bytes]]) -> bytes:
        return (
            struct.pack("<HHI", 0xFFFE, 0, 0)
            + b"\x00" * 16
            + struct.pack("<I", 1)
            + bytes.fromhex(fmtid)
            + struct.pack("<I", 48)
            + section(props)
        )

    out = {
        "\x05SummaryInformation": stream(
            "e0859ff2f94f6810ab9108002b27b3d9", [(1, codepage), (2, lpstr(title))]
        )
    }
    if labels:
        names = b""
        for i, key in enumerate(labels):
            raw = key.encode("cp1252") + b"\x00"
            names += struct.pack("<II", 2 + i, len(raw)) + raw
        dictionary = struct.pack("<I", len(labels)) + names
        dictionary = dictionary.ljust((len(dictionary) + 3) // 4 * 4, b"\x00")
        props = [(0, dictionary), (1, codepage)] + [(2 + i, lpstr(v)) for i, v in enumerate(labels.values())]
        out["\x05DocumentSummaryInformation"] = stream("05d5cdd59c2e1b10939708002b2cf9ae", props)
    return out


def record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def xls(encrypted: bool = False) -> bytes:
    def xlstr(s: str) -> bytes:
        return struct.pack("<HB", len(s), 0) + s.encode("latin-1")

    strings = ["Namn", "Personnummer", "Tolvan", "Sekretessbelagd handling"]
    sst = struct.pack("<II", 4, 4) + b"".join(xlstr(s) for s in strings[:3])
    last = xlstr(strings[3])
    globals_ = record(0x0809, struct.pack("<HHHH", 0x0600, 0x0005, 0, 0))
    if encrypted:
        globals_ += record(0x002F, b"\x01\x00" + b"\x00" * 52)
    globals_ += record(0x0085, struct.pack("<IBB", 0, 0, 0) + bytes([6, 0]) + b"Elever")
    globals_ += record(0x00FC, sst + last[:5]) + record(
        0x003C, b"\x00" + last[5:]
    )  # string split by CONTINUE
    globals_ += record(0x000A, b"")
    sheet = record(0x0809, struct.pack("<HHHH", 0x0600, 0x0010, 0, 0))
    sheet += record(0x00FD, struct.pack("<HHHI", 0, 0, 0, 0)) + record(
        0x00FD, struct.pack("<HHHI", 0, 1, 0, 1)
    )
    sheet += record(0x00FD, struct.pack("<HHHI", 1, 0, 0, 2)) + record(
        0x0203, struct.pack("<HHHd", 1, 1, 0, 191212121212.0)
    )
    sheet += record(0x027E, struct.pack("<HHHI", 2, 1, 0, (42 << 2) | 2))
    chart = record(0x0809, struct.pack("<HHHH", 0x0600, 0x0020, 0, 0))
    chart += record(0x0203, struct.pack("<HHHd", 9, 0, 0, 7.0)) + record(0x000A, b"")
    sheet += chart  # an embedded chart's substream: its records are not cells of the sheet
    sheet += record(0x00FD, struct.pack("<HHHI", 3, 0, 0, 3))
    sheet += record(0x000A, b"")
    return cfb({"Workbook": globals_ + sheet})


def mail(data: bytes, name: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "gammalt"
    msg.set_content("Bifogat.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def part(data: bytes) -> Part:
    return Part(Location(("attachment[1] x.doc",)), "application/octet-stream", "x.doc", data, 1, "ole_doc")


def test_the_writer_produces_files_olefile_reads() -> None:
    ole = olefile.OleFileIO(cfb({"WordDocument": b"x" * 10, "1Table": b"y"}))
    assert sorted("/".join(p) for p in ole.listdir()) == ["1Table", "WordDocument"]


def test_doc_piece_table_and_summary_through_the_walker() -> None:
    data = cfb(
        fib_doc(f"Sekretessbelagd handling\rPersonnummer {PNR}\x07Tolvan\x07\r") | summary("Läkarintyg")
    )
    ex = extract_message(mail(data, "arende.doc"))
    assert ex.unscannable == []
    chunks = {str(c.location): c for c in ex.chunks}
    text = chunks["attachment[1] arende.doc"].text
    assert f"Sekretessbelagd handling\nPersonnummer {PNR}\tTolvan\t\n" == text
    meta = chunks["attachment[1] arende.doc > SummaryInformation"]
    assert meta.origin == "metadata" and meta.text == "title: Läkarintyg"


def test_encrypted_doc() -> None:
    items = list(extract_ole(part(cfb(fib_doc("hemligt", encrypted=True))), Budget()))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.ENCRYPTED, "doc password")
    ]
    assert not any(isinstance(i, TextChunk) for i in items)


def test_xls_strings_numbers_and_continue() -> None:
    ex = extract_message(mail(xls(), "elever.xls"))
    assert ex.unscannable == []
    chunks = {str(c.location): c.text for c in ex.chunks}
    assert chunks["attachment[1] elever.xls > Elever"] == (
        "Elever\nNamn\tPersonnummer\nTolvan\t191212121212\n\t42\nSekretessbelagd handling\n"
    )


def test_encrypted_xls() -> None:
    items = list(extract_ole(part(xls(encrypted=True)), Budget()))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.ENCRYPTED, "xls password")
    ]


def test_encrypted_ooxml_is_encrypted_and_its_label_is_metadata() -> None:
    guid = "3a3b5f2e-1d2c-4b5a-9e8f-0123456789ab"
    streams = {
        "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00<encryption/>",
        "EncryptedPackage": b"\x00" * 64,
    }
    streams |= summary(
        "Rapport", {f"MSIP_Label_{guid}_Enabled": "true", f"MSIP_Label_{guid}_ContentBits": "8"}
    )
    ex = extract_message(mail(cfb(streams), "rapport.docx"))
    assert [(str(u.location), u.reason) for u in ex.unscannable] == [
        ("attachment[1] rapport.docx", Reason.ENCRYPTED)
    ]
    labels = {str(c.location): c for c in ex.chunks}[
        "attachment[1] rapport.docx > DocumentSummaryInformation"
    ]
    assert labels.origin == "metadata"
    assert labels.text.splitlines() == [f"MSIP_Label_{guid}_Enabled=true", f"MSIP_Label_{guid}_ContentBits=8"]


def test_ppt_text_atoms() -> None:
    text = "Elevhälsan: läkarintyg".encode("utf-16-le")
    atom = struct.pack("<HHI", 0, 0x0FA0, len(text)) + text
    container = struct.pack("<HHI", 0x0F, 0x03E8, len(atom)) + atom
    items = list(extract_ole(part(cfb({"PowerPoint Document": container})), Budget()))
    assert [i.text for i in items if isinstance(i, TextChunk)] == ["Elevhälsan: läkarintyg"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (cfb({"Unknown": b"data"}), Reason.UNSUPPORTED),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 600, Reason.CORRUPT),
    ],
)
def test_undecodable(data: bytes, reason: Reason) -> None:
    items = list(extract_ole(part(data), Budget()))
    assert [i.reason for i in items if isinstance(i, Unscannable)] == [reason]


def test_stream_size_limit() -> None:
    from gateway.extract.base import LimitExceeded

    with pytest.raises(LimitExceeded, match="max_entry_bytes"):
        list(extract_ole(part(cfb(fib_doc("x" * 100))), Budget(Limits(max_entry_bytes=1000))))


def test_best_effort_runs() -> None:
    data = b"\x01\x02" + "Läkarintyg för".encode("utf-16-le") + b"\x01\x00\x02"
    assert best_effort(data) == "Läkarintyg för"


def test_a_document_that_decodes_to_nothing_is_unsupported() -> None:
    items = list(extract_ole(part(cfb(fib_doc("\r\r\r"))), Budget()))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.UNSUPPORTED, "no text decoded")
    ]


def test_packaged_file_inside_an_embedded_ole_object_is_extracted() -> None:
    import io
    import zipfile

    import docx

    payload = b"Namn;Personnummer\nTolvan;19121212-1212\n"
    native = b"\x02\x00elever.txt\x00C:\\temp\\elever.txt\x00\x00\x00\x03\x00"
    native += struct.pack("<I", 9) + b"C:\\t\\e.t\x00" + struct.pack("<I", len(payload)) + payload
    native = struct.pack("<I", len(native)) + native
    out = io.BytesIO()
    docx.Document().save(out)
    package = io.BytesIO(out.getvalue())
    with zipfile.ZipFile(package, "a") as zf:
        zf.writestr("word/embeddings/oleObject1.bin", cfb({"\x01Ole10Native": native}))
    ex = extract_message(mail(package.getvalue(), "rapport.docx"))
    assert ex.unscannable == []
    chunks = {str(c.location): c.text for c in ex.chunks if c.origin == "attachment"}
    assert "Tolvan;19121212-1212" in chunks["attachment[1] rapport.docx > elever.txt"]
