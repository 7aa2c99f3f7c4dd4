"""Archives: zip, tar, gzip/bzip2/xz streams and 7z, members yielded as child parts (design §5.2, §5.3).

Zip is read with our own bounded inflater over the raw member bytes; ``zipfile`` only parses the central
directory, and only after the entry count in the end-of-central-directory record (and the number of
central-directory signatures, in case that count lies) is within ``max_entries`` — listing 100k entries
costs more than half a second. Every member's encryption flag and declared sizes are checked before a
byte is inflated; output comes in 64 KiB chunks through ``Budget.charge`` with the per-entry size and
ratio limits, so lying size fields only make the member ``corrupt``. tar goes through ``tarfile``'s
streaming mode over a metered decompressor; 7z through the ``7z`` command line with a byte counter on its
stdout and a dummy password so it never waits for one. rar is ``unsupported``.

Security: every byte here is hostile. Nothing is trusted from headers except as an early reason to stop;
limits: ``max_entries``, ``max_entry_bytes``, ``max_ratio`` after ``ratio_floor``, ``max_attachment_bytes``
per archive, ``max_total_bytes`` (Budget), ``max_archive_depth``, ``max_parts`` and the attachment clock.
Member names become locations only through ``safe_filename`` per path element (no traversal, digits
masked); nothing is ever written to disk except the 7z input, in a private temporary file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import selectors
import shutil
import struct
import subprocess
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from gateway.extract.base import Budget, Item, LimitExceeded, Limits, extractor
from gateway.masking import safe_filename
from gateway.model import Part, Reason, TextChunk, Unscannable

CHUNK = 65536
_CD_SIG = b"PK\x01\x02"
_EOCD_SIG = b"PK\x05\x06"
_ZIP_METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma"}


class _EntryLimitError(Exception):
    """One member is over a per-entry limit: that member is ``over_limit``, the others are still read."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@extractor("zip", "tar", "gzip", "bzip2", "xz", "7z", "rar")
def extract_archive(part: Part, budget: Budget) -> Iterator[Item]:
    """Yield every member of an archive as a child part, or why it could not be read."""
    if part.sniffed_type == "rar":
        yield Unscannable(part.location, Reason.UNSUPPORTED, "rar")
        return
    depth = _archive_depth(part, budget)
    if depth > budget.limits.max_archive_depth:
        yield Unscannable(
            part.location, Reason.OVER_LIMIT, f"max_archive_depth={budget.limits.max_archive_depth}"
        )
        return
    handler = {"zip": _zip, "tar": _tar, "7z": _sevenzip}.get(part.sniffed_type, _compressed)
    yield from handler(part, budget, depth)


# --- shared helpers -------------------------------------------------------------------------------


def _depth_table(budget: Budget) -> dict[tuple[str, ...], int]:
    """Archive depth of every member location yielded for this message."""
    table: dict[tuple[str, ...], int] = budget.scratch.setdefault("archive_depth", {})
    return table


def _archive_depth(part: Part, budget: Budget) -> int:
    """1 for an archive attached to mail, +1 for every archive it sits in (also via mail inside zip)."""
    table = _depth_table(budget)
    path = part.location.path
    return 1 + max((table.get(path[:i], 0) for i in range(len(path), 0, -1)), default=0)


def safe_member_path(name: str) -> str:
    """A member path fit for a location: each element through ``safe_filename``, no ``..`` or root."""
    parts = [safe_filename(p) for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(p for p in parts if p)


def _child(part: Part, budget: Budget, depth: int, name: str, data: bytes, index: int) -> Part:
    budget.count_part()
    location = part.location.child(safe_member_path(name) or f"member[{index}]")
    _depth_table(budget)[location.path] = depth
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or None
    return Part(location, "application/octet-stream", base, data, part.depth + 1)


def _collect(chunks: Iterator[tuple[bytes, int]], budget: Budget, declared: int | None = None) -> bytes:
    """Join decompressed chunks within the per-entry size and ratio limits (and the declared size).

    ``chunks`` pairs each output chunk with the compressed bytes consumed so far: the ratio is output over
    input actually read, so a bomb cannot emit ``max_ratio`` times its whole packed size first.
    """
    limits = budget.limits
    out: list[bytes] = []
    total = 0
    for chunk, packed in chunks:
        total += len(chunk)
        if declared is not None and total > declared:
            raise ValueError("member larger than declared")  # lying size field: corrupt, stop now
        budget.charge(len(chunk))
        if total > limits.max_entry_bytes:
            raise _EntryLimitError(f"max_entry_bytes={limits.max_entry_bytes}")
        if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
            raise _EntryLimitError(f"max_ratio={limits.max_ratio}")
        budget.check_time()
        out.append(chunk)
    return b"".join(out)


# --- zip ------------------------------------------------------------------------------------------


def zip_entry_count(data: bytes) -> int | None:
    """Entries per the end-of-central-directory record (zip64 aware) or the signatures; None: no EOCD."""
    pos = data.rfind(_EOCD_SIG, max(0, len(data) - 65557))
    if pos < 0 or len(data) - pos < 22:
        return None
    on_disk, total, cd_size, cd_offset = struct.unpack_from("<HHII", data, pos + 8)
    count = max(on_disk, total)
    end = pos
    if 0xFFFF in (on_disk, total) or 0xFFFFFFFF in (cd_size, cd_offset):
        loc = pos - 20
        if loc >= 0 and data[loc : loc + 4] == b"PK\x06\x07":
            (rec,) = struct.unpack_from("<Q", data, loc + 8)
            if rec + 56 <= len(data) and data[rec : rec + 4] == b"PK\x06\x06":
                count, cd_size = struct.unpack_from("<QQ", data, rec + 32)
                end = rec
    signatures = data.count(_CD_SIG, max(0, end - cd_size), end)
    return int(max(count, signatures))


def _zip(part: Part, budget: Budget, depth: int) -> Iterator[Item]:
    limits = budget.limits
    count = zip_entry_count(part.data)
    if count is None:
        yield Unscannable(part.location, Reason.CORRUPT, "zip: no end of central directory")
        return
    if count > limits.max_entries:
        yield Unscannable(part.location, Reason.OVER_LIMIT, f"max_entries={limits.max_entries}")
        return
    try:
        with zipfile.ZipFile(io.BytesIO(part.data)) as zf:
            infos = zf.infolist()
    except NotImplementedError:  # "zip file version" above what zipfile knows
        yield Unscannable(part.location, Reason.UNSUPPORTED, "zip: version")
        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error):
        yield Unscannable(part.location, Reason.CORRUPT, "zip: bad central directory")
        return
    members = [i for i in infos if not i.is_dir()]
    for index, info in enumerate(members, 1):
        budget.check_time()
        where = part.location.child(safe_member_path(info.filename) or f"member[{index}]")
        yield TextChunk(where, "filename", info.filename)  # names leak too, even of encrypted members
        problem = _zip_precheck(info, limits)
        if problem is not None:
            yield Unscannable(where, *problem)
            continue
        try:
            data = _collect(_zip_member(part.data, info), budget, info.file_size)
        except _EntryLimitError as exc:
            yield Unscannable(where, Reason.OVER_LIMIT, exc.detail)
            continue
        except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, struct.error):
            yield Unscannable(where, Reason.CORRUPT, "zip member")
            continue
        if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            yield Unscannable(where, Reason.CORRUPT, "zip member: size or CRC mismatch")
            continue
        yield _child(part, budget, depth, info.filename, data, index)


def _zip_precheck(info: zipfile.ZipInfo, limits: Limits) -> tuple[Reason, str] | None:
    """Reasons known from the headers alone, before inflating anything."""
    if info.compress_type == 99:
        return Reason.ENCRYPTED, "zip: AES"
    if info.flag_bits & 0x41:
        return Reason.ENCRYPTED, "zip: ZipCrypto" if not info.flag_bits & 0x40 else "zip: strong encryption"
    if info.compress_type not in _ZIP_METHODS:
        return Reason.UNSUPPORTED, f"zip method {info.compress_type}"
    if info.file_size > limits.max_entry_bytes:
        return Reason.OVER_LIMIT, f"max_entry_bytes={limits.max_entry_bytes}"
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return Reason.OVER_LIMIT, f"max_ratio={limits.max_ratio}"
    return None


def _zip_member(data: bytes, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
    """The member's raw bytes (from its local header) inflated in bounded chunks; lying sizes stop early."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise ValueError("no local header")
    name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise EOFError("truncated member")
    if info.compress_type == 0:
        for i in range(0, len(raw), CHUNK):
            chunk = bytes(raw[i : i + CHUNK])
            yield chunk, i + len(chunk)
        return
    if info.compress_type == 14:
        if len(raw) < 4:
            raise EOFError("truncated lzma header")
        (psize,) = struct.unpack_from("<H", raw, 2)
        props = bytes(raw[4 : 4 + psize])
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]  # type: ignore[attr-defined]
        yield from _inflate(lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters), raw[4 + psize :])
        return
    yield from _inflate(zlib.decompressobj(-15) if info.compress_type == 8 else bz2.BZ2Decompressor(), raw)


def _inflate(dec: Any, raw: memoryview) -> Iterator[tuple[bytes, int]]:
    """Drive a zlib/bz2/lzma decompressor with at most CHUNK bytes in and out per step."""
    pos = 0
    is_zlib = hasattr(dec, "unconsumed_tail")
    while not dec.eof:
        tail = dec.unconsumed_tail if is_zlib else b""
        if ((not tail) if is_zlib else dec.needs_input) and pos < len(raw):
            data = bytes(raw[pos : pos + CHUNK])
            pos += len(data)
        else:
            data = tail
        out = dec.decompress(data, CHUNK)
        if out:
            yield out, pos
        elif not data:  # no input left and nothing came out: the stream ends before its end marker
            raise EOFError("truncated compressed data")


# --- tar and single compressed streams ------------------------------------------------------------


class _Meter(io.RawIOBase):
    """A read-only stream that charges every byte and stops at the attachment size and ratio limits."""

    def __init__(self, raw: io.BufferedIOBase, budget: Budget, src: io.BytesIO) -> None:
        super().__init__()
        self._raw, self._budget, self._src, self.count = raw, budget, src, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(min(len(buffer), CHUNK))
        n = len(data)
        buffer[:n] = data
        self.count += n
        self._budget.charge(n)
        limits = self._budget.limits
        if self.count > limits.max_attachment_bytes:
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_attachment_bytes={limits.max_attachment_bytes}")
        if self.count > limits.ratio_floor and self.count > limits.max_ratio * max(self._src.tell(), 1):
            raise LimitExceeded(Reason.OVER_LIMIT, f"max_ratio={limits.max_ratio}")
        self._budget.check_time()
        return n


_OPENERS: dict[str, Callable[[IO[bytes]], io.BufferedIOBase]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    "bzip2": lambda f: bz2.BZ2File(f),
    "xz": lambda f: lzma.LZMAFile(f),
}
_SUFFIXES = {"gzip": (".gz", ".tgz"), "bzip2": (".bz2", ".tbz2", ".tbz"), "xz": (".xz", ".txz")}
_STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, tarfile.TarError, struct.error)


def _open(part: Part) -> tuple[io.BufferedIOBase, io.BytesIO]:
    """The decompressed stream and its source (whose position is the compressed bytes consumed)."""
    src = io.BytesIO(part.data)
    return _OPENERS[part.sniffed_type](src), src


def _compressed(part: Part, budget: Budget, depth: int) -> Iterator[Item]:
    """A gzip/bzip2/xz file: a compressed tar is read as tar at this location, anything else is one child."""
    try:
        head = _open(part)[0].read(512)
    except _STREAM_ERRORS:
        yield Unscannable(part.location, Reason.CORRUPT, part.sniffed_type)
        return
    if head[257:262] == b"ustar":
        yield from _tar(part, budget, depth)
        return
    name = part.filename or "content"
    for suffix in _SUFFIXES[part.sniffed_type]:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)] + (".tar" if suffix.startswith(".t") else "")
            break
    try:
        data = _collect(_chunks(*_open(part)), budget)
    except _EntryLimitError as exc:
        yield Unscannable(part.location, Reason.OVER_LIMIT, exc.detail)
        return
    except _STREAM_ERRORS:
        yield Unscannable(part.location, Reason.CORRUPT, part.sniffed_type)
        return
    yield _child(part, budget, depth, name or "content", data, 1)


def _chunks(stream: io.BufferedIOBase, src: io.BytesIO) -> Iterator[tuple[bytes, int]]:
    while chunk := stream.read(CHUNK):
        yield chunk, src.tell()


def _tar(part: Part, budget: Budget, depth: int) -> Iterator[Item]:
    limits = budget.limits
    if part.sniffed_type == "tar":
        src = io.BytesIO(part.data)
        raw: io.BufferedIOBase = src
    else:
        raw, src = _open(part)
    stream = io.BufferedReader(_Meter(raw, budget, src), CHUNK)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for index, member in enumerate(tar, 1):
                if index > limits.max_entries:
                    yield Unscannable(part.location, Reason.OVER_LIMIT, f"max_entries={limits.max_entries}")
                    return
                if not member.isreg():
                    continue
                where = part.location.child(safe_member_path(member.name) or f"member[{index}]")
                yield TextChunk(where, "filename", member.name)
                if member.size > limits.max_entry_bytes:
                    yield Unscannable(where, Reason.OVER_LIMIT, f"max_entry_bytes={limits.max_entry_bytes}")
                    continue
                fh = tar.extractfile(member)
                data = fh.read(member.size) if fh is not None else b""
                if len(data) != member.size:
                    yield Unscannable(where, Reason.CORRUPT, "tar member truncated")
                    return
                yield _child(part, budget, depth, member.name, data, index)
    except _STREAM_ERRORS:
        yield Unscannable(part.location, Reason.CORRUPT, "tar")


# --- 7z -------------------------------------------------------------------------------------------


def _sevenzip(part: Part, budget: Budget, depth: int) -> Iterator[Item]:
    exe = shutil.which("7z") or shutil.which("7za")
    if exe is None:
        yield Unscannable(part.location, Reason.UNSUPPORTED, "7z not installed")
        return
    limits = budget.limits
    with tempfile.TemporaryDirectory(prefix="dlp7z") as tmp:
        path = os.path.join(tmp, "in.7z")
        with open(path, "wb") as fh:
            fh.write(part.data)
        base = [exe, "-p-dlp-gateway-", "-y", "-spd", "-bd"]
        try:
            rc, out, err = run_bounded(
                [exe, "l", "-slt", *base[1:], "--", path], 2048 * limits.max_entries, budget
            )
        except _EntryLimitError:
            rc, out, err = -1, b"", b""
        entries = parse_7z_listing(out.decode("utf-8", "replace")) if rc == 0 else []
        if rc == -1 or len(entries) > limits.max_entries:
            yield Unscannable(part.location, Reason.OVER_LIMIT, f"max_entries={limits.max_entries}")
            return
        if rc != 0:
            encrypted = b"password" in (out + err).lower() or b"encrypted" in err.lower()
            yield Unscannable(part.location, Reason.ENCRYPTED if encrypted else Reason.CORRUPT, "7z")
            return
        todo: list[tuple[int, str, int]] = []
        skipped = False
        for index, entry in enumerate(entries, 1):
            name = entry.get("Path", "")
            if entry.get("Folder") == "+" or entry.get("Attributes", "")[:1] == "D":
                continue
            where = part.location.child(safe_member_path(name) or f"member[{index}]")
            yield TextChunk(where, "filename", name)
            size = int(entry.get("Size", "0") or 0)
            if entry.get("Encrypted") == "+":
                yield Unscannable(where, Reason.ENCRYPTED, "7z")
            elif size > limits.max_entry_bytes:
                yield Unscannable(where, Reason.OVER_LIMIT, f"max_entry_bytes={limits.max_entry_bytes}")
            else:
                todo.append((index, name, size))
                continue
            skipped = True
        batch = None if skipped or len(todo) < 2 else _7z_all(base, path, todo, part, budget)
        if batch is not None:
            for (index, name, _), data in zip(todo, batch, strict=True):
                yield _child(part, budget, depth, name, data, index)
            return
        for index, name, size in todo:
            yield _7z_member(base, path, part, budget, depth, index, name, size)


def _7z_all(
    base: list[str], path: str, todo: list[tuple[int, str, int]], part: Part, budget: Budget
) -> list[bytes] | None:
    """Every member in one ``7z x -so`` (its output is in listing order); None: read them one by one."""
    total = sum(size for _, _, size in todo)
    if total > budget.limits.max_attachment_bytes:
        return None
    try:
        rc, data, _ = run_bounded([base[0], "x", "-so", *base[1:], "--", path], total, budget, len(part.data))
    except _EntryLimitError:
        return None
    if rc != 0 or len(data) != total:
        return None
    out, pos = [], 0
    for _, _, size in todo:
        out.append(data[pos : pos + size])
        pos += size
    return out


def _7z_member(
    base: list[str], path: str, part: Part, budget: Budget, depth: int, index: int, name: str, size: int
) -> Item:
    """One member through ``7z x -so``, killed past its listed size or the ratio."""
    where = part.location.child(safe_member_path(name) or f"member[{index}]")
    try:
        args = [base[0], "x", "-so", *base[1:], "--", path, name]
        rc, data, err = run_bounded(args, size, budget, packed=len(part.data))
    except _EntryLimitError as exc:
        declared = exc.detail == "declared"
        detail = "7z member larger than declared" if declared else exc.detail
        return Unscannable(where, Reason.CORRUPT if declared else Reason.OVER_LIMIT, detail)
    if rc != 0 or len(data) != size:
        bad = b"password" in err.lower()
        return Unscannable(where, Reason.ENCRYPTED if bad else Reason.CORRUPT, "7z member")
    return _child(part, budget, depth, name, data, index)


def parse_7z_listing(text: str) -> list[dict[str, str]]:
    """The member blocks of ``7z l -slt`` output (after the ``----------`` line)."""
    _, sep, body = text.partition("\n----------\n")
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in body.splitlines() if sep else ():
        key, eq, value = line.partition(" = ")
        if eq:
            current[key.strip()] = value
        elif not line.strip() and current:
            entries.append(current)
            current = {}
    if current:
        entries.append(current)
    return [e for e in entries if "Path" in e]


def run_bounded(args: list[str], limit: int, budget: Budget, packed: int = 0) -> tuple[int, bytes, bytes]:
    """Run a tool with no stdin, counting its stdout; kill it past ``limit`` bytes or the deadline.

    With ``packed`` the output is charged to the budget and held to the ratio limit, like zip members.
    """
    limits = budget.limits
    left = max(
        0.1,
        min(limits.attachment_seconds, budget.attachment_deadline - time.monotonic())
        if budget.attachment_deadline
        else limits.attachment_seconds,
    )
    deadline = time.monotonic() + left
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    err: list[bytes] = []
    total = 0
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LimitExceeded(Reason.TIMEOUT, f"attachment_seconds={limits.attachment_seconds:g}")
                for key, _ in sel.select(remaining):
                    chunk = os.read(key.fd, CHUNK)
                    if not chunk:
                        sel.unregister(key.fileobj)
                    elif key.data is out:
                        total += len(chunk)
                        if packed:
                            budget.charge(len(chunk))
                            if total > limits.ratio_floor and total > limits.max_ratio * packed:
                                raise _EntryLimitError(f"max_ratio={limits.max_ratio}")
                        if total > max(limit, 0):
                            raise _EntryLimitError("declared")  # more than the listing said: corrupt
                        out.append(chunk)
                    elif sum(map(len, err)) < CHUNK:
                        err.append(chunk)
        rc = proc.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired as exc:
        raise LimitExceeded(Reason.TIMEOUT, f"attachment_seconds={limits.attachment_seconds:g}") from exc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return rc, b"".join(out), b"".join(err)


__all__ = ["extract_archive", "parse_7z_listing", "run_bounded", "safe_member_path", "zip_entry_count"]
