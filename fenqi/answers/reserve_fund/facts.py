"""备用金 fact sentences shared by the topic answers (from the snapshot only, never invented)."""
from __future__ import annotations

from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, ReserveFund

from ..facts import RESERVE_STATUS, auto_repay_line, reserve_line
from ..render import flow_text, paragraphs

NOTHING_TO_REPAY = "所以目前没有需要还的备用金。"


def not_opened_text(knowledge: Knowledge, note: str = "") -> str:
    """``【未开通备用金】`` with its explanation (and ``note``), then how to open it."""
    cause = knowledge.cause("reserve_fund", "not_opened")
    return paragraphs(f"【{cause.title}】{cause.explanation}{note}", flow_text(knowledge.flow("open_reserve_fund")))


def owed_line(fund: ReserveFund) -> str:
    """What is still to be repaid, by the limit figures (the store has no 备用金 bills)."""
    if fund.used <= 0:
        return "您目前没有待还的备用金。"
    return f"目前已用的 {format_cny(fund.used)} 需要按借款约定还款。"


def status_note(fund: ReserveFund) -> str:
    """A warning when 备用金 is not usable right now (empty when it is)."""
    if fund.status == "active":
        return ""
    state = RESERVE_STATUS.get(fund.status, fund.status)
    return f"提醒：您的备用金目前{state}，还款照常进行，但还款后额度暂时不能再用，可联系客服了解恢复办法。"


def fund_facts(fund: ReserveFund) -> str:
    return reserve_line(fund) + owed_line(fund)


def account_auto_repay(snapshot: AccountSnapshot, knowledge: Knowledge) -> str:
    """The user's (account-wide) auto-repay setting and that it covers 备用金 too."""
    return auto_repay_line(snapshot.auto_repay) + knowledge.text("reserve_fund_auto_repay_scope")
