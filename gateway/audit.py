"""One JSON audit line per message (design §8): who sent what kind of content where, and what we did.

Security: recipients are cut to their domains unless ``audit.recipient_addresses`` is on; findings carry
masked samples only (``Finding.sample`` is masked by the detectors); no subject, no content, no file
names beyond the already-masked locations. The queue id is read from the topmost ``Received:`` header
with a strict token pattern so a hostile header cannot inject JSON or log lines.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from gateway.model import Message, Reply, Verdict

log = logging.getLogger("dlp.audit")
_QUEUE_ID = re.compile(rb"^Received:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*?\bid ([A-Za-z0-9]{6,20})\b", re.I | re.M)


def queue_id(raw: bytes) -> str | None:
    """The MTA queue id from the topmost ``Received:`` header (joins incidents with the Postfix log)."""
    head = raw[: raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else 16384][:16384]
    m = _QUEUE_ID.search(head)
    return m.group(1).decode("ascii") if m else None


def record(
    msg: Message, verdict: Verdict, replies: Mapping[str, Reply], *, addresses: bool = False, peer: str = ""
) -> dict[str, Any]:
    """The audit record of one message."""
    result = verdict.result
    now = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    modes = {d.mode.value for d in verdict.decisions}
    return {
        "ts": ts,
        "incident": verdict.incident,
        "queue_id": msg.queue_id or queue_id(msg.raw),
        "mode": modes.pop() if len(modes) == 1 else "mixed",
        "sender": msg.mail_from,
        "client": peer or msg.peer,
        "size": len(msg.raw),
        "scan_ms": round(result.scan_ms, 1),
        "categories": [str(c) for c in result.categories],
        "recipients": [
            {
                "domain": d.recipient.domain,
                **({"address": d.recipient.address} if addresses else {}),
                "scope": str(d.recipient.scope),
                "action": str(d.action),
                "intended": str(d.intended),
                "rule": d.rule,
                "reply": str(replies[d.recipient.address].code) if d.recipient.address in replies else "",
            }
            for d in verdict.decisions
        ],
        "findings": [f.to_json() for f in result.findings],
        "unscannable": [
            {"location": u.location.__str__(), "reason": str(u.reason)} for u in result.unscannable
        ],
    }


def emit(rec: Mapping[str, Any]) -> None:
    """Write one JSON line to the ``dlp.audit`` logger."""
    log.info(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")))
