from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer
from fenqi.state import MaintenanceWindow, ServiceStatus


def early(snapshot):
    return answer("early_repayment", snapshot, product="reserve_fund").text


def test_repaying_early_frees_the_users_limit(account, kb):
    text = early(account)
    assert "还清已用的 ¥500.50 后，可用额度从 ¥2,499.50 恢复到 ¥3,000.00" in text
    assert "1. " + kb.flow("reserve_fund_early_repayment").steps[0] in text


def test_demo_fee_rule_is_shown_and_marked(account, kb):
    text = early(account)
    assert kb.text("reserve_fund_early_fee") in text and kb.text("reserve_fund_fee_notice") in text
    assert "演示" in text
    assert kb.fees.early_repayment.summary not in text  # the installment payoff rule does not apply


def test_nothing_used_needs_no_early_repayment(account, kb):
    fund = replace(account.reserve_fund, used=Decimal("0"))
    text = early(replace(account, reserve_fund=fund))
    assert "可用 ¥3,000.00" in text and "不需要提前还款" in text
    assert "恢复到" not in text and kb.flow("reserve_fund_early_repayment").steps[0] not in text


def test_restricted_fund_does_not_promise_the_limit_back(account):
    fund = replace(account.reserve_fund, status="closed")
    text = early(replace(account, reserve_fund=fund))
    assert "已关闭" in text and "暂时不能再用" in text and "恢复到" not in text


def test_repayment_maintenance_is_mentioned(account):
    window = MaintenanceWindow("repayment", account.now.replace(hour=0), account.now.replace(hour=23))
    text = early(replace(account, service=ServiceStatus(maintenance=(window,))))
    assert "还款系统正在维护" in text
