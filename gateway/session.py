"""One SMTP/LMTP session: our aiosmtpd subclasses and the DATA reader (design §4).

``GatewaySMTP`` is aiosmtpd's ``SMTP`` with DSN (RET/ENVID/NOTIFY/ORCPT accepted and kept in the client's
case instead of ``555``), XFORWARD, SIZE, the peer allow-list checked before the greeting, graceful
shutdown (``busy`` during DATA; ``421`` afterwards when stopping), a DATA reader that reads the message in
two stream reads, and envelope addresses parsed without the RFC 5322 header parser in the common case.
``GatewayLMTP`` adds LHLO and the per-recipient ``421``-and-close on an internal error. The listener and its
lifecycle live in ``gateway.server``.

Security: only ``allowed_clients`` (default loopback) get a greeting — others get ``554 5.7.1`` and are
disconnected; AUTH is never offered; XFORWARD values are reduced to short printable tokens; DATA ends only
at CRLF.CRLF (smuggling, ``tests/security/test_smuggling.py``); pinned aiosmtpd >= 1.4.6.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
from typing import Any, Protocol

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, syntax

from gateway.config import GatewayConfig, is_allowed
from gateway.handler import Handler
from gateway.replies import ACCESS_DENIED, LMTP_ABORT, SHUTTING_DOWN

log = logging.getLogger("dlp.server")


class SessionHost(Protocol):
    """What a session reads of the running gateway (``gateway.server.Gateway``)."""

    cfg: GatewayConfig
    stopping: bool
    connections: set[Any]


DSN_MAIL = ("RET", "ENVID")
DSN_RCPT = ("NOTIFY", "ORCPT")
XFORWARD_ATTRS = ("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE")
DATA_UNLIMITED = 2**40  # data_size_limit 0: no limit (the stream still needs one)
EXTENSIONS = ("250-DSN", "250-XFORWARD " + " ".join(XFORWARD_ATTRS))
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# <dot-atom@domain> followed by whitespace or the end: what nearly every MTA sends (RFC 5321 Path)
_SIMPLE_PATH = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?=[ \t]|$)")


class GatewaySMTP(SMTP):  # type: ignore[misc]
    """aiosmtpd's SMTP with DSN, XFORWARD, a peer allow-list and graceful shutdown."""

    extensions: tuple[str, ...] = EXTENSIONS

    def __init__(self, handler: Handler, gateway: SessionHost, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.gateway = gateway
        self.command_size_limits = collections.defaultdict(lambda: 2048)
        self.busy = False
        self._in_ehlo = False
        self._dsn_keys: tuple[str, ...] = ()
        self._raw_params: list[str] | None = None
        self._close_after_push = False

    async def _handle_client(self) -> None:
        assert self.session is not None and self.transport is not None
        peer = self.session.peer
        ip = peer[0] if isinstance(peer, tuple) else ""
        if not is_allowed(self.gateway.cfg, ip):
            log.warning("refused client %s", ip or "?")
            await self.push(ACCESS_DENIED.render())
            self.transport.close()
            return
        if self.gateway.stopping:
            await self.push(SHUTTING_DOWN.render())
            self.transport.close()
            return
        self.gateway.connections.add(self)
        try:
            await super()._handle_client()
        finally:
            self.gateway.connections.discard(self)

    async def push(self, status: Any) -> None:
        """Add our EHLO keywords before the final ``250 HELP``; drop AUTH (never offered)."""
        if self._in_ehlo and isinstance(status, str):
            if status.startswith("250-AUTH"):
                return
            if status == "250 HELP":
                for ext in self.extensions:
                    await super().push(ext)
        await super().push(status)
        if self._close_after_push and self.transport is not None:
            self.transport.close()

    async def smtp_EHLO(self, hostname: str) -> None:  # noqa: N802
        """EHLO with DSN and XFORWARD advertised."""
        self._in_ehlo = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._in_ehlo = False

    async def smtp_MAIL(self, arg: str | None) -> None:  # noqa: N802
        """MAIL accepting RET/ENVID (carried on to the next hop)."""
        self._dsn_keys, self._raw_params = DSN_MAIL, _raw_params(arg, "FROM:", self)
        try:
            await super().smtp_MAIL(arg)
        finally:
            self._dsn_keys, self._raw_params = (), None

    async def smtp_RCPT(self, arg: str | None) -> None:  # noqa: N802
        """RCPT accepting NOTIFY/ORCPT (carried on per recipient)."""
        self._dsn_keys, self._raw_params = DSN_RCPT, _raw_params(arg, "TO:", self)
        try:
            await super().smtp_RCPT(arg)
        finally:
            self._dsn_keys, self._raw_params = (), None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        """DATA, marked busy so that shutdown lets it finish; afterwards closes if stopping.

        The data is read with ``read_data`` (two stream reads per message) instead of aiosmtpd's loop (one
        ``readuntil`` and a debug log call per line: ~0.3 ms for a 200-line mail, the largest single cost in
        the gateway's own process). Same rules: only CRLF.CRLF ends the data, dot-unstuffing per CRLF line,
        ``552`` beyond ``data_size_limit``, with no per-line limit inside DATA (aiosmtpd would answer a
        permanent ``500 Line too long`` to a long line or a whole bare-LF message, i.e. bounce mail that we
        can normalise and relay).
        """
        self.busy = True
        reader = self._reader
        limit = reader._limit  # type: ignore[attr-defined]
        try:
            await self._data(arg)
        finally:
            self.busy = False
            reader._limit = limit  # type: ignore[attr-defined]
        if self.gateway.stopping and self.transport is not None:
            await super().push(SHUTTING_DOWN.render())
            self.transport.close()

    async def _data(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        size = self.data_size_limit or DATA_UNLIMITED
        self._reader._limit = size + 8  # type: ignore[attr-defined]
        try:
            raw = await read_data(self._reader, size)
        except asyncio.CancelledError:
            log.info("connection lost during DATA")
            self._writer.close()
            raise
        except asyncio.IncompleteReadError:
            self._writer.close()
            return
        if raw is None:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        self.envelope.content = self.envelope.original_content = raw
        status = await self._call_handler_hook("DATA") if "DATA" in self._handle_hooks else MISSING
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def smtp_XFORWARD(self, arg: str | None) -> None:  # noqa: N802
        """Postfix XFORWARD: remember the original client for the audit log."""
        assert self.session is not None and self.envelope is not None
        if not arg or self.envelope.mail_from:
            await self.push("503 5.5.1 Error: XFORWARD only before MAIL")
            return
        xf = getattr(self.session, "xforward", None) or {}
        for item in arg.split():
            key, _, value = item.partition("=")
            if key.upper() not in XFORWARD_ATTRS:
                await self.push("501 5.5.4 Bad XFORWARD attribute")
                return
            xf[key.upper()] = "".join(c for c in value if c.isalnum() or c in ".:-_[]@")[:80]
        self.session.xforward = xf  # type: ignore[attr-defined]
        await self.push("250 2.0.0 Ok")

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address parsing, without its RFC 5322 header parser for a plain ``<local@domain>``.

        That parser cost ~0.2 ms per MAIL and RCPT, the largest share of this process's CPU after the
        hand-off; the result is the same (``tests/unit/test_session.py`` compares both on generated paths).
        Quoted local parts, source routes, address literals, comments and non-ASCII take aiosmtpd's path.
        """
        m = _SIMPLE_PATH.match(arg)
        if m is None or "(" in arg:
            return super()._getaddr(arg)  # type: ignore[no-any-return]
        addr = m.group(1)
        if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return addr, arg[m.end() :].lstrip()

    def _getparams(self, params: Any) -> Any:
        result = super()._getparams(params)
        if result is None:
            return None
        for key in self._dsn_keys:
            value = result.pop(key, None)
            if value is not None and not _dsn_ok(key, value):
                return None
        return result

    def original_params(self) -> list[str] | None:
        """This command's parameters in the client's case (for the handler)."""
        return self._raw_params


class GatewayLMTP(GatewaySMTP):
    """LMTP (RFC 2033): LHLO instead of HELO/EHLO; one reply per recipient after DATA."""

    show_smtp_greeting = False
    # RFC 2033: LMTP servers must support PIPELINING; aiosmtpd answers commands strictly in order
    extensions = ("250-PIPELINING", *EXTENSIONS)

    async def smtp_LHLO(self, arg: str) -> None:  # noqa: N802
        """The LMTP greeting."""
        await GatewaySMTP.smtp_EHLO(self, arg)

    async def smtp_HELO(self, arg: str) -> None:  # noqa: N802
        """Not LMTP."""
        await self.push('500 Error: command "HELO" not recognized')

    async def smtp_EHLO(self, arg: str) -> None:  # noqa: N802
        """Not LMTP."""
        await self.push('500 Error: command "EHLO" not recognized')

    async def handle_exception(self, error: Exception) -> str:
        """One line for N recipients would desynchronise Postfix's LMTP client: 421 and close."""
        log.error("LMTP session error: %s", type(error).__name__)
        self._close_after_push = True
        return LMTP_ABORT.render()


LMTP_CLASS = LMTP  # the reference implementation we mirror


async def read_data(reader: asyncio.StreamReader, limit: int) -> bytes | None:
    """The message after ``354``: up to the first CRLF.CRLF (the DATA line's CRLF counts), dot-unstuffed.

    ``None`` when it is longer than ``limit`` (everything up to the end of data is then read and dropped).
    A line starting with ``.`` or CR is read on its own, since the terminator may begin at the CRLF already
    consumed; any other first byte means the terminator lies wholly ahead, and one ``readuntil`` finds it.
    The stream's limit must exceed ``limit``.
    """
    data = bytearray()
    try:
        while len(data) <= limit:
            first = await reader.readexactly(1)
            if first in (b".", b"\r"):
                line = await _line(reader, first)
                if line == b".\r\n":
                    break
                data += line
                continue
            data += first
            data += await reader.readuntil(b"\r\n.\r\n")
            del data[-3:]  # the terminator's dot line; its CRLF ends the last line of data
            break
        else:
            await _drain(reader, pending=False)
            return None
    except asyncio.LimitOverrunError as exc:
        await reader.readexactly(exc.consumed)
        await _drain(reader, pending=True)
        return None
    if len(data) > limit:
        return None
    if data.startswith(b"."):
        del data[0]
    return bytes(data).replace(b"\r\n.", b"\r\n")


async def _line(reader: asyncio.StreamReader, line: bytes) -> bytes:
    """The rest of a line whose first byte was read; a CR is read byte by byte (its LF may be next)."""
    while line.endswith(b"\r"):
        line += await reader.readexactly(1)
        if line.endswith(b"\r\n"):
            return line
    return line + await reader.readuntil(b"\r\n")


async def _drain(reader: asyncio.StreamReader, pending: bool) -> None:
    """Read and drop lines up to the end of data; ``pending``: the current line has begun already."""
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            await reader.readexactly(exc.consumed)
            pending = True
            continue
        if not pending and line == b".\r\n":
            return
        pending = False


def _raw_params(arg: str | None, keyword: str, proto: SMTP) -> list[str] | None:
    """The parameters after the address, in the client's case (ENVID and ORCPT are case-sensitive)."""
    if not arg or arg[: len(keyword)].upper() != keyword:
        return None
    rest = arg[len(keyword) :].strip()
    if rest.startswith("<") and '"' not in rest:  # the common case, without the full RFC 5322 parser
        return rest.partition(">")[2].split()
    _addr, params = proto._getaddr(rest)
    return params.split() if params is not None else None


def _dsn_ok(key: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if key == "RET":
        return value in ("FULL", "HDRS")
    if key == "NOTIFY":
        parts = set(value.split(","))
        return parts == {"NEVER"} or (bool(parts) and parts <= {"SUCCESS", "FAILURE", "DELAY"})
    return 0 < len(value) <= 500
