"""Misses climb one ladder (``fenqi.fallback.steps``): low NLU confidence (``action_clarify``) and
out-of-scope questions (``action_out_of_scope``), in any mix. The first miss clarifies with the two
likeliest topics (out of scope: says what the bot answers, ``utter_out_of_scope``), the second
offers a human, the third hands off."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import asked_product, follow_up_intent, ranking, respond
from actions.handoff import hand_off
from actions.store import off_loop
from fenqi.answers.questions import clarify_answer
from fenqi.answers.selection import INSTALLMENT, find
from fenqi.fallback import FallbackStep, Topics, consecutive_misses, fallback_step, load_topics, suggestions
from fenqi.handoff.reasons import FALLBACK_LADDER
from fenqi.knowledge import StandardQuestion, load_questions
from fenqi.nlp import OUT_OF_SCOPE
from fenqi.nlp.question_model import QUESTION_RANKING

HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
NONE_OF_THESE = {"title": "都不是", "payload": "/deny"}
MIN_QUESTION_SCORE = 0.25  # P(intent) × P(question | intent) of the best question, to name questions at all


def topic_buttons(intents: List[str], topics: Topics) -> List[Dict[str, str]]:
    return [{"title": topics.title(i), "payload": f"/{i}"} for i in intents]


def question_picks(message: Dict[str, Any]) -> List[StandardQuestion]:
    """The likeliest standard questions (P(intent) × P(question | intent)), when the second stage has
    a real opinion: two or three, the first at least ``MIN_QUESTION_SCORE``."""
    book = load_questions()
    picks = [q for q in (find(book, qid) for qid, _ in ranking(message.get(QUESTION_RANKING))) if q is not None]
    scores = ranking(message.get(QUESTION_RANKING))
    if len(picks) < 2 or scores[0][1] < MIN_QUESTION_SCORE:
        return []
    return picks[:3]


def clarify(dispatcher: CollectingDispatcher, tracker: Tracker, topics: Topics) -> None:
    message = tracker.latest_message or {}
    questions = question_picks(message)
    if questions:  # "您是想问：逾期费用 / 手续费？" — specific questions rather than topics
        product = asked_product(tracker) or INSTALLMENT
        asked = clarify_answer(questions, product)
        dispatcher.utter_message(text=f"抱歉，我不太确定您的意思。{asked.text}",
                                 buttons=[{"title": b.title, "payload": b.payload} for b in asked.buttons]
                                 + [NONE_OF_THESE])
        return
    picks = suggestions(message.get("intent_ranking") or [], topics)
    asked = "还是".join(f"“{topics.title(i)}”" for i in picks)
    dispatcher.utter_message(text=f"抱歉，我不太确定您的意思。您是想问{asked}吗？请点选一个，都不是的话点“都不是”。",
                             buttons=topic_buttons(picks, topics) + [NONE_OF_THESE])


def offer_human(dispatcher: CollectingDispatcher, topics: Topics, lead: str) -> None:
    dispatcher.utter_message(text=f"{lead}我可以解答小米分期和备用金的这些问题，您可以点选或换个说法再问；"
                                  "也可以转人工客服：",
                             buttons=[HUMAN_BUTTON] + topic_buttons(list(topics.menu), topics))


# What the second and third misses say, by the kind of the latest one.
STILL_LOST = {"fallback": "抱歉，我还是没能理解 😅 ", OUT_OF_SCOPE: "这个问题也超出了我能解答的范围 😅 "}
HANDING_OFF = {"fallback": "抱歉，我几次都没能理解您的问题，为免耽误您，请人工客服来帮您。",
               OUT_OF_SCOPE: "这几个问题都超出了我能解答的范围，为免耽误您，请人工客服来帮您。"}


async def climb(dispatcher: CollectingDispatcher, tracker: Tracker, topics: Topics, kind: str) -> None:
    """Answer the latest miss by its place on the ladder (``kind``: "fallback" or out_of_scope)."""
    step = fallback_step(consecutive_misses(tracker.events), topics.max_fallbacks)
    if step is FallbackStep.CLARIFY and kind == OUT_OF_SCOPE:
        dispatcher.utter_message(response="utter_out_of_scope")
    elif step is FallbackStep.CLARIFY:
        clarify(dispatcher, tracker, topics)
    elif step is FallbackStep.OFFER_HUMAN:
        offer_human(dispatcher, topics, STILL_LOST[kind])
    else:
        lead = HANDING_OFF[kind]
        await off_loop(dispatcher, lambda private: hand_off(private, tracker, lead=lead, reason=FALLBACK_LADDER))


class ActionClarify(Action):
    """``nlu_fallback``: what to say depends on how many misses in a row there were."""

    def name(self) -> Text:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return await answer_miss(dispatcher, tracker, "fallback")


class ActionOutOfScope(Action):
    """``out_of_scope``: the first miss says what the bot answers; then the same ladder."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return await answer_miss(dispatcher, tracker, OUT_OF_SCOPE)


async def answer_miss(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str) -> List[Dict[Text, Any]]:
    """A message the first stage could not place: an elliptical follow-up of the last answer
    ("那信用卡呢？" after the repayment methods) is read in that answer's intent; anything else
    climbs the miss ladder."""
    context = follow_up_intent(tracker)
    if context is not None:
        return await off_loop(dispatcher, lambda private: respond(context, private, tracker, confident=False))
    await climb(dispatcher, tracker, load_topics(), kind)
    return []


def misses_before_latest(events: List[Dict[str, Any]]) -> int:
    """Consecutive misses just before the latest user message (the one being answered)."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return consecutive_misses(events[:last_user])


class ActionOfferHuman(Action):
    """A "no" after a fallback reply: after the two suggestions ("都不是") offer a human and say
    what the bot can do; after a human was already offered or called, just acknowledge it."""

    def name(self) -> Text:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topics = load_topics()
        step = fallback_step(misses_before_latest(tracker.events), topics.max_fallbacks)
        if step is FallbackStep.CLARIFY:
            offer_human(dispatcher, topics, "抱歉没猜中您的问题。")
        else:
            dispatcher.utter_message(text="好的。您可以换个说法再问我，需要人工服务时发送“转人工”即可。",
                                     buttons=topic_buttons(list(topics.menu), topics))
        return []
