"""Turn a core :class:`~fenqi.answers.Answer` into bot messages and slot events."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_context import account_context
from fenqi.answers import answer

SELECT_ORDER_INTENT = "select_order"


def order_button_payload(order_id: str) -> str:
    return f"/{SELECT_ORDER_INTENT}" + json.dumps({"order_id": order_id}, ensure_ascii=False)


def respond(intent: str, dispatcher: CollectingDispatcher, tracker: Tracker,
            order_id: Optional[str] = None) -> List[Dict[str, Any]]:
    """Answer ``intent`` for the verified user; ask which order when the answer needs one."""
    ctx = account_context(tracker)
    order_id = order_id or tracker.get_slot("order_id")
    result = answer(intent, ctx.snapshot, order_id=order_id, anonymous_reason=ctx.anonymous_reason)
    buttons = [{"title": b.title, "payload": b.payload} for b in result.buttons]
    if result.needs_order:
        buttons = [{"title": label, "payload": order_button_payload(oid)} for oid, label in result.order_choices]
        dispatcher.utter_message(text=result.text, buttons=buttons)
        return [SlotSet("pending_intent", intent), SlotSet("order_id", None)]
    dispatcher.utter_message(text=result.text, buttons=buttons or None)
    known = ctx.snapshot is not None and order_id in {o.order_id for o in ctx.snapshot.orders}
    return [SlotSet("pending_intent", intent), SlotSet("order_id", order_id if known else None)]
