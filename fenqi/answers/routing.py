"""Which product a question is about, which answer a 备用金 question gets, and which order a
follow-up still refers to (pure; the action adapter hands in text, entities and the slot).

The intent says the topic (repay, due date, early repayment, auto-deduction, fees, limit, why it
cannot be used); the product says whose: a typed 备用金 word (or a borrowing-cash phrase) or a button
payload's ``product`` entity makes it 备用金. Typed words and buttons therefore reach the same answer.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from fenqi.security.inbound import valid_order_id
from fenqi.state import AccountSnapshot

RESERVE_FUND = "reserve_fund"
RESERVE_FUND_ENTITY = "备用金"
# 备用金, its common typos, and borrowing cash (小米分期 itself lends no cash).
# Borrowing cash is 备用金 whatever the words: 借款/借钱/借了/借的/借一千/借5000, 取现/提现/放款
# (借记卡, a debit card, is not borrowing).
_RESERVE_FUND_TEXT = re.compile(
    r"备用金|备用今|被用金|备用钱|借款|借钱|借现金|取现|提现|现金借|放款"
    r"|借(?!记)[了过的点个些]|借[0-9０-９一二两三四五六七八九十百千万几]")

# 备用金 topic per intent: the answer module key (fenqi.answers.reserve_fund.MODULES or reserve_fund_limit).
RESERVE_FUND_TOPICS = {
    "how_to_repay": "how_to_repay",  # repay
    "repayment_due": "repayment_due",  # due date, amount owed, overdue
    "early_repayment": "early_repayment",  # early
    "auto_repay": "auto_repay",  # auto-deduction
    "installment_fees": "installment_fees",  # fees, interest
    "credit_limit": "reserve_fund_limit",  # limit
    "reserve_fund_limit": "reserve_fund_limit",  # what it is, opening, limit, borrowing, why unusable
    "why_cannot_installment": "reserve_fund_limit",  # why unusable
    "how_to_use_installment": "how_to_use_installment",  # paying with 小米分期: not a 备用金 topic
}


def product_of(text: Optional[str], entity_values: Iterable[object] = ()) -> Optional[str]:
    """``"reserve_fund"`` when the message is about 备用金 (typed, or an entity value from a button
    payload), else None (小米分期, the default)."""
    if any(str(v) == RESERVE_FUND_ENTITY for v in entity_values):
        return RESERVE_FUND
    return RESERVE_FUND if text and _RESERVE_FUND_TEXT.search(text[:1000]) else None


# Costs of paying late are an overdue question, whatever the fee words (docs/intents.md: 罚息/逾期 →
# repayment_due): "逾期一天有利息吗" is not about the checkout fee table.
_OVERDUE_TEXT = re.compile(r"逾期|预期|余期|罚息|滞纳金|违约金.{0,4}晚|晚还|迟还|过了还款日|超过还款日|没按时还")
OVERDUE_TOPICS = {"installment_fees": "repayment_due"}


def topic_of(intent: str, text: Optional[str]) -> str:
    """The intent whose questions answer ``text``: a fees question about paying late is an overdue
    question (repayment_due); anything else keeps its intent."""
    if intent in OVERDUE_TOPICS and text and _OVERDUE_TEXT.search(text[:1000]):
        return OVERDUE_TOPICS[intent]
    return intent


def reserve_fund_topic(intent: str) -> str:
    """The 备用金 answer an intent leads to (KeyError for intents without an answer)."""
    return RESERVE_FUND_TOPICS[intent]


def keeps_order(snapshot: Optional[AccountSnapshot], order_id: object) -> bool:
    """Whether the chosen ``order_id`` slot stays for follow-ups ("那提前还呢？"): only while it is a
    short id string naming one of this verified user's orders (no order chosen: nothing to clear;
    a planted number, list or long string is cleared)."""
    if order_id is None:
        return True
    valid = valid_order_id(order_id)
    return valid is not None and snapshot is not None and valid in {o.order_id for o in snapshot.orders}
