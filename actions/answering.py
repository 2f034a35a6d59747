"""Turn the message's standard question into bot messages and slot events.

The second NLU stage (components/question_selector.py) ranks the standard questions of the intent;
:func:`fenqi.answers.selection.choose_question` picks one (or asks between close ones), resolving
buttons and follow-ups; :func:`fenqi.answers.questions.answer_question` answers it for the verified
shopper. The answered question is kept in the ``last_question`` slot for follow-ups ("那信用卡呢？").
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_context import account_context
from actions.handoff import open_ticket_notice
from fenqi.answers.model import Answer
from fenqi.answers.questions import answer_question, clarify_answer
from fenqi.answers.replay import THRESHOLDS
from fenqi.answers.routing import keeps_order, product_of, topic_of
from fenqi.answers.selection import (
    INSTALLMENT,
    QuestionChoice,
    choose_question,
    default_question,
    find,
    intent_ranking,
    is_follow_up,
    ranking,
)
from fenqi.fallback.steps import ANSWERED_SLOT
from fenqi.knowledge import load_questions
from fenqi.nlp.question_model import QUESTION, QUESTION_BY_INTENT
from fenqi.security.inbound import valid_order_id

LAST_QUESTION = ANSWERED_SLOT


def asked_product(tracker: Tracker) -> Optional[str]:
    """The product the latest message is about (typed 备用金 words or a button's product entity)."""
    message = tracker.latest_message or {}
    return product_of(message.get("text"), (e.get("value") for e in message.get("entities") or []))


def entity_value(message: Dict[str, Any], name: str) -> Optional[str]:
    value = next((e.get("value") for e in message.get("entities") or [] if e.get("entity") == name), None)
    return value if isinstance(value, str) else None


def choose(intent: str, tracker: Tracker, product: Optional[str], confident: Optional[bool] = None) -> QuestionChoice:
    message = tracker.latest_message or {}
    question = message.get(QUESTION) if isinstance(message.get(QUESTION), dict) else {}
    confidence = (message.get("intent") or {}).get("confidence")
    if confident is None:
        confident = isinstance(confidence, (int, float)) and confidence >= THRESHOLDS.intent
    topic = topic_of(intent, message.get("text"))
    if topic != intent:  # "逾期一天有利息吗": a fees question about paying late is an overdue question
        intent, confident = topic, False
        within = intent_ranking(message.get(QUESTION_BY_INTENT), topic)
    else:
        within = ranking(question.get("ranking")) if (message.get("intent") or {}).get("name") == intent else []
    book = load_questions()
    previous = tracker.get_slot(LAST_QUESTION)
    last = find(book, previous)
    return choose_question(
        book, intent, within, product=product or INSTALLMENT, asked=entity_value(message, QUESTION),
        previous=previous, text=message.get("text"),
        context=intent_ranking(message.get(QUESTION_BY_INTENT), last.intent) if last else [],
        intent_confident=confident, thresholds=THRESHOLDS)


def follow_up_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the last answered question when the latest message is an elliptical follow-up of it
    ("那信用卡呢？"), else None: a message the first stage could not place is then read in that context."""
    message = tracker.latest_message or {}
    last = find(load_questions(), tracker.get_slot(LAST_QUESTION))
    return last.intent if last is not None and is_follow_up(message.get("text")) else None


def respond(intent: str, dispatcher: CollectingDispatcher, tracker: Tracker,
            confident: Optional[bool] = None) -> List[Dict[str, Any]]:
    """Answer ``intent``'s standard question for the verified user.

    The ``order_id`` slot (filled by an order button or a typed order number) is kept for
    follow-ups ("那提前还呢？") only while it names one of this user's orders. While the sender's
    handoff ticket is open, the answer opens with where their request stands. A slot value that
    is not a short id string (planted through a ``/intent{...}`` payload) is ignored and cleared.
    """
    ctx = account_context(tracker)
    raw_order_id = tracker.get_slot("order_id")
    order_id = valid_order_id(raw_order_id)  # a planted number/list/long string is never used
    choice = choose(intent, tracker, asked_product(tracker), confident)
    events: List[Dict[str, Any]] = []
    result: Answer
    if choice.question is None:
        general = default_question(load_questions(), intent, choice.product)
        result = clarify_answer(list(choice.clarify), choice.product, general)
    else:
        result = answer_question(choice.question, ctx.snapshot, product=choice.product, order_id=order_id,
                                 anonymous_reason=ctx.anonymous_reason)
        events.append(SlotSet(LAST_QUESTION, choice.question.id))
    buttons = [{"title": b.title, "payload": b.payload} for b in result.buttons]
    notice = open_ticket_notice(tracker.sender_id)
    text = f"{notice}\n\n{result.text}" if notice else result.text
    dispatcher.utter_message(text=text, buttons=buttons or None)
    if not keeps_order(ctx.snapshot, raw_order_id):
        events.append(SlotSet("order_id", None))
    return events
