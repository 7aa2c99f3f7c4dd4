"""A test double ``Route`` (like httpx's MockTransport): records hand-offs, answers as told.

Security: test-only; holds message bytes in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from gateway.deliver.base import same_reply
from gateway.model import Message, Reply

Responder = Callable[[Message, Sequence[str]], Mapping[str, Reply]]


@dataclass
class Handoff:
    """One recorded call of ``send``."""

    msg: Message
    rcpts: tuple[str, ...]


@dataclass
class MockRoute:
    """Answers every hand-off with ``reply`` (or ``responder``), after ``delay`` seconds."""

    name: str = "mock"
    reply: Reply = field(default_factory=lambda: Reply(250, "2.0.0", "Ok"))
    responder: Responder | None = None
    delay: float = 0.0
    sent: list[Handoff] = field(default_factory=list)
    closed: bool = False

    async def send(self, msg: Message, rcpts: Sequence[str], deadline: float) -> Mapping[str, Reply]:
        """Record and answer."""
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(Handoff(msg, tuple(rcpts)))
        if self.responder is not None:
            return self.responder(msg, rcpts)
        return same_reply(rcpts, self.reply)

    async def close(self) -> None:
        """Mark closed."""
        self.closed = True
