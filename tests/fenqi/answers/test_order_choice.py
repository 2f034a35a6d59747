"""Which order an answer is about: ask, answer for the chosen one, or say the id is unknown."""
import json
from dataclasses import replace

import pytest

from fenqi.answers import answer, order_label
from tests.support.times import BJ

ASKING = ["early_repayment", "repayment_due"]


def test_order_label(phone_order):
    assert order_label(phone_order) == "小米14 ¥3,999.00 · 12期"


@pytest.mark.parametrize("intent", ASKING)
def test_several_active_orders_without_id_asks(intent, account):
    reply = answer(intent, account)
    assert reply.needs_order
    assert "您想查询哪一笔分期订单？" in reply.text
    assert reply.order_choices == (("A1001", "小米14 ¥3,999.00 · 12期"), ("A1002", "Redmi Buds 5 ¥299.00 · 3期"))
    payloads = [b.payload for b in reply.buttons]
    assert payloads[0].startswith(f"/{intent}{{")
    assert json.loads(payloads[0][len(intent) + 1:]) == {"order_id": "A1001"}
    assert "A0999" not in reply.text  # paid-off orders are not offered


@pytest.mark.parametrize("intent", ASKING + ["how_to_repay"])
def test_valid_order_id_answers_for_that_order(intent, account):
    reply = answer(intent, account, order_id="A1002")
    assert not reply.needs_order
    assert "Redmi Buds 5" in reply.text and "小米14" not in reply.text


@pytest.mark.parametrize("intent", ASKING + ["how_to_repay"])
def test_unknown_order_id_says_so_and_lists_choices_again(intent, account):
    reply = answer(intent, account, order_id="Z9999")
    assert reply.text.startswith("没有在您的账户中找到") and "Z9999" not in reply.text
    assert reply.needs_order and [oid for oid, _ in reply.order_choices] == ["A1001", "A1002"]


@pytest.mark.parametrize("intent", ASKING + ["how_to_repay"])
def test_single_active_order_needs_no_question(intent, account, buds_order):
    reply = answer(intent, replace(account, orders=(buds_order,)))
    assert not reply.needs_order and "Redmi Buds 5" in reply.text


@pytest.mark.parametrize("intent", ASKING + ["how_to_repay"])
def test_no_orders_is_said_plainly(intent, account, paid_order):
    for orders in ((), (paid_order,)):
        reply = answer(intent, replace(account, orders=orders))
        assert not reply.needs_order and reply.order_choices == ()
        assert "没有" in reply.text and "订单号" not in reply.text


def test_unknown_order_id_without_active_orders(account):
    reply = answer("early_repayment", replace(account, orders=()), order_id="Z1")
    assert not reply.needs_order
    assert "Z1" not in reply.text and "没有在您的账户中找到" in reply.text and "没有进行中的分期订单" in reply.text


@pytest.mark.parametrize("intent", ASKING)
def test_paid_off_order_by_id(intent, account):
    reply = answer(intent, account, order_id="A0999")
    assert "已全部还清" in reply.text and not reply.needs_order


def test_how_to_repay_summarises_all_active_orders(account):
    reply = answer("how_to_repay", account)
    assert not reply.needs_order
    assert "您有 2 笔分期订单待还" in reply.text
    assert "A1001" in reply.text and "A1002" in reply.text and "A0999" not in reply.text


def test_unknown_order_id_that_is_a_card_number_is_not_echoed():
    from datetime import date, datetime
    from decimal import Decimal

    from fenqi.answers import answer
    from fenqi.state import AccountSnapshot, Bill, Order, User

    bill = Bill(1, date(2030, 1, 1), Decimal("100"), Decimal("0"))
    orders = tuple(Order(f"O{i}", "手机", Decimal("300"), 3, Decimal("0"), date(2029, 12, 1), (bill,)) for i in (1, 2))
    snap = AccountSnapshot(user=User("u", "张三", "北京", "A", "active"), now=datetime(2029, 12, 15, tzinfo=BJ), orders=orders)
    text = answer("early_repayment", snap, order_id="6222021234567890123").text
    assert "6222021234567890123" not in text and "没有在您的账户中找到" in text
