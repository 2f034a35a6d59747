"""Rasa's Redis lock store with atomic ticket operations, for several Rasa instances.

Rasa 3.6's ``RedisLockStore`` changes a conversation's ticket lock by GET, change in Python,
SET. Two instances receiving a message of the same conversation at the same moment can both
read "no lock", both issue ticket 0 and both run the turn at once: one turn's events are then
lost from the tracker store (seen in tests/prod/test_failover.py; RasaHQ/rasa#9213). Here every
read-modify-write of a lock is one optimistic Redis transaction (WATCH/MULTI/EXEC, retried on
conflict), so ticket numbers are unique and turns of one conversation run one after another.

Same settings and key layout as ``RedisLockStore`` (``key_prefix`` etc.); in an endpoints file::

    lock_store:
      type: deploy.lock_store.AtomicRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      key_prefix: ${REDIS_KEY_PREFIX}
"""
from __future__ import annotations

import json
import logging
from typing import Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# change(lock or None) -> (lock to save or None to delete, value to return)
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], object]]


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are atomic across processes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Change) -> object:
        key = self.key_prefix + conversation_id

        def transaction(pipe) -> object:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, result = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]):
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return int(self._change(conversation_id, change))
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Give up ``ticket_number``; delete the lock when nobody else holds a ticket."""

        def change(lock: Optional[TicketLock]):
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)
