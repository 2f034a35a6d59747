"""Per-key rate limits (token buckets), a bounded concurrency gate and a per-request budget, in
process.

Used per socket.io connection (channel) and per client address (relay); the budget per engine.io
POST (issue #21: one POST must not carry many bot turns). Memory is bounded: at most ``max_keys``
buckets, the least recently used dropped first.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Dict, Optional


class RateLimiter:
    """``rate`` events per ``per`` seconds per key, bursts up to ``burst`` (default ``rate``)."""

    def __init__(self, rate: float, per: float = 60.0, burst: Optional[float] = None,
                 max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.per = float(rate), float(per)
        self.burst = float(burst if burst is not None else rate)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: "OrderedDict[str, tuple[float, float]]" = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        now = self._clock()
        tokens, seen = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - seen) * self.rate / self.per)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


class RequestBudget:
    """What one request (one engine.io POST and the packets it carries) may still do, by kind."""

    def __init__(self) -> None:
        self._used: Dict[str, int] = {}

    def take(self, kind: str, limit: int) -> bool:
        """Count one ``kind``; False once more than ``limit`` were asked for."""
        used = self._used.get(kind, 0) + 1
        self._used[kind] = used
        return used <= limit

    def refused(self, kind: str, limit: int) -> int:
        """How many ``kind`` were refused so far (1 on the first refusal: say so once)."""
        return max(0, self._used.get(kind, 0) - limit)


class ConcurrencyGate:
    """At most ``total`` holders overall and ``per_key`` per key (no waiting: try or refuse)."""

    def __init__(self, total: int, per_key: int) -> None:
        self.total, self.per_key = total, per_key
        self._held: Dict[str, int] = {}
        self._count = 0

    def try_acquire(self, key: str) -> bool:
        if self._count >= self.total or self._held.get(key, 0) >= self.per_key:
            return False
        self._held[key] = self._held.get(key, 0) + 1
        self._count += 1
        return True

    def release(self, key: str) -> None:
        held = self._held.get(key, 0)
        if held <= 1:
            self._held.pop(key, None)
        else:
            self._held[key] = held - 1
        self._count = max(0, self._count - 1) if held else self._count

    @property
    def in_use(self) -> int:
        return self._count
