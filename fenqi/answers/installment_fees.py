"""Intent ``installment_fees``: periods, fee per period and a worked example for the cart total."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional, Sequence

from fenqi.diagnosis.cart import shortfall_fact
from fenqi.diagnosis.installment import is_opened
from fenqi.knowledge import FeePolicy, Knowledge
from fenqi.money import FeeSchedule, format_cny, format_rate, schedule_for
from fenqi.state import AccountSnapshot

from .model import Answer
from .render import paragraphs


def rate_lines(fees: FeePolicy, periods: Sequence[int]) -> str:
    parts = [f"{p}期免息" if fees.rate_for(p) == 0 else f"{p}期每期 {format_rate(fees.rate_for(p))}"
             for p in periods]
    return f"可选期数和手续费（按订单总额计）：{'；'.join(parts)}。"


def schedule_line(s: FeeSchedule) -> str:
    """``12期：每期本金 ¥333.25 + 手续费 ¥23.99 = ¥357.24，手续费合计 ¥287.88``"""
    first, last = s.principals[0], s.principals[-1]
    fee = format_cny(s.fee_per_period)
    if first == last:
        body = f"每期本金 {format_cny(first)} + 手续费 {fee} = {format_cny(s.payments[0])}"
    else:
        body = (f"前{s.periods - 1}期每期本金 {format_cny(first)} + 手续费 {fee} = {format_cny(s.payments[0])}，"
                f"第{s.periods}期本金 {format_cny(last)} + 手续费 {fee} = {format_cny(s.payments[-1])}")
    return f"{s.periods}期：{body}，手续费合计 {format_cny(s.total_fee)}"


def worked_example(fees: FeePolicy, amount: Decimal, periods: Sequence[int], lead: str) -> str:
    return "\n".join([lead] + [schedule_line(schedule_for(amount, p, fees)) for p in periods])


def notice(fees: FeePolicy) -> str:
    return fees.notice if fees.demo else ""


def guidance(knowledge: Knowledge) -> str:
    fees = knowledge.fees
    example = worked_example(fees, fees.example_amount, fees.periods,
                             f"以 {format_cny(fees.example_amount)} 为例：")
    return paragraphs(rate_lines(fees, fees.periods), example, notice(fees))


def cart_periods(snapshot: AccountSnapshot, fees: FeePolicy) -> tuple:
    """Policy periods that every cart product offers."""
    return tuple(p for p in fees.periods if all(p in i.product.periods for i in snapshot.cart))


def limit_note(snapshot: AccountSnapshot) -> str:
    """A warning when the user cannot put the cart on 小米分期 right now (empty otherwise)."""
    if not is_opened(snapshot):
        return "提醒：您还没有开通小米分期，开通后才能选择分期。"
    assert snapshot.credit is not None  # opened
    if snapshot.credit.available < snapshot.cart_total:
        return "提醒：" + shortfall_fact("可用额度", snapshot.credit.available, snapshot.cart_total)
    return ""


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    fees = knowledge.fees
    total = snapshot.cart_total
    if total <= 0:
        return Answer(text=paragraphs("您的购物车里还没有待结算的商品，下面按示例金额计算。", guidance(knowledge)))
    periods = cart_periods(snapshot, fees)
    if not periods:
        return Answer(text=paragraphs(f"您当前结算金额 {format_cny(total)}，但购物车里的商品没有共同可选的分期期数，"
                                      "可以分开结算后再选分期。", rate_lines(fees, fees.periods), notice(fees)))
    limited = "" if periods == fees.periods else "（受购物车商品限制，只列出可选期数）"
    example = worked_example(fees, total, periods, f"按您当前结算金额 {format_cny(total)} 计算{limited}：")
    return Answer(text=paragraphs(rate_lines(fees, periods), example, limit_note(snapshot), notice(fees)))
