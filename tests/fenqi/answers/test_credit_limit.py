from dataclasses import replace

from fenqi.answers import answer


def test_limit_used_available_and_how_to_raise(account, kb):
    text = answer("credit_limit", account).text
    assert "总额度 ¥8,888.00，已用 ¥1,234.56，可用 ¥7,653.44" in text
    assert "当前结算金额 ¥3,999.00，额度足够" in text
    assert "1. " + kb.flow("raise_limit").steps[0] in text


def test_frozen_line_is_flagged(account):
    text = answer("credit_limit", replace(account, credit=replace(account.credit, status="frozen"))).text
    assert "状态：已冻结" in text


def test_not_opened_explains_how_to_open(account, kb):
    text = answer("credit_limit", replace(account, credit=None)).text
    assert "【未开通小米分期】" in text and kb.cause("installment", "not_opened").fixes[0] in text
    assert "¥1,000.00 到 ¥100,000.00" in text


def test_anonymous_gives_range_and_raise_steps(kb):
    text = answer("credit_limit", None).text
    assert "¥1,000.00 到 ¥100,000.00" in text and kb.flow("raise_limit").steps[0] in text
