"""备用金 ``installment_fees``: how 备用金 interest is charged and the early-repayment fee rule (demo)."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from ..facts import reserve_line
from ..model import Answer
from ..render import paragraphs
from .facts import not_opened_text


def rules(knowledge: Knowledge) -> str:
    return "\n".join([
        "备用金的费用：",
        "1. 利息：" + knowledge.text("reserve_fund_interest"),
        "2. 提前还款：" + knowledge.text("reserve_fund_early_fee"),
    ])


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("reserve_fund_intro"), rules(knowledge), knowledge.text("reserve_fund_fee_notice"))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=paragraphs(not_opened_text(knowledge), rules(knowledge),
                                      knowledge.text("reserve_fund_fee_notice")))
    if fund.used > 0:
        usage = "利息按这部分已用金额和实际用款天数计算，具体金额以备用金页面显示为准。"
    else:
        usage = "您目前没有在用的备用金，不产生利息。"
    return Answer(text=paragraphs(reserve_line(fund) + usage, rules(knowledge),
                                  knowledge.text("reserve_fund_fee_notice")))
