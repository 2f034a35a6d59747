"""Which standard question to answer: the second NLU stage's ranking, a button, or a follow-up (pure).

The action adapter hands in the intent, the question ranking within it, the ranking within the intent
of the question answered last (``context``), a question named by a button payload, the question
answered last and the text. Rules:

1. A button's question (``/repayment_due{"question": "due.grace_period"}``) is answered when it is a
   known question of that intent — a client cannot name anything else.
2. An elliptical follow-up ("那信用卡呢？", "那备用金呢", "要是晚两天呢") resolves against the last
   question: a bare product switch keeps the question and changes the product; otherwise the best
   question of the last question's intent, when the first stage was not confident of another intent.
3. A confident question (``threshold``) is answered; when two or three are close (within ``margin``
   of the best), the shopper is asked which with buttons; otherwise the intent's default question
   answers (the general answer of the topic).
4. The words decide the product (a typed 备用金 word or a borrowing phrase), the second stage only the
   question: a question that does not serve the product asked about gives way to the best question
   of the intent that does, or the intent's default for that product. Only reserve_fund_limit's
   questions (borrowing, its limit) are about 备用金 whatever the words.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from fenqi.knowledge import QuestionBook, StandardQuestion

from .routing import RESERVE_FUND_TOPICS

INSTALLMENT, RESERVE_FUND = "installment", "reserve_fund"
RESERVE_FUND_LIMIT = "reserve_fund_limit"  # the intent of 备用金 itself: its questions are about 备用金

Ranking = Sequence[Tuple[str, float]]

# A follow-up that only makes sense after the last answer: short, and opened with 那/要是/如果/换成… or
# closed with 呢 ("那信用卡呢", "要是晚两天呢", "换成24期呢").
_OPENERS = re.compile(r"^(那么?|那要是|那如果|要是|如果是?|换成|改成|还有)")
_CLOSERS = re.compile(r"(呢|的话)$")
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
# What is left of a bare product switch ("那备用金呢", "分期的呢", "小米分期那个呢").
_PRODUCT_ONLY = re.compile(r"^(那么?|那要是|要是|如果是?|换成|改成)?(用|是|问)?(小米)?(备用金|分期)(的|那个|这个)?(呢|的话|呢的话)?$")
MAX_FOLLOW_UP_CHARS = 12
MAX_RANKING = 20  # entries read from the parse data (it is ours, but bounded all the same)


def ranking(entries: Any, key: str = "id") -> List[Tuple[str, float]]:
    """``[{"id": …, "confidence": …}, …]`` (parse data) as (id, confidence) pairs; anything malformed is skipped."""
    out: List[Tuple[str, float]] = []
    for entry in entries[:MAX_RANKING] if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get(key), str) \
                and isinstance(entry.get("confidence"), (int, float)):
            out.append((entry[key], float(entry["confidence"])))
    return out


def intent_ranking(by_intent: Any, intent: str) -> List[Tuple[str, float]]:
    """``question_by_intent[intent]`` (``[[id, confidence], …]``, parse data) as pairs; anything
    malformed is skipped."""
    entries = by_intent.get(intent) if isinstance(by_intent, dict) else None
    return [(e[0], float(e[1])) for e in (entries if isinstance(entries, list) else [])[:MAX_RANKING]
            if isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], (int, float))]


@dataclass(frozen=True)
class QuestionChoice:
    """Exactly one of: a question to answer (with the product it is about) or 2-3 questions to ask between."""

    question: Optional[StandardQuestion] = None
    product: str = INSTALLMENT
    clarify: Tuple[StandardQuestion, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    """Confidence within the intent needed to answer a question without asking (``answer``), how close
    the runners-up must be to be offered (``margin``), the least confidence a follow-up needs, and the
    intent confidence above which a follow-up is taken at its word (``intent``)."""

    answer: float = 0.4
    margin: float = 0.15
    follow_up: float = 0.2
    intent: float = 0.8  # a follow-up keeps its own intent only when the first stage is this sure of it


def find(book: QuestionBook, qid: object) -> Optional[StandardQuestion]:
    """The question with id ``qid``, or None for anything else (a client may send any value)."""
    if not isinstance(qid, str) or len(qid) > 64:
        return None
    try:
        return book.get(qid)
    except KeyError:
        return None


def default_question(book: QuestionBook, intent: str, product: str) -> StandardQuestion:
    """The intent's general question about ``product``; a 备用金 question of an intent without a 备用金
    default (why can't I use it) takes the default of the 备用金 topic it leads to."""
    try:
        return book.default_for(intent, product)
    except KeyError:
        return book.default_for(RESERVE_FUND_TOPICS[intent], product)


def compact(text: Optional[str]) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", (text or "")[:200]).lower())


def is_follow_up(text: Optional[str]) -> bool:
    """Elliptical: short and opened like "那…" or closed like "…呢"."""
    core = compact(text)
    return 0 < len(core) <= MAX_FOLLOW_UP_CHARS and bool(_OPENERS.search(core) or _CLOSERS.search(core))


def is_product_switch(text: Optional[str]) -> bool:
    """"那备用金呢" / "分期的呢": the same question about the other product."""
    return bool(_PRODUCT_ONLY.match(compact(text)))


def product_for(question: StandardQuestion, detected: str) -> str:
    """The product the answer is about: the detected one when the question serves it, else its own."""
    return detected if detected in question.products else question.products[0]


def serving(book: QuestionBook, intent: str, ranking: Ranking, product: str,
            threshold: float = 0.0) -> Optional[StandardQuestion]:
    """The best ranked question of ``intent`` that serves ``product`` (at or above ``threshold``)."""
    for qid, p in ranking:
        q = find(book, qid)
        if q is not None and q.intent == intent and product in q.products and p >= threshold:
            return q
    return None


def choose_question(book: QuestionBook, intent: str, within: Ranking, *, product: Optional[str] = None,
                    asked: Optional[str] = None, previous: Optional[str] = None, text: Optional[str] = None,
                    context: Ranking = (), intent_confident: bool = True,
                    thresholds: Optional[Thresholds] = None) -> QuestionChoice:
    """The question to answer for ``intent`` (see the module docstring for the rules)."""
    thresholds = thresholds or Thresholds()
    detected = product or INSTALLMENT
    button = find(book, asked) if asked else None
    if button is not None and button.intent == intent:
        return QuestionChoice(button, product_for(button, detected))
    last = find(book, previous) if previous else None
    if last is not None and is_follow_up(text):
        if is_product_switch(text):
            switched = RESERVE_FUND if "备用金" in compact(text) else INSTALLMENT
            if switched in last.products:
                return QuestionChoice(last, switched)
            return QuestionChoice(default_question(book, last.intent, switched), switched)
        if not intent_confident or intent == last.intent:
            q = serving(book, last.intent, context, detected, thresholds.follow_up) \
                or serving(book, last.intent, context, last.products[0], thresholds.follow_up)
            if q is not None:
                return QuestionChoice(q, product_for(q, detected))
    ranked = [(find(book, qid), p) for qid, p in within]
    ranked_ok = [(q, p) for q, p in ranked if q is not None and q.intent == intent]
    if not ranked_ok:
        return QuestionChoice(default_question(book, intent, detected), detected)
    top, p_top = ranked_ok[0]
    if detected not in top.products and (detected == RESERVE_FUND or intent != RESERVE_FUND_LIMIT):
        # the words decide the product, the second stage only the question: the best question that
        # serves the product asked about, else the intent's general one (borrowing questions of
        # reserve_fund_limit are 备用金 questions whatever the words)
        alt = serving(book, intent, within, detected, thresholds.follow_up)
        return QuestionChoice(alt or default_question(book, intent, detected), detected)
    if p_top >= thresholds.answer:
        return QuestionChoice(top, product_for(top, detected))
    close = tuple(q for q, p in ranked_ok[:3] if p >= p_top - thresholds.margin)
    if len(close) >= 2:
        return QuestionChoice(clarify=close, product=detected)
    return QuestionChoice(default_question(book, intent, detected), detected)
