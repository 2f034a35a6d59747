from dataclasses import replace

from fenqi.answers import answer
from fenqi.state import AutoRepay


def test_enabled_shows_method_next_debit_and_how_to_turn_off(account, kb):
    text = answer("auto_repay", account).text
    assert "已开启，扣款方式：招商银行储蓄卡(尾号 1234)" in text
    assert "下一次还款日 2024年6月15日，将自动扣款 ¥456.91" in text  # 357.24 + 99.67 on the same day
    assert kb.flow("auto_repay_off").steps[1] in text and kb.flow("auto_repay_on").steps[1] not in text


def test_disabled_shows_how_to_turn_on(account, kb):
    text = answer("auto_repay", replace(account, auto_repay=AutoRepay())).text
    assert "自动还款：未开启" in text and "需要还款 ¥456.91" in text
    assert "1. " + kb.flow("auto_repay_on").steps[0] in text


def test_no_bills(account):
    text = answer("auto_repay", replace(account, orders=())).text
    assert "没有待还的分期账单" in text


def test_anonymous_shows_both_ways(kb):
    text = answer("auto_repay", None).text
    assert kb.flow("auto_repay_on").title in text and kb.flow("auto_repay_off").title in text
