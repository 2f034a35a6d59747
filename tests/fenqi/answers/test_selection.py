"""Which standard question gets answered: ranking, buttons, follow-ups, products (the real book)."""
import pytest

from fenqi.answers.selection import (
    INSTALLMENT,
    RESERVE_FUND,
    Thresholds,
    choose_question,
    is_follow_up,
    is_product_switch,
)
from fenqi.knowledge import load_questions

T = Thresholds(answer=0.5, margin=0.15, follow_up=0.2, intent=0.8)


@pytest.fixture(scope="module")
def book():
    return load_questions()


def test_a_confident_question_is_answered(book):
    choice = choose_question(book, "repayment_due", [("due.grace_period", 0.9), ("due.overdue_fee", 0.05)],
                             thresholds=T)
    assert choice.question.id == "due.grace_period" and not choice.clarify


def test_close_questions_are_offered_as_buttons(book):
    within = [("due.grace_period", 0.34), ("due.overdue_fee", 0.3), ("due.overdue_credit", 0.25), ("due.date", 0.1)]
    choice = choose_question(book, "repayment_due", within, thresholds=T)
    assert choice.question is None
    assert [q.id for q in choice.clarify] == ["due.grace_period", "due.overdue_fee", "due.overdue_credit"]


def test_an_unsure_flat_ranking_falls_back_to_the_intents_general_question(book):
    within = [("due.grace_period", 0.3), ("due.overdue_fee", 0.1), ("due.overdue_credit", 0.1)]
    choice = choose_question(book, "repayment_due", within, thresholds=T)
    assert choice.question == book.default_for("repayment_due", INSTALLMENT)


def test_no_ranking_answers_the_general_question(book):
    assert choose_question(book, "how_to_repay", [], thresholds=T).question.id == "repay.how"


@pytest.mark.parametrize("asked", ["limit.max", "nonsense.id", "x" * 500, 17, None])
def test_a_button_may_name_only_a_question_of_its_intent(book, asked):
    choice = choose_question(book, "repayment_due", [("due.grace_period", 0.9)], asked=asked, thresholds=T)
    assert choice.question.id == "due.grace_period"


def test_a_button_naming_a_question_of_the_intent_wins(book):
    choice = choose_question(book, "repayment_due", [("due.grace_period", 0.9)], asked="due.overdue_credit",
                             thresholds=T)
    assert choice.question.id == "due.overdue_credit"


@pytest.mark.parametrize("text, follow", [
    ("那信用卡呢？", True), ("那备用金呢", True), ("要是晚两天呢", True), ("换成24期呢", True),
    ("信用卡可以还款吗", False), ("我想问一下逾期以后会不会影响我的征信记录呢", False), ("", False),
])
def test_follow_ups_are_short_and_elliptical(text, follow):
    assert is_follow_up(text) is follow


@pytest.mark.parametrize("text, switch", [("那备用金呢", True), ("分期的呢", True), ("那信用卡呢", False)])
def test_a_bare_product_switch(text, switch):
    assert is_product_switch(text) is switch


def test_a_follow_up_resolves_within_the_last_questions_intent(book):
    context = [("repay.credit_card", 0.7), ("repay.methods", 0.2)]  # how_to_repay's ranking of the text
    choice = choose_question(book, "installment_fees", [("fees.rate_by_period", 0.9)], text="那信用卡呢",
                             previous="repay.methods", context=context, intent_confident=False, thresholds=T)
    assert choice.question.id == "repay.credit_card"


def test_a_confident_other_intent_is_taken_at_its_word(book):
    choice = choose_question(book, "early_repayment", [("early.how", 0.9)], text="那提前还呢",
                             previous="due.date", context=[("due.amount", 0.9)], intent_confident=True, thresholds=T)
    assert choice.question.id == "early.how"


def test_a_product_switch_keeps_the_question(book):
    choice = choose_question(book, "reserve_fund_limit", [("rf.what", 0.9)], text="那备用金呢",
                             previous="due.grace_period", thresholds=T)
    assert choice.question.id == "due.grace_period" and choice.product == RESERVE_FUND


def test_a_reserve_fund_only_question_is_about_the_reserve_fund(book):
    choice = choose_question(book, "reserve_fund_limit", [("rf.term", 0.95)], product=INSTALLMENT, thresholds=T)
    assert choice.question.id == "rf.term" and choice.product == RESERVE_FUND


def test_an_installment_only_question_asked_about_the_reserve_fund_gives_way(book):
    choice = choose_question(book, "early_repayment", [("early.how", 0.9), ("early.reserve_fund", 0.05)],
                             product=RESERVE_FUND, thresholds=T)
    assert RESERVE_FUND in choice.question.products and choice.product == RESERVE_FUND


def test_why_cannot_about_the_reserve_fund_takes_the_reserve_fund_topics_default(book):
    choice = choose_question(book, "why_cannot_installment", [], product=RESERVE_FUND, thresholds=T)
    assert choice.question.intent == "reserve_fund_limit" and choice.product == RESERVE_FUND
