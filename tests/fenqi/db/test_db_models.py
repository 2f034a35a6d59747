"""CHECK and FOREIGN KEY constraints reject what fenqi.state cannot represent."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from fenqi.db import models as m
from fenqi.db.engine import session_scope
from tests.support.times import BJ


def _user(**kw):
    values = dict(user_id="u1", name="张三", region="北京", credit_rating="B", account_status="active")
    values.update(kw)
    return m.User(**values)


def _base(session):
    """A valid user, product and order to hang other rows on."""
    session.add(_user())
    session.add(m.Product(sku="p1", name="Phone", price=Decimal("3999.00")))
    session.add(m.Order(order_id="o1", user_id="u1", product_name="Phone", total=Decimal("3999.00"),
                        periods=3, fee_rate=Decimal("0.006"), created=date(2024, 6, 1)))
    session.flush()


VALID = {
    "credit": lambda: m.CreditLine(user_id="u1", limit=Decimal(1000), used=Decimal(0), status="active",
                                   partner="小米消费金融"),
    "reserve": lambda: m.ReserveFundAccount(user_id="u1", limit=Decimal(0), used=Decimal(0), status="risk_hold"),
    "method": lambda: m.ProductPaymentMethod(sku="p1", method="花呗"),
    "period": lambda: m.ProductPeriod(sku="p1", periods=24),
    "cart": lambda: m.CartItem(user_id="u1", sku="p1", quantity=1),
    "bill": lambda: m.Bill(order_id="o1", period_no=1, due_date=date(2024, 7, 1), principal=Decimal(0),
                           fee=Decimal(0)),
    "window": lambda: m.MaintenanceWindow(service="repayment", start=datetime(2024, 6, 1, tzinfo=BJ),
                                          end=datetime(2024, 6, 1, 0, 1, tzinfo=BJ)),
    "policy": lambda: m.PolicySettings(id=1, min_credit_rating="E"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_rows_are_accepted(factory, name):
    with session_scope(factory) as session:
        _base(session)
        session.add(VALID[name]())


INVALID = {
    "rating F": lambda: _user(user_id="u2", credit_rating="F"),
    "previous rating": lambda: _user(user_id="u2", previous_credit_rating="X"),
    "account status": lambda: _user(user_id="u2", account_status="closed"),
    "empty user id": lambda: _user(user_id=""),
    "credit limit too low": lambda: m.CreditLine(user_id="u1", limit=Decimal(999), used=0, status="active",
                                                 partner="x"),
    "credit limit too high": lambda: m.CreditLine(user_id="u1", limit=Decimal(100001), used=0,
                                                  status="active", partner="x"),
    "credit used negative": lambda: m.CreditLine(user_id="u1", limit=Decimal(5000), used=Decimal(-1),
                                                 status="active", partner="x"),
    "credit status": lambda: m.CreditLine(user_id="u1", limit=Decimal(5000), used=0, status="risk_hold",
                                          partner="x"),
    "reserve status": lambda: m.ReserveFundAccount(user_id="u1", limit=Decimal(1), used=0, status="frozen"),
    "reserve negative limit": lambda: m.ReserveFundAccount(user_id="u1", limit=Decimal(-1), used=0,
                                                           status="active"),
    "price zero": lambda: m.Product(sku="p2", name="P", price=Decimal(0)),
    "price negative": lambda: m.Product(sku="p2", name="P", price=Decimal("-1.00")),
    "payment method": lambda: m.ProductPaymentMethod(sku="p1", method="PayPal"),
    "periods zero": lambda: m.ProductPeriod(sku="p1", periods=0),
    "cart quantity": lambda: m.CartItem(user_id="u1", sku="p1", quantity=0),
    "cart unknown product": lambda: m.CartItem(user_id="u1", sku="nope", quantity=1),
    "order unknown user": lambda: m.Order(order_id="o2", user_id="nobody", product_name="P", total=1,
                                          periods=3, fee_rate=0, created=date(2024, 6, 1)),
    "order fee rate 1": lambda: m.Order(order_id="o2", user_id="u1", product_name="P", total=1, periods=3,
                                        fee_rate=Decimal(1), created=date(2024, 6, 1)),
    "order periods 0": lambda: m.Order(order_id="o2", user_id="u1", product_name="P", total=1, periods=0,
                                       fee_rate=0, created=date(2024, 6, 1)),
    "bill negative principal": lambda: m.Bill(order_id="o1", period_no=1, due_date=date(2024, 7, 1),
                                              principal=Decimal(-1), fee=0),
    "bill period 0": lambda: m.Bill(order_id="o1", period_no=0, due_date=date(2024, 7, 1), principal=1, fee=0),
    "window service": lambda: m.MaintenanceWindow(service="login", start=datetime(2024, 6, 1, tzinfo=BJ),
                                                  end=datetime(2024, 6, 2, tzinfo=BJ)),
    "window ends before start": lambda: m.MaintenanceWindow(service="installment", start=datetime(2024, 6, 2, tzinfo=BJ),
                                                            end=datetime(2024, 6, 2, tzinfo=BJ)),
    "window unknown user": lambda: m.MaintenanceWindow(service="installment", start=datetime(2024, 6, 1, tzinfo=BJ),
                                                       end=datetime(2024, 6, 2, tzinfo=BJ), user_id="nobody"),
    "policy second row": lambda: m.PolicySettings(id=2, min_credit_rating="C"),
    "policy rating": lambda: m.PolicySettings(id=1, min_credit_rating="F"),
    "wechat binding unknown user": lambda: m.WechatBinding(openid="o-1", user_id="nobody",
                                                           bound_at=datetime(2024, 6, 1, tzinfo=BJ)),
    "binding code unknown user": lambda: m.BindingCode(code="123456", user_id="nobody",
                                                       expires_at=datetime(2024, 6, 1, tzinfo=BJ)),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_rows_are_rejected(factory, name):
    with pytest.raises(IntegrityError):
        with session_scope(factory) as session:
            _base(session)
            session.add(INVALID[name]())


def test_deleting_a_user_removes_their_rows(factory):
    from sqlalchemy import func, select
    with session_scope(factory) as session:
        _base(session)
        session.add_all([VALID["credit"](), VALID["cart"](), VALID["bill"]()])
    with session_scope(factory) as session:
        session.delete(session.get(m.User, "u1"))
    with session_scope(factory) as session:
        for model in (m.CreditLine, m.CartItem, m.Order, m.Bill):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        assert session.get(m.Product, "p1") is not None


def test_every_instant_column_is_utc_datetime():
    """One convention: a point in time is stored through ``UtcDateTime`` (aware in, aware out,
    naive refused), never a plain ``DateTime`` that would take naive times."""
    from sqlalchemy import DateTime

    from fenqi.db.types import UtcDateTime
    instants = {f"{t.name}.{c.name}": c.type for t in m.Base.metadata.sorted_tables for c in t.columns
                if isinstance(c.type, (DateTime, UtcDateTime))}
    assert "analytics_turns.at" in instants and "conversation_reviews.updated_at" in instants
    assert [name for name, kind in instants.items() if not isinstance(kind, UtcDateTime)] == []
