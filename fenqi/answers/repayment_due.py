"""Intent ``repayment_due``: the chosen order's next bill, any overdue bills, and what overdue means."""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.money import format_cny, format_rate
from fenqi.state import ZERO, AccountSnapshot, Order

from .facts import auto_repay_line, bill_line, repayment_maintenance_line
from .model import Answer
from .orders import order_heading, select_order
from .render import numbered, paragraphs

INTENT = "repayment_due"


def overdue_text(knowledge: Knowledge) -> str:
    policy = knowledge.overdue
    fee = f"滞纳金按逾期金额每天 {format_rate(policy.late_fee_daily_rate)} 计" + ("（演示数值）" if policy.demo else "")
    return "逾期的影响：" + "".join(policy.consequences) + fee + "。"


def guidance(knowledge: Knowledge) -> str:
    steps = knowledge.flow("repay").steps[:4]
    return paragraphs("查看每期应还金额和还款日：\n" + numbered(steps), overdue_text(knowledge))


def order_text(order: Order, snapshot: AccountSnapshot) -> str:
    today = snapshot.today
    unpaid = sorted(order.unpaid_bills, key=lambda b: b.due_date)
    overdue = order.overdue_bills(today)
    upcoming = [b for b in unpaid if b.overdue_days(today) == 0]
    lines = [f"{order_heading(order)}："]
    lines += [f"逾期：{bill_line(b, snapshot)}" for b in overdue]
    if upcoming:
        lines.append(f"下一期：{bill_line(upcoming[0], snapshot)}")
    rest = sum((b.amount for b in unpaid), ZERO)
    lines.append(f"还剩 {len(unpaid)} 期未还，共 {format_cny(rest)}。")
    return "\n".join(lines)


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    picked = select_order(snapshot, INTENT, order_id)
    if picked.answer is not None:
        overdue = [o for o in snapshot.active_orders if o.overdue_bills(snapshot.today)]
        if overdue and picked.answer.needs_order:
            names = "、".join(f"「{o.product_name}」" for o in overdue)
            warning = f"提醒：{names}有逾期账单，请尽快还款。"
            return Answer(text=paragraphs(warning, picked.answer.text), buttons=picked.answer.buttons,
                          needs_order=True, order_choices=picked.answer.order_choices)
        return picked.answer
    if picked.order is None:
        return Answer(text="您目前没有待还的分期账单。")
    order = picked.order
    if not order.active:
        return Answer(text=f"{order_heading(order)}已全部还清，没有待还账单。")
    advice = ""
    if order.overdue_bills(snapshot.today):
        extra = () if snapshot.auto_repay.enabled else knowledge.overdue.auto_repay_advice
        steps = knowledge.overdue.advice + extra
        advice = "建议：\n" + numbered(steps)
    return Answer(text=paragraphs(order_text(order, snapshot), auto_repay_line(snapshot.auto_repay),
                                  repayment_maintenance_line(snapshot), advice, overdue_text(knowledge)))
