"""Turn a core :class:`~fenqi.answers.Answer` into bot messages and slot events."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_context import account_context
from actions.handoff import open_ticket_notice
from fenqi.answers import answer
from fenqi.answers.routing import keeps_order, product_of
from fenqi.security.inbound import valid_order_id


def asked_product(tracker: Tracker) -> Optional[str]:
    """The product the latest message is about (typed 备用金 words or a button's product entity)."""
    message = tracker.latest_message or {}
    return product_of(message.get("text"), (e.get("value") for e in message.get("entities") or []))


def respond(intent: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """Answer ``intent`` for the verified user.

    The ``order_id`` slot (filled by an order button or a typed order number) is kept for
    follow-ups ("那提前还呢？") only while it names one of this user's orders. While the sender's
    handoff ticket is open, the answer opens with where their request stands. A slot value that
    is not a short id string (planted through a ``/intent{...}`` payload) is ignored and cleared.
    """
    ctx = account_context(tracker)
    raw_order_id = tracker.get_slot("order_id")
    order_id = valid_order_id(raw_order_id)  # a planted number/list/long string is never used
    product = asked_product(tracker)
    result = answer(intent, ctx.snapshot, order_id=order_id, anonymous_reason=ctx.anonymous_reason,
                    product=product)
    buttons = [{"title": b.title, "payload": b.payload} for b in result.buttons]
    notice = open_ticket_notice(tracker.sender_id)
    text = f"{notice}\n\n{result.text}" if notice else result.text
    dispatcher.utter_message(text=text, buttons=buttons or None)
    return [] if keeps_order(ctx.snapshot, raw_order_id) else [SlotSet("order_id", None)]
