"""备用金 ``early_repayment``: repaying early frees the limit (seed 004); the demo fee rule; steps."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, ReserveFund

from ..facts import repayment_maintenance_line, reserve_line
from ..model import Answer
from ..render import flow_text, paragraphs
from .facts import NOTHING_TO_REPAY, not_opened_text, status_note


def fee_rule(knowledge: Knowledge) -> str:
    return paragraphs("提前还款规则：" + knowledge.text("reserve_fund_early_fee"), knowledge.text("reserve_fund_fee_notice"))


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("reserve_fund_intro"), fee_rule(knowledge),
                      flow_text(knowledge.flow("reserve_fund_early_repayment")))


def release_line(fund: ReserveFund) -> str:
    """What repaying early does to this user's available amount."""
    if fund.used <= 0:
        return "您目前没有待还的备用金，不需要提前还款。"
    if fund.status != "active":
        return status_note(fund)
    return (f"提前还款能马上释放额度：还清已用的 {format_cny(fund.used)} 后，可用额度从 {format_cny(fund.available)} "
            f"恢复到 {format_cny(fund.limit)}；只还一部分，可用额度就增加相应金额。")


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=not_opened_text(knowledge, NOTHING_TO_REPAY))
    facts = reserve_line(fund) + release_line(fund)
    if fund.used <= 0:
        return Answer(text=paragraphs(facts, fee_rule(knowledge)))
    return Answer(text=paragraphs(facts, fee_rule(knowledge), repayment_maintenance_line(snapshot),
                                  flow_text(knowledge.flow("reserve_fund_early_repayment"), "操作步骤")))
