"""Hand-off over SMTP with ``aiosmtplib`` on the event loop (design §4.1), chosen by ``bench/handoff.py``.

Measured in one run, the same 11 KiB messages, 20 concurrent hand-offs of one transaction each: aiosmtplib
5.1 1769 msg/s (p99 13 ms, 0.56 ms client CPU per message) against smtplib in a bounded thread pool 917 msg/s
(p99 36 ms, 1.23 ms; the threads fight over the GIL), and 1126 vs 951 msg/s into an aiosmtpd sink. The design's
earlier figures (smtplib 157 vs aiosmtplib 136 msg/s) were taken with an older aiosmtplib, client, relay and
sink in one process. aiosmtpd's ``handlers.Proxy`` remains the counter-example (blocks the loop, answers 250
even when upstream refused). One connection per hand-off, a semaphore per route, a per-operation timeout and
an overall deadline, and every refusal checked:

* RCPT or end-of-data 5xx -> that 5xx for the recipient (so Postfix bounces);
* any 4xx, and 5xx at greeting/EHLO/MAIL (our misconfiguration) -> ``451 4.4.x``;
* refused/reset connection, TLS failure -> ``451 4.4.1``; deadline or operation timeout -> ``451 4.4.2``.

Expiry before the final ``.`` closes the connection, so nothing was accepted; after it the outcome is
unknown and we still answer 451 (a duplicate beats a loss).

Security: aiosmtplib normalises line endings and dot-stuffs the data, and refuses control characters in
commands (addresses were validated at RCPT too). Remote reply text is never copied into our replies. DSN
(RET/ENVID/NOTIFY/ORCPT), 8BITMIME and SMTPUTF8 are carried on; when the next hop lacks 8BITMIME or SMTPUTF8
and the message really needs it (non-ASCII bytes or addresses) we tempfail rather than downgrade. STARTTLS:
``tls=required`` (use it for a secure route reached directly) insists on it and verifies the certificate and the
host name; ``opportunistic`` (the default, Postfix's ``may``) encrypts whenever the next hop offers it and
verifies only when a ``ca=`` file is given; ``none`` never starts TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence

import aiosmtplib

from gateway.deliver.base import rcpt_options, remaining, same_reply
from gateway.model import Message, Reply
from gateway.replies import NEXT_HOP_DOWN, NEXT_HOP_TEMP, NEXT_HOP_TIMEOUT, TEMP_INTERNAL, is_enhanced

_DSN_MAIL = ("RET=", "ENVID=")
_DSN_RCPT = ("NOTIFY=", "ORCPT=")
NO_TLS = Reply(451, "4.7.5", "Next hop does not offer TLS, please try again later")
NO_8BIT = Reply(451, "4.6.0", "Next hop cannot carry 8-bit or UTF-8 mail, please try again later")
OK = Reply(250, "2.0.0", "Ok")
# Above this, a transaction runs on a private event loop in a thread: aiosmtplib prepares DATA (line endings,
# dot-stuffing) with two regex passes on the loop, ~10 ms per MB, which would stall every other session.
LARGE_MESSAGE = 1 << 20


class _Fail(Exception):  # noqa: N818 - internal control flow
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.enhanced)
        self.reply = reply


class SmtpRoute:
    """``smtp://host:port``: one aiosmtplib connection per hand-off, at most ``concurrency`` at a time."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        tls: str = "opportunistic",
        concurrency: int = 16,
        op_timeout: float = 60.0,
        helo: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.name = name
        self.host, self.port, self.tls = host, port, tls
        self.op_timeout = op_timeout
        self.helo = helo
        self.ca_file = ca_file
        self._concurrency = concurrency
        self._sem: asyncio.Semaphore | None = None
        self._tls_context: ssl.SSLContext | None = None

    async def send(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Mapping[str, Reply]:
        """Relay within ``deadline``; one reply per recipient; never raises for delivery problems."""
        if self._sem is None:
            self._sem = asyncio.Semaphore(self._concurrency)
        try:
            async with asyncio.timeout(remaining(deadline)):
                await self._sem.acquire()
        except TimeoutError:
            return same_reply(rcpts, NEXT_HOP_TIMEOUT)
        replies: dict[str, Reply] = {}
        try:
            if len(msg.raw) > LARGE_MESSAGE:
                await asyncio.to_thread(asyncio.run, self._within(deadline, msg, list(rcpts), replies))
            else:
                await self._within(deadline, msg, list(rcpts), replies)
        except _Fail as fail:
            replies.update({r: fail.reply for r in rcpts if r not in replies})
        except TimeoutError:  # the deadline, or an operation timeout (aiosmtplib's is a TimeoutError too)
            replies.update({r: NEXT_HOP_TIMEOUT for r in rcpts if r not in replies})
        except (OSError, ssl.SSLError, aiosmtplib.SMTPException):
            replies.update({r: NEXT_HOP_DOWN for r in rcpts if r not in replies})
        except Exception:  # noqa: BLE001 - a bad command (ValueError), anything unexpected: tempfail
            replies.update({r: TEMP_INTERNAL for r in rcpts if r not in replies})
        finally:
            self._sem.release()
        return replies

    async def close(self) -> None:
        """Nothing to stop: hand-offs run on the caller's event loop."""

    # --- one transaction ------------------------------------------------------------------------------

    async def _within(self, deadline: float, msg: Message, rcpts: list[str], replies: dict[str, Reply]) -> None:
        async with asyncio.timeout(remaining(deadline)):
            await self._transaction(msg, rcpts, replies)

    async def _transaction(self, msg: Message, rcpts: list[str], replies: dict[str, Reply]) -> None:
        smtp = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.op_timeout, start_tls=False,
                               local_hostname=self.helo or "dlp-gateway.localdomain")
        try:
            try:
                await smtp.connect()
            except aiosmtplib.SMTPConnectResponseError as exc:  # a greeting other than 220
                raise _Fail(NEXT_HOP_DOWN) from exc
            await self._hello(smtp)
            if self.tls != "none":
                await self._starttls(smtp)
            await self._deliver(smtp, msg, rcpts, replies)
        finally:
            smtp.close()

    async def _deliver(self, smtp: aiosmtplib.SMTP, msg: Message, rcpts: list[str],
                       replies: dict[str, Reply]) -> None:
        options = self._mail_options(smtp, msg, rcpts)
        encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
        try:
            await smtp.mail(msg.mail_from if msg.mail_from != "<>" else "", options=options, encoding=encoding)
        except aiosmtplib.SMTPResponseException as exc:
            raise _Fail(NEXT_HOP_TEMP) from exc  # 5xx at MAIL is our misconfiguration: never bounce for it
        accepted = []
        for rcpt in rcpts:
            try:
                await smtp.rcpt(rcpt, options=self._rcpt_options(smtp, msg, rcpt), encoding=encoding)
                accepted.append(rcpt)
            except aiosmtplib.SMTPRecipientRefused as exc:
                replies[rcpt] = _refusal(exc.code, exc.message, "Recipient refused by next hop")
        if not accepted:
            await smtp.rset()
            await smtp.quit()
            return
        try:
            await smtp.data(msg.raw)
            outcome = OK
        except aiosmtplib.SMTPDataError as exc:
            outcome = _refusal(exc.code, exc.message, "Message refused by next hop")
        replies.update({r: outcome for r in accepted})
        try:
            await smtp.quit()
        except (OSError, aiosmtplib.SMTPException):
            pass  # the message was already answered

    async def _hello(self, smtp: aiosmtplib.SMTP) -> None:
        try:
            await smtp.ehlo()
        except aiosmtplib.SMTPHeloError:
            try:
                await smtp.helo()
            except aiosmtplib.SMTPHeloError as exc:
                raise _Fail(NEXT_HOP_TEMP) from exc

    async def _starttls(self, smtp: aiosmtplib.SMTP) -> None:
        if not smtp.supports_extension("starttls"):
            if self.tls == "required":
                raise _Fail(NO_TLS)
            return
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context(cafile=self.ca_file)
            if self.tls == "opportunistic" and not self.ca_file:
                # Postfix's "may": encrypt whenever offered, but an internal relay's self-signed certificate must
                # not tempfail every message; "required" (or a CA file) verifies the certificate and host name
                self._tls_context.check_hostname = False
                self._tls_context.verify_mode = ssl.CERT_NONE
        try:
            await smtp.starttls(server_hostname=self.host, tls_context=self._tls_context)
        except aiosmtplib.SMTPResponseException as exc:
            raise _Fail(NO_TLS) from exc
        await self._hello(smtp)

    def _mail_options(self, smtp: aiosmtplib.SMTP, msg: Message, rcpts: list[str]) -> list[str]:
        opts: list[str] = []
        if smtp.supports_extension("size"):
            opts.append(f"SIZE={len(msg.raw)}")
        for opt in msg.mail_options:
            upper = opt.upper()
            if upper == "BODY=8BITMIME":
                if smtp.supports_extension("8bitmime"):
                    opts.append("BODY=8BITMIME")
                elif not msg.raw.isascii():  # really 8-bit: tempfail rather than downgrade
                    raise _Fail(NO_8BIT)
            elif upper == "SMTPUTF8":
                if smtp.supports_extension("smtputf8"):
                    opts.append("SMTPUTF8")
                elif not (msg.raw.isascii() and msg.mail_from.isascii() and all(r.isascii() for r in rcpts)):
                    raise _Fail(NO_8BIT)
            elif upper.startswith(_DSN_MAIL) and smtp.supports_extension("dsn"):
                opts.append(opt)
        return opts

    def _rcpt_options(self, smtp: aiosmtplib.SMTP, msg: Message, rcpt: str) -> list[str]:
        if not smtp.supports_extension("dsn"):
            return []
        return [o for o in rcpt_options(msg, rcpt) if o.upper().startswith(_DSN_RCPT)]


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("ascii", "replace")


def _refusal(code: int, resp: bytes | str, text: str) -> Reply:
    """5xx is passed on (code and enhanced code only); anything else not 2xx becomes 451."""
    raw = resp.decode("ascii", "replace") if isinstance(resp, bytes) else str(resp)
    first = raw.split(None, 1)[0] if raw.split() else ""
    if 500 <= code <= 599:
        enhanced = first if is_enhanced(first) and first.startswith("5") else "5.0.0"
        return Reply(code, enhanced, text)
    if code == -1:
        return NEXT_HOP_DOWN
    enhanced = first if is_enhanced(first) and first.startswith("4") else "4.4.0"
    return Reply(451, enhanced, "Next hop deferred, please try again later")
