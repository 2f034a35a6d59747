"""``answer(intent, snapshot, …)``: route an intent (and product) to its answer module.

Without a snapshot the answer is the module's generic guidance plus one line on logging in
(tuned by ``anonymous_reason``) and never contains account data. ``product="reserve_fund"``
answers the repayment topics about 备用金 instead of 小米分期 orders.
"""
from __future__ import annotations

from types import MappingProxyType, ModuleType
from typing import Mapping, Optional

from fenqi.knowledge import Knowledge, load_knowledge
from fenqi.state import AccountSnapshot

from . import (
    auto_repay,
    credit_limit,
    early_repayment,
    how_to_repay,
    how_to_use_installment,
    installment_fees,
    repayment_due,
    reserve_fund,
    reserve_fund_limit,
    why_cannot_installment,
)
from .model import Answer, Button
from .render import paragraphs, payload
from .routing import RESERVE_FUND_TOPICS

MODULES = MappingProxyType({
    "how_to_use_installment": how_to_use_installment,
    "why_cannot_installment": why_cannot_installment,
    "how_to_repay": how_to_repay,
    "early_repayment": early_repayment,
    "auto_repay": auto_repay,
    "installment_fees": installment_fees,
    "credit_limit": credit_limit,
    "reserve_fund_limit": reserve_fund_limit,
    "repayment_due": repayment_due,
})
INTENTS = tuple(MODULES)

PRODUCTS = ("installment", "reserve_fund")
# 备用金 questions, by topic (fenqi.answers.routing): the repayment topics and fees get 备用金 answers;
# limit and "why can't I" questions go to the 备用金 limit/diagnosis answer; how to use 分期 keeps its answer.
RESERVE_FUND_MODULES = MappingProxyType({
    intent: {**MODULES, **reserve_fund.MODULES}[topic] for intent, topic in RESERVE_FUND_TOPICS.items()})

# Follow-up suggestions shown as buttons (channels without buttons may ignore them).
RELATED = MappingProxyType({
    "how_to_use_installment": (("分期手续费", "installment_fees"), ("为什么不能分期", "why_cannot_installment")),
    "why_cannot_installment": (("查看我的额度", "credit_limit"), ("如何使用分期", "how_to_use_installment")),
    "how_to_repay": (("提前还款", "early_repayment"), ("自动还款", "auto_repay")),
    "early_repayment": (("还款步骤", "how_to_repay"), ("本期账单", "repayment_due")),
    "auto_repay": (("本期账单", "repayment_due"), ("还款步骤", "how_to_repay")),
    "installment_fees": (("如何使用分期", "how_to_use_installment"), ("提前还款", "early_repayment")),
    "credit_limit": (("为什么不能分期", "why_cannot_installment"), ("备用金额度", "reserve_fund_limit")),
    "reserve_fund_limit": (("小米分期额度", "credit_limit"), ("还款步骤", "how_to_repay")),
    "repayment_due": (("还款步骤", "how_to_repay"), ("自动还款", "auto_repay")),
})


class UnknownIntent(ValueError):
    """``answer`` was asked about an intent it does not handle."""


class UnknownProduct(ValueError):
    """``answer`` was given a ``product`` other than None, "installment" or "reserve_fund"."""


def is_reserve_fund(product: Optional[str]) -> bool:
    """Validate ``product``: False for 小米分期 (None or "installment"), True for 备用金."""
    if product is not None and product not in PRODUCTS:
        raise UnknownProduct(f"unknown product {product!r}; known: {', '.join(PRODUCTS)}")
    return product == "reserve_fund"


def module_for(intent: str, product: Optional[str] = None) -> ModuleType:
    """The answer module for ``intent`` about ``product``."""
    if intent not in MODULES:
        raise UnknownIntent(f"no answer for intent {intent!r}; known: {', '.join(INTENTS)}")
    table: Mapping[str, ModuleType] = RESERVE_FUND_MODULES if is_reserve_fund(product) else MODULES
    return table[intent]


def related_buttons(intent: str, product: Optional[str] = None) -> tuple:
    """Follow-ups; for 备用金 the payload carries ``product: 备用金`` so the follow-up stays on 备用金."""
    if is_reserve_fund(product):
        topic = "reserve_fund_limit" if RESERVE_FUND_MODULES[intent] is reserve_fund_limit else intent
        if topic in reserve_fund.RELATED:
            return tuple(Button(title, payload(target, product="备用金"))
                         for title, target in reserve_fund.RELATED[topic])
    return tuple(Button(title, payload(target)) for title, target in RELATED.get(intent, ()))


def anonymous_answer(intent: str, knowledge: Knowledge, reason: Optional[str],
                     product: Optional[str] = None) -> Answer:
    """Generic guidance; the login line goes last when simply not signed in, first otherwise."""
    guidance = module_for(intent, product).guidance(knowledge)
    login = knowledge.login.line(reason)
    text = paragraphs(guidance, login) if reason in (None, "missing") else paragraphs(login, guidance)
    return Answer(text=text, buttons=related_buttons(intent, product))


def answer(intent: str, snapshot: Optional[AccountSnapshot], *, knowledge: Optional[Knowledge] = None,
           order_id: Optional[str] = None, anonymous_reason: Optional[str] = None,
           product: Optional[str] = None) -> Answer:
    """The reply for ``intent``: personal when ``snapshot`` is given, generic guidance otherwise.

    ``product``: None or "installment" (小米分期, the default) or "reserve_fund" (备用金); anything
    else raises :class:`UnknownProduct` (a ``ValueError``).
    """
    module = module_for(intent, product)
    knowledge = knowledge or load_knowledge()
    if snapshot is None:
        return anonymous_answer(intent, knowledge, anonymous_reason, product)
    reply = module.personal(snapshot, knowledge, order_id)
    if reply.needs_order or reply.buttons:
        return reply
    return Answer(text=reply.text, buttons=related_buttons(intent, product), order_choices=reply.order_choices)
