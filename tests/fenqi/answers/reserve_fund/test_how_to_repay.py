from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer

from .markers import SETTING


def repay(snapshot):
    return answer("how_to_repay", snapshot, product="reserve_fund").text


def test_figures_steps_and_auto_repay(account, kb):
    text = repay(account)
    assert "目前已用的 ¥500.50 需要按借款约定还款" in text
    assert all(step in text for step in kb.flow("reserve_fund_repay").steps)
    assert "自动还款：已开启" in text
    assert kb.flow("repay").steps[1] not in text  # the 「我的订单」 installment steps


def test_nothing_used(account):
    text = repay(replace(account, reserve_fund=replace(account.reserve_fund, used=Decimal("0"))))
    assert "您目前没有待还的备用金" in text and not SETTING.search(text)


def test_not_opened_has_nothing_to_repay(account):
    text = repay(replace(account, reserve_fund=None))
    assert "【未开通备用金】" in text and "没有需要还的备用金" in text
