"""Personalisation rules: the shopper's facts a standard question's answer adds (``facts:`` in
questions.yml), one renderer per name of :data:`fenqi.knowledge.FACT_RULES`.

Each renderer takes a :class:`Facts` context and returns a short text, or None when it has nothing to
say for this shopper (no overdue line without overdue bills). Every figure comes from the snapshot;
nothing is invented.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping, Optional

from fenqi.diagnosis import diagnose_installment, diagnose_reserve_fund
from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import ZERO, AccountSnapshot, Order

from . import early_repayment, installment_fees
from .facts import (
    auto_repay_line,
    bill_line,
    cart_line,
    credit_line,
    repayment_maintenance_line,
    reserve_line,
)
from .render import cause_blocks


@dataclass(frozen=True)
class Facts:
    """What a renderer may read: the verified snapshot, the knowledge, the order in question (the
    chosen one, or the only active one; None with several) and the product asked about."""

    snapshot: AccountSnapshot
    knowledge: Knowledge
    order: Optional[Order] = None
    product: str = "installment"

    def orders(self):
        """The order in question, or every active order."""
        return (self.order,) if self.order is not None else self.snapshot.active_orders


def credit(f: Facts) -> Optional[str]:
    return credit_line(f.snapshot.credit) if f.snapshot.credit else "您还没有开通小米分期。"


def cart(f: Facts) -> Optional[str]:
    fund = f.snapshot.reserve_fund if f.product == "reserve_fund" else f.snapshot.credit
    return (cart_line(f.snapshot, fund.available) or None) if fund is not None else None


def reserve_fund(f: Facts) -> Optional[str]:
    return reserve_line(f.snapshot.reserve_fund) if f.snapshot.reserve_fund else "您还没有开通备用金。"


def upcoming_line(order: Order, snapshot: AccountSnapshot) -> str:
    """The order's next bill not yet overdue (overdue ones are the ``overdue`` rule's)."""
    today = snapshot.today
    upcoming = [b for b in sorted(order.unpaid_bills, key=lambda b: b.due_date) if not b.overdue_days(today)]
    head = f"「{order.product_name}」（订单号 {order.order_id}）"
    return f"{head}下一期：{bill_line(upcoming[0], snapshot)}" if upcoming else f"{head}没有未到期的账单"


def next_bill(f: Facts) -> Optional[str]:
    orders = [o for o in f.orders() if o.active]
    if not orders:
        return "您目前没有待还的分期账单。"
    if len(orders) == 1:
        return upcoming_line(orders[0], f.snapshot) + "。"
    return "\n".join([f"您有 {len(orders)} 笔分期待还："] + [f"· {upcoming_line(o, f.snapshot)}" for o in orders])


def remaining(f: Facts) -> Optional[str]:
    orders = [o for o in f.orders() if o.active]
    if not orders:
        return "您目前没有待还的分期订单。"
    lines = [f"「{o.product_name}」还剩 {len(o.unpaid_bills)} 期未还，共 "
             f"{format_cny(sum((b.amount for b in o.unpaid_bills), ZERO))}" for o in orders]
    total = sum((b.amount for o in orders for b in o.unpaid_bills), ZERO)
    tail = f"；合计 {format_cny(total)}。" if len(orders) > 1 else "。"
    return "；".join(lines) + tail


def overdue(f: Facts) -> Optional[str]:
    today = f.snapshot.today
    lines = [f"「{o.product_name}」{bill_line(b, f.snapshot)}" for o in f.orders() for b in o.overdue_bills(today)]
    return "\n".join(["您有逾期账单，请尽快还款："] + lines) if lines else None


def auto_repay(f: Facts) -> Optional[str]:
    return auto_repay_line(f.snapshot.auto_repay)


def repayment_maintenance(f: Facts) -> Optional[str]:
    return repayment_maintenance_line(f.snapshot)


def fee_quote(f: Facts) -> Optional[str]:
    fees = f.knowledge.fees
    total = f.snapshot.cart_total
    periods = installment_fees.cart_periods(f.snapshot, fees) if total > 0 else ()
    if not periods:
        return None
    return installment_fees.worked_example(fees, total, periods, f"按您当前结算金额 {format_cny(total)} 计算：")


def payoff(f: Facts) -> Optional[str]:
    orders = [o for o in f.orders() if o.active]
    if not orders:
        return "您目前没有进行中的分期订单，不需要提前还款。"
    return "\n\n".join(early_repayment.quote_text(o, f.snapshot, f.knowledge) for o in orders)


def installment_diagnosis(f: Facts) -> Optional[str]:
    causes = diagnose_installment(f.snapshot, f.knowledge)
    if not causes:
        return "我查了您的账户，目前没有发现影响小米分期使用的问题。"
    return "我查了您的账户，分期暂时用不了的原因：\n\n" + cause_blocks(causes)


def reserve_fund_diagnosis(f: Facts) -> Optional[str]:
    causes = diagnose_reserve_fund(f.snapshot, f.knowledge)
    if not causes:
        return "我查了您的账户，目前没有发现影响备用金使用的问题。"
    return "我查了您的账户，备用金暂时用不了的原因：\n\n" + cause_blocks(causes)


Renderer = Callable[[Facts], Optional[str]]

# ``account`` (a default question's whole account answer) is rendered by the intent's module, not here.
RENDERERS: Mapping[str, Renderer] = MappingProxyType({
    "credit": credit, "cart": cart, "reserve_fund": reserve_fund, "next_bill": next_bill, "remaining": remaining,
    "overdue": overdue, "auto_repay": auto_repay, "repayment_maintenance": repayment_maintenance,
    "fee_quote": fee_quote, "payoff": payoff, "installment_diagnosis": installment_diagnosis,
    "reserve_fund_diagnosis": reserve_fund_diagnosis,
})
ACCOUNT = "account"
