"""The aiosmtpd handler: hooks only (MAIL, RCPT, DATA, exceptions); the work is in scan, policy and actor.

``handle_DATA`` reads as the design's five calls — build the ``Message``, scan it in the worker pool,
evaluate the policy, act, observe and render — and never raises: anything unexpected becomes ``451 4.3.0``
(one line per recipient under LMTP). ``handle_exception`` is the last resort for errors outside DATA: a
generic 451, never aiosmtpd's default ``500 Error: (Exception) text``.

Security: addresses are syntax-checked with email-validator (no DNS) before they reach any header or
command we build; the recipient count is capped (452 4.5.3); stray CR/LF is normalised before scanning
and relaying (or refused with ``550 5.6.0`` when ``bare_newline: reject``), so we scan what we deliver.
Exception text is logged without the message and never sent to the client.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from email_validator import EmailNotValidError, validate_email

from gateway import audit
from gateway.envelope import build_message
from gateway.model import Message, Reply, ScanResult, Verdict
from gateway.replies import BARE_NEWLINE, SATURATED, SHUTTING_DOWN, TEMP_INTERNAL, TOO_MANY_RCPTS, render_lmtp

if TYPE_CHECKING:
    from gateway.actor import Actor
    from gateway.config import GatewayConfig
    from gateway.extract.base import Limits
    from gateway.metrics import Metrics
    from gateway.policy.model import Policy
    from gateway.settings import ScanSettings


class Scanner(Protocol):
    """What the handler needs of the scan pool."""

    async def scan(self, raw: bytes, settings: ScanSettings) -> ScanResult: ...


class GatewayState(Protocol):
    """What the handler reads of the running gateway (``gateway.server.Gateway`` provides it); a protocol
    here keeps the server on top of the handler, never the other way round."""

    cfg: GatewayConfig
    policy: Policy
    limits: Limits
    metrics: Metrics
    actor: Actor
    scanner: Scanner
    scan_wait: float
    inflight: int
    stopping: bool

    def inflight_add(self, n: int) -> None: ...

log = logging.getLogger("dlp.handler")
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
BAD_SENDER = Reply(553, "5.1.7", "Bad sender address syntax")
BAD_RCPT = Reply(553, "5.1.3", "Bad recipient address syntax")


@functools.lru_cache(maxsize=8192)
def valid_address(address: str, utf8: bool) -> bool:
    """Syntax only (no DNS): what we accept as an envelope address (cached: the same senders and
    recipients recur all day, and email-validator costs ~0.1 ms per call)."""
    if len(address) > 254 or any(c in address for c in "\r\n\0<>"):
        return False
    try:
        validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=utf8,
            allow_quoted_local=True,
            allow_domain_literal=True,
        )
    except EmailNotValidError:
        return False
    return True


class Handler:
    """aiosmtpd hooks for one gateway."""

    def __init__(self, gateway: GatewayState) -> None:
        self.gw = gateway
        self._scan_settings: tuple[Policy, Limits, ScanSettings] | None = None

    async def handle_MAIL(  # noqa: N802
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Back-pressure and sender syntax; keep the client's original-case parameters."""
        if self.gw.stopping:
            return SHUTTING_DOWN.render()
        if self.gw.inflight >= self.gw.cfg.max_inflight:
            return SATURATED.render()
        if address != "<>" and not valid_address(address, envelope.smtp_utf8):
            return BAD_SENDER.render()
        envelope.mail_from = address
        envelope.mail_options.extend(_original(server, mail_options))
        return "250 2.1.0 Ok"

    async def handle_RCPT(  # noqa: N802
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Recipient cap and syntax; parameters (NOTIFY, ORCPT) kept per recipient."""
        if len(envelope.rcpt_tos) >= self.gw.cfg.max_recipients:
            return TOO_MANY_RCPTS.render()
        if not valid_address(address, envelope.smtp_utf8):
            return BAD_RCPT.render()
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(tuple(_original(server, rcpt_options)))
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Scan, decide, hand off, then reply; never raises."""
        rcpts: list[str] = list(envelope.rcpt_tos)
        lmtp = self.gw.cfg.protocol == "lmtp"
        self.gw.inflight_add(1)
        try:
            replies = await self._process(session, envelope, rcpts)
        except Exception:
            log.error("internal error handling a message", exc_info=True)
            replies = {r: TEMP_INTERNAL for r in rcpts}
        finally:
            self.gw.inflight_add(-1)
        ordered = [replies.get(r, TEMP_INTERNAL) for r in rcpts]
        for rep in ordered if lmtp else ordered[:1]:
            self.gw.metrics.reply(rep.code)
        return render_lmtp(ordered) if lmtp else ordered[0].render()

    async def _process(self, session: Any, envelope: Any, rcpts: Sequence[str]) -> Mapping[str, Reply]:
        gw, cfg = self.gw, self.gw.cfg
        if gw.inflight > cfg.max_inflight:
            return {r: SATURATED for r in rcpts}
        raw: bytes = envelope.original_content or b""
        if cfg.bare_newline == "reject" and _BARE.search(raw):
            return {r: BARE_NEWLINE for r in rcpts}
        msg = self._message(session, envelope, raw, rcpts)
        policy = gw.policy  # one snapshot: a reload never changes a message mid-flight
        started = time.monotonic()
        try:
            async with asyncio.timeout(gw.scan_wait):  # no extra task (wait_for's) and loop hop per message
                result: ScanResult = await gw.scanner.scan(msg.raw, self._settings(policy))
        except Exception:  # pool down, deadline, anything: the sender's MTA retries
            log.error("scan failed for %s", msg.incident, exc_info=True)
            return {r: TEMP_INTERNAL for r in rcpts}
        verdict = policy.evaluate(msg, result)
        gw.metrics.scan_duration.observe(time.monotonic() - started)
        replies = await gw.actor.act(msg, verdict)
        try:  # the hand-offs are done: bookkeeping must never turn them into a 451 (and a duplicate)
            self._observe(msg, verdict, replies)
        except Exception:
            log.error("audit/metrics failed for %s", msg.incident, exc_info=True)
        return replies

    def _settings(self, policy: Policy) -> ScanSettings:
        """One ``ScanSettings`` per policy and limits (the pool then pickles its task header once)."""
        cached = self._scan_settings
        if cached is None or cached[0] is not policy or cached[1] is not self.gw.limits:
            cached = self._scan_settings = (policy, self.gw.limits, policy.scan_settings(self.gw.limits))
        return cached[2]

    def _message(self, session: Any, envelope: Any, raw: bytes, rcpts: Sequence[str]) -> Message:
        cfg = self.gw.cfg
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
        xf = getattr(session, "xforward", {}) or {}
        sender = envelope.mail_from if envelope.mail_from != "<>" else ""
        opts = list(envelope.rcpt_options)
        return build_message(
            raw,
            sender,
            rcpts,
            cfg.internal_domains,
            cfg.partner_domains,
            mail_options=tuple(envelope.mail_options),
            rcpt_options=tuple(tuple(o) if isinstance(o, tuple) else () for o in opts),
            peer=xf.get("ADDR", peer),
            queue_id=audit.queue_id(raw),
        )

    def _observe(self, msg: Message, verdict: Verdict, replies: Mapping[str, Reply]) -> None:
        m = self.gw.metrics
        m.categories(c for c in (str(x) for x in verdict.result.categories) if c != "unscannable")
        if verdict.result.unscannable:
            m.categories(["unscannable"])
        for u in verdict.result.unscannable:
            m.unscannable_reason(str(u.reason))
        audit.emit(audit.record(msg, verdict, replies, addresses=self.gw.cfg.audit_recipient_addresses))

    async def handle_exception(self, error: Exception) -> str:
        """Last resort outside DATA: a generic 451, never exception text."""
        log.error("SMTP session error: %s", type(error).__name__)
        return TEMP_INTERNAL.render()


def _original(server: Any, upper: list[str]) -> list[str]:
    """The client's parameters in their original case (ENVID and ORCPT are case-sensitive xtext)."""
    getter = getattr(server, "original_params", None)
    got = getter() if getter else None
    return list(got) if got is not None and len(got) == len(upper) else list(upper)
