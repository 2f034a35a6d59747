"""When a dependency fails: the one busy message and the time budget of a shopper's turn.

A shopper always sees an answer or :data:`BUSY_TEXT`, never an empty reply, a raw 5xx or a wait
past :data:`SHOPPER_WAIT_LIMIT_S`. The budgets nest, each inside the one above it, so the inner
part gives up first and the outer one can still answer (docs/deploy.md, "When a dependency fails"):

=====================================  ======  =====================================================
budget                                 seconds  who enforces it
=====================================  ======  =====================================================
``SHOPPER_WAIT_LIMIT_S``               30      the promise (tests/prod/test_faults.py measures it)
``BALANCER_READ_TIMEOUT_S``            25      nginx: a Rasa instance silent this long -> busy JSON
``LOCK_LIFETIME_S``                    20      Redis ticket lock of a conversation (a dead holder's
                                               ticket expires; > every turn, so turns never overlap)
``TURN_DEADLINE_S``                    15      the channels: lock wait + turn, else busy, not stored
``ACTION_CALL_TIMEOUT_S``              10      Rasa -> action server (a failed call: busy, stored)
``ACTION_DB_WAIT_S``                   8       an action's database work in its thread pool
``DB_STATEMENT_TIMEOUT_S``             5       PostgreSQL ``statement_timeout`` (and lock waits)
``DB_CONNECT_TIMEOUT_S``               3       libpq ``connect_timeout``
=====================================  ======  =====================================================

:class:`BoundedThreads` runs blocking work (SQL) off an event loop in a bounded pool, so one slow
query never holds the other conversations of the process.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar

BUSY_TEXT = "系统繁忙，请稍后再试。刚才这条消息没有处理成功，请稍后重新发送。"

SHOPPER_WAIT_LIMIT_S = 30.0
BALANCER_READ_TIMEOUT_S = 25
LOCK_LIFETIME_S = 20.0
TURN_DEADLINE_S = 15.0
ACTION_CALL_TIMEOUT_S = 10.0
ACTION_DB_WAIT_S = 8.0
DB_STATEMENT_TIMEOUT_S = 5
DB_CONNECT_TIMEOUT_S = 3
DB_THREADS = 8  # blocking database calls in flight per process (the engine's pool matches it)

T = TypeVar("T")


class BoundedThreads:
    """A bounded thread pool for blocking calls from async code, created on first use.

    ``await threads.run(fn, *args, timeout=...)`` runs ``fn`` in one of ``size`` threads; a call
    that does not finish within ``timeout`` (waiting for a thread included) raises
    ``asyncio.TimeoutError`` while the thread finishes on its own (the database's statement
    timeout ends it)."""

    def __init__(self, size: int, name: str) -> None:
        self.size, self.name = size, name
        self._pool: Optional[ThreadPoolExecutor] = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix=self.name)
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any, timeout: Optional[float] = None, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))
        if timeout is None:
            return await future
        return await asyncio.wait_for(future, timeout)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
