"""Dispatch, anonymous answers and message hygiene, across every intent."""
import re
from dataclasses import replace
from decimal import Decimal

import pytest

from fenqi.answers import INTENTS, Answer, UnknownIntent, answer
from fenqi.state import CartItem, Credit, Product, ReserveFund

ACCOUNT_MARKERS = ("8,888", "1,234.56", "7,653.44", "500.50", "2,499.50", "A1001", "A1002", "小米14 Ultra",
                   "招商银行", "张三", "您的小米分期总额度", "订单号")


def test_all_nine_intents_are_served():
    assert set(INTENTS) == {"how_to_use_installment", "why_cannot_installment", "how_to_repay", "early_repayment",
                            "auto_repay", "installment_fees", "credit_limit", "reserve_fund_limit", "repayment_due"}


def test_unknown_intent_is_an_error(account):
    with pytest.raises(UnknownIntent, match="greet"):
        answer("greet", account)


@pytest.mark.parametrize("intent", INTENTS)
def test_anonymous_answer_gives_numbered_steps_and_login_line_without_account_data(intent, kb):
    reply = answer(intent, None, knowledge=kb)
    assert isinstance(reply, Answer) and not reply.needs_order
    assert re.search(r"^1\. ", reply.text, re.M) or "3期" in reply.text
    assert reply.text.rstrip().endswith(kb.login.line("missing"))
    assert not any(marker in reply.text for marker in ACCOUNT_MARKERS)


@pytest.mark.parametrize("reason, opening", [
    ("expired", "登录已过期，请重新登录"),
    ("invalid", "登录信息无效"),
    ("unknown_user", "未找到与您登录身份对应的账户"),
])
@pytest.mark.parametrize("intent", ["how_to_repay", "credit_limit"])
def test_anonymous_reason_tunes_the_login_line(intent, reason, opening):
    text = answer(intent, None, anonymous_reason=reason).text
    assert text.startswith(opening)
    assert "登录小米账号后，我可以查看" not in text


@pytest.mark.parametrize("intent", INTENTS)
def test_personal_answers_are_concise_plain_text(intent, account):
    reply = answer(intent, account, order_id="A1001")
    assert 0 < len(reply.text) < 900
    assert "|" not in reply.text and "**" not in reply.text and "#" not in reply.text


def troubled(account):
    """Everything that can go wrong at once: the longest diagnosis texts."""
    product = Product("x", "秒杀小米14", Decimal("3999"), installment_allowed=False, payment_methods=("微信",),
                      promotion_restriction="秒杀活动商品不支持分期")
    user = replace(account.user, account_status="frozen", identity_verified=False, info_complete=False,
                   credit_rating="E", previous_credit_rating="A", region="海外-新加坡")
    service = replace(account.service, restricted_regions=("海外-新加坡",), suspended_partners=("小米消费金融",))
    return replace(account, user=user, service=service, cart=(CartItem(product),),
                   credit=Credit(Decimal("1000"), Decimal("900"), "frozen", "小米消费金融"),
                   reserve_fund=ReserveFund(Decimal("500"), Decimal("500"), "risk_hold"))


@pytest.mark.parametrize("intent", INTENTS)
def test_even_troubled_accounts_stay_within_a_wechat_message(intent, account):
    text = answer(intent, troubled(account), order_id="A1001").text
    assert len(text.encode("utf-8")) <= 2048, len(text.encode("utf-8"))


def test_personal_answers_get_follow_up_buttons(account):
    reply = answer("credit_limit", account)
    assert reply.buttons and all(b.payload.startswith("/") for b in reply.buttons)
    assert {b.payload for b in reply.buttons} <= {f"/{i}" for i in INTENTS}
