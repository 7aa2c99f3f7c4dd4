"""The hand-off protocol: a ``Route`` takes a message for some recipients and answers per recipient.

``Route.send(msg, rcpts, deadline)`` never raises for a delivery problem: it returns one ``Reply`` per
recipient (2xx accepted, 4xx try again, 5xx permanent refusal by the far end), within ``deadline``
(a ``time.monotonic()`` instant). The actor decides what the client hears.

Security: routes get the exact bytes we scanned (CRLF-normalised, one trace header prepended); they never
put remote reply text or exception text into a ``Reply`` (only codes), so next-hop internals cannot leak.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from gateway.model import Message, Reply


@runtime_checkable
class Route(Protocol):
    """A destination for mail: next hop, secure route, a Maildir, an HTTPS API."""

    name: str

    async def send(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Mapping[str, Reply]:
        """Hand ``msg`` off for ``rcpts``; one reply per recipient address."""
        ...

    async def close(self) -> None:
        """Release pools and connections."""
        ...


def same_reply(rcpts: Sequence[str], reply: Reply) -> dict[str, Reply]:
    """The same reply for every recipient."""
    return {r: reply for r in rcpts}


def remaining(deadline: float) -> float:
    """Seconds left until ``deadline`` (never negative)."""
    return max(0.0, deadline - time.monotonic())


def rcpt_options(msg: Message, address: str) -> tuple[str, ...]:
    """The RCPT parameters (NOTIFY, ORCPT) the client gave for ``address``."""
    for rcpt, opts in zip(msg.rcpts, msg.rcpt_options, strict=False):
        if rcpt.address == address:
            return opts
    return ()
