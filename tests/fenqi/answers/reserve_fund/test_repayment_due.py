from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer
from fenqi.state import AutoRepay

from .markers import DATE


def due(snapshot, **kwargs):
    return answer("repayment_due", snapshot, product="reserve_fund", **kwargs).text


def test_says_where_to_see_the_bill_without_inventing_dates(account, kb):
    text = due(account)
    assert "已用 ¥500.50" in text
    assert kb.text("reserve_fund_bill_location") in text
    assert "1. " + kb.flow("reserve_fund_bill").steps[0] in text
    assert not DATE.search(text)
    assert "2024年6月15日" in answer("repayment_due", account, order_id="A1001").text  # installment still dated


def test_explains_what_overdue_means_for_the_fund(account, kb):
    text = due(account)
    assert kb.text("reserve_fund_overdue") in text
    assert "seed-004" in kb.texts["reserve_fund_overdue"].sources
    assert "滞纳金按逾期金额每天" not in text  # the installment late-fee rate is not claimed for 备用金


def test_shows_the_account_wide_auto_repay_setting(account, kb):
    assert "自动还款：已开启，扣款方式：招商银行储蓄卡(尾号 1234)" in due(account)
    text = due(replace(account, auto_repay=AutoRepay()))
    assert "自动还款：未开启" in text and kb.text("reserve_fund_auto_repay_scope") in text


def test_nothing_used_has_nothing_due(account, kb):
    text = due(replace(account, reserve_fund=replace(account.reserve_fund, used=Decimal("0"))))
    assert "没有待还的备用金" in text and kb.text("reserve_fund_overdue") in text
    assert kb.text("reserve_fund_bill_location") not in text


def test_anonymous_gives_where_to_look_and_overdue_meaning(kb):
    text = due(None)
    assert kb.flow("reserve_fund_bill").steps[1] in text and kb.text("reserve_fund_overdue") in text
