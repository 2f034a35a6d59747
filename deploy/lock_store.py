"""Rasa's Redis lock store with atomic ticket operations, for several Rasa instances.

Rasa 3.6's ``RedisLockStore`` changes a conversation's ticket lock by GET, change in Python,
SET. Two instances receiving a message of the same conversation at the same moment can both
read "no lock", both issue ticket 0 and both run the turn at once: one turn's events are then
lost from the tracker store (seen in tests/prod/test_failover.py; RasaHQ/rasa#9213). Here each
change of a lock (issue a ticket, drop expired ones, give a ticket back) is one Lua script run
by Redis atomically: ticket numbers are unique, turns of one conversation run one after
another, and each change is one round trip instead of GET + SET.

A ticket lives ``LOCK_LIFETIME_S`` (20 s, ``fenqi.resilience``; Rasa's default is 60 s): a turn
never takes longer (the channels end it at ``TURN_DEADLINE_S``), and a ticket left behind by a
killed or frozen instance stops blocking its conversation after that time. Redis calls time out
after ``REDIS_SOCKET_TIMEOUT_S``. Redis down: ``LockError``, the channel answers the busy message.

Same settings, key layout and stored JSON as ``RedisLockStore`` (``key_prefix`` etc.)::

    lock_store:
      type: deploy.lock_store.AtomicRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      key_prefix: ${REDIS_KEY_PREFIX}
"""
from __future__ import annotations

import logging
import time
from typing import Optional, Text

from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

from fenqi.resilience import LOCK_LIFETIME_S

logger = logging.getLogger(__name__)

REDIS_SOCKET_TIMEOUT_S = 2.0  # Rasa's default is 10 s (every lock call is synchronous, in the event loop)

# KEYS[1] lock key. ARGV: op (issue | finish | cleanup | expire), now (client clock, as Rasa's
# Ticket.has_expired uses), conversation id, lifetime (issue) or ticket number (others).
# The lock is rasa.core.lock.TicketLock.dumps(): {"conversation_id": .., "tickets": ["<ticket json>", ..]}.
CHANGE_LOCK = """
local raw = redis.call('GET', KEYS[1])
local op, now = ARGV[1], tonumber(ARGV[2])
if not raw and op ~= 'issue' then return -1 end
local tickets = {}
if raw then
  local lock = cjson.decode(raw)
  if type(lock['tickets']) == 'table' then
    for _, text in ipairs(lock['tickets']) do
      local ticket = cjson.decode(text)
      if tonumber(ticket['expires']) >= now then table.insert(tickets, ticket) end
    end
  end
end
local result = -1
if op == 'issue' then
  result = 0
  if #tickets > 0 then result = tonumber(tickets[#tickets]['number']) + 1 end
  table.insert(tickets, {number = result, expires = now + tonumber(ARGV[4])})
elseif op == 'finish' or op == 'cleanup' then
  local number = tonumber(ARGV[4])
  for i, ticket in ipairs(tickets) do
    if tonumber(ticket['number']) == number then table.remove(tickets, i) break end
  end
end
if op == 'cleanup' and #tickets == 0 then
  redis.call('DEL', KEYS[1])
  return result
end
local parts = {}
for _, ticket in ipairs(tickets) do
  local text = string.format('{"number": %d, "expires": %.6f}', ticket['number'], ticket['expires'])
  table.insert(parts, cjson.encode(text))
end
redis.call('SET', KEYS[1], '{"conversation_id": ' .. cjson.encode(ARGV[3]) .. ', "tickets": [' ..
           table.concat(parts, ', ') .. ']}')
return result
"""


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are atomic across processes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, lock_lifetime: float = LOCK_LIFETIME_S,
                 **kwargs) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
            lock_lifetime = float(kwargs.pop("lock_lifetime", lock_lifetime))
        kwargs.setdefault("socket_timeout", REDIS_SOCKET_TIMEOUT_S)  # a hung Redis fails the turn fast
        super().__init__(**kwargs)
        self.lock_lifetime = float(lock_lifetime)
        self._change_lock = self.red.register_script(CHANGE_LOCK)

    def lock(self, conversation_id: Text, lock_lifetime: Optional[float] = None, wait_time_in_seconds: float = 1):
        """Rasa's ticket lock, with this store's ``lock_lifetime`` unless one is given (Rasa's
        agent never gives one: its default is 60 s). A turn is bounded by the channels'
        ``TURN_DEADLINE_S`` < ``LOCK_LIFETIME_S``, so a live turn's ticket never expires under it,
        and a ticket left by a killed or frozen instance blocks its conversation ``LOCK_LIFETIME_S``
        at most."""
        lifetime = self.lock_lifetime if lock_lifetime is None else lock_lifetime
        return super().lock(conversation_id, lifetime, wait_time_in_seconds)

    def _change(self, op: str, conversation_id: Text, value: float) -> int:
        return int(self._change_lock(keys=[self.key_prefix + conversation_id],
                                     args=[op, repr(time.time()), conversation_id, repr(value)]))

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME_S) -> int:
        try:
            return self._change("issue", conversation_id, float(lock_lifetime))
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: Text) -> None:
        """Drop expired tickets."""
        self._change("expire", conversation_id, 0)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change("finish", conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Give ``ticket_number`` back; delete the lock when no ticket is left. Redis gone at
        the end of a turn does not fail the turn (it is stored): the ticket expires by itself."""
        try:
            self._change("cleanup", conversation_id, ticket_number)
        except RedisError as exc:
            logger.warning("lock ticket not returned (%s); it expires in %.0f s",
                           exc.__class__.__name__, self.lock_lifetime)
