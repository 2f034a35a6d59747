"""An account with distinctive numbers, so tests can tell the user's own figures appear."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from fenqi.knowledge import load_knowledge
from fenqi.state import (
    AccountSnapshot,
    AutoRepay,
    Bill,
    CartItem,
    Credit,
    Order,
    Product,
    ReserveFund,
    ServiceStatus,
    User,
)
from tests.support.times import BJ

D = Decimal


def monthly_bills(first_due: date, principals, fee, paid: int):
    return tuple(Bill(i + 1, date(first_due.year + (first_due.month + i - 1) // 12, (first_due.month + i - 1) % 12 + 1,
                                  first_due.day), D(p), D(fee), paid=i < paid)
                 for i, p in enumerate(principals))


@pytest.fixture(scope="session")
def kb():
    return load_knowledge()


@pytest.fixture
def phone_order() -> Order:
    # 12 periods of ¥333.25 + ¥23.99; 4 paid, next (period 5) due 2024-06-15.
    return Order("A1001", "小米14", D("3999"), 12, D("0.006"), date(2024, 1, 20),
                 monthly_bills(date(2024, 2, 15), ["333.25"] * 12, "23.99", paid=4))


@pytest.fixture
def buds_order() -> Order:
    # 3 interest-free periods; 1 paid, next (period 2) due 2024-06-15.
    return Order("A1002", "Redmi Buds 5", D("299"), 3, D("0"), date(2024, 4, 20),
                 monthly_bills(date(2024, 5, 15), ["99.67", "99.67", "99.66"], "0", paid=1))


@pytest.fixture
def paid_order() -> Order:
    return Order("A0999", "小米手环8", D("300"), 3, D("0"), date(2023, 9, 1),
                 monthly_bills(date(2023, 10, 1), ["100"] * 3, "0", paid=3))


@pytest.fixture
def account(phone_order, buds_order, paid_order) -> AccountSnapshot:
    return AccountSnapshot(
        user=User("u1", "张三", "北京", "B", "active"),
        now=datetime(2024, 6, 10, 10, 0, tzinfo=BJ),
        credit=Credit(D("8888"), D("1234.56"), "active", "小米消费金融"),
        reserve_fund=ReserveFund(D("3000"), D("500.50"), "active"),
        cart=(CartItem(Product("xm14u", "小米14 Ultra", D("3999"))),),
        orders=(phone_order, buds_order, paid_order),
        auto_repay=AutoRepay(True, "招商银行储蓄卡(尾号 1234)"),
        service=ServiceStatus(),
    )
