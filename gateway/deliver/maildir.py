"""Hand-off into a Maildir: ``tmp/`` -> fsync -> rename into ``new/`` -> fsync the directory (design §4.1).

Used by the embedded default (``./var/outbound``, ``./var/secure``) and by ``maildir:PATH`` routes. The
250 is only given after the rename and the directory fsync, so a crash leaves either nothing in ``new/``
(the client retries) or the whole message; stale ``tmp/`` files are swept at start. One file per message
keeps its envelope the way Postfix's Maildir delivery does: ``Return-Path: <sender>`` and one
``Delivered-To:`` line per recipient are prepended; the message bytes follow unchanged.

Security: file names are ours (time, random token, host tag), never taken from the message; the message
bytes are exactly the scanned bytes, and the envelope lines hold addresses validated at MAIL/RCPT (a CR,
LF or NUL is refused again here). Disk full or an unwritable directory is ``451 4.3.0``, never a 5xx.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gateway.deliver.base import same_reply
from gateway.model import Message, Reply
from gateway.replies import STORE_FAILED

STALE_TMP_SECONDS = 36 * 3600


def unique_name() -> str:
    """A Maildir file name: ``<time>.<random>.<host>`` (no characters from the message)."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-_") or "host"
    return f"{time.time():.6f}.{secrets.token_hex(8)}.{host}"


def ensure_maildir(root: Path) -> None:
    """Create ``tmp``, ``new`` and ``cur`` (mode 0700)."""
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(tmp: Path, final: Path, data: bytes) -> None:
    """Write ``data`` to ``tmp``, fsync, rename to ``final``, fsync the target directory."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.rename(tmp, final)
    fsync_dir(final.parent)


def sweep_tmp(root: Path, older_than: float = STALE_TMP_SECONDS) -> int:
    """Remove ``tmp/`` files left by a crash; returns how many."""
    count = 0
    cutoff = time.time() - older_than
    for f in (root / "tmp").glob("*"):
        try:
            if f.stat().st_mtime < cutoff:
                f.unlink()
                count += 1
        except OSError:
            continue
    return count


def envelope_lines(mail_from: str, rcpts: Sequence[str]) -> bytes:
    """``Return-Path: <sender>`` and one ``Delivered-To: rcpt`` per recipient, CRLF-terminated."""
    if any(c in addr for addr in (mail_from, *rcpts) for c in "\r\n\0"):
        raise ValueError("envelope address contains CR, LF or NUL")
    lines = [f"Return-Path: <{mail_from}>"] + [f"Delivered-To: {r}" for r in rcpts]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class MaildirRoute:
    """``maildir:PATH``: one file per message, whatever the number of recipients."""

    def __init__(self, name: str, root: Path | str, executor: ThreadPoolExecutor | None = None) -> None:
        self.name = name
        self.root = Path(root)
        ensure_maildir(self.root)
        sweep_tmp(self.root)
        self._pool = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"maildir-{name}")

    def store(self, data: bytes) -> str:
        """Write one message durably; returns its file name."""
        name = unique_name()
        write_durably(self.root / "tmp" / name, self.root / "new" / name, data)
        return name

    async def send(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Mapping[str, Reply]:
        """Store the envelope lines and ``msg.raw``; 250 for every recipient only after the fsync'ed rename."""
        try:
            data = envelope_lines(msg.mail_from, rcpts) + msg.raw
            await asyncio.get_running_loop().run_in_executor(self._pool, self.store, data)
        except OSError:
            return same_reply(rcpts, STORE_FAILED)
        return same_reply(rcpts, Reply(250, "2.0.0", "Ok"))

    async def close(self) -> None:
        """Stop the writer threads."""
        await asyncio.to_thread(self._pool.shutdown, True)
