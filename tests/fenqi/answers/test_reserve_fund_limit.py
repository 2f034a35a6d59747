from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer


def test_healthy_fund(account):
    text = answer("reserve_fund_limit", replace(account, cart=())).text
    assert "备用金总额度 ¥3,000.00，已用 ¥500.50，可用 ¥2,499.50" in text
    assert "可以正常使用" in text and "【" not in text


def test_causes_are_rendered_with_titles_facts_and_fixes(account, kb):
    fund = replace(account.reserve_fund, used=Decimal("3000"), status="risk_hold")
    text = answer("reserve_fund_limit", replace(account, reserve_fund=fund)).text
    security, exhausted = text.index("【账户安全限制】"), text.index("【备用金额度已用完】")
    assert security < exhausted
    assert "可用 ¥0.00" in text and "总额度 ¥3,000.00，已用 ¥3,000.00" in text
    assert "1. " + kb.cause("reserve_fund", "account_security").fixes[0] in text


def test_cart_above_available_is_a_cause(account):
    text = answer("reserve_fund_limit", account).text
    assert "【备用金额度已用完】" in text and "您的备用金可用额度 ¥2,499.50 低于结算金额 ¥3,999.00" in text


def test_not_opened(account, kb):
    text = answer("reserve_fund_limit", replace(account, reserve_fund=None)).text
    assert "【未开通备用金】" in text and kb.text("reserve_fund_intro") in text


def test_anonymous_gives_intro_and_checklist(kb):
    text = answer("reserve_fund_limit", None).text
    assert kb.text("reserve_fund_intro") in text and kb.flow("reserve_fund_checklist").steps[0] in text
