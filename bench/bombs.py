"""Hostile-input benchmark: time and peak RSS to reject decompression bombs (design §9 targets).

Usage: ``python bench/bombs.py`` (~20 s; builds a real 1 GiB zip bomb with ``zipfile`` once into a temporary
file) or ``python bench/bombs.py --quick`` (crafted bombs only, ~5 s). Every case runs in a fresh process
(spawn), so its peak RSS (``ru_maxrss``) is its own; printed are the median wall time of ``--runs`` runs, the
peak RSS and the RSS growth over the process after imports. The same-run baseline is what an unbounded
reader pays: streaming the whole 1 GiB entry through ``zipfile`` in 64 KiB reads (memory stays flat, time
does not); the ratio ``ours / baseline`` is printed for the zip cases.

Cases: a flat 1 GiB zip bomb through the whole pipeline (MIME attachment -> walker) and through the archive
extractor alone; the same bomb with the header checks disabled (the streaming ratio check must stop it); a
42.zip-style nest (16^4 members of 256 MiB); a zip with 100k entries; a 1 GiB gzip stream.

Security: synthetic zeros only; nothing is written except the temporary bomb files.
"""

from __future__ import annotations

import argparse
import email.message
import io
import multiprocessing
import resource
import statistics
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MiB = 1024 * 1024
GiB = 1024 * MiB


def zeros_deflate(mib: int) -> tuple[bytes, int]:
    """Raw deflate of ``mib`` MiB of zeros (one full-flushed block repeated) and its CRC-32."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(MiB)) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(bytes(MiB), crc)
    return block * mib + b"\x03\x00", crc


def craft_zip(members: list[tuple[bytes, bytes, int, int]]) -> bytes:
    local, central = io.BytesIO(), io.BytesIO()
    for name, body, crc, size in members:
        off = local.tell()
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
                off,
            )
            + name
        )
    cd, n = central.getvalue(), len(members)
    return (
        local.getvalue() + cd + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(cd), local.tell(), 0)
    )


def build(tmp: Path, quick: bool) -> dict[str, Path]:
    """Write every bomb once; returns name -> file."""
    files: dict[str, Path] = {}
    flat = tmp / "flat.zip"
    if quick:
        body, crc = zeros_deflate(1024)
        flat.write_bytes(craft_zip([(b"zeros.bin", body, crc, GiB)]))
    else:
        with (
            zipfile.ZipFile(flat, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
            zf.open("zeros.bin", "w", force_zip64=True) as fh,
        ):
            for _ in range(1024):
                fh.write(bytes(MiB))
    files["flat"] = flat
    body, crc = zeros_deflate(256)
    data = craft_zip([(f"{i}.bin".encode(), body, crc, 256 * MiB) for i in range(16)])
    for level in range(3):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(16):
                zf.writestr(f"l{level}_{i}.zip", data)
        data = buf.getvalue()
    files["nested"] = tmp / "nested.zip"
    files["nested"].write_bytes(data)
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"f"
    entry = (
        struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
        + b"f"
    )
    cd = entry * 100_000
    files["entries"] = tmp / "entries.zip"
    files["entries"].write_bytes(
        local + cd + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(cd), len(local), 0)
    )
    body, crc = zeros_deflate(1024)
    files["gzip"] = tmp / "zeros.gz"
    files["gzip"].write_bytes(b"\x1f\x8b\x08\x00\0\0\0\0\x02\xff" + body + struct.pack("<II", crc, 0))
    return files


def _case(name: str, path: str, runs: int, conn: object) -> None:
    """Child process: import, note RSS, run the case ``runs`` times, report (median s, peak MB, growth MB, result)."""
    from gateway.extract import archive
    from gateway.extract.base import Budget, Limits
    from gateway.extract.walk import extract_message
    from gateway.model import Location, Part

    data = Path(path).read_bytes()
    kind = "gzip" if name == "gzip" else "zip"
    limits = Limits()
    if name == "ratio":
        archive._zip_precheck = lambda info, limits: None  # type: ignore[assignment]
        limits = Limits(max_entry_bytes=2 * GiB)
    raw = b""
    if name == "pipeline":
        msg = email.message.EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.se", "b@example.org", "bilaga"
        msg.set_content("Se bilaga.")
        msg.add_attachment(data, maintype="application", subtype="zip", filename="bomb.zip")
        raw = msg.as_bytes()

    def once() -> str:
        if name == "pipeline":
            out = extract_message(raw, limits)
            return "; ".join(f"{u.reason}:{u.detail}" for u in out.unscannable)
        results: list[str] = []
        budget = Budget(limits)

        def walk(part: Part) -> None:  # depth-first and immediate, like gateway.extract.walk
            try:
                for item in archive.extract_archive(part, budget):
                    if isinstance(item, Part) and item.data[:2] == b"PK":
                        walk(Part(item.location, "", item.filename, item.data, item.depth, "zip"))
                    elif hasattr(item, "reason"):
                        results.append(f"{item.reason}:{item.detail}")  # type: ignore[union-attr]
            except Exception as exc:  # noqa: BLE001 - LimitExceeded, as the walker would record it
                results.append(str(exc).replace(": ", ":"))

        walk(Part(Location(("attachment[1] bomb",)), "", "bomb", data, 1, kind))
        return "; ".join(sorted(set(results)))

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, result = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        result = once()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((statistics.median(times), peak, peak - base, result))  # type: ignore[attr-defined]


def _baseline(path: str, runs: int, conn: object) -> None:
    """Child process: stream the whole 1 GiB entry through zipfile, discarding it (the unbounded cost)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with zipfile.ZipFile(path) as zf, zf.open(zf.infolist()[0]) as fh:
            while fh.read(65536):
                pass
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((statistics.median(times), peak, 0.0, "inflated 1 GiB"))  # type: ignore[attr-defined]


def run_child(target: Callable[..., None], *args: object) -> tuple[float, float, float, str]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(*args, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="crafted bombs only, one baseline run")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlpbombs") as tmp:
        started = time.perf_counter()
        files = build(Path(tmp), args.quick)
        print(
            f"built bombs in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v.stat().st_size / MiB:.2f} MiB" for k, v in files.items())
        )
        base_t, base_rss, _, _ = run_child(_baseline, str(files["flat"]), 1 if args.quick else args.runs)
        print(
            f"{'case':<10} {'median s':>9} {'peak RSS MB':>12} {'growth MB':>10} {'vs baseline':>12}  result"
        )
        print(
            f"{'baseline':<10} {base_t:>9.3f} {base_rss:>12.0f} {'':>10} {1:>12.3f}  unbounded streaming inflate of the 1 GiB entry"
        )
        cases = [
            ("pipeline", "flat"),
            ("extractor", "flat"),
            ("ratio", "flat"),
            ("nested", "nested"),
            ("entries", "entries"),
            ("gzip", "gzip"),
        ]
        for name, key in cases:
            t, rss, growth, result = run_child(_case, name, str(files[key]), args.runs)
            ratio = f"{t / base_t:.3f}" if key == "flat" else ""
            print(f"{name:<10} {t:>9.3f} {rss:>12.0f} {growth:>10.0f} {ratio:>12}  {result[:90]}")


if __name__ == "__main__":
    main()
