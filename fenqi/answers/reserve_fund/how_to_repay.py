"""备用金 ``how_to_repay``: the user's 备用金 figures and how to repay it."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from ..facts import repayment_maintenance_line
from ..model import Answer
from ..render import flow_text, paragraphs
from .facts import NOTHING_TO_REPAY, account_auto_repay, fund_facts, not_opened_text, status_note


def steps(knowledge: Knowledge) -> str:
    return flow_text(knowledge.flow("reserve_fund_repay"), "备用金还款步骤")


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("reserve_fund_intro"), steps(knowledge))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=not_opened_text(knowledge, NOTHING_TO_REPAY))
    auto = account_auto_repay(snapshot, knowledge) if fund.used > 0 else ""
    return Answer(text=paragraphs(fund_facts(fund), status_note(fund), repayment_maintenance_line(snapshot),
                                  steps(knowledge), auto))
