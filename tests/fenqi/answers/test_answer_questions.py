"""Answering a standard question: the general rule first, the shopper's facts second."""
import dataclasses
import json

import pytest

from fenqi.answers.orders import QUESTION as ORDER_GATE
from fenqi.answers.personalise import RENDERERS, Facts
from fenqi.answers.questions import ACCOUNT_HEADING, answer_question, clarify_answer
from fenqi.knowledge import FACT_RULES, load_questions


@pytest.fixture(scope="module")
def book():
    return load_questions()


def test_every_fact_rule_has_one_renderer():
    assert set(RENDERERS) | {"account"} == set(FACT_RULES)


def test_the_rule_comes_first_and_the_account_after(book, account, kb):
    q = book.get("due.grace_period")
    reply = answer_question(q, account, knowledge=kb, book=book)
    general, facts = reply.text.split(ACCOUNT_HEADING)
    assert general.startswith(q.variant("installment").answer[:10])
    assert "宽限" in general and "¥" not in general
    assert "小米14" in facts and "Redmi Buds 5" in facts  # both active orders, no "which order?"
    assert ORDER_GATE not in reply.text and not reply.needs_order


def test_logged_out_gets_the_same_rule_without_account_facts(book, kb):
    q = book.get("due.grace_period")
    reply = answer_question(q, None, knowledge=kb, book=book)
    assert reply.text.startswith(q.variant("installment").answer[:10])
    assert ACCOUNT_HEADING not in reply.text and "¥" not in reply.text
    assert "登录" in reply.text  # the account would add facts: say how to get them


def test_a_question_without_facts_has_no_login_line(book, kb):
    q = next(q for qid in book.ids if not (q := book.get(qid)).variant("installment").facts
             and "account" not in q.variant("installment").facts)
    assert "登录小米账号后" not in answer_question(q, None, knowledge=kb, book=book).text


def test_a_per_order_answer_gives_the_rule_then_asks_which_order(book, account, kb):
    q = next(book.get(qid) for qid in book.ids if book.get(qid).per_order
             and "account" not in book.get(qid).variant("installment").facts)
    reply = answer_question(q, account, knowledge=kb, book=book)
    assert reply.needs_order and ORDER_GATE in reply.text and not reply.text.startswith(ORDER_GATE)
    entities = [json.loads(b.payload[b.payload.index("{"):]) for b in reply.buttons]
    assert all(e["question"] == q.id for e in entities)
    assert {e["order_id"] for e in entities} == {"A1001", "A1002"}


def test_a_chosen_order_answers_with_that_order(book, account, kb):
    q = book.get("early.settle_all")
    reply = answer_question(q, account, knowledge=kb, book=book, order_id="A1002")
    assert "Redmi Buds 5" in reply.text and "小米14" not in reply.text.split(ACCOUNT_HEADING)[1]


def test_an_order_id_of_someone_else_is_ignored(book, account, kb):
    q = book.get("early.settle_all")
    reply = answer_question(q, account, knowledge=kb, book=book, order_id="B9999")
    assert "B9999" not in reply.text and reply.needs_order


def test_facts_with_nothing_to_say_are_left_out(book, account, kb):
    q = book.get("due.overdue_what_to_do")
    assert "overdue" in q.variant("installment").facts
    reply = answer_question(q, account, knowledge=kb, book=book)
    assert "逾期账单" not in reply.text.split(ACCOUNT_HEADING)[-1]  # nothing overdue for this shopper


def test_overdue_bills_are_named_when_there_are_some(book, account, kb):
    late = dataclasses.replace(account, now=account.now.replace(month=7, day=1))
    reply = answer_question(book.get("due.overdue_what_to_do"), late, knowledge=kb, book=book)
    assert "已逾期" in reply.text


def test_the_reserve_fund_variant_answers_a_reserve_fund_question(book, account, kb):
    q = book.get("repay.credit_card")
    assert "reserve_fund" in q.products
    reply = answer_question(q, account, knowledge=kb, book=book, product="reserve_fund")
    assert reply.text.startswith(q.variant("reserve_fund").answer[:10])


def test_related_buttons_name_their_question(book, kb):
    q = book.get("due.grace_period")
    reply = answer_question(q, None, knowledge=kb, book=book)
    payloads = [b.payload for b in reply.buttons]
    assert payloads and all('"question":' in p for p in payloads)


def test_an_honest_answer_offers_a_person(book, kb):
    q = next(book.get(qid) for qid in book.ids if book.get(qid).offer_human)
    reply = answer_question(q, None, knowledge=kb, book=book)
    assert any(b.payload == "/request_human" for b in reply.buttons)


def test_a_default_question_gives_its_rule_then_the_account_answer(book, account, kb):
    from fenqi.answers import answer

    q = book.get("why.cannot")
    text = answer_question(q, account, knowledge=kb, book=book).text
    assert text == q.variant("installment").answer + "\n\n" + answer("why_cannot_installment", account, knowledge=kb).text


def test_a_default_question_logged_out_answers_from_the_book(book, kb):
    q = book.get("why.cannot")
    text = answer_question(q, None, knowledge=kb, book=book).text
    assert text.startswith(q.variant("installment").answer) and "登录" in text


def test_the_clarifying_question_offers_each_candidate(book):
    choices = [book.get("due.grace_period"), book.get("due.overdue_fee")]
    reply = clarify_answer(choices, "installment")
    assert all(q.title in reply.text for q in choices)
    assert [b.title for b in reply.buttons][:2] == [q.title for q in choices]


def test_renderers_read_only_the_snapshot(account, kb):
    context = Facts(account, kb)
    assert "¥8,888.00" in RENDERERS["credit"](context)
    assert "¥3,000.00" in RENDERERS["reserve_fund"](context)
    assert RENDERERS["overdue"](context) is None
