"""Outlook .msg extraction: files built here by a tiny compound-file (CFB v3) writer.

olefile cannot write and the permissive .msg writers on PyPI are unmaintained, so ``build_cfb`` below
writes a minimal but valid compound file (FAT, mini stream, mini FAT, directory) that olefile reads.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import compressed_rtf
import olefile
import pytest

from gateway.extract.base import Budget, Limits
from gateway.extract.msg import extract_msg
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class _Node:
    name: str
    data: bytes | None = None  # None: a storage
    kids: dict[str, _Node] = field(default_factory=dict)
    sid: int = 0
    start: int = END
    size: int = 0


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams`` ({"storage/sub/stream": data}); storages are implied."""
    root = _Node("Root Entry")
    for path, data in streams.items():
        *dirs, leaf = path.split("/")
        node = root
        for d in dirs:
            node = node.kids.setdefault(d, _Node(d))
        node.kids[leaf] = _Node(leaf, data)
    entries: list[_Node] = []

    def flatten(node: _Node) -> None:
        node.sid = len(entries)
        entries.append(node)
        for kid in node.kids.values():
            flatten(kid)

    flatten(root)
    sectors: list[bytes] = []
    fat: list[int] = []

    def alloc(data: bytes) -> int:
        if not data:
            return END
        start, count = len(sectors), math.ceil(len(data) / 512)
        for i in range(count):
            sectors.append(data[i * 512 : (i + 1) * 512].ljust(512, b"\0"))
            fat.append(start + i + 1 if i < count - 1 else END)
        return start

    mini = bytearray()
    minifat: list[int] = []
    for node in entries:
        if node.data is None:
            continue
        node.size = len(node.data)
        if node.size >= 4096:
            node.start = alloc(node.data)
        elif node.size:
            node.start, count = len(mini) // 64, math.ceil(node.size / 64)
            minifat += [node.start + i + 1 if i < count - 1 else END for i in range(count)]
            mini += node.data.ljust(count * 64, b"\0")
    root.start, root.size = alloc(bytes(mini)), len(mini)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % 512)
    minifat_start = alloc(minifat_bytes)
    dir_start = alloc(_directory(entries))
    n_fat = 1
    while len(sectors) + n_fat > n_fat * 128:
        n_fat += 1
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREE] * (n_fat * 128 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [fat_bytes[i * 512 : (i + 1) * 512] for i in range(n_fat)]
    difat = [fat_start + i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, n_fat, dir_start, 0, 4096, minifat_start if minifat else END, len(minifat_bytes) // 512, END, 0,
        *difat,
    )  # fmt: skip
    return header + b"".join(sectors)


def _directory(entries: list[_Node]) -> bytes:
    out = bytearray()
    for node in entries:
        kids = list(node.kids.values())
        right = NOSTREAM
        if node is not entries[0]:
            siblings = [n for n in entries if node.name in n.kids and n.kids[node.name] is node][0].kids
            names = list(siblings)
            i = names.index(node.name)
            right = siblings[names[i + 1]].sid if i + 1 < len(names) else NOSTREAM
        name = node.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if node is entries[0] else (1 if node.data is None else 2)
        out += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name), kind, 1, NOSTREAM, right,
            kids[0].sid if kids else NOSTREAM, b"\0" * 16, 0, 0, 0, node.start, node.size,
        )  # fmt: skip
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0)
    out += empty * (-len(entries) % 4)
    return bytes(out)


def u(text: str) -> bytes:
    """A PT_UNICODE property value."""
    return text.encode("utf-16-le")


def msg_streams(subject: str, body: str | None = None, prefix: str = "", **extra: bytes) -> dict[str, bytes]:
    """The property streams of one message (under storage ``prefix``)."""
    s = {
        f"{prefix}__properties_version1.0": b"\0" * 32,
        f"{prefix}__substg1.0_001A001F": u("IPM.Note"),
        f"{prefix}__substg1.0_0037001F": u(subject),
        f"{prefix}__substg1.0_0C1A001F": u("Handläggare Exempelsson"),
        f"{prefix}__substg1.0_0E04001F": u("Mottagare Testsson"),
        f"{prefix}__recip_version1.0_#00000000/__substg1.0_3001001F": u("Mottagare Testsson"),
        f"{prefix}__recip_version1.0_#00000000/__substg1.0_39FE001F": u("mottagare@example.se"),
    }
    if body is not None:
        s[f"{prefix}__substg1.0_1000001F"] = u(body)
    s.update({f"{prefix}{k}": v for k, v in extra.items()})
    return s


def run(data: bytes, limits: Limits | None = None) -> list[TextChunk | Part | Unscannable]:
    part = Part(
        Location(("attachment[1] mail.msg",)), "application/vnd.ms-outlook", "mail.msg", data, 1, "msg"
    )
    return list(extract_msg(part, Budget(limits or Limits())))


def by_location(items: list[TextChunk | Part | Unscannable]) -> dict[str, TextChunk | Part | Unscannable]:
    return {str(i.location) + ("" if not isinstance(i, TextChunk) else f" ({i.origin})"): i for i in items}


def attach(n: int, name: str, data: bytes) -> dict[str, bytes]:
    p = f"__attach_version1.0_#{n:08X}/"
    return {f"{p}__substg1.0_3707001F": u(name), f"{p}__substg1.0_37010102": data}


def test_cfb_writer_output_is_read_by_olefile() -> None:
    big = b"x" * 5000  # a regular-sector stream next to mini-stream ones
    ole = olefile.OleFileIO(build_cfb({"a/b": b"small", "c": big}))
    assert ole.openstream("a/b").read() == b"small"
    assert ole.openstream("c").read() == big


def test_subject_body_names_and_attachment() -> None:
    streams = msg_streams("Ärende 19121212-1212", "Sekretessbelagd handling enligt OSL.")
    streams.update(attach(0, "notes.txt", b"anteckning 19121212-1212"))
    streams.update(attach(1, "Läkarintyg_191212121212.pdf", b"%PDF-1.4 x"))
    items = by_location(run(build_cfb(streams)))
    assert "Ärende" in items["attachment[1] mail.msg > subject (header)"].text  # type: ignore[union-attr]
    assert "Sekretessbelagd" in items["attachment[1] mail.msg > body (body)"].text  # type: ignore[union-attr]
    header = items["attachment[1] mail.msg > header (header)"].text  # type: ignore[union-attr]
    assert "Handläggare Exempelsson" in header and "mottagare@example.se" in header
    child = items["attachment[1] mail.msg > attachment[1] notes.txt"]
    assert isinstance(child, Part) and child.data == b"anteckning 19121212-1212" and child.depth == 2
    masked = "attachment[1] mail.msg > attachment[2] Läkarintyg_############.pdf"
    assert isinstance(items[masked], Part)
    name_chunk = items[masked + " (filename)"]
    assert isinstance(name_chunk, TextChunk) and "191212121212" in name_chunk.text


def test_embedded_message_is_read_in_place() -> None:
    inner = "__attach_version1.0_#00000000/__substg1.0_3701000D/"
    streams = msg_streams("Yttre", "yttre text")
    streams["__attach_version1.0_#00000000/__substg1.0_3707001F"] = u("inner.msg")
    streams.update(msg_streams("Inre", "Inre text 19121212-1212", prefix=inner))
    items = by_location(run(build_cfb(streams)))
    body = items["attachment[1] mail.msg > attachment[1] inner.msg > body (body)"]
    assert isinstance(body, TextChunk) and "Inre text" in body.text


def test_nesting_beyond_the_message_depth_is_over_limit() -> None:
    inner = "__attach_version1.0_#00000000/__substg1.0_3701000D/"
    streams = msg_streams("Yttre", "yttre text")
    streams.update(msg_streams("Inre", "inre", prefix=inner))
    items = run(build_cfb(streams), Limits(max_message_depth=1))
    bad = [i for i in items if isinstance(i, Unscannable)]
    assert [(str(b.location), b.reason, b.detail) for b in bad] == [
        ("attachment[1] mail.msg > attachment[1] unnamed", Reason.OVER_LIMIT, "max_message_depth=1")
    ]


def test_html_body_becomes_an_html_child_part() -> None:
    streams = msg_streams("HTML", None, **{"__substg1.0_10130102": b"<p>Sekretess 19121212-1212</p>"})
    parts = [i for i in run(build_cfb(streams)) if isinstance(i, Part)]
    assert [(str(p.location), p.sniffed_type) for p in parts] == [
        ("attachment[1] mail.msg > body.html", "html")
    ]
    assert b"Sekretess" in parts[0].data


def test_compressed_rtf_body_becomes_an_rtf_child_part() -> None:
    rtf = b"{\\rtf1\\ansi Sekretessbelagd handling 19121212-1212\\par}"
    streams = msg_streams("RTF", None, **{"__substg1.0_10090102": compressed_rtf.compress(rtf)})
    parts = [i for i in run(build_cfb(streams)) if isinstance(i, Part)]
    assert [(str(p.location), p.sniffed_type, p.data) for p in parts] == [
        ("attachment[1] mail.msg > body.rtf", "rtf", rtf)
    ]


def test_corrupt_rtf_is_reported() -> None:
    streams = msg_streams("RTF", None, **{"__substg1.0_10090102": b"\x10\x00\x00\x00junkjunkjunkjunk"})
    bad = [i for i in run(build_cfb(streams)) if isinstance(i, Unscannable)]
    assert [(b.reason, str(b.location)) for b in bad] == [
        (Reason.CORRUPT, "attachment[1] mail.msg > body.rtf")
    ]


def test_ansi_strings_are_decoded() -> None:
    streams = msg_streams("x", None, **{"__substg1.0_1000001E": "Läkarintyg bifogas\0".encode("cp1252")})
    del streams["__substg1.0_0037001F"]
    streams["__substg1.0_0037001E"] = "Ärende".encode("cp1252")
    items = by_location(run(build_cfb(streams)))
    assert items["attachment[1] mail.msg > body (body)"].text == "Läkarintyg bifogas"  # type: ignore[union-attr]
    assert items["attachment[1] mail.msg > subject (header)"].text == "Ärende"  # type: ignore[union-attr]


def test_smime_encrypted_message_is_encrypted() -> None:
    streams = msg_streams("Krypterat", None, **{"__substg1.0_001A001F": u("IPM.Note.SMIME")})
    streams.update(attach(0, "smime.p7m", b"0\x82opaque"))
    items = run(build_cfb(streams))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [
        (Reason.ENCRYPTED, "S/MIME")
    ]
    assert not [i for i in items if isinstance(i, Part)]


@pytest.mark.parametrize("data", [b"not a compound file" * 100, build_cfb({"x": b"1"})[:1100]])
def test_garbage_is_corrupt(data: bytes) -> None:
    items = run(data)
    assert [i.reason for i in items if isinstance(i, Unscannable)] == [Reason.CORRUPT]


def test_compound_file_without_mapi_properties_is_corrupt() -> None:
    items = run(build_cfb({"WordDocument": b"x" * 100}))
    assert [(i.reason, i.detail) for i in items] == [(Reason.CORRUPT, "msg: no MAPI properties")]  # type: ignore[union-attr]


def _walk(items: Iterator[TextChunk | Part | Unscannable]) -> list[str]:
    return [str(i.location) for i in items]


def test_every_attachment_counts_against_max_parts() -> None:
    streams = msg_streams("många", "text")
    for n in range(5):
        streams.update(attach(n, f"f{n}.txt", b"x"))
    part = Part(Location(("attachment[1] mail.msg",)), "", "mail.msg", build_cfb(streams), 1, "msg")
    from gateway.extract.base import LimitExceeded

    with pytest.raises(LimitExceeded, match="max_parts=3"):
        _walk(extract_msg(part, Budget(Limits(max_parts=3))))


def test_msg_attached_to_mail_through_the_walker() -> None:
    pytest.importorskip("gateway.mime.parse")
    import email.message

    from gateway.extract.walk import extract_message

    streams = msg_streams("Ärende", "Sekretessbelagd handling 19121212-1212")
    streams.update(attach(0, "notes.txt", b"anteckning 19121212-1212"))
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.se", "b@example.org", "Vidarebefordrat"
    mail.set_content("Se bifogat meddelande.")
    mail.add_attachment(
        build_cfb(streams), maintype="application", subtype="octet-stream", filename="mail.msg"
    )
    out = extract_message(mail.as_bytes())
    texts = {str(c.location): c.text for c in out.chunks if c.origin != "filename"}
    assert "Sekretessbelagd" in texts["attachment[1] mail.msg > body"]
    assert texts["attachment[1] mail.msg > attachment[1] notes.txt"] == "anteckning 19121212-1212"
    assert not out.unscannable


def test_mutated_msg_files_never_raise() -> None:
    import random

    streams = msg_streams("Ärende", "Sekretessbelagd handling " * 100)
    streams.update(attach(0, "notes.txt", b"anteckning " * 500))
    streams.update(msg_streams("Inre", "inre", prefix="__attach_version1.0_#00000001/__substg1.0_3701000D/"))
    sample = build_cfb(streams)
    rng = random.Random(11)
    for _ in range(150):
        mutant = bytearray(sample)
        for _ in range(rng.randint(1, 20)):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        items = run(bytes(mutant))
        assert all(isinstance(i, (Part, TextChunk, Unscannable)) for i in items)


def test_rtf_body_text_reaches_the_rtf_extractor() -> None:
    pytest.importorskip("gateway.mime.parse")
    import email.message

    from gateway.extract.base import lookup
    from gateway.extract.walk import extract_message

    if lookup("rtf") is None:
        pytest.skip("no rtf extractor registered")
    rtf = b"{\\rtf1\\ansi Sekretessbelagd handling 19121212-1212\\par}"
    streams = msg_streams("RTF", None, **{"__substg1.0_10090102": compressed_rtf.compress(rtf)})
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.se", "b@example.org", "x"
    mail.set_content("x")
    mail.add_attachment(
        build_cfb(streams), maintype="application", subtype="octet-stream", filename="mail.msg"
    )
    texts = {str(c.location): c.text for c in extract_message(mail.as_bytes()).chunks}
    assert "Sekretessbelagd handling 19121212-1212" in texts["attachment[1] mail.msg > body.rtf"]
