"""load_snapshot builds fenqi.state values from rows written directly with the models."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from fenqi.accounts.repository import list_users, load_snapshot, user_exists
from fenqi.db import models as m
from fenqi.db.engine import session_scope
from fenqi.state import AutoRepay
from tests.support.times import BJ


def _seed(session, today: date, now: datetime):
    session.add_all([
        m.User(user_id="u1", name="张三", region="北京", credit_rating="D", previous_credit_rating="B",
               account_status="active", identity_verified=True, info_complete=False),
        m.User(user_id="u0", name="李四", region="上海", credit_rating="A", account_status="frozen"),
        m.Product(sku="phone", name="Xiaomi 14", price=Decimal("3999.00"), installment_allowed=True,
                  promotion_restriction="秒杀",
                  payment_methods=[m.ProductPaymentMethod(method="支付宝"), m.ProductPaymentMethod(method="小米分期")],
                  periods=[m.ProductPeriod(periods=12), m.ProductPeriod(periods=3)]),
    ])
    session.flush()
    session.add_all([
        m.CreditLine(user_id="u1", limit=Decimal("5000"), used=Decimal("4500.50"), status="active",
                     partner="小米消费金融"),
        m.ReserveFundAccount(user_id="u1", limit=Decimal("3000"), used=Decimal("3200"), status="active"),
        m.CartItem(user_id="u1", sku="phone", quantity=2),
        m.AutoRepaySetting(user_id="u1", enabled=True, method="招商银行储蓄卡"),
        m.Order(order_id="o1", user_id="u1", product_name="Xiaomi 14", total=Decimal("300.00"), periods=3,
                fee_rate=Decimal("0.006"), created=today - timedelta(days=70), bills=[
                    m.Bill(period_no=1, due_date=today - timedelta(days=40), principal=Decimal(100),
                           fee=Decimal("1.80"), paid=True),
                    m.Bill(period_no=3, due_date=today + timedelta(days=20), principal=Decimal(100),
                           fee=Decimal("1.80")),
                    m.Bill(period_no=2, due_date=today - timedelta(days=10), principal=Decimal(100),
                           fee=Decimal("1.80")),
                ]),
        m.Order(order_id="o0", user_id="u1", product_name="Band", total=Decimal("200.00"), periods=1,
                fee_rate=Decimal(0), created=today - timedelta(days=400), bills=[
                    m.Bill(period_no=1, due_date=today - timedelta(days=370), principal=Decimal(200),
                           fee=Decimal(0), paid=True)]),
        m.MaintenanceWindow(service="installment", start=now - timedelta(hours=1), end=now + timedelta(hours=1),
                            note="升级"),
        m.MaintenanceWindow(service="repayment", start=now - timedelta(days=2), end=now - timedelta(days=1)),
        m.MaintenanceWindow(service="reserve_fund", start=now, end=now + timedelta(hours=1), user_id="u0"),
        m.PartnerSuspension(partner="星河消费金融"),
        m.RegionPolicy(region="海外-新加坡"),
        m.PolicySettings(id=1, min_credit_rating="B"),
    ])


def test_unknown_user_has_no_snapshot(factory):
    with session_scope(factory) as session:
        assert load_snapshot(session, "ghost") is None
        assert not user_exists(session, "ghost")


def test_snapshot_contents(factory):
    now = datetime(2024, 6, 15, 10, 30, tzinfo=BJ)
    with session_scope(factory) as session:
        _seed(session, now.date(), now)
    with session_scope(factory) as session:
        snap = load_snapshot(session, "u1", now=now)

    assert snap.now == now
    assert (snap.user.name, snap.user.credit_rating, snap.user.previous_credit_rating) == ("张三", "D", "B")
    assert snap.user.info_complete is False
    assert snap.credit.available == Decimal("499.50")
    assert snap.reserve_fund.available == Decimal("0")  # over-used never goes negative
    assert snap.cart_total == Decimal("7998.00")
    product = snap.cart[0].product
    assert product.payment_methods == ("小米分期", "支付宝")  # canonical order
    assert product.periods == (3, 12)
    assert product.promotion_restriction == "秒杀"
    assert [o.order_id for o in snap.orders] == ["o0", "o1"]  # by creation date
    assert [o.order_id for o in snap.active_orders] == ["o1"]
    order = snap.orders[1]
    assert [b.period_no for b in order.bills] == [1, 2, 3]
    assert order.fee_rate == Decimal("0.006")
    assert order.next_bill.period_no == 2 and order.next_bill.amount == Decimal("101.80")
    assert [b.overdue_days(snap.today) for b in order.overdue_bills(snap.today)] == [10]
    assert order.remaining_principal == Decimal("200")
    assert snap.auto_repay == AutoRepay(enabled=True, method="招商银行储蓄卡")
    # ended windows and windows scoped to another user are not part of the snapshot
    assert [(w.service, w.note) for w in snap.service.maintenance] == [("installment", "升级")]
    assert snap.service.in_maintenance("installment", now) is not None
    assert snap.service.suspended_partners == ("星河消费金融",)
    assert snap.service.restricted_regions == ("海外-新加坡",)
    assert snap.service.min_credit_rating == "B"


def test_user_scoped_window_is_seen_by_that_user(factory):
    now = datetime(2024, 6, 15, 10, 30, tzinfo=BJ)
    with session_scope(factory) as session:
        _seed(session, now.date(), now)
    with session_scope(factory) as session:
        snap = load_snapshot(session, "u0", now=now)
    assert {w.service for w in snap.service.maintenance} == {"installment", "reserve_fund"}


def test_user_without_accounts_gets_defaults(factory):
    with session_scope(factory) as session:
        session.add(m.User(user_id="bare", name="王五", region="广州", credit_rating="C", account_status="active"))
    with session_scope(factory) as session:
        snap = load_snapshot(session, "bare", now=datetime(2024, 1, 1, tzinfo=BJ))
    assert snap.credit is None and snap.reserve_fund is None
    assert snap.cart == () and snap.orders == ()
    assert snap.auto_repay == AutoRepay()
    assert snap.service.min_credit_rating == "C"
    assert snap.service.maintenance == ()


def test_list_users_and_user_exists(factory):
    now = datetime(2024, 6, 15, tzinfo=BJ)
    with session_scope(factory) as session:
        _seed(session, now.date(), now)
    with session_scope(factory) as session:
        assert [(u.user_id, u.account_status) for u in list_users(session)] == [("u0", "frozen"), ("u1", "active")]
        assert user_exists(session, "u1")
