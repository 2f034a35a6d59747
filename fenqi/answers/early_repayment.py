"""Intent ``early_repayment``: what paying off the chosen order costs under the (demo) rule."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from fenqi.knowledge import EarlyRepaymentRule, Knowledge
from fenqi.money import format_cny
from fenqi.state import ZERO, AccountSnapshot, Order

from .facts import repayment_maintenance_line
from .model import Answer
from .orders import order_heading, select_order
from .render import flow_text, paragraphs

INTENT = "early_repayment"


@dataclass(frozen=True)
class PayoffQuote:
    remaining_principal: Decimal
    fees_due: Decimal  # fees of bills already due plus the current period's
    fees_waived: Decimal  # fees of later periods
    periods_waived: int

    @property
    def total(self) -> Decimal:
        return self.remaining_principal + self.fees_due


def payoff_quote(order: Order, today, rule: EarlyRepaymentRule) -> PayoffQuote:
    """Remaining principal; fees of bills already due and of the current (first not yet due) period
    are charged, later periods' fees are waived (when the rule says so)."""
    unpaid = sorted(order.unpaid_bills, key=lambda b: b.due_date)
    past_due = [b for b in unpaid if b.due_date < today]
    upcoming = [b for b in unpaid if b.due_date >= today]
    current, later = upcoming[:1], upcoming[1:]
    charged = past_due + (current if rule.charge_current_period_fee else [])
    if not rule.waive_later_fees:
        charged, later = charged + later, []
    return PayoffQuote(
        remaining_principal=order.remaining_principal,
        fees_due=sum((b.fee for b in charged), ZERO),
        fees_waived=sum((b.fee for b in later), ZERO),
        periods_waived=len(later),
    )


def guidance(knowledge: Knowledge) -> str:
    rule = knowledge.fees.early_repayment
    return paragraphs(f"提前还款规则：{rule.summary}", flow_text(knowledge.flow("early_repayment")))


def quote_text(order: Order, snapshot: AccountSnapshot, knowledge: Knowledge) -> str:
    quote = payoff_quote(order, snapshot.today, knowledge.fees.early_repayment)
    lines = [
        f"{order_heading(order)}：",
        f"剩余本金 {format_cny(quote.remaining_principal)}（还剩 {len(order.unpaid_bills)} 期未还）",
        f"需付手续费 {format_cny(quote.fees_due)}",
        f"提前结清共需 {format_cny(quote.total)}",
    ]
    if quote.periods_waived:
        lines.append(f"可免除后续 {quote.periods_waived} 期手续费共 {format_cny(quote.fees_waived)}")
    if order.overdue_bills(snapshot.today):
        lines.append("该订单有逾期账单，逾期部分可能另有滞纳金，以还款页面为准")
    return "\n".join(lines)


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    picked = select_order(snapshot, INTENT, order_id)
    if picked.answer is not None:
        return picked.answer
    if picked.order is None:
        return Answer(text=paragraphs("您目前没有进行中的分期订单，不需要提前还款。", guidance(knowledge)))
    order = picked.order
    if not order.active:
        return Answer(text=f"{order_heading(order)}已全部还清，不需要提前还款。")
    rule = knowledge.fees.early_repayment
    return Answer(text=paragraphs(
        quote_text(order, snapshot, knowledge), f"规则：{rule.summary}", repayment_maintenance_line(snapshot),
        flow_text(knowledge.flow("early_repayment"), "操作步骤"),
    ))
