"""备用金 answers for repayment topics, used by ``answer(…, product="reserve_fund")``.

Same interface as the intent modules one level up: ``guidance(knowledge)`` and
``personal(snapshot, knowledge, order_id=None)`` (``order_id`` is ignored: 备用金 has no orders).
The account store keeps no 备用金 bills, so these answers show the user's 备用金 limit figures and
say where to look for dates and amounts owed; they never invent them.
"""
from types import MappingProxyType

from . import auto_repay, early_repayment, fees, how_to_repay, repayment_due

MODULES = MappingProxyType({
    "how_to_repay": how_to_repay,
    "early_repayment": early_repayment,
    "repayment_due": repayment_due,
    "auto_repay": auto_repay,
    "installment_fees": fees,
})

# Follow-up buttons for 备用金 answers: (title, intent); payloads carry the product (see dispatch).
RELATED = MappingProxyType({
    "how_to_repay": (("备用金提前还款", "early_repayment"), ("备用金自动还款", "auto_repay")),
    "early_repayment": (("备用金还款步骤", "how_to_repay"), ("备用金还款日", "repayment_due")),
    "repayment_due": (("备用金还款步骤", "how_to_repay"), ("备用金自动还款", "auto_repay")),
    "auto_repay": (("备用金还款日", "repayment_due"), ("备用金还款步骤", "how_to_repay")),
    "installment_fees": (("备用金提前还款", "early_repayment"), ("备用金额度", "reserve_fund_limit")),
    "reserve_fund_limit": (("备用金还款步骤", "how_to_repay"), ("备用金利息", "installment_fees")),
})

# The faq.yml entries these answers read (checked by tests/fenqi/knowledge).
FLOWS = ("reserve_fund_repay", "reserve_fund_early_repayment", "reserve_fund_bill", "reserve_fund_auto_repay_on",
         "reserve_fund_auto_repay_off", "open_reserve_fund")
TEXTS = ("reserve_fund_intro", "reserve_fund_bill_location", "reserve_fund_overdue", "reserve_fund_auto_repay_scope",
         "reserve_fund_interest", "reserve_fund_early_fee", "reserve_fund_fee_notice")

__all__ = ["MODULES", "RELATED", "FLOWS", "TEXTS"]
