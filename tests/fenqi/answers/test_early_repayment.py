from dataclasses import replace
from datetime import date
from decimal import Decimal

from fenqi.answers import answer
from fenqi.answers.early_repayment import payoff_quote
from fenqi.knowledge import EarlyRepaymentRule
from tests.support.times import BJ


def test_quote_charges_current_fee_and_waives_later_ones(phone_order, kb):
    quote = payoff_quote(phone_order, date(2024, 6, 10), kb.fees.early_repayment)
    assert quote.remaining_principal == Decimal("333.25") * 8
    assert quote.fees_due == Decimal("23.99")
    assert quote.fees_waived == Decimal("23.99") * 7 and quote.periods_waived == 7
    assert quote.total == Decimal("2666.00") + Decimal("23.99")


def test_overdue_period_fees_are_charged_too(phone_order, kb):
    quote = payoff_quote(phone_order, date(2024, 6, 20), kb.fees.early_repayment)  # period 5 now overdue
    assert quote.fees_due == Decimal("23.99") * 2 and quote.periods_waived == 6


def test_rule_without_waiver_charges_every_fee(phone_order):
    rule = EarlyRepaymentRule(summary="x", sources=("local-policy",), waive_later_fees=False)
    quote = payoff_quote(phone_order, date(2024, 6, 10), rule)
    assert quote.fees_due == Decimal("23.99") * 8 and quote.fees_waived == 0


def test_personal_answer_for_chosen_order(account, kb):
    text = answer("early_repayment", account, order_id="A1001").text
    assert "剩余本金 ¥2,666.00" in text
    assert "需付手续费 ¥23.99" in text and "提前结清共需 ¥2,689.99" in text
    assert "可免除后续 7 期手续费共 ¥167.93" in text
    assert kb.fees.early_repayment.summary in text
    assert "1. " + kb.flow("early_repayment").steps[0] in text


def test_interest_free_order_has_nothing_to_waive(account):
    text = answer("early_repayment", account, order_id="A1002").text
    assert "剩余本金 ¥199.33" in text and "提前结清共需 ¥199.33" in text


def test_repayment_maintenance_is_mentioned(account):
    from datetime import datetime

    from fenqi.state import MaintenanceWindow
    window = MaintenanceWindow("repayment", datetime(2024, 6, 10, 9, tzinfo=BJ), datetime(2024, 6, 10, 12, tzinfo=BJ))
    text = answer("early_repayment", replace(account, service=replace(account.service, maintenance=(window,))),
                  order_id="A1001").text
    assert "还款系统正在维护" in text and "2024年6月10日 12:00" in text


def test_anonymous_gives_the_rule_and_steps(kb):
    text = answer("early_repayment", None).text
    assert kb.fees.early_repayment.summary in text and "剩余本金 ¥" not in text
