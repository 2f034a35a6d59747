from dataclasses import replace
from datetime import date

from fenqi.answers import answer
from fenqi.state import AutoRepay


def test_next_bill_for_chosen_order(account):
    text = answer("repayment_due", account, order_id="A1001").text
    assert "下一期：第5期 ¥357.24（本金 ¥333.25 + 手续费 ¥23.99），还款日 2024年6月15日，还有 5 天" in text
    assert "还剩 8 期未还，共 ¥2,857.92" in text
    assert "逾期：" not in text


def test_overdue_bill_shows_days_and_consequences(account, phone_order, kb):
    late = replace(phone_order, bills=tuple(replace(b, due_date=date(2024, 5, 31)) if b.period_no == 5 else b
                                            for b in phone_order.bills))
    snapshot = replace(account, orders=(late,), auto_repay=AutoRepay())
    text = answer("repayment_due", snapshot).text
    assert "逾期：第5期 ¥357.24" in text and "已逾期 10 天" in text
    assert "下一期：第6期" in text
    assert kb.overdue.consequences[0] in text and "0.05%" in text
    assert kb.overdue.advice[0] in text and kb.overdue.auto_repay_advice[0] in text


def test_overdue_warning_while_asking(account, phone_order, buds_order):
    late = replace(buds_order, bills=tuple(replace(b, due_date=date(2024, 6, 1)) if b.period_no == 2 else b
                                           for b in buds_order.bills))
    reply = answer("repayment_due", replace(account, orders=(phone_order, late)))
    assert reply.needs_order and "「Redmi Buds 5」有逾期账单" in reply.text


def test_anonymous_explains_overdue(kb):
    text = answer("repayment_due", None).text
    assert kb.overdue.consequences[1] in text and "还款日" in text
