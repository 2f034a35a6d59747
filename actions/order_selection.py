"""The user picked an order from the buttons: remember it and answer the question that asked."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import respond

DEFAULT_INTENT = "how_to_repay"


class ActionSelectOrder(Action):
    def name(self) -> Text:
        return "action_select_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        entity = next(tracker.get_latest_entity_values("order_id"), None)
        order_id = entity or tracker.get_slot("order_id")
        intent = tracker.get_slot("pending_intent") or DEFAULT_INTENT
        return respond(intent, dispatcher, tracker, order_id=order_id)
