"""Answer a standard question: the general rule first, the shopper's facts second.

``answer_question(question, snapshot, product=…)``:

- a question whose facts include ``account`` (an intent's default question) gives, for a verified
  shopper, its short answer and then its intent's account answer (:func:`fenqi.answers.dispatch.answer`:
  diagnosis, bills, quotes as before, "which order?" included); logged out it answers from
  questions.yml like any other;
- any other question answers with its short answer and steps from questions.yml, then, for a
  verified shopper, the facts its rules name (only those with something to say). When the answer
  differs per order and the shopper has several active orders and chose none, the general rule comes
  first and the question "which order?" after it, its buttons returning to the same question;
- logged out, the same answer without facts, plus one line on logging in when facts would follow.

Buttons: the question's related questions (payloads name the question, so a tap answers exactly
it) and 转人工 where the honest answer is "以页面/协议为准".
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional

from fenqi.knowledge import Knowledge, QuestionBook, StandardQuestion, load_knowledge, load_questions
from fenqi.state import AccountSnapshot, Order

from .dispatch import answer
from .model import Answer, Button
from .orders import ask_for_order
from .personalise import ACCOUNT, RENDERERS, Facts
from .render import numbered, paragraphs, payload
from .routing import RESERVE_FUND, RESERVE_FUND_ENTITY

HUMAN = Button("转人工", "/request_human")
NONE_OF_THESE = "都不是"
ACCOUNT_HEADING = "【您的账户】"


def question_payload(question: StandardQuestion, product: str) -> str:
    """``/repayment_due{"question":"due.grace_period"}`` (plus ``product`` for 备用金)."""
    extra = {"product": RESERVE_FUND_ENTITY} if product == RESERVE_FUND else {}
    return payload(question.intent, question=question.id, **extra)


def question_button(question: StandardQuestion, product: str) -> Button:
    return Button(question.title, question_payload(question, product))


def related_buttons(question: StandardQuestion, product: str, book: QuestionBook) -> List[Button]:
    out = []
    for qid in question.related:
        other = book.get(qid)
        out.append(question_button(other, product if product in other.products else other.products[0]))
    return out


def general_text(question: StandardQuestion, product: str) -> str:
    variant = question.variant(product)
    return paragraphs(variant.answer, numbered(variant.steps) if variant.steps else None)


def chosen_order(snapshot: AccountSnapshot, order_id: Optional[str]) -> Optional[Order]:
    """The order the shopper chose (one of theirs), or their only active order."""
    if order_id:
        match = next((o for o in snapshot.orders if o.order_id == order_id), None)
        if match is not None:
            return match
    active = snapshot.active_orders
    return active[0] if len(active) == 1 else None


def answer_question(question: StandardQuestion, snapshot: Optional[AccountSnapshot], *, product: str = "installment",
                    knowledge: Optional[Knowledge] = None, book: Optional[QuestionBook] = None,
                    order_id: Optional[str] = None, anonymous_reason: Optional[str] = None) -> Answer:
    """The reply to ``question`` about ``product`` ("installment" or "reserve_fund")."""
    knowledge = knowledge or load_knowledge()
    book = book or load_questions()
    variant = question.variant(product)
    wire_product = product if product == RESERVE_FUND else None
    if ACCOUNT in variant.facts and snapshot is not None:
        reply = answer(question.intent, snapshot, knowledge=knowledge, order_id=order_id,
                       anonymous_reason=anonymous_reason, product=wire_product)
        return dataclasses.replace(reply, text=paragraphs(variant.answer, reply.text))
    buttons = related_buttons(question, product, book) + ([HUMAN] if question.offer_human else [])
    general = general_text(question, product)
    if snapshot is None:
        login = knowledge.login.line(anonymous_reason) if variant.facts else None
        text = paragraphs(general, login) if anonymous_reason in (None, "missing") else paragraphs(login, general)
        return Answer(text=text, buttons=tuple(buttons))
    order = chosen_order(snapshot, order_id)
    if question.per_order and order is None and len(snapshot.active_orders) > 1:
        ask = ask_for_order(question.intent, snapshot.active_orders, question=question.id)
        return Answer(text=paragraphs(general, ask.text), buttons=ask.buttons, needs_order=True,
                      order_choices=ask.order_choices)
    context = Facts(snapshot, knowledge, order, product)
    facts = [text for text in (RENDERERS[name](context) for name in variant.facts) if text]
    account = f"{ACCOUNT_HEADING}\n" + "\n".join(facts) if facts else None
    return Answer(text=paragraphs(general, account), buttons=tuple(buttons))


def clarify_answer(choices: List[StandardQuestion], product: str,
                   general: Optional[StandardQuestion] = None) -> Answer:
    """"您是想问：宽限期 / 逾期费用 / 逾期与征信？" with one button per question, and "都不是" for the
    topic's general answer (``general``) when given."""
    titles = " / ".join(q.title for q in choices)
    buttons = [question_button(q, product if product in q.products else q.products[0]) for q in choices]
    if general is not None and general not in choices:
        buttons.append(Button(NONE_OF_THESE, question_payload(general, product)))
    return Answer(text=f"您是想问：{titles}？请点选一个，我马上为您解答。", buttons=tuple(buttons))
