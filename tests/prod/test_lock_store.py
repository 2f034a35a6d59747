"""The atomic Redis lock store on a real Redis: tickets unique and turns exclusive across
independent store instances (as two Rasa processes hold them)."""
from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from rasa.utils.endpoints import EndpointConfig

from deploy.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.prod


def _store(redis_server, prefix: str = "fenqitest") -> AtomicRedisLockStore:
    config = EndpointConfig(url="127.0.0.1", port=str(redis_server.port), db="1", key_prefix=prefix,
                            type="deploy.lock_store.AtomicRedisLockStore")
    return AtomicRedisLockStore(endpoint_config=config)


def test_built_from_an_endpoint_config_with_key_prefix(redis_server):
    store = _store(redis_server, "fenqiprefix")
    assert store.key_prefix == "fenqiprefix:lock:"
    store.issue_ticket("someone")
    assert store.red.exists("fenqiprefix:lock:someone")
    store.delete_lock("someone")


def test_concurrent_tickets_from_many_stores_are_unique(redis_server):
    stores = [_store(redis_server) for _ in range(4)]
    issued, barrier = [], threading.Barrier(len(stores))

    def issue(store):
        barrier.wait(5)
        for _ in range(25):
            issued.append(store.issue_ticket("crowded", lock_lifetime=60))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(issued) == list(range(100))
    lock = stores[0].get_lock("crowded")
    assert [t.number for t in lock.tickets] == list(range(100))
    for number in range(100):
        stores[number % 4].cleanup("crowded", number)
    assert stores[0].get_lock("crowded") is None


def test_lock_holders_never_overlap(redis_server):
    """Eight turns of one conversation through four stores: at most one inside at a time."""
    stores = [_store(redis_server) for _ in range(4)]
    inside, overlaps, done = [0], [], []

    async def turn(store, n):
        async with store.lock("busy", lock_lifetime=30, wait_time_in_seconds=0.02):
            inside[0] += 1
            overlaps.append(inside[0])
            await asyncio.sleep(0.05)
            inside[0] -= 1
            done.append(n)

    def run(store, numbers):
        async def main():
            await asyncio.gather(*(turn(store, n) for n in numbers))
        asyncio.run(main())

    threads = [threading.Thread(target=run, args=(s, [i, i + 4])) for i, s in enumerate(stores)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(done) == list(range(8))
    assert max(overlaps) == 1
    assert time.monotonic() - start >= 8 * 0.05
    assert stores[0].get_lock("busy") is None


def test_expired_tickets_are_dropped_and_stock_format_is_shared(redis_server):
    from rasa.core.lock import TicketLock

    store = _store(redis_server)
    first = store.issue_ticket("slow", lock_lifetime=0.05)
    time.sleep(0.1)
    assert store.issue_ticket("slow", lock_lifetime=30) == first  # the expired ticket is gone
    store.update_lock("slow")
    lock = store.get_lock("slow")
    assert len(lock.tickets) == 1 and lock.tickets[0].expires > time.time() + 20
    # A lock written the stock way (TicketLock.dumps) is understood, and ours by Rasa's reader.
    stock = TicketLock("shared")
    stock.issue_ticket(30)
    store.save_lock(stock)
    assert store.issue_ticket("shared", lock_lifetime=30) == 1
    raw = json.loads(store.red.get(store.key_prefix + "shared"))
    assert [t.number for t in TicketLock.from_dict(raw).tickets] == [0, 1]
    store.finish_serving("shared", 0)
    assert [t.number for t in store.get_lock("shared").tickets] == [1]
    store.cleanup("shared", 1)
    store.cleanup("slow", first)
    assert store.get_lock("shared") is None and store.get_lock("slow") is None
