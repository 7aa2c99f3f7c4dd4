"""Archives: zip/tar/gzip/bzip2/xz/7z members become child parts; encryption, corruption and depth reported."""

from __future__ import annotations

import bz2
import email.message
import gzip
import io
import lzma
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from gateway.extract import archive
from gateway.extract.archive import extract_archive, parse_7z_listing, safe_member_path
from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

SECRET = "Sekretessbelagd handling. Personnummer 19121212-1212."
needs_7z = pytest.mark.skipif(
    shutil.which("7z") is None and shutil.which("7za") is None, reason="7z not installed"
)


def kind(data: bytes) -> str:
    """Just enough sniffing to recurse into archives like the walker does."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh":
        return "bzip2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[257:262] == b"ustar":
        return "tar"
    return "text"


class Result:
    """What a walker would collect: text parts (by location), unscannable results, name chunks."""

    def __init__(self) -> None:
        self.leaves: dict[str, bytes] = {}
        self.bad: list[tuple[str, Reason, str]] = []
        self.names: list[str] = []


def drive(
    data: bytes, name: str = "all.zip", limits: Limits | None = None, budget: Budget | None = None
) -> Result:
    """Extract recursively the way ``gateway.extract.walk`` does (LimitExceeded -> that part over_limit)."""
    budget = budget or Budget(limits or Limits())
    out = Result()
    _drive(Part(Location((f"attachment[1] {name}",)), "", name, data, 1, kind(data)), budget, out)
    return out


def _drive(part: Part, budget: Budget, out: Result) -> None:
    try:
        for item in extract_archive(part, budget):
            if isinstance(item, Unscannable):
                out.bad.append((str(item.location), item.reason, item.detail))
            elif isinstance(item, TextChunk):
                assert item.origin == "filename"
                out.names.append(item.text)
            elif (t := kind(item.data)) == "text":
                out.leaves[str(item.location)] = item.data
            else:
                _drive(Part(item.location, "", item.filename, item.data, item.depth, t), budget, out)
    except LimitExceeded as exc:
        out.bad.append((str(part.location), exc.reason, exc.detail))


def make_zip(members: dict[str, bytes | str], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def set_flag(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Set general-purpose flag bits (and the method) in every local and central header."""
    out = bytearray(data)
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = out.find(sig)
        while pos >= 0:
            out[pos + off] |= flag
            if method is not None:
                out[pos + off + 2 : pos + off + 4] = method.to_bytes(2, "little")
            pos = out.find(sig, pos + 4)
    return bytes(out)


def test_zip_member_is_a_child_part_with_a_safe_location() -> None:
    result = drive(
        make_zip(
            {"notes.txt": SECRET, "dir/": "", "../../etc/passwd": "x", "Läkarintyg_191212121212.txt": "y"}
        )
    )
    assert result.leaves["attachment[1] all.zip > notes.txt"] == SECRET.encode()
    assert result.leaves["attachment[1] all.zip > etc/passwd"] == b"x"
    assert "attachment[1] all.zip > Läkarintyg_############.txt" in result.leaves
    assert "Läkarintyg_191212121212.txt" in result.names  # the raw name is scanned as a filename chunk
    assert result.bad == []


def test_location_through_the_real_walker() -> None:
    pytest.importorskip("gateway.mime.parse")
    from gateway.extract.walk import extract_message

    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.se", "b@example.org", "Bilaga"
    msg.set_content("Se bilaga.")
    msg.add_attachment(
        make_zip({"notes.txt": SECRET}), maintype="application", subtype="zip", filename="all.zip"
    )
    out = extract_message(msg.as_bytes(), Limits())
    texts = {str(c.location): c.text for c in out.chunks}
    assert "19121212-1212" in texts["attachment[1] all.zip > notes.txt"]


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_every_zip_method_is_read(method: int) -> None:
    assert drive(make_zip({"notes.txt": SECRET * 50}, method)).leaves == {
        "attachment[1] all.zip > notes.txt": SECRET.encode() * 50
    }


def test_nesting_beyond_max_archive_depth_is_over_limit() -> None:
    data = make_zip({"l4.txt": "deepest"})
    for level in (4, 3, 2):
        data = make_zip({f"l{level}.zip": data, f"l{level}.txt": f"level {level}"})
    result = drive(data)
    assert set(result.leaves) == {  # all.zip is archive level 1, l4.zip would be level 4
        "attachment[1] all.zip > l2.txt",
        "attachment[1] all.zip > l2.zip > l3.txt",
        "attachment[1] all.zip > l2.zip > l3.zip > l4.txt",
    }
    assert result.bad == [
        ("attachment[1] all.zip > l2.zip > l3.zip > l4.zip", Reason.OVER_LIMIT, "max_archive_depth=3")
    ]


def test_zipcrypto_flag_is_encrypted_and_other_members_still_read() -> None:
    flagged = bytearray(make_zip({"secret.txt": SECRET, "open.txt": "öppen"}))
    flagged[6] |= 1  # the first member's local header ...
    flagged[flagged.find(b"PK\x01\x02") + 8] |= 1  # ... and its central-directory entry
    result = drive(bytes(flagged))
    assert result.bad == [("attachment[1] all.zip > secret.txt", Reason.ENCRYPTED, "zip: ZipCrypto")]
    assert result.leaves == {"attachment[1] all.zip > open.txt": "öppen".encode()}
    assert "secret.txt" in result.names


def test_aes_method_99_is_encrypted() -> None:
    result = drive(set_flag(make_zip({"a.txt": SECRET}), 1, method=99))
    assert result.bad == [("attachment[1] all.zip > a.txt", Reason.ENCRYPTED, "zip: AES")]


@needs_7z
@pytest.mark.external
@pytest.mark.parametrize(("switches", "detail"), [([], "zip: ZipCrypto"), (["-mem=AES256"], "zip: AES")])
def test_real_encrypted_zips_made_by_7z(tmp_path: Path, switches: list[str], detail: str) -> None:
    (tmp_path / "notes.txt").write_text(SECRET)
    exe = shutil.which("7z") or "7za"
    subprocess.run(
        [exe, "a", "-tzip", "-psecret", *switches, "x.zip", "notes.txt"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    result = drive((tmp_path / "x.zip").read_bytes())
    assert result.bad == [("attachment[1] all.zip > notes.txt", Reason.ENCRYPTED, detail)]


def test_unsupported_zip_method() -> None:
    result = drive(set_flag(make_zip({"a.txt": SECRET}), 0, method=9))
    assert result.bad == [("attachment[1] all.zip > a.txt", Reason.UNSUPPORTED, "zip method 9")]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_zip_is_corrupt(cut: float) -> None:
    data = make_zip({"a.txt": os.urandom(5000).hex(), "b.txt": "b"})
    result = drive(data[: int(len(data) * cut)])
    assert [r for _, r, _ in result.bad] == [Reason.CORRUPT] and not result.leaves


def test_damaged_member_data_is_corrupt() -> None:
    data = bytearray(make_zip({"a.txt": SECRET * 20}))
    data[60:70] = b"\xff" * 10  # inside the deflate stream
    result = drive(bytes(data))
    assert [(loc, r) for loc, r, _ in result.bad] == [("attachment[1] all.zip > a.txt", Reason.CORRUPT)]


def test_tar_gz_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("docs/notes.txt", SECRET.encode()), ("docs/b.txt", b"b")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        sym = tarfile.TarInfo("evil")
        sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(sym)
    result = drive(buf.getvalue(), "x.tar.gz")
    assert result.leaves["attachment[1] x.tar.gz > docs/notes.txt"] == SECRET.encode()
    assert "attachment[1] x.tar.gz > evil" not in result.leaves and result.bad == []


def test_plain_tar_and_tar_member_over_entry_limit() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("big.bin", b"a" * 3000), ("notes.txt", SECRET.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = drive(buf.getvalue(), "x.tar", Limits(max_entry_bytes=2000))
    assert result.bad == [("attachment[1] x.tar > big.bin", Reason.OVER_LIMIT, "max_entry_bytes=2000")]
    assert result.leaves == {"attachment[1] x.tar > notes.txt": SECRET.encode()}


@pytest.mark.parametrize(
    ("compress", "name", "inner"),
    [
        (gzip.compress, "notes.txt.gz", "notes.txt"),
        (bz2.compress, "notes.txt.bz2", "notes.txt"),
        (lzma.compress, "n.xz", "n"),
    ],
)
def test_single_compressed_streams(compress: object, name: str, inner: str) -> None:
    data = compress(SECRET.encode())  # type: ignore[operator]
    assert drive(data, name).leaves == {f"attachment[1] {name} > {inner}": SECRET.encode()}


def test_corrupt_gzip() -> None:
    data = gzip.compress(SECRET.encode() * 100)
    result = drive(data[:40], "x.gz")
    assert [r for _, r, _ in result.bad] == [Reason.CORRUPT]


def test_rar_is_unsupported() -> None:
    part = Part(Location(("attachment[1] x.rar",)), "", "x.rar", b"Rar!\x1a\x07\x01\x00", 1, "rar")
    assert list(extract_archive(part, Budget())) == [Unscannable(part.location, Reason.UNSUPPORTED, "rar")]


def test_members_count_against_max_parts() -> None:
    result = drive(make_zip({f"f{i}.txt": "x" for i in range(10)}), limits=Limits(max_parts=4))
    assert result.bad == [("attachment[1] all.zip", Reason.OVER_LIMIT, "max_parts=4")]
    assert len(result.leaves) == 4


def test_safe_member_path() -> None:
    assert safe_member_path("../a/./b\\c/../d.txt") == "a/b/c/d.txt"
    assert safe_member_path("/") == ""


# --- 7z -----------------------------------------------------------------------------------------------


def seven(tmp_path: Path, *switches: str) -> bytes:
    (tmp_path / "d").mkdir(exist_ok=True)
    (tmp_path / "d" / "notes.txt").write_text(SECRET)
    (tmp_path / "d" / "b.txt").write_text("b")
    exe = shutil.which("7z") or "7za"
    out = tmp_path / "x.7z"
    out.unlink(missing_ok=True)
    subprocess.run([exe, "a", "-bd", *switches, str(out), "d"], cwd=tmp_path, check=True, capture_output=True)
    return out.read_bytes()


@needs_7z
@pytest.mark.external
def test_7z_members(tmp_path: Path) -> None:
    result = drive(seven(tmp_path), "x.7z")
    assert result.leaves == {
        "attachment[1] x.7z > d/notes.txt": SECRET.encode(),
        "attachment[1] x.7z > d/b.txt": b"b",
    }
    assert result.bad == []


@needs_7z
@pytest.mark.external
def test_7z_with_password_is_encrypted_per_member(tmp_path: Path) -> None:
    result = drive(seven(tmp_path, "-psecret"), "x.7z")
    assert sorted(result.bad) == [
        ("attachment[1] x.7z > d/b.txt", Reason.ENCRYPTED, "7z"),
        ("attachment[1] x.7z > d/notes.txt", Reason.ENCRYPTED, "7z"),
    ]
    assert "d/notes.txt" in result.names and not result.leaves


@needs_7z
@pytest.mark.external
def test_7z_with_encrypted_headers_is_encrypted(tmp_path: Path) -> None:
    result = drive(seven(tmp_path, "-psecret", "-mhe=on"), "x.7z")
    assert result.bad == [("attachment[1] x.7z", Reason.ENCRYPTED, "7z")]


@needs_7z
@pytest.mark.external
def test_7z_corrupt_and_member_limit(tmp_path: Path) -> None:
    data = seven(tmp_path)
    assert [r for _, r, _ in drive(data[:40], "x.7z").bad] == [Reason.CORRUPT]
    result = drive(data, "x.7z", Limits(max_entry_bytes=10))
    assert ("attachment[1] x.7z > d/notes.txt", Reason.OVER_LIMIT, "max_entry_bytes=10") in result.bad
    assert result.leaves == {"attachment[1] x.7z > d/b.txt": b"b"}


def test_7z_without_the_binary_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive.shutil, "which", lambda name: None)
    result = drive(b"7z\xbc\xaf\x27\x1c" + b"\0" * 30, "x.7z")
    assert result.bad == [("attachment[1] x.7z", Reason.UNSUPPORTED, "7z not installed")]


def test_parse_7z_listing() -> None:
    text = "Path = /tmp/in.7z\nType = 7z\n\n----------\nPath = a.txt\nSize = 3\nEncrypted = -\n\nPath = d\nFolder = +\n"
    assert parse_7z_listing(text) == [
        {"Path": "a.txt", "Size": "3", "Encrypted": "-"},
        {"Path": "d", "Folder": "+"},
    ]
    assert parse_7z_listing("no separator") == []


def test_zip_version_beyond_zipfile_is_unsupported() -> None:
    data = bytearray(make_zip({"a.txt": "x"}))
    cd = data.find(b"PK\x01\x02")
    data[cd + 6] = 100  # version needed to extract: 10.0
    assert drive(bytes(data)).bad == [("attachment[1] all.zip", Reason.UNSUPPORTED, "zip: version")]


@pytest.mark.parametrize("kind_", ["zip", "gzip", "tar", "bzip2", "xz"])
def test_mutated_archives_never_raise(kind_: str) -> None:
    import random

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for n in range(3):
            data = b"tar text %d " % n * 100
            info = tarfile.TarInfo(f"n{n}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw_tar = buf.getvalue()
    members = {"a.txt": "hej " * 300, "b.txt": "b " * 300}
    sample = {
        "zip": make_zip(members),
        "gzip": gzip.compress(raw_tar),
        "tar": raw_tar,
        "bzip2": bz2.compress(raw_tar),
        "xz": lzma.compress(raw_tar),
    }[kind_]
    rng = random.Random(7)
    for _ in range(150):
        mutant = bytearray(sample)
        for _ in range(rng.randint(1, 10)):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        if rng.random() < 0.2:
            mutant = mutant[: rng.randrange(len(mutant))]
        part = Part(Location(("attachment[1] x",)), "", "x", bytes(mutant), 1, kind_)
        try:
            items = list(extract_archive(part, Budget()))
        except LimitExceeded:
            continue
        assert all(isinstance(i, (Part, TextChunk, Unscannable)) for i in items)


def test_finding_in_a_zip_member_through_the_whole_scan() -> None:
    pytest.importorskip("gateway.mime.parse")
    from gateway.scan import ScanSettings, scan_bytes

    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.se", "b@example.org", "Bilaga"
    msg.set_content("Se bilaga.")
    msg.add_attachment(
        make_zip({"notes.txt": SECRET}), maintype="application", subtype="zip", filename="all.zip"
    )
    result = scan_bytes(msg.as_bytes(), ScanSettings(Limits()))
    found = {(f.category, f.location) for f in result.findings}
    assert ("personnummer", "attachment[1] all.zip > notes.txt") in found
    assert ("confidential", "attachment[1] all.zip > notes.txt") in found
    assert all("19121212" not in f.sample for f in result.findings)


@needs_7z
@pytest.mark.external
def test_7z_with_many_members_is_read_in_one_run(tmp_path: Path) -> None:
    import time

    src = tmp_path / "many"
    src.mkdir()
    for i in range(300):
        (src / f"f{i:03}.txt").write_text(f"fil {i} " * (i % 7 + 1))
    exe = shutil.which("7z") or "7za"
    subprocess.run([exe, "a", "-bd", "m.7z", "many"], cwd=tmp_path, check=True, capture_output=True)
    start = time.perf_counter()
    result = drive((tmp_path / "m.7z").read_bytes(), "m.7z")
    elapsed = time.perf_counter() - start
    assert result.bad == [] and len(result.leaves) == 300
    assert result.leaves["attachment[1] m.7z > many/f123.txt"] == ("fil 123 " * 5).encode()
    assert elapsed < 2.0  # one 7z process, not 300
