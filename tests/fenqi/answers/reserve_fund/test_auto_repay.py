from dataclasses import replace

from fenqi.answers import answer
from fenqi.state import AutoRepay


def auto(snapshot):
    return answer("auto_repay", snapshot, product="reserve_fund").text


def test_enabled_shows_method_scope_and_how_to_change(account, kb):
    text = auto(account)
    assert "自动还款：已开启，扣款方式：招商银行储蓄卡(尾号 1234)" in text
    assert kb.text("reserve_fund_auto_repay_scope") in text and "整个账户" in text
    assert kb.flow("reserve_fund_auto_repay_off").steps[1] in text
    assert kb.flow("reserve_fund_auto_repay_on").steps[1] not in text
    assert "下一次还款日" not in text  # installment debits are not 备用金 debits


def test_disabled_shows_how_to_turn_on(account, kb):
    text = auto(replace(account, auto_repay=AutoRepay()))
    assert "自动还款：未开启" in text
    assert "1. " + kb.flow("reserve_fund_auto_repay_on").steps[0] in text
    assert kb.flow("reserve_fund_auto_repay_off").steps[1] not in text


def test_anonymous_shows_both_ways(kb):
    text = auto(None)
    assert kb.flow("reserve_fund_auto_repay_on").title in text
    assert kb.flow("reserve_fund_auto_repay_off").title in text
