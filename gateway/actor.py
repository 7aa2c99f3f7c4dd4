"""Carry out a verdict: group recipients by action, hand off concurrently, answer per recipient (§4).

* deliver -> ``next_hop``; reroute -> ``secure_route``; quarantine -> the quarantine store (fsync'ed);
  block -> ``550 5.7.1`` from the reply template. Each hand-off gets the same bytes with one prepended
  ``X-DLP-Gateway`` trace header naming incident, action and rule (categories only, never samples).
* SMTP modes have one reply for all recipients: any block rejects the whole message before any hand-off;
  otherwise every group is handed off and the reply is 250 only if all accepted; a temporary failure of any
  group makes it 451 (groups already accepted may be duplicated on retry: a duplicate beats a loss). When
  the next hop permanently refuses some recipients but accepts others, the client gets 250 and the sender
  an "undeliverable" notice (what an MTA does after accepting).
* LMTP: one reply per recipient, exactly the outcome of its own group.
Notices (reroute, block, test_notify, security copy) are sent in the background after the reply is decided and
never change or delay it; a graceful stop waits for them.

Security: replies are built from constants and templates (ASCII, no content); the trace header is built
from our own ASCII tokens only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.deliver.base import Route
from gateway.deliver.notify import Notifier
from gateway.metrics import Metrics
from gateway.model import Action, Decision, Message, Mode, Reply, Verdict
from gateway.quarantine import QuarantineStore
from gateway.replies import DEFAULT_TEMPLATES, BlockTemplate, block_reply_for, ok

log = logging.getLogger("dlp.actor")
ROUTE_OF = {Action.DELIVER: "next_hop", Action.REROUTE: "secure_route", Action.QUARANTINE: "quarantine"}


def trace_header(incident: str, action: str, rules: Sequence[str], categories: Sequence[str]) -> bytes:
    """The one prepended header: ``X-DLP-Gateway: v1; incident=…; action=…; rule=…[; categories=…]``."""
    rule = ",".join(map(_token, dict.fromkeys(rules)))
    value = f"v1; incident={_token(incident)}; action={_token(action)}; rule={rule}"
    if categories:
        value += f"; categories={','.join(map(_token, categories))}"
    return f"X-DLP-Gateway: {value}\r\n".encode("ascii")


def _token(text: str) -> str:
    """Only ``[A-Za-z0-9._-]`` reaches the header: no CR/LF, ``;`` or ``=`` from a rule id can inject anything."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)


@dataclass
class Actor:
    """Hand-offs for one gateway: routes, quarantine, notices, reply templates."""

    next_hop: Route
    secure_route: Route
    quarantine: QuarantineStore
    metrics: Metrics
    notifier: Notifier | None = None
    templates: Mapping[str, BlockTemplate] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    lmtp: bool = False
    relay_deadline: float = 120.0
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def act(self, msg: Message, verdict: Verdict) -> dict[str, Reply]:
        """One reply per recipient address (under SMTP all identical)."""
        categories = [str(c) for c in verdict.result.categories]
        blocked = [d for d in verdict.decisions if d.action == Action.BLOCK]
        if blocked:
            self.metrics.message(Action.BLOCK)
        if blocked and not self.lmtp:
            reply = self._block(blocked[0], msg, categories)
            self._later(self._notices(msg, verdict, {}, categories))
            return {d.recipient.address: reply for d in verdict.decisions}
        replies = {d.recipient.address: self._block(d, msg, categories) for d in blocked}
        groups: dict[Action, list[Decision]] = {}
        seen: set[tuple[Action, str]] = set()
        for d in verdict.decisions:  # a recipient given twice is handed off once
            if d.action != Action.BLOCK and (d.action, d.recipient.address) not in seen:
                seen.add((d.action, d.recipient.address))
                groups.setdefault(d.action, []).append(d)
        deadline = time.monotonic() + self.relay_deadline
        results = await asyncio.gather(
            *(self._handoff(a, ds, msg, categories, deadline) for a, ds in groups.items())
        )
        for got in results:
            replies.update(got)
        final = replies if self.lmtp else self._single(msg, verdict, replies)
        if self.lmtp or all(200 <= r.code < 300 for r in final.values()):
            self._later(self._notices(msg, verdict, dict(replies), categories))
        return final

    def _later(self, job: Coroutine[Any, Any, None]) -> None:
        """Send notices after the reply: a slow next hop must not delay (or time out) the client's answer.
        A notice lost in a crash is acceptable; the message itself was already handed off."""
        task = asyncio.get_running_loop().create_task(_guarded(job))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def drain(self, timeout: float) -> None:
        """Wait for pending notices (graceful stop)."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=timeout)

    def _block(self, d: Decision, msg: Message, categories: Sequence[str]) -> Reply:
        return block_reply_for(self.templates, d.reply, msg.incident, categories, d.rule)

    async def _handoff(
        self, action: Action, ds: list[Decision], msg: Message, categories: Sequence[str], deadline: float
    ) -> dict[str, Reply]:
        rcpts = [d.recipient.address for d in ds]
        rules = [d.rule for d in ds]
        self.metrics.message(action)
        if action == Action.QUARANTINE:
            meta: dict[str, Any] = {
                "rule": ",".join(dict.fromkeys(rules)),
                "categories": list(categories),
                "peer": msg.peer,
            }
            got = await self.quarantine.send(msg, rcpts, deadline, meta)
        else:
            route = self.next_hop if action == Action.DELIVER else self.secure_route
            tagged = replace(msg, raw=trace_header(msg.incident, action.value, rules, categories) + msg.raw)
            started = time.monotonic()
            got = await route.send(tagged, rcpts, deadline)
            self.metrics.relay_seconds(ROUTE_OF[action], time.monotonic() - started)
        out = {}
        for r in rcpts:
            rep = got.get(r) or Reply(451, "4.3.0", "Temporary local problem, please try again later")
            out[r] = ok(msg.incident) if 200 <= rep.code < 300 else rep
            if rep.code >= 400:
                self.metrics.delivery_failure(ROUTE_OF[action])
        return out

    def _single(self, msg: Message, verdict: Verdict, replies: Mapping[str, Reply]) -> dict[str, Reply]:
        values = [replies[d.recipient.address] for d in verdict.decisions]
        temp = next((r for r in values if 400 <= r.code < 500), None)
        perm = [r for r in values if r.code >= 500]
        if temp is not None:
            final = temp
        elif perm and len(perm) == len(values):
            final = perm[0]
        else:
            final = ok(msg.incident)
        return {d.recipient.address: final for d in verdict.decisions}

    async def _notices(
        self, msg: Message, verdict: Verdict, replies: Mapping[str, Reply], categories: Sequence[str]
    ) -> None:
        if self.notifier is None:
            return
        jobs = []
        by_kind: dict[str, list[Decision]] = {}
        for d in verdict.decisions:
            accepted = (
                200 <= replies[d.recipient.address].code < 300 if d.recipient.address in replies else False
            )
            if d.action == Action.REROUTE and "sender" in d.notify and accepted:
                by_kind.setdefault("reroute", []).append(d)
            elif d.action == Action.BLOCK and "sender" in d.notify:
                by_kind.setdefault("block", []).append(d)
            elif d.mode == Mode.TEST_NOTIFY and d.intended != d.action and accepted:
                by_kind.setdefault("test_notify", []).append(d)
            if "security" in d.notify and d.intended != Action.DELIVER:
                by_kind.setdefault("security", []).append(d)
        refused = [a for a, r in replies.items() if r.code >= 500 and r.enhanced != "5.7.1"]
        if refused and not self.lmtp and any(200 <= r.code < 300 for r in replies.values()):
            jobs.append(
                self.notifier.send(
                    "undeliverable", msg, refused, categories=categories, rule="next-hop", action="refused"
                )
            )
        for kind, ds in by_kind.items():
            jobs.append(
                self.notifier.send(
                    kind,
                    msg,
                    [d.recipient.address for d in ds],
                    categories=categories,
                    rule=ds[0].rule,
                    action=str(ds[0].intended),
                )
            )
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for res in results:
            if res is not True:
                self.metrics.delivery_failure("notify")


async def _guarded(job: Coroutine[Any, Any, None]) -> None:
    try:
        await job
    except Exception:
        log.error("sending notices failed", exc_info=True)
