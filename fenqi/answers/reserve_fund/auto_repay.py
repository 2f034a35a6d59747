"""备用金 ``auto_repay``: the account-wide auto-repay setting (it covers 备用金 too) and how to change it."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from ..facts import reserve_line
from ..model import Answer
from ..render import flow_text, paragraphs
from .facts import account_auto_repay, not_opened_text, owed_line


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("reserve_fund_auto_repay_scope"),
                      flow_text(knowledge.flow("reserve_fund_auto_repay_on")),
                      flow_text(knowledge.flow("reserve_fund_auto_repay_off"), notes=False))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=not_opened_text(knowledge))
    enabled = snapshot.auto_repay.enabled
    flow = knowledge.flow("reserve_fund_auto_repay_off" if enabled else "reserve_fund_auto_repay_on")
    heading = "如需关闭或更换扣款方式" if enabled else "开启方法"
    return Answer(text=paragraphs(reserve_line(fund) + owed_line(fund), account_auto_repay(snapshot, knowledge),
                                  flow_text(flow, heading)))
