"""Intent ``how_to_use_installment``: the purchase flow, with the user's limit against the cart."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis import diagnose_installment
from fenqi.diagnosis.installment import is_opened
from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from .facts import cart_line, credit_line
from .model import Answer
from .render import cause_blocks, flow_text, paragraphs


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("installment_intro"), flow_text(knowledge.flow("use_installment")))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    causes = diagnose_installment(snapshot, knowledge)
    if not is_opened(snapshot):
        return Answer(text=paragraphs(cause_blocks(causes), flow_text(knowledge.flow("use_installment"),
                                                                        "开通后这样下单")))
    assert snapshot.credit is not None  # opened
    facts = credit_line(snapshot.credit) + cart_line(snapshot, snapshot.credit.available)
    warning = ""
    if causes:
        titles = "".join(f"【{c.title}】" for c in causes)
        warning = f"注意：目前有情况会影响分期 {titles}，问我“为什么不能分期”可以看具体原因和处理办法。"
    return Answer(text=paragraphs(facts, flow_text(knowledge.flow("use_installment")), warning))
