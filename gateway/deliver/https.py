"""Hand-off to a secure-messaging service's HTTPS API (secure route only, design §4.1).

One POST per message: ``multipart/form-data`` with a ``metadata`` part (JSON: incident, sender,
recipients, fingerprint, received time) and a ``message`` part (the raw ``message/rfc822`` bytes), within
the relay deadline. ``Idempotency-Key`` is the message fingerprint, which is stable across MTA retries, so
a retry after an unknown outcome does not create a second message at a well-behaved service. 2xx -> 250;
anything else (4xx, 5xx, timeout, TLS or connection error) -> 451: the MTA queue in front retries, we
keep no outbox.

Security: certificates are verified (default context; plain ``http://`` only to loopback, for tests);
the response body is never read into a reply or log; urllib runs in a bounded thread pool.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from gateway.deliver.base import remaining, same_reply
from gateway.model import Message, Reply
from gateway.replies import NEXT_HOP_DOWN, NEXT_HOP_TEMP, NEXT_HOP_TIMEOUT


class HttpsRoute:
    """``https://URL``: POST raw message + JSON metadata."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        concurrency: int = 8,
        ca_file: str | None = None,
        token: str | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.token = token
        self._ctx = ssl.create_default_context(cafile=ca_file) if url.startswith("https:") else None
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"https-{name}")

    def body(self, msg: Message, rcpts: Sequence[str]) -> tuple[bytes, str]:
        """The multipart body and its content type."""
        meta = {
            "incident": msg.incident,
            "sender": msg.mail_from,
            "recipients": list(rcpts),
            "fingerprint": msg.fingerprint,
            "received_at": msg.received_at,
            "size": len(msg.raw),
        }
        boundary = "dlp-" + secrets.token_hex(16)
        parts = [
            (
                b'Content-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n'
                + json.dumps(meta).encode("utf-8")
            ),
            (
                b'Content-Disposition: form-data; name="message"; filename="message.eml"\r\n'
                b"Content-Type: message/rfc822\r\n\r\n" + msg.raw
            ),
        ]
        sep = f"--{boundary}\r\n".encode("ascii")
        data = b"".join(sep + p + b"\r\n" for p in parts) + f"--{boundary}--\r\n".encode("ascii")
        return data, f"multipart/form-data; boundary={boundary}"

    def _post(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Reply:
        data, ctype = self.body(msg, rcpts)
        req = urllib.request.Request(  # noqa: S310 - scheme checked in gateway.config.parse_route
            self.url,
            data=data,
            method="POST",
            headers={
                "Content-Type": ctype,
                "Idempotency-Key": msg.fingerprint,
                "User-Agent": "dlp-gateway",
            },
        )
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        left = remaining(deadline)
        if left <= 0:
            return NEXT_HOP_TIMEOUT
        try:
            with urllib.request.urlopen(req, timeout=left, context=self._ctx) as resp:  # noqa: S310
                return Reply(250, "2.0.0", "Ok") if 200 <= resp.status < 300 else NEXT_HOP_TEMP
        except urllib.error.HTTPError:
            return NEXT_HOP_TEMP
        except TimeoutError:
            return NEXT_HOP_TIMEOUT
        except (urllib.error.URLError, OSError, ValueError):
            return NEXT_HOP_DOWN

    async def send(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Mapping[str, Reply]:
        """POST within ``deadline``; one reply for every recipient."""
        loop = asyncio.get_running_loop()
        try:
            reply = await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._post, msg, rcpts, deadline), remaining(deadline) + 5.0
            )
        except TimeoutError:
            reply = NEXT_HOP_TIMEOUT
        return same_reply(rcpts, reply)

    async def close(self) -> None:
        """Stop the threads."""
        await asyncio.to_thread(self._pool.shutdown, True)
