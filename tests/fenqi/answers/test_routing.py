"""备用金 routing: product from words or button entities, topic from the intent; both reach one answer."""
from dataclasses import replace

import pytest

from fenqi.answers import answer, reserve_fund, reserve_fund_limit
from fenqi.answers.dispatch import MODULES, module_for
from fenqi.answers.routing import RESERVE_FUND_TOPICS, keeps_order, product_of, reserve_fund_topic

# topic: (intent, a typed question, the 备用金 answer module)
TOPICS = {
    "repay": ("how_to_repay", "那怎么还备用金", reserve_fund.how_to_repay),
    "due": ("repayment_due", "备用金几号要还", reserve_fund.repayment_due),
    "early": ("early_repayment", "备用金想一次性提前还完行不行", reserve_fund.early_repayment),
    "auto": ("auto_repay", "备用金自动扣款怎么关", reserve_fund.auto_repay),
    "fees": ("installment_fees", "备用金利息怎么算", reserve_fund.fees),
    "limit": ("credit_limit", "备用金额度能提吗", reserve_fund_limit),
    "why unusable": ("why_cannot_installment", "备用金为什么借不出来", reserve_fund_limit),
    "reserve fund itself": ("reserve_fund_limit", "备用金是什么", reserve_fund_limit),
}


@pytest.mark.parametrize("topic", TOPICS)
def test_typed_words_and_button_reach_the_same_reserve_fund_answer(topic, account):
    intent, text, module = TOPICS[topic]
    typed = product_of(text, [])
    button = product_of(f"/{intent}", ["备用金"])  # payload /intent{"product":"备用金"}
    assert typed == button == "reserve_fund"
    assert module_for(intent, typed) is module
    assert answer(intent, account, product=typed) == answer(intent, account, product=button)


@pytest.mark.parametrize("text", [
    "那怎么还备用金", "被用金怎么开", "借的钱什么时候还", "借款失败了", "我想取现",
    "借一万一个月利息多少", "上个月借了三千怎么还", "借5000分12个月", "借的那笔能提前还吗", "提现一直不到账",
    "放款要多久"])
def test_reserve_fund_words_typos_and_borrowing_cash(text):
    assert product_of(text) == "reserve_fund"


@pytest.mark.parametrize("text, entities", [
    ("小米分期怎么还款", []), ("", []), (None, []), ("手机分期", ["手机"]), ("额度多少", [3, None]),
    ("借记卡能付分期吗", []), ("储蓄卡借记卡都能还款吗", [])])
def test_installment_questions_have_no_product(text, entities):
    assert product_of(text, entities) is None


def test_limit_and_why_unusable_and_borrowing_go_to_the_reserve_fund_limit_answer():
    assert {i for i, t in RESERVE_FUND_TOPICS.items() if t == "reserve_fund_limit"} == {
        "credit_limit", "why_cannot_installment", "reserve_fund_limit"}


def test_every_answer_intent_has_a_reserve_fund_topic():
    assert set(RESERVE_FUND_TOPICS) == set(MODULES)
    assert reserve_fund_topic("how_to_repay") == "how_to_repay"
    with pytest.raises(KeyError):
        reserve_fund_topic("greet")


def test_installment_answers_unchanged_without_the_product(account):
    for intent, _, _ in TOPICS.values():
        assert module_for(intent, None) is MODULES[intent]


@pytest.mark.parametrize("text, entities, product", [
    ("备用金怎么还", [], "reserve_fund"),
    ("/how_to_repay{\"product\": \"备用金\"}", [], "reserve_fund"),
    ("那个怎么还", ["备用金"], "reserve_fund"),
    ("小米分期怎么还款", ["小米分期"], None),
    (None, [], None),
])
def test_product_of_text_and_entities(text, entities, product):
    assert product_of(text, entities) == product


def test_chosen_order_is_kept_only_while_it_is_the_users(account):
    own = account.orders[0].order_id
    assert keeps_order(account, own)
    assert not keeps_order(account, "SOMEONE-ELSES")
    assert not keeps_order(None, own)  # anonymous: no order is anyone's
    assert not keeps_order(replace(account, orders=()), own)
    assert keeps_order(account, None) and keeps_order(None, None)  # nothing chosen, nothing to clear


@pytest.mark.parametrize("planted", [5, ["A"], {"x": 1}, "X" * 200, "../../etc"])
def test_a_planted_order_slot_is_cleared(account, planted):
    assert not keeps_order(account, planted)


def test_a_fees_question_about_paying_late_is_an_overdue_question():
    from fenqi.answers.routing import topic_of

    assert topic_of("installment_fees", "小米分期逾期一天有利息吗") == "repayment_due"
    assert topic_of("installment_fees", "罚息怎么算") == "repayment_due"
    assert topic_of("installment_fees", "分12期利息多少") == "installment_fees"
    assert topic_of("how_to_repay", "逾期了怎么还") == "how_to_repay"  # only fee questions move
