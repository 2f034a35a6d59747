"""Intent ``auto_repay``: whether automatic repayment is on (and with which method), how to switch it."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis.wording import format_day
from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import ZERO, AccountSnapshot

from .facts import auto_repay_line
from .model import Answer
from .render import flow_text, paragraphs


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(flow_text(knowledge.flow("auto_repay_on")),
                      flow_text(knowledge.flow("auto_repay_off"), notes=False))


def next_debit(snapshot: AccountSnapshot) -> str:
    """Overdue amount (always repaid by hand) and the next upcoming due date with its amount."""
    today = snapshot.today
    bills = [b for o in snapshot.active_orders for b in o.unpaid_bills]
    if not bills:
        return "您目前没有待还的分期账单。"
    overdue = [b for b in bills if b.overdue_days(today)]
    upcoming = [b for b in bills if not b.overdue_days(today)]
    parts = []
    if overdue:
        amount = sum((b.amount for b in overdue), ZERO)
        parts.append(f"您有 {len(overdue)} 期账单已逾期，共 {format_cny(amount)}，请尽快手动还款。")
    if upcoming:
        first = min(b.due_date for b in upcoming)
        amount = sum((b.amount for b in upcoming if b.due_date == first), ZERO)
        verb = "将自动扣款" if snapshot.auto_repay.enabled else "需要还款"
        parts.append(f"下一次还款日 {format_day(first)}，{verb} {format_cny(amount)}。")
    return "".join(parts)


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    enabled = snapshot.auto_repay.enabled
    flow = knowledge.flow("auto_repay_off" if enabled else "auto_repay_on")
    heading = "如需关闭或更换扣款方式" if enabled else "开启方法"
    return Answer(text=paragraphs(auto_repay_line(snapshot.auto_repay) + next_debit(snapshot),
                                  flow_text(flow, heading)))
