"""Decompression bombs stop cheaply: flat, nested, lying sizes, huge entry counts (design §5.3, §9).

Bomb zips are crafted here from one deflate block of a MiB of zeros repeated (valid after a full flush),
so a 1 GiB bomb takes a fraction of a second to build; one slow test builds a real one with ``zipfile``.
Each case asserts its reason, wall time and peak traced memory.
"""

from __future__ import annotations

import functools
import gzip
import io
import shutil
import struct
import subprocess
import tarfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.extract import archive
from gateway.extract.archive import extract_archive, zip_entry_count
from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

MiB = 1024 * 1024
GiB = 1024 * MiB


@functools.lru_cache(maxsize=4)
def zeros_deflate(mib: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mib`` MiB of zeros, and its CRC-32."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(MiB)) + comp.flush(zlib.Z_FULL_FLUSH)
    crc, zero = 0, bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    return block * mib + b"\x03\x00", crc


def craft_zip(members: list[tuple[bytes, bytes, int, int]], count: int | None = None) -> bytes:
    """A zip of (name, deflated body, crc, declared size) members; ``count`` overrides the EOCD count."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, body, crc, size in members:
        offset = local.tell()
        local.write(
            struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(name), 0)
        )
        local.write(name + body)
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(body),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + name
        )
    n = len(members) if count is None else count
    cd = central.getvalue()
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n & 0xFFFF, n & 0xFFFF, len(cd), local.tell(), 0)
    return local.getvalue() + cd + eocd


def bomb(mib: int, declared: int | None = None, name: bytes = b"zeros.bin") -> bytes:
    body, crc = zeros_deflate(mib)
    return craft_zip([(name, body, crc, mib * MiB if declared is None else declared)])


def sniffed(data: bytes) -> str:
    return {b"PK\x03\x04": "zip", b"\x1f\x8b\x08\x00": "gzip"}.get(
        data[:4], "zip" if data[:2] == b"PK" else "text"
    )


def drive(part: Part, budget: Budget, out: list[Unscannable]) -> int:
    """Recurse like the walker; return the number of leaf bytes produced."""
    leaf = 0
    try:
        for item in extract_archive(part, budget):
            if isinstance(item, Unscannable):
                out.append(item)
            elif isinstance(item, TextChunk):
                continue
            elif (kind := sniffed(item.data)) == "text":
                leaf += len(item.data)
            else:
                leaf += drive(
                    Part(item.location, "", item.filename, item.data, item.depth, kind), budget, out
                )
    except LimitExceeded as exc:
        out.append(Unscannable(part.location, exc.reason, exc.detail))
    return leaf


def measure(
    data: bytes, kind: str = "zip", limits: Limits | None = None
) -> tuple[list[Unscannable], float, int]:
    """(unscannable results, seconds, peak traced bytes) of extracting ``data`` recursively."""
    out: list[Unscannable] = []
    part = Part(Location(("attachment[1] bomb",)), "", "bomb", data, 1, kind)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        drive(part, Budget(limits or Limits()), out)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, elapsed, peak


def reasons(out: list[Unscannable]) -> list[tuple[Reason, str]]:
    return [(u.reason, u.detail) for u in out]


def test_flat_1gib_zip_bomb_is_rejected_from_its_header() -> None:
    data = bomb(1024)
    assert len(data) < 2 * MiB
    out, elapsed, peak = measure(data)
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_entry_bytes=67108864")]
    assert elapsed < 1.0 and peak < 100 * MiB


def test_1gib_bomb_stops_at_the_ratio_even_if_the_header_checks_were_fooled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive, "_zip_precheck", lambda info, limits: None)
    out, elapsed, peak = measure(bomb(1024), limits=Limits(max_entry_bytes=2 * GiB))
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_ratio=200")]  # after ratio_floor = 16 MiB came out
    assert elapsed < 1.0 and peak < 100 * MiB


def test_lying_size_field_is_corrupt_and_cheap() -> None:
    out, elapsed, peak = measure(bomb(100, declared=1000))  # says 1,000 bytes, holds 100 MiB
    assert [u.reason for u in out] == [Reason.CORRUPT]
    assert elapsed < 0.5 and peak < 10 * MiB


def test_many_honest_members_hit_the_message_total() -> None:
    body, crc = zeros_deflate(60)  # 60 MiB each: under the entry limit, ratio ~1000 -> stopped per entry
    data = craft_zip([(f"m{i}.bin".encode(), body, crc, 60 * MiB) for i in range(20)])
    out, elapsed, peak = measure(data)
    assert set(reasons(out)) == {(Reason.OVER_LIMIT, "max_ratio=200")} and len(out) == 20
    assert elapsed < 1.0 and peak < 100 * MiB


def nested_bomb(levels: int = 4, fanout: int = 16) -> bytes:
    """A 42.zip-style nest: ``fanout`` copies per level around 256 MiB zero members (16^4 * 256 MiB)."""
    body, crc = zeros_deflate(256)
    data = craft_zip([(f"{i}.bin".encode(), body, crc, 256 * MiB) for i in range(fanout)])
    for level in range(levels - 1):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(fanout):
                zf.writestr(f"l{level}_{i}.zip", data)
        data = buf.getvalue()
    return data


def test_nested_42_style_bomb_is_bounded() -> None:
    data = nested_bomb()
    out, elapsed, peak = measure(data)
    found = set(reasons(out))
    assert (Reason.OVER_LIMIT, "max_archive_depth=3") in found
    assert found <= {
        (Reason.OVER_LIMIT, "max_archive_depth=3"),
        (Reason.OVER_LIMIT, "max_parts=500"),
        (Reason.OVER_LIMIT, "max_entry_bytes=67108864"),
        (Reason.OVER_LIMIT, "max_ratio=200"),
        (Reason.OVER_LIMIT, "max_total_bytes=536870912"),
    }
    assert elapsed < 3.0 and peak < 100 * MiB  # 0.5 s on an idle 2-vCPU machine; bounded by max_total_bytes


def many_entries(n: int, eocd_count: int | None = None) -> bytes:
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"f"
    entry = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    )
    cd = (entry + b"f") * n
    count = n if eocd_count is None else eocd_count
    return (
        local
        + cd
        + struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), len(cd), len(local), 0
        )
    )


@pytest.mark.parametrize("eocd_count", [None, 1])  # honest, and a count that lies
def test_100k_entries_are_over_limit_before_listing(eocd_count: int | None) -> None:
    data = many_entries(100_000, eocd_count)
    assert zip_entry_count(data) >= 65_535
    out, elapsed, peak = measure(data)
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_entries=2000")]
    assert elapsed < 0.1 and peak < 10 * MiB


def test_zip64_entry_count_is_read() -> None:
    data = many_entries(3)
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    rec = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 100_000, 100_000, cd_size, cd_offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd, 1)
    tail = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, cd_size, cd_offset, 0)
    assert zip_entry_count(data[:eocd] + rec + locator + tail) == 100_000


def gzip_zeros(prefix: bytes, mib: int) -> bytes:
    """A valid gzip file of ``prefix`` followed by ``mib`` MiB of zeros, built from repeated deflate blocks."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    body, _ = zeros_deflate(mib)
    crc = _crc_after(prefix, mib)
    size = (len(prefix) + mib * MiB) & 0xFFFFFFFF
    return b"\x1f\x8b\x08\x00\0\0\0\0\x02\xff" + head + body + struct.pack("<II", crc, size)


def _crc_after(prefix: bytes, mib: int) -> int:
    crc, zero = zlib.crc32(prefix), bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    return crc


def test_crafted_gzip_is_valid() -> None:
    assert gzip.decompress(gzip_zeros(b"abc", 2)) == b"abc" + bytes(2 * MiB)


def test_gzip_bomb_stops_at_the_ratio() -> None:
    out, elapsed, peak = measure(gzip_zeros(b"", 1024), "gzip")
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_ratio=200")]
    assert elapsed < 1.0 and peak < 100 * MiB


def test_tar_gz_with_a_huge_member_is_stopped_while_skipping() -> None:
    info = tarfile.TarInfo("zeros.bin")
    info.size = 200 * MiB
    out, elapsed, peak = measure(gzip_zeros(info.tobuf(), 200), "gzip")
    assert (Reason.OVER_LIMIT, "max_entry_bytes=67108864") in reasons(
        out
    )  # reported, then skipping it trips:
    assert (Reason.OVER_LIMIT, "max_ratio=200") in reasons(out)
    assert elapsed < 1.0 and peak < 100 * MiB


def _zeros_file(path: Path, size: int) -> None:
    with path.open("wb") as fh:
        fh.truncate(size)


@pytest.mark.external
@pytest.mark.skipif(shutil.which("7z") is None, reason="7z not installed")
def test_7z_bomb_is_killed_at_the_counter(tmp_path: Path) -> None:
    _zeros_file(tmp_path / "zeros.bin", 64 * MiB)
    subprocess.run(
        ["7z", "a", "-bd", "-mx=1", "z.7z", "zeros.bin"], cwd=tmp_path, check=True, capture_output=True
    )
    data = (tmp_path / "z.7z").read_bytes()
    out, elapsed, _ = measure(data, "7z", Limits(max_entry_bytes=32 * MiB))
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_entry_bytes=33554432")]  # from the listing, nothing run
    out, elapsed, peak = measure(data, "7z", Limits(max_entry_bytes=GiB))
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_ratio=200")]  # 7z x killed by the byte counter
    assert elapsed < 1.0 and peak < 100 * MiB


def _stream_zeros(zf: zipfile.ZipFile, size: int) -> Iterator[None]:
    with zf.open("zeros.bin", "w", force_zip64=True) as fh:
        chunk = bytes(MiB)
        for _ in range(size // MiB):
            fh.write(chunk)
            yield


@pytest.mark.slow
def test_real_1gib_zip_bomb_made_by_zipfile(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for _ in _stream_zeros(zf, GiB):
            pass
    out, elapsed, peak = measure(path.read_bytes())
    assert reasons(out) == [(Reason.OVER_LIMIT, "max_entry_bytes=67108864")]
    assert elapsed < 1.0 and peak < 100 * MiB


def test_gzip_module_agrees_with_the_crafted_stream() -> None:
    body, crc = zeros_deflate(2)
    assert zlib.decompress(body, -15) == bytes(2 * MiB) and crc == zlib.crc32(bytes(2 * MiB))
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


def test_zip_bomb_attached_to_mail_through_the_walker() -> None:
    pytest.importorskip("gateway.mime.parse")
    import email.message

    from gateway.extract.walk import extract_message

    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.se", "b@example.org", "bilaga"
    msg.set_content("Se bilaga.")
    msg.add_attachment(bomb(1024), maintype="application", subtype="octet-stream", filename="bomb.zip")
    raw = msg.as_bytes()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        out = extract_message(raw)
        elapsed, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(str(u.location), u.reason, u.detail) for u in out.unscannable] == [
        ("attachment[1] bomb.zip > zeros.bin", Reason.OVER_LIMIT, "max_entry_bytes=67108864")
    ]
    assert elapsed < 1.0 and peak < 100 * MiB
