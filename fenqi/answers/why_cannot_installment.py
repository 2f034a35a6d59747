"""Intent ``why_cannot_installment``: the diagnosis causes, or the general checklist when none."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis import diagnose_installment
from fenqi.knowledge import Knowledge
from fenqi.state import AccountSnapshot

from .facts import cart_line, credit_line
from .model import Answer
from .render import cause_blocks, flow_text, paragraphs


def common_causes(knowledge: Knowledge) -> str:
    catalogue = [c for c in knowledge.causes["installment"].values() if c.code != "not_opened"]
    return "常见原因：\n" + "\n".join(f"【{c.title}】{c.explanation}" for c in catalogue)


def guidance(knowledge: Knowledge) -> str:
    return paragraphs("有额度却分不了期，通常是下面某个原因。", common_causes(knowledge),
                      flow_text(knowledge.flow("installment_remedies"), "可以这样排查"))


def personal(snapshot: AccountSnapshot, knowledge: Knowledge, order_id: Optional[str] = None) -> Answer:
    causes = diagnose_installment(snapshot, knowledge)
    if causes:
        lead = "我查了您的账户，分期暂时用不了的原因如下：" if len(causes) > 1 else "我查了您的账户，原因是："
        return Answer(text=paragraphs(lead, cause_blocks(causes), knowledge.text("customer_service")))
    assert snapshot.credit is not None  # no cause: the line is open
    facts = credit_line(snapshot.credit) + cart_line(snapshot, snapshot.credit.available)
    return Answer(text=paragraphs(
        f"我查了您的账户，没有发现账户方面的问题。{facts}",
        flow_text(knowledge.flow("installment_remedies"), "如果仍然分不了期，可以这样排查"),
    ))
