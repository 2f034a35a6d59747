"""A healthy account (no cause applies) that each test changes in one place."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from fenqi.knowledge import load_knowledge
from fenqi.state import AccountSnapshot, Bill, CartItem, Credit, Order, Product, ReserveFund, ServiceStatus, User
from tests.support.times import BJ

NOW = datetime(2024, 6, 10, 10, 0, tzinfo=BJ)
PHONE = Product(sku="xm14", name="小米14", price=Decimal("3999"))


@pytest.fixture(scope="session")
def kb():
    return load_knowledge()


@pytest.fixture
def healthy() -> AccountSnapshot:
    return AccountSnapshot(
        user=User(user_id="u1", name="张三", region="北京", credit_rating="B", account_status="active"),
        now=NOW,
        credit=Credit(limit=Decimal("10000"), used=Decimal("1000"), status="active", partner="小米消费金融"),
        reserve_fund=ReserveFund(limit=Decimal("5000"), used=Decimal("0"), status="active"),
        cart=(CartItem(PHONE),),
        orders=(Order(order_id="A1", product_name="小米手环8", total=Decimal("300"), periods=3, fee_rate=Decimal("0"),
                      created=date(2024, 5, 1),
                      bills=(Bill(1, date(2024, 6, 1), Decimal("100"), Decimal("0"), paid=True),
                             Bill(2, date(2024, 7, 1), Decimal("100"), Decimal("0")),
                             Bill(3, date(2024, 8, 1), Decimal("100"), Decimal("0")))),),
        service=ServiceStatus(min_credit_rating="C"),
    )
