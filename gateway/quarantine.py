"""Quarantine: raw message + JSON sidecar stored crash-safely, and ``dlp-gateway quarantine`` for operators.

Layout: ``<quarantine_dir>/tmp/`` for writes in progress, ``<quarantine_dir>/msgs/<ID>.eml`` and
``<ID>.json``. The message is written tmp -> fsync -> rename first, the sidecar last: an entry exists
only once its sidecar does, so a crash never leaves a half entry that ``list`` shows. The 250 to the
client is given only after both renames and the directory fsync.

Security: IDs are our incident ids and are checked against their exact pattern before any path is built
(no traversal through ``quarantine show ../..``). The sidecar has envelope data, rule, categories and
masked findings, never content. ``show`` prints the sidecar, not the message; ``release`` re-injects the
stored bytes via ``next_hop`` with a ``X-DLP-Gateway ... action=release`` trace header.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gateway.deliver.maildir import fsync_dir, sweep_tmp, write_durably
from gateway.model import Message, Reply

ID_PATTERN = re.compile(r"^DLP-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{8}$")
STORED = Reply(250, "2.0.0", "Ok")


class QuarantineStore:
    """The quarantine directory."""

    name = "quarantine"

    def __init__(self, root: Path | str, create: bool = True) -> None:
        self.root = Path(root)
        self.msgs = self.root / "msgs"
        if create:  # the gateway creates it; the operator CLI only reads what is there
            for d in (self.root / "tmp", self.msgs):
                d.mkdir(parents=True, exist_ok=True, mode=0o700)
            sweep_tmp(self.root)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="quarantine")

    def path(self, ident: str, suffix: str) -> Path:
        """The file of one entry; refuses anything that is not an incident id."""
        if not ID_PATTERN.match(ident):
            raise ValueError("not a quarantine id")
        return self.msgs / f"{ident}{suffix}"

    def put(self, ident: str, raw: bytes, meta: Mapping[str, Any]) -> None:
        """Store durably: message first, sidecar (the commit marker) last."""
        eml, side = self.path(ident, ".eml"), self.path(ident, ".json")
        tmp = self.root / "tmp"
        write_durably(tmp / f"{ident}.eml", eml, raw)
        write_durably(tmp / f"{ident}.json", side, json.dumps(meta, indent=1).encode("utf-8"))

    async def send(
        self, msg: Message, rcpts: Sequence[str], deadline: float, meta: Mapping[str, Any] | None = None
    ) -> Mapping[str, Reply]:
        """Quarantine ``msg`` for ``rcpts``: 250 only once both files are fsync'ed, else 451."""
        from gateway.replies import STORE_FAILED

        data = {
            "id": msg.incident,
            "received": msg.received_at or time.time(),
            "sender": msg.mail_from,
            "recipients": list(rcpts),
            "mail_options": list(msg.mail_options),
            "fingerprint": msg.fingerprint,
            "size": len(msg.raw),
            **(meta or {}),
        }
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._pool, self.put, msg.incident, msg.raw, data
            )
        except (OSError, ValueError):
            return {r: STORE_FAILED for r in rcpts}
        return {r: STORED for r in rcpts}

    async def close(self) -> None:
        """Stop the writer threads."""
        await asyncio.to_thread(self._pool.shutdown, True)

    def entries(self) -> list[dict[str, Any]]:
        """Every complete entry's sidecar, oldest first."""
        out = []
        if not self.msgs.is_dir():
            return []
        for side in sorted(self.msgs.glob("*.json")):
            if ID_PATTERN.match(side.stem) and side.with_suffix(".eml").is_file():
                try:
                    out.append(json.loads(side.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    continue
        return sorted(out, key=lambda m: float(m.get("received", 0)))

    def meta(self, ident: str) -> dict[str, Any]:
        """One entry's sidecar (KeyError when absent)."""
        side = self.path(ident, ".json")
        if not side.is_file():
            raise KeyError(ident)
        data: dict[str, Any] = json.loads(side.read_text(encoding="utf-8"))
        return data

    def raw(self, ident: str) -> bytes:
        """One entry's stored message bytes."""
        return self.path(ident, ".eml").read_bytes()

    def delete(self, ident: str) -> None:
        """Remove an entry: sidecar first (the entry disappears atomically), then the message."""
        self.path(ident, ".json").unlink()
        self.path(ident, ".eml").unlink(missing_ok=True)
        fsync_dir(self.msgs)


def main(args: argparse.Namespace) -> int:
    """``dlp-gateway quarantine list|show|release|delete [ID] [--config FILE]``."""
    from gateway.config import ConfigError, load

    try:
        cfg = load(getattr(args, "config", None))
    except ConfigError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    store = QuarantineStore(cfg.quarantine_dir, create=False)
    action, ident = args.action, getattr(args, "id", None)
    if action == "list":
        for m in store.entries():
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(m.get("received", 0))))
            domains = ",".join(sorted({r.rsplit("@", 1)[-1] for r in m.get("recipients", [])}))
            print(
                f"{m['id']}  {when}  {m.get('sender', '')}  -> {domains}  rule={m.get('rule', '')}  "
                f"categories={','.join(m.get('categories', []))}"
            )
        return 0
    if not ident or not ID_PATTERN.match(ident):
        print("quarantine: an ID like DLP-20260101-ABCDEFGH is required", file=sys.stderr)
        return 2
    try:
        if action == "show":
            print(json.dumps(store.meta(ident), indent=2, ensure_ascii=False))
            return 0
        if action == "delete":
            store.delete(ident)
            print(f"deleted {ident}")
            return 0
        return asyncio.run(_release(store, ident, cfg))
    except (KeyError, FileNotFoundError):
        print(f"quarantine: no entry {ident}", file=sys.stderr)
        return 1


async def _release(store: QuarantineStore, ident: str, cfg: Any) -> int:
    """Re-inject via ``next_hop``; the entry is deleted only after every recipient was accepted."""
    from dataclasses import replace

    from gateway.deliver.routes import make_route
    from gateway.envelope import build_message

    meta = store.meta(ident)
    raw = store.raw(ident)
    header = f"X-DLP-Gateway: v1; incident={ident}; action=release; rule={meta.get('rule', 'quarantine')}\r\n"
    msg = build_message(header.encode("ascii") + raw, meta.get("sender", ""), meta.get("recipients", []))
    msg = replace(msg, incident=ident, mail_options=tuple(meta.get("mail_options", ())))
    route = make_route("next_hop", cfg.next_hop, cfg)
    try:
        replies = await route.send(
            msg, list(meta.get("recipients", [])), time.monotonic() + cfg.relay_deadline
        )
    finally:
        await route.close()
    failed = {r: rep for r, rep in replies.items() if not 200 <= rep.code < 300}
    if failed:
        for r, rep in failed.items():
            print(f"release {ident}: {r}: {rep.code} {rep.enhanced}", file=sys.stderr)
        return 1
    store.delete(ident)
    print(f"released {ident} to {len(replies)} recipient(s)")
    return 0
