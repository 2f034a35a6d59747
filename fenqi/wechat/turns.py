"""One bot turn per WeChat message, however many times WeChat retries it.

A :class:`Turn` is created on the first delivery of a dedupe key; retries find it in the
:class:`TurnStore` and wait on the same result. Delivery is *claimed* exactly once: either
by a request that can still answer passively, or by the background sender (customer-service API).
"""
from __future__ import annotations

import asyncio
from typing import Optional, Protocol, Tuple

from .ttl import TTLMap

PASSIVE = "passive"
API = "api"


class Turn:
    """The pending or finished answer to one inbound message."""

    def __init__(self, key: str):
        self.key = key
        self.done: "asyncio.Future[Tuple[str, ...]]" = asyncio.get_running_loop().create_future()
        self.waiters = 0  # requests currently waiting for this turn
        self.attempts = 0  # deliveries of this message seen so far
        self.claimed_by: Optional[str] = None
        self.passive_text: str = ""  # what a passive reply said (sent again to a retry)

    @property
    def finished(self) -> bool:
        return self.done.done()

    @property
    def parts(self) -> Tuple[str, ...]:
        return self.done.result() if self.done.done() else ()

    def finish(self, parts: Tuple[str, ...]) -> None:
        if not self.done.done():
            self.done.set_result(tuple(parts))

    def claim(self, how: str) -> bool:
        """Take responsibility for delivering the answer; False if someone already has."""
        if self.claimed_by is not None:
            return False
        self.claimed_by = how
        return True


class TurnStore(Protocol):
    """Where turns live between retries (in memory here; Redis would fit the same interface)."""

    def get(self, key: str) -> Optional[Turn]: ...

    def put(self, turn: Turn) -> None: ...


class InMemoryTurnStore:
    """Turns kept ``ttl`` seconds (WeChat retries within ~15 s; default 10 min)."""

    def __init__(self, ttl: float = 600, max_entries: int = 100_000):
        self._turns: TTLMap[Turn] = TTLMap(ttl, max_entries)

    def get(self, key: str) -> Optional[Turn]:
        return self._turns.get(key)

    def put(self, turn: Turn) -> None:
        self._turns.set(turn.key, turn)

    def __len__(self) -> int:
        return len(self._turns)
