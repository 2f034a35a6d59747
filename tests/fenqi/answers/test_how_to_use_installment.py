from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer


def test_limit_against_cart_then_steps(account, kb):
    text = answer("how_to_use_installment", account).text
    assert text.index("可用 ¥7,653.44") < text.index("1. ")
    assert "当前结算金额 ¥3,999.00，额度足够" in text
    assert "5. " + kb.flow("use_installment").steps[4] in text


def test_shortfall_and_blocking_causes_are_flagged(account):
    text = answer("how_to_use_installment", replace(account, credit=replace(account.credit, used=Decimal("8000")))).text
    assert "还差 ¥3,111.00" in text and "【额度不足】" in text


def test_not_opened_starts_with_how_to_open(account):
    text = answer("how_to_use_installment", replace(account, credit=None)).text
    assert text.startswith("【未开通小米分期】")


def test_anonymous_has_the_flow(kb):
    text = answer("how_to_use_installment", None).text
    assert kb.flow("use_installment").steps[0] in text and "可用 ¥" not in text
