"""Intent ``credit_limit``: the 小米分期 limit, used and available amounts, and how to raise it."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis import diagnose_installment
from fenqi.diagnosis.installment import is_opened
from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import AccountSnapshot

from .facts import cart_line, credit_line
from .model import Answer
from .render import cause_block, flow_text, paragraphs


def limit_range(knowledge: Knowledge) -> str:
    fees = knowledge.fees
    return f"小米分期额度一般在 {format_cny(fees.limit_min)} 到 {format_cny(fees.limit_max)} 之间，初次开通时可能偏低。"


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(limit_range(knowledge) + "登录后可在小米商城 App「我的」-「小米分期」查看额度。",
                      flow_text(knowledge.flow("raise_limit"), "提升额度的方法"))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    if not is_opened(snapshot):
        not_opened = diagnose_installment(snapshot, knowledge)[0]
        return Answer(text=paragraphs(cause_block(not_opened), limit_range(knowledge)))
    credit = snapshot.credit
    assert credit is not None  # opened
    facts = credit_line(credit) + cart_line(snapshot, credit.available)
    return Answer(text=paragraphs(facts, flow_text(knowledge.flow("raise_limit"), "提升额度的方法")))
