"""备用金 ``repayment_due``: where the 备用金 bill and due date are shown, and what overdue means."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from ..model import Answer
from ..render import flow_text, paragraphs
from .facts import NOTHING_TO_REPAY, account_auto_repay, fund_facts, not_opened_text, status_note


def where_to_look(knowledge: Knowledge) -> str:
    return flow_text(knowledge.flow("reserve_fund_bill"))


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(where_to_look(knowledge), knowledge.text("reserve_fund_overdue"))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=not_opened_text(knowledge, NOTHING_TO_REPAY))
    if fund.used <= 0:
        return Answer(text=paragraphs(fund_facts(fund), status_note(fund), knowledge.text("reserve_fund_overdue")))
    return Answer(text=paragraphs(
        fund_facts(fund), status_note(fund), knowledge.text("reserve_fund_bill_location"), where_to_look(knowledge),
        account_auto_repay(snapshot, knowledge), knowledge.text("reserve_fund_overdue"),
    ))
