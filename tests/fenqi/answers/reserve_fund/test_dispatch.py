"""The ``product`` dimension of ``answer``: validation, defaults, routing and follow-up buttons."""
import json

import pytest

from fenqi.answers import INTENTS, PRODUCTS, UnknownIntent, UnknownProduct, answer

from .markers import TOPICS


@pytest.mark.parametrize("product", ["备用金", "reserve", "", "Installment"])
def test_unknown_product_is_a_value_error(product, account):
    with pytest.raises(ValueError, match="unknown product"):
        answer("how_to_repay", account, product=product)
    with pytest.raises(UnknownProduct):
        answer("how_to_repay", None, product=product)


def test_unknown_intent_is_still_reported(account):
    with pytest.raises(UnknownIntent):
        answer("greet", account, product="reserve_fund")


def test_products():
    assert PRODUCTS == ("installment", "reserve_fund")


@pytest.mark.parametrize("intent", INTENTS)
def test_installment_is_the_default(intent, account):
    assert answer(intent, account, product="installment") == answer(intent, account)
    assert answer(intent, None, product="installment") == answer(intent, None)


@pytest.mark.parametrize("intent", TOPICS)
def test_reserve_fund_changes_the_repayment_topics(intent, account):
    assert answer(intent, account, product="reserve_fund").text != answer(intent, account).text


def test_default_repayment_answers_still_talk_about_orders(account):
    assert "订单" in answer("how_to_repay", account).text
    assert "订单" not in answer("how_to_repay", account, product="reserve_fund").text


@pytest.mark.parametrize("intent", ["credit_limit", "why_cannot_installment"])
def test_limit_questions_about_the_fund_get_the_fund_answer(intent, account):
    expected = answer("reserve_fund_limit", account).text
    assert answer(intent, account, product="reserve_fund").text == expected


def test_how_to_use_installment_keeps_its_answer(account):
    assert answer("how_to_use_installment", account, product="reserve_fund") == answer("how_to_use_installment",
                                                                                         account)


@pytest.mark.parametrize("intent", TOPICS + ("reserve_fund_limit",))
@pytest.mark.parametrize("signed_in", [True, False])
def test_follow_up_buttons_stay_on_the_fund(intent, signed_in, account):
    reply = answer(intent, account if signed_in else None, product="reserve_fund")
    assert reply.buttons
    for button in reply.buttons:
        target, entities = button.payload[1:].split("{", 1)
        assert target in INTENTS and target != intent
        assert json.loads("{" + entities) == {"product": "备用金"}
        assert "备用金" in button.title
