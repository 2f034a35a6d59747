"""The Rasa process when a dependency fails: a turn is answered only if it is stored.

Rasa 3.6 hides a failing store and a failing action server from the turn:

* every tracker store is wrapped in ``FailSafeTrackerStore``: a read that fails returns *no*
  tracker (the turn runs from an empty conversation: state lost) and a save that fails goes to a
  per-process in-memory store (the turn is answered, never stored, and the next message on
  another instance does not see it);
* a custom action whose call fails (action server killed, 5xx, timeout) is logged and its events
  dropped; the turn goes on and the shopper gets nothing (``[]``).

Installed by ``deploy.rasa_main`` in every Rasa process of the project:

* :func:`install_strict_tracker_store`: the wrapper passes a store's errors on, so the turn
  fails and the channel answers the busy message (``channels/turns.py``) and nothing of the
  turn is stored (Rasa saves at the end of the turn, in one transaction);
* :func:`install_action_failure_reply`: an action call is bounded by ``ACTION_CALL_TIMEOUT_S``;
  one that fails or times out becomes the busy message (a ``BotUttered`` event, stored with the
  turn), so the conversation shows what the shopper saw. A rejection (forms) is Rasa's as before.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, List, Optional

from fenqi.resilience import ACTION_CALL_TIMEOUT_S, BUSY_TEXT

logger = logging.getLogger(__name__)


def install_strict_tracker_store() -> None:
    """``FailSafeTrackerStore`` reads and saves through to the real store, errors included."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    if getattr(FailSafeTrackerStore.save, "_fenqi_strict", False):
        return

    async def retrieve(self: Any, sender_id: str) -> Optional[Any]:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: Any, sender_id: str) -> Optional[Any]:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self: Any, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    save._fenqi_strict = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.save = save  # type: ignore[method-assign]


def install_action_failure_reply() -> None:
    """``RemoteAction.run`` bounded in time; a failed call says the busy message instead of nothing."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered

    original = RemoteAction.run
    if getattr(original, "_fenqi_busy", False):
        return

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain),
                                          ACTION_CALL_TIMEOUT_S)
        except ActionExecutionRejection:
            raise
        except Exception as exc:  # the request (and its token) is never logged
            logger.error("custom action %s failed (%s): the shopper is told the system is busy",
                         self.name(), exc.__class__.__name__)
            return [BotUttered(BUSY_TEXT)]

    run._fenqi_busy = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]


def install() -> None:
    install_strict_tracker_store()
    install_action_failure_reply()
