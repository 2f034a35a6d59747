"""The faq.yml entries behind the 备用金 repayment-topic answers."""
import pytest

from fenqi.answers.reserve_fund import FLOWS, TEXTS
from fenqi.knowledge import load_knowledge


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_every_entry_the_answers_read_is_present_with_steps(kb):
    assert all(kb.flow(key).steps and kb.flow(key).sources for key in FLOWS)
    assert all(kb.text(key) and kb.texts[key].sources for key in TEXTS)


@pytest.mark.parametrize("key", ["reserve_fund_interest", "reserve_fund_early_fee", "reserve_fund_fee_notice"])
def test_fee_rules_are_marked_demo_local_policy(kb, key):
    assert "local-policy" in kb.texts[key].sources
    assert "演示" in kb.text(key)


def test_seed_004_backs_overdue_and_limit_release(kb):
    assert "seed-004" in kb.texts["reserve_fund_overdue"].sources
    assert "信用评估" in kb.text("reserve_fund_overdue") and "限制" in kb.text("reserve_fund_overdue")
    assert "seed-004" in kb.flow("reserve_fund_early_repayment").sources
    assert "可用额度" in kb.flow("reserve_fund_early_repayment").steps[-1]


def test_auto_repay_scope_says_it_is_account_wide(kb):
    text = kb.text("reserve_fund_auto_repay_scope")
    assert "整个账户" in text and "小米分期" in text and "备用金" in text


@pytest.mark.parametrize("key", [k for k in FLOWS if k != "open_reserve_fund"])
def test_fund_flows_start_at_the_fund_entry_not_at_orders(kb, key):
    flow = kb.flow(key)
    assert "「备用金」" in flow.steps[0]
    assert not any("订单" in step for step in flow.steps)
