"""deliver.maildir: tmp -> fsync -> rename into new/, 250 only after; 451 when the store fails."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from gateway.deliver.maildir import MaildirRoute, sweep_tmp, unique_name
from gateway.envelope import build_message


def test_store_lands_in_new_and_nothing_in_tmp(tmp_path: Path) -> None:
    route = MaildirRoute("next_hop", tmp_path / "md")
    msg = build_message(b"Subject: x\r\n\r\nbody\r\n", "a@kommun.example.se", ["b@gmail.com", "c@gmail.com"])

    async def go() -> dict[str, int]:
        replies = await route.send(msg, ["b@gmail.com", "c@gmail.com"], time.monotonic() + 5)
        await route.close()
        return {k: v.code for k, v in replies.items()}

    assert asyncio.run(go()) == {"b@gmail.com": 250, "c@gmail.com": 250}
    files = list((tmp_path / "md" / "new").iterdir())
    envelope = b"Return-Path: <a@kommun.example.se>\r\nDelivered-To: b@gmail.com\r\nDelivered-To: c@gmail.com\r\n"
    assert len(files) == 1 and files[0].read_bytes() == envelope + msg.raw  # envelope lines, then the bytes as sent
    assert list((tmp_path / "md" / "tmp").iterdir()) == []
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


def test_unwritable_store_is_451(tmp_path: Path) -> None:
    route = MaildirRoute("secure_route", tmp_path / "md")
    (tmp_path / "md" / "tmp").rmdir()
    (tmp_path / "md" / "tmp").write_text("x")  # ENOTDIR even for root, like a full or broken disk
    msg = build_message(b"Subject: x\r\n\r\nbody\r\n", "a@kommun.example.se", ["b@gmail.com"])

    async def go() -> tuple[int, str]:
        r = (await route.send(msg, ["b@gmail.com"], time.monotonic() + 5))["b@gmail.com"]
        await route.close()
        return r.code, r.enhanced

    assert asyncio.run(go()) == (451, "4.3.0")
    assert list((tmp_path / "md" / "new").iterdir()) == []


def test_sweep_removes_only_stale_tmp_files(tmp_path: Path) -> None:
    MaildirRoute("x", tmp_path)
    old, new = tmp_path / "tmp" / "old", tmp_path / "tmp" / "new"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    past = time.time() - 3 * 24 * 3600
    os.utime(old, (past, past))
    assert sweep_tmp(tmp_path) == 1 and not old.exists() and new.exists()


def test_unique_names_are_safe_and_distinct() -> None:
    names = {unique_name() for _ in range(200)}
    assert len(names) == 200 and all("/" not in n and ".." not in n for n in names)


def test_envelope_lines_refuse_line_breaks(tmp_path: Path) -> None:
    from gateway.deliver.maildir import envelope_lines

    assert envelope_lines("", ["x@y.se"]) == b"Return-Path: <>\r\nDelivered-To: x@y.se\r\n"
    for bad in ("a@b.se\r\nBcc: evil@x.se", "a@b.se\n", "a\0@b.se"):
        with pytest.raises(ValueError):
            envelope_lines(bad, ["x@y.se"])
        with pytest.raises(ValueError):
            envelope_lines("a@b.se", [bad])
