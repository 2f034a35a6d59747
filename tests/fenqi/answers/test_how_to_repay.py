from dataclasses import replace

from fenqi.answers import answer
from fenqi.state import AutoRepay


def test_lists_each_active_orders_next_due(account):
    text = answer("how_to_repay", account).text
    assert "第5期 ¥357.24" in text and "2024年6月15日" in text
    assert "第2期 ¥99.67" in text
    assert "自动还款：已开启，扣款方式：招商银行储蓄卡(尾号 1234)" in text


def test_steps_are_numbered(account, kb):
    text = answer("how_to_repay", account).text
    for i, step in enumerate(kb.flow("repay").steps, 1):
        assert f"{i}. {step}" in text


def test_auto_repay_off_is_reported(account):
    text = answer("how_to_repay", replace(account, auto_repay=AutoRepay())).text
    assert "自动还款：未开启" in text


def test_anonymous_has_steps_only(kb):
    text = answer("how_to_repay", None).text
    assert "1. " + kb.flow("repay").steps[0] in text and "第5期" not in text
