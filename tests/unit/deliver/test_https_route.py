"""deliver.https: multipart body shape and failure mapping (no server needed for the refused case)."""

from __future__ import annotations

import asyncio
import json
import time
from email import message_from_bytes
from email.policy import default

from gateway.deliver.https import HttpsRoute
from gateway.envelope import build_message


def test_body_is_multipart_with_metadata_and_raw_message() -> None:
    route = HttpsRoute("secure_route", "https://sakra.example.se/api")
    msg = build_message(b"Subject: x\r\n\r\nbody\r\n", "kalle@kommun.example.se", ["anna@gmail.com"])
    body, ctype = route.body(msg, ["anna@gmail.com"])
    parsed = message_from_bytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body, policy=default)
    parts = list(parsed.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == ["metadata", "message"]
    meta = json.loads(parts[0].get_content())
    assert meta["recipients"] == ["anna@gmail.com"] and meta["fingerprint"] == msg.fingerprint
    assert msg.raw in body
    asyncio.run(route.close())


def test_connection_refused_is_451_4_4_1() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    route = HttpsRoute("secure_route", f"http://127.0.0.1:{port}/x")
    msg = build_message(b"Subject: x\r\n\r\nbody\r\n", "kalle@kommun.example.se", ["anna@gmail.com"])

    async def go() -> tuple[int, str]:
        r = (await route.send(msg, ["anna@gmail.com"], time.monotonic() + 5))["anna@gmail.com"]
        await route.close()
        return r.code, r.enhanced

    assert asyncio.run(go()) == (451, "4.4.1")
