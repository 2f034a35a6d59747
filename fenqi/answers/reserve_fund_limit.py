"""Intent ``reserve_fund_limit``: the 备用金 limit, used and available, and why it may be unusable."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis import diagnose_reserve_fund
from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from .facts import cart_line, reserve_line
from .model import Answer
from .render import cause_blocks, flow_text, paragraphs


def guidance(knowledge: Knowledge) -> str:
    return paragraphs(knowledge.text("reserve_fund_intro"),
                      flow_text(knowledge.flow("reserve_fund_checklist"), "备用金用不了时可以这样自查"))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    causes = diagnose_reserve_fund(snapshot, knowledge)
    fund = snapshot.reserve_fund
    if fund is None:
        return Answer(text=paragraphs(knowledge.text("reserve_fund_intro"), cause_blocks(causes)))
    facts = reserve_line(fund) + cart_line(snapshot, fund.available)
    if not causes:
        return Answer(text=paragraphs(facts, "目前没有发现影响备用金使用的问题，可以正常使用。"))
    lead = "目前备用金暂时用不了，原因如下：" if len(causes) > 1 else "目前备用金暂时用不了，原因是："
    return Answer(text=paragraphs(facts, lead, cause_blocks(causes), knowledge.text("customer_service")))
