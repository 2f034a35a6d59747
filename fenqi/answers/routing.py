"""Which product a question is about, and which order a follow-up still refers to (Rasa-free).

The action adapter (``actions/answering.py``) hands in the latest message's text and entities and
the ``order_id`` slot; these rules decide.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from fenqi.state import AccountSnapshot

RESERVE_FUND_WORD = "备用金"


def product_asked(text: Optional[str], entities: Iterable[Mapping[str, Any]] = ()) -> Optional[str]:
    """``"reserve_fund"`` when the message names 备用金 (typed, as an entity, or in a button
    payload), else None (the default product, 小米分期)."""
    values = {str(e.get("value")) for e in entities}
    named = RESERVE_FUND_WORD in values or RESERVE_FUND_WORD in (text or "")
    return "reserve_fund" if named else None


def keeps_order(snapshot: Optional[AccountSnapshot], order_id: Optional[str]) -> bool:
    """Whether the chosen ``order_id`` stays for follow-ups ("那提前还呢？"): only while it names
    one of this verified user's orders (no order chosen: nothing to clear)."""
    if order_id is None:
        return True
    return snapshot is not None and order_id in {o.order_id for o in snapshot.orders}
