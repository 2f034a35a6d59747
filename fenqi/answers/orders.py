"""Choosing which installment order an answer is about."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, Order

from .model import Answer, Button
from .render import numbered, paragraphs, payload

QUESTION = "您想查询哪一笔分期订单？"

UNKNOWN_ORDER = "没有在您的账户中找到您说的这个分期订单。"


def order_label(order: Order) -> str:
    """``小米14 ¥3,999.00 · 12期``"""
    return f"{order.product_name} {format_cny(order.total)} · {order.periods}期"


def order_choices(orders: Sequence[Order]) -> Tuple[Tuple[str, str], ...]:
    return tuple((o.order_id, order_label(o)) for o in orders)


def ask_for_order(intent: str, orders: Sequence[Order], lead: str = "", **entities: str) -> Answer:
    """``needs_order`` answer: a short question, one numbered line and one button per order (whose
    payload also carries ``entities``, e.g. the standard question being answered)."""
    lines = numbered(f"{order_label(o)}（订单号 {o.order_id}）" for o in orders)
    return Answer(
        text=paragraphs(lead, f"{QUESTION}\n{lines}"),
        buttons=tuple(Button(order_label(o), payload(intent, order_id=o.order_id, **entities)) for o in orders),
        needs_order=True,
        order_choices=order_choices(orders),
    )


@dataclass(frozen=True)
class Selection:
    """Exactly one of: the chosen order, an answer to send instead, or nothing (no active orders)."""

    order: Optional[Order] = None
    answer: Optional[Answer] = None


def select_order(snapshot: AccountSnapshot, intent: str, order_id: Optional[str], *,
                 ask_when_several: bool = True) -> Selection:
    """The order the user means: by ``order_id``, the only active one, or ask among the active ones."""
    active = snapshot.active_orders
    if order_id:
        match = next((o for o in snapshot.orders if o.order_id == order_id), None)
        if match is not None:
            return Selection(order=match)
        lead = UNKNOWN_ORDER  # never echo the id: it may be another user's or a card number

        if not active:
            return Selection(answer=Answer(text=lead + "您目前也没有进行中的分期订单。"))
        return Selection(answer=ask_for_order(intent, active, lead))
    if len(active) == 1:
        return Selection(order=active[0])
    if len(active) > 1 and ask_when_several:
        return Selection(answer=ask_for_order(intent, active))
    return Selection()


def order_heading(order: Order) -> str:
    return f"订单「{order.product_name}」（订单号 {order.order_id}，{format_cny(order.total)}，{order.periods}期）"
