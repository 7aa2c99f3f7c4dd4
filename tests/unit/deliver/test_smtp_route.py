"""deliver.smtp against real aiosmtpd servers: option carry-on, refusals, tempfail instead of downgrade."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiosmtpd.smtp import SMTP

from gateway.deliver.smtp import SmtpRoute
from gateway.envelope import build_message


class Rec:
    def __init__(self) -> None:
        self.got: list[tuple[list[str], list[str], list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.startswith("nobody"):
            return "550 5.1.1 User unknown here (internal detail)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.got.append((list(envelope.mail_options), list(envelope.rcpt_tos), list(envelope.rcpt_options),
                         bytes(envelope.original_content)))
        return "250 OK"


class DsnSMTP(SMTP):
    def _getparams(self, params: Any) -> Any:
        result = super()._getparams(params)
        if result is not None:
            for k in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                result.pop(k, None)
        return result

    async def smtp_EHLO(self, hostname: str) -> None:  # advertise DSN like Postfix
        orig = self.push

        async def push(status: Any) -> None:
            if status == "250 HELP":
                await orig("250-DSN")
            await orig(status)

        self.push = push  # type: ignore[method-assign]
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self.push = orig  # type: ignore[method-assign]


async def run(cls: type[SMTP], msg_raw: bytes, rcpts: list[str], mail_options: tuple[str, ...] = (),
              rcpt_options: tuple[tuple[str, ...], ...] = (), utf8: bool = True) -> tuple[dict[str, Any], Rec]:
    rec = Rec()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: cls(rec, hostname="sink", enable_SMTPUTF8=utf8), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    route = SmtpRoute("next_hop", "127.0.0.1", port, tls="none", concurrency=2, op_timeout=5)
    from dataclasses import replace

    msg = replace(build_message(msg_raw, "a@kommun.example.se", rcpts), mail_options=mail_options,
                  rcpt_options=rcpt_options)
    try:
        replies = await route.send(msg, rcpts, time.monotonic() + 10)
    finally:
        await route.close()
        server.close()
    return {k: (v.code, v.enhanced, v.text) for k, v in replies.items()}, rec


def test_dsn_options_carried_and_bytes_exact() -> None:
    raw = b"Subject: x\r\n\r\n.leading dot\r\nbody\r\n"
    replies, rec = asyncio.run(run(DsnSMTP, raw, ["b@gmail.com"], ("BODY=8BITMIME", "RET=HDRS", "ENVID=abc"),
                                   (("NOTIFY=FAILURE", "ORCPT=rfc822;b@gmail.com"),)))
    assert replies == {"b@gmail.com": (250, "2.0.0", "Ok")}
    [(mopts, rcpts, ropts, data)] = rec.got
    assert "BODY=8BITMIME" in mopts and "RET=HDRS" in mopts and "ENVID=ABC" in mopts
    assert any(o.startswith("SIZE=") for o in mopts)
    assert ropts == ["NOTIFY=FAILURE", "ORCPT=RFC822;B@GMAIL.COM"]
    assert data == raw  # dot-stuffing undone by the sink: exactly our bytes


def test_dsn_dropped_when_next_hop_lacks_it() -> None:
    replies, rec = asyncio.run(run(SMTP, b"Subject: x\r\n\r\nb\r\n", ["b@gmail.com"], ("RET=HDRS",),
                                   (("NOTIFY=NEVER",),)))
    assert replies["b@gmail.com"][0] == 250 and "RET=HDRS" not in rec.got[0][0] and rec.got[0][2] == []


def test_per_recipient_refusal_passes_code_not_text() -> None:
    replies, rec = asyncio.run(run(SMTP, b"Subject: x\r\n\r\nb\r\n", ["b@gmail.com", "nobody@gmail.com"]))
    assert replies["b@gmail.com"][0] == 250
    code, enhanced, text = replies["nobody@gmail.com"]
    assert (code, enhanced) == (550, "5.1.1") and "internal detail" not in text
    assert rec.got[0][1] == ["b@gmail.com"]


def test_smtputf8_without_support_is_tempfail_not_downgrade() -> None:
    replies, rec = asyncio.run(run(SMTP, "Subject: å\r\n\r\nb\r\n".encode(), ["b@gmail.com"], ("SMTPUTF8",),
                                   utf8=False))
    assert replies["b@gmail.com"][:2] == (451, "4.6.0") and rec.got == []


def test_declared_8bit_or_utf8_that_is_plain_ascii_is_relayed_without_the_option() -> None:
    class Plain(SMTP):  # no 8BITMIME, no SMTPUTF8
        async def smtp_EHLO(self, hostname: str) -> None:
            orig = self.push

            async def push(status: Any) -> None:
                if status != "250-8BITMIME":
                    await orig(status)

            self.push = push  # type: ignore[method-assign]
            try:
                await super().smtp_EHLO(hostname)
            finally:
                self.push = orig  # type: ignore[method-assign]

    replies, rec = asyncio.run(run(Plain, b"Subject: x\r\n\r\nb\r\n", ["b@gmail.com"],
                                   ("BODY=8BITMIME", "SMTPUTF8"), utf8=False))
    assert replies["b@gmail.com"][0] == 250
    assert not any(o.startswith(("BODY", "SMTPUTF8")) for o in rec.got[0][0])
    replies, rec = asyncio.run(run(Plain, "Subject: x\r\n\r\nhälsning\r\n".encode(), ["b@gmail.com"],
                                   ("BODY=8BITMIME",), utf8=False))
    assert replies["b@gmail.com"][:2] == (451, "4.6.0") and rec.got == []


def test_required_tls_without_starttls_is_451() -> None:
    async def go() -> tuple[int, str]:
        rec = Rec()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(rec, hostname="sink"), "127.0.0.1", 0)
        route = SmtpRoute("secure_route", "127.0.0.1", server.sockets[0].getsockname()[1], tls="required")
        msg = build_message(b"Subject: x\r\n\r\nb\r\n", "a@kommun.example.se", ["b@gmail.com"])
        try:
            r = (await route.send(msg, ["b@gmail.com"], time.monotonic() + 5))["b@gmail.com"]
        finally:
            await route.close()
            server.close()
        return r.code, r.enhanced

    assert asyncio.run(go()) == (451, "4.7.5")


def test_expired_deadline_is_451_4_4_2_without_connecting() -> None:
    async def go() -> tuple[int, str]:
        route = SmtpRoute("next_hop", "127.0.0.1", 9, tls="none")
        msg = build_message(b"Subject: x\r\n\r\nb\r\n", "a@kommun.example.se", ["b@gmail.com"])
        r = (await route.send(msg, ["b@gmail.com"], time.monotonic() - 1))["b@gmail.com"]
        await route.close()
        return r.code, r.enhanced

    assert asyncio.run(go()) == (451, "4.4.2")


def test_a_large_message_is_handed_off_from_a_thread_with_the_same_result() -> None:
    from gateway.deliver.smtp import LARGE_MESSAGE

    body = b"".join(b".line %07d of a large message\r\n" % i for i in range(LARGE_MESSAGE // 30 + 10))
    raw = b"Subject: big\r\n\r\n" + body
    assert len(raw) > LARGE_MESSAGE
    replies, rec = asyncio.run(run(SMTP, raw, ["b@gmail.com", "c@gmail.com"]))
    assert replies == {"b@gmail.com": (250, "2.0.0", "Ok"), "c@gmail.com": (250, "2.0.0", "Ok")}
    [(_mopts, rcpts, _ropts, data)] = rec.got
    assert rcpts == ["b@gmail.com", "c@gmail.com"] and data == raw  # dot-stuffed on the wire, unstuffed again
