"""A tiny in-memory mapping whose entries expire; the default backend for per-user channel state."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Optional, Tuple, TypeVar

V = TypeVar("V")


class TTLMap(Generic[V]):
    """Entries live ``ttl`` seconds after being set; at most ``max_entries`` are kept (oldest dropped)."""

    def __init__(self, ttl: float, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._items: "OrderedDict[Hashable, Tuple[float, V]]" = OrderedDict()

    def _purge(self) -> None:
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if expires > now and len(self._items) <= self.max_entries:
                break
            self._items.popitem(last=False)

    def get(self, key: Hashable) -> Optional[V]:
        self._purge()
        item = self._items.get(key)
        return item[1] if item else None

    def set(self, key: Hashable, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl, value)
        self._purge()

    def pop(self, key: Hashable) -> Optional[V]:
        item = self._items.pop(key, None)
        return item[1] if item else None

    def __len__(self) -> int:
        self._purge()
        return len(self._items)
