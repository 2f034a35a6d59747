"""One action per core intent; each answers through :func:`actions.answering.respond`, run off the
event loop (:func:`actions.store.off_loop`: it reads the account store)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import respond
from actions.store import off_loop


class _IntentAnswer:
    """Mixin (not an ``Action`` itself, so rasa-sdk does not register it)."""

    intent: str = ""

    def name(self) -> Text:
        return f"action_{self.intent}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return await off_loop(dispatcher, lambda private: respond(self.intent, private, tracker))


class ActionHowToUseInstallment(_IntentAnswer, Action):
    intent = "how_to_use_installment"


class ActionWhyCannotInstallment(_IntentAnswer, Action):
    intent = "why_cannot_installment"


class ActionHowToRepay(_IntentAnswer, Action):
    intent = "how_to_repay"


class ActionEarlyRepayment(_IntentAnswer, Action):
    intent = "early_repayment"


class ActionAutoRepay(_IntentAnswer, Action):
    intent = "auto_repay"


class ActionInstallmentFees(_IntentAnswer, Action):
    intent = "installment_fees"


class ActionCreditLimit(_IntentAnswer, Action):
    intent = "credit_limit"


class ActionReserveFundLimit(_IntentAnswer, Action):
    intent = "reserve_fund_limit"


class ActionRepaymentDue(_IntentAnswer, Action):
    intent = "repayment_due"
