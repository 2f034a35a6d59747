"""Intent ``how_to_repay``: repay steps plus each active order's next due amount and date.

With several active orders and no ``order_id`` this answer summarises all of them (the steps are
the same for every order) instead of asking; a given ``order_id`` narrows it to that order.
"""
from __future__ import annotations

from typing import Optional

from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from .facts import auto_repay_line, next_due_line, repayment_maintenance_line
from .model import Answer
from .orders import select_order
from .render import flow_text, paragraphs

INTENT = "how_to_repay"


def guidance(knowledge: Knowledge) -> str:
    return flow_text(knowledge.flow("repay"), "分期还款步骤")


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    picked = select_order(snapshot, INTENT, order_id, ask_when_several=False)
    if picked.answer is not None:
        return picked.answer
    if picked.order is not None:
        facts = next_due_line(picked.order, snapshot) + "。"
    elif snapshot.active_orders:
        lines = "\n".join(f"· {next_due_line(o, snapshot)}" for o in snapshot.active_orders)
        facts = f"您有 {len(snapshot.active_orders)} 笔分期订单待还：\n{lines}"
    else:
        facts = "您目前没有待还的分期订单，不需要还款。"
    if snapshot.active_orders:
        facts += "\n" + auto_repay_line(snapshot.auto_repay)
    return Answer(text=paragraphs(facts, repayment_maintenance_line(snapshot), guidance(knowledge)))
