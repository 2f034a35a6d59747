"""Every 备用金 topic × (备用金 opened / not opened / anonymous)."""
import re
from dataclasses import replace
from decimal import Decimal

import pytest

from fenqi.answers import answer
from fenqi.state import ReserveFund

from .markers import DATE, FUND_FIGURES, SETTING, TOPICS, installment_text


@pytest.mark.parametrize("intent", TOPICS)
def test_with_fund_shows_own_figures_and_steps_without_installment_text(intent, account):
    text = answer(intent, account, product="reserve_fund", order_id="A1001").text
    assert all(figure in text for figure in FUND_FIGURES), text
    assert re.search(r"^1\. ", text, re.M)
    assert installment_text(text) == []
    assert not DATE.search(text)  # no 备用金 bills in the store: no dates, and none borrowed from orders
    assert 0 < len(text) < 900


@pytest.mark.parametrize("intent", TOPICS)
def test_without_fund_says_not_opened_and_how_to_open(intent, account, kb):
    text = answer(intent, replace(account, reserve_fund=None), product="reserve_fund").text
    assert "【未开通备用金】" in text
    assert "1. " + kb.flow("open_reserve_fund").steps[0] in text
    assert not any(figure in text for figure in FUND_FIGURES)
    assert installment_text(text) == []
    assert not SETTING.search(text)  # the user's setting is irrelevant without 备用金


@pytest.mark.parametrize("intent", TOPICS)
def test_anonymous_gives_reserve_fund_guidance_and_login_line_only(intent, kb):
    text = answer(intent, None, product="reserve_fund").text
    assert "备用金" in text and re.search(r"^1\. ", text, re.M)
    login = kb.login.line("missing")
    assert text.endswith(login)
    assert installment_text(text[:-len(login)]) == []  # the shared login line mentions 订单 in general
    assert not any(figure in text for figure in FUND_FIGURES)
    assert "张三" not in text and "招商银行" not in text and not SETTING.search(text)


@pytest.mark.parametrize("intent", TOPICS)
def test_anonymous_reason_goes_first(intent, kb):
    text = answer(intent, None, product="reserve_fund", anonymous_reason="expired").text
    assert text.startswith(kb.login.line("expired"))
    assert "备用金" in text and installment_text(text) == []


@pytest.mark.parametrize("intent", TOPICS)
def test_restricted_and_used_up_fund_fits_one_wechat_message(intent, account):
    fund = ReserveFund(Decimal("3000"), Decimal("3000"), "risk_hold")
    text = answer(intent, replace(account, reserve_fund=fund), product="reserve_fund").text
    assert "安全限制中" in text and "可用 ¥0.00" in text
    assert len(text.encode("utf-8")) <= 2048
