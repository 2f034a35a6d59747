"""Loading YAML into the store: contents, generated bills, relative dates, upserts."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from fenqi.accounts.loader import load_accounts, load_accounts_file, load_accounts_text
from fenqi.accounts.repository import load_snapshot
from fenqi.db import models as m
from fenqi.db.engine import session_scope
from tests.support.times import BJ

SAMPLE = """\
service:
  min_credit_rating: B
  suspended_partners: [星河消费金融]
  restricted_regions: [海外-新加坡]
  maintenance:
    - {service: installment, start: now-1h, end: now+2h, note: 升级}
    - {service: repayment, start: "2030-01-01 02:00", end: 2030-01-01 04:00:00}
products:
  - sku: phone
    name: Xiaomi 14
    price: 3999.00
  - sku: purifier
    name: 空气净化器
    price: 1299
    payment_methods: [花呗, 微信]
    periods: [6, 3]
    promotion_restriction: 秒杀商品不支持分期
users:
  - user_id: u1
    name: 张三
    region: 北京
    credit_rating: A
    credit: {limit: 20000, used: 1000.5, partner: 小米消费金融}
    reserve_fund: {limit: 3000, used: 0, status: risk_hold}
    auto_repay: {enabled: true, method: 招商银行储蓄卡(尾号 1234)}
    cart:
      - {sku: phone, quantity: 2}
      - {sku: purifier}
  - user_id: u2
    name: 李四
    region: 上海
    credit_rating: D
    previous_credit_rating: B
    account_status: pending_verification
    identity_verified: false
orders:
  - order_id: o1
    user_id: u1
    product_name: Xiaomi 14
    total: 1200.00
    periods: 12
    fee_rate: 0.006
    created: today-45d
    first_due: today-15d
    paid_periods: 1
  - order_id: o2
    user_id: u2
    product_name: 手环
    total: 300
    periods: 2
    created: 2024-05-01
    bills:
      - {period_no: 2, due_date: 2024-07-01, principal: 150, fee: 1.5}
      - {period_no: 1, due_date: 2024-06-01, principal: 150, fee: 1.5, paid: true}
"""


def _counts(session):
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (m.User, m.CreditLine, m.ReserveFundAccount, m.Product, m.ProductPaymentMethod,
                          m.ProductPeriod, m.CartItem, m.Order, m.Bill, m.AutoRepaySetting,
                          m.MaintenanceWindow, m.PartnerSuspension, m.RegionPolicy, m.PolicySettings)}


def test_load_sample_builds_the_expected_snapshots(factory, now):
    with session_scope(factory) as session:
        summary = load_accounts_text(session, SAMPLE, now=now)
    assert (summary.users, summary.products, summary.orders, summary.bills) == (2, 2, 2, 14)
    assert str(summary).startswith("2 users, 2 products, 2 orders (14 bills)")

    with session_scope(factory) as session:
        u1 = load_snapshot(session, "u1", now=now)
        u2 = load_snapshot(session, "u2", now=now)
    assert u1.user.account_status == "active" and u1.user.identity_verified and u1.user.info_complete
    assert u1.credit.available == Decimal("18999.50")
    assert u1.reserve_fund.status == "risk_hold"
    assert u1.auto_repay.enabled and u1.auto_repay.method == "招商银行储蓄卡(尾号 1234)"
    assert [(i.product.sku, i.quantity) for i in u1.cart] == [("phone", 2), ("purifier", 1)]
    assert u1.cart_total == Decimal("9297.00")
    phone, purifier = (i.product for i in u1.cart)
    assert phone.payment_methods[0] == "小米分期" and phone.periods == (3, 6, 12, 24)  # defaults
    assert purifier.payment_methods == ("花呗", "微信") and purifier.periods == (3, 6)
    assert purifier.promotion_restriction == "秒杀商品不支持分期"

    (order,) = u1.orders
    assert order.created == now.date() - timedelta(days=45)
    assert len(order.bills) == 12 and sum(b.principal for b in order.bills) == Decimal("1200.00")
    assert order.bills[0].due_date == now.date() - timedelta(days=15) and order.bills[0].paid
    assert order.next_bill.period_no == 2
    assert order.next_bill.due_date == date(2024, 6, 30)  # May 31 + 1 month, clamped
    assert order.next_bill.amount == Decimal("107.20")
    assert order.overdue_bills(u1.today) == ()

    assert u2.credit is None and u2.reserve_fund is None and u2.cart == ()
    assert (u2.user.credit_rating, u2.user.previous_credit_rating) == ("D", "B")
    assert u2.user.identity_verified is False
    (o2,) = u2.orders
    assert [(b.period_no, b.paid) for b in o2.bills] == [(1, True), (2, False)]
    assert o2.fee_rate == 0 and o2.overdue_bills(u2.today) == ()

    service = u1.service
    assert service.min_credit_rating == "B"
    assert service.suspended_partners == ("星河消费金融",) and service.restricted_regions == ("海外-新加坡",)
    installment = service.in_maintenance("installment", now)
    assert (installment.start, installment.end) == (now - timedelta(hours=1), now + timedelta(hours=2))
    assert installment.note == "升级"
    repayment = [w for w in service.maintenance if w.service == "repayment"][0]
    assert (repayment.start, repayment.end) == (datetime(2030, 1, 1, 2, tzinfo=BJ), datetime(2030, 1, 1, 4, tzinfo=BJ))


def test_loading_twice_is_idempotent(factory, now):
    with session_scope(factory) as session:
        load_accounts_text(session, SAMPLE, now=now)
    with session_scope(factory) as session:
        before, snap_before = _counts(session), load_snapshot(session, "u1", now=now)
    with session_scope(factory) as session:
        load_accounts_text(session, SAMPLE, now=now)
    with session_scope(factory) as session:
        assert _counts(session) == before
        assert load_snapshot(session, "u1", now=now) == snap_before


def test_reloading_replaces_a_users_state_and_keeps_others(factory, now):
    with session_scope(factory) as session:
        load_accounts_text(session, SAMPLE, now=now)
    update = """\
users:
  - {user_id: u1, name: 张三丰, region: 北京, credit_rating: B, cart: [{sku: purifier, quantity: 3}]}
orders:
  - {order_id: o1, user_id: u1, product_name: Xiaomi 14, total: 600, periods: 3, created: today, first_due: today+30d}
"""
    with session_scope(factory) as session:
        summary = load_accounts_text(session, update, now=now)
    assert not summary.service_replaced
    with session_scope(factory) as session:
        u1 = load_snapshot(session, "u1", now=now)
        u2 = load_snapshot(session, "u2", now=now)
        assert session.get(m.Product, "phone") is not None  # products not in the file stay
    assert u1.user.name == "张三丰" and u1.credit is None and u1.reserve_fund is None
    assert u1.auto_repay.enabled is False
    assert [(i.product.sku, i.quantity) for i in u1.cart] == [("purifier", 3)]
    (order,) = u1.orders
    assert len(order.bills) == 3 and order.total == Decimal("600.00")
    assert u2.orders[0].order_id == "o2"  # untouched
    assert u1.service.min_credit_rating == "B"  # no service section: service status unchanged


def test_service_section_replaces_the_stored_one(factory, now):
    with session_scope(factory) as session:
        load_accounts_text(session, SAMPLE, now=now)
        load_accounts_text(session, "service: {restricted_regions: [海外-东京]}\n", now=now)
    with session_scope(factory) as session:
        snap = load_snapshot(session, "u1", now=now)
    assert snap.service.maintenance == () and snap.service.suspended_partners == ()
    assert snap.service.restricted_regions == ("海外-东京",)
    assert snap.service.min_credit_rating == "C"


def test_later_file_may_refer_to_stored_users_and_products(factory, now, tmp_path):
    with session_scope(factory) as session:
        load_accounts_text(session, SAMPLE, now=now)
    path = tmp_path / "more.yml"
    path.write_text("""\
users:
  - {user_id: u3, name: 王五, region: 广州, credit_rating: C, cart: [{sku: phone}]}
orders:
  - {order_id: o9, user_id: u2, product_name: 耳机, total: 199, periods: 1, created: today, first_due: today+1d}
""", encoding="utf-8")
    with session_scope(factory) as session:
        summary = load_accounts_file(session, path, now=now)
    assert (summary.users, summary.products, summary.orders) == (1, 0, 1)
    with session_scope(factory) as session:
        assert load_snapshot(session, "u3", now=now).cart_total == Decimal("3999.00")
        assert {o.order_id for o in load_snapshot(session, "u2", now=now).orders} == {"o2", "o9"}


def test_relative_dates_follow_the_load_moment(factory):
    text = "orders: [{order_id: o, user_id: u, product_name: P, total: 100, periods: 2, " \
           "created: today-3d, first_due: today+5d}]\nusers: [{user_id: u, name: N, region: R, credit_rating: A}]\n"
    for when in (datetime(2024, 1, 30, 9, tzinfo=BJ), datetime(2025, 12, 31, 23, 59, tzinfo=BJ)):
        with session_scope(factory) as session:
            load_accounts_text(session, text, now=when)
        with session_scope(factory) as session:
            (order,) = load_snapshot(session, "u", now=when).orders
        assert order.created == when.date() - timedelta(days=3)
        assert order.bills[0].due_date == when.date() + timedelta(days=5)


def test_load_accounts_accepts_plain_data(factory, now):
    data = {"users": [{"user_id": "p1", "name": "甲", "region": "北京", "credit_rating": "A",
                       "credit": {"limit": Decimal("5000"), "used": 12.34}}]}
    with session_scope(factory) as session:
        load_accounts(session, data, now=now)
    with session_scope(factory) as session:
        assert load_snapshot(session, "p1", now=now).credit.available == Decimal("4987.66")
