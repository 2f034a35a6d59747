from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer


def fees(snapshot):
    return answer("installment_fees", snapshot, product="reserve_fund").text


def test_interest_and_early_rule_for_the_users_fund(account, kb):
    text = fees(account)
    assert "已用 ¥500.50" in text and "按这部分已用金额" in text
    assert kb.text("reserve_fund_interest") in text and kb.text("reserve_fund_early_fee") in text
    assert kb.text("reserve_fund_fee_notice") in text
    assert kb.fees.notice not in text  # the installment tariff is not shown


def test_nothing_used_costs_nothing(account):
    text = fees(replace(account, reserve_fund=replace(account.reserve_fund, used=Decimal("0"))))
    assert "不产生利息" in text


def test_not_opened_still_explains_the_rule(account, kb):
    text = fees(replace(account, reserve_fund=None))
    assert "【未开通备用金】" in text and kb.text("reserve_fund_interest") in text
