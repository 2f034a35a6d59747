"""A parse replayed through the answer path, Rasa-free: which standard question the bot would answer
(or which it would offer as buttons) and the reply's text — the steps of ``actions/answering.respond``
for a domain intent. Used to score the sub-question set (``make eval``, the evaluation gate): does
the reply *address* the question asked (a word it must contain, in the general part of the reply)?
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Tuple

from fenqi.nlp import OUT_OF_SCOPE

from .questions import ACCOUNT_HEADING, answer_question, clarify_answer
from .routing import product_of, topic_of
from .selection import INSTALLMENT, Thresholds, choose_question, find, intent_ranking, is_follow_up, ranking

THRESHOLDS = Thresholds()  # the one set: the action server (actions/answering.py) and the replay


def reply_for(parsed: Mapping[str, Any], text: str, after: Optional[str], snapshot: Any = None,
              thresholds: Thresholds = THRESHOLDS) -> Tuple[Optional[str], Tuple[str, ...], str]:
    """(question answered or None, questions offered as buttons, reply text) for one parse.

    ``after`` is the standard question answered just before (a follow-up is read in context, as
    actions/fallback.py does); a fallback or out-of-scope prediction answers no standard question."""
    from fenqi.knowledge import load_questions
    from fenqi.nlp.question_model import QUESTION, QUESTION_BY_INTENT

    book = load_questions()
    intent_data = parsed.get("intent") or {}
    intent = intent_data.get("name")
    question = parsed.get(QUESTION) or {}
    confident = float(intent_data.get("confidence") or 0.0) >= thresholds.intent
    within = ranking(question.get("ranking"))
    if isinstance(intent, str) and topic_of(intent, text) != intent:  # actions/answering.choose: the same reading
        intent, confident = topic_of(intent, text), False
        within = intent_ranking(parsed.get(QUESTION_BY_INTENT), intent)
    if intent not in {book.get(i).intent for i in book.ids}:
        last = find(book, after)
        if last is None or not is_follow_up(text):
            return None, (), f"[{intent}]"
        intent, confident, within = last.intent, False, []
    last = find(book, after)
    choice = choose_question(
        book, intent, within, product=product_of(text) or INSTALLMENT, previous=after, text=text,
        context=intent_ranking(parsed.get(QUESTION_BY_INTENT), last.intent) if last is not None else [],
        intent_confident=confident, thresholds=thresholds)
    if choice.question is None:
        return None, tuple(q.id for q in choice.clarify), clarify_answer(list(choice.clarify), choice.product).text
    return choice.question.id, (), answer_question(choice.question, snapshot, product=choice.product).text


def general_part(reply: str) -> str:
    """The reply without its account block (what a question must be answered in, first)."""
    return reply.split(ACCOUNT_HEADING, 1)[0]


def addresses(reply: str, must: Sequence[str]) -> bool:
    """Does the general part of the reply name one of the words the question is about?"""
    part = general_part(reply).replace(" ", "")
    return any(w.replace(" ", "") in part for w in must)


def must_words(question: str, must: Sequence[str] = ()) -> Tuple[str, ...]:
    """The words a reply to ``question`` must contain: the set's own, else the knowledge base's mentions."""
    from fenqi.knowledge import load_questions

    if must:
        return tuple(must)
    if question == OUT_OF_SCOPE:
        return ()
    return tuple(load_questions().get(question).variant(INSTALLMENT).mentions)
