"""The packaged demo accounts: each demo user shows exactly the situation its id names."""
from datetime import datetime
from decimal import Decimal

import pytest

from fenqi.accounts.demo import seed_demo
from fenqi.accounts.repository import list_users, load_snapshot
from fenqi.db.engine import session_scope
from fenqi.state import AccountSnapshot, rating_below
from tests.support.times import BJ


def causes(s: AccountSnapshot) -> set:
    """Every reason (in this test's own words) that 分期 or 备用金 may not work."""
    found = set()
    user, credit, fund, service = s.user, s.credit, s.reserve_fund, s.service
    if rating_below(user.credit_rating, service.min_credit_rating):
        found.add("low_rating")
    if user.previous_credit_rating and rating_below(user.credit_rating, user.previous_credit_rating):
        found.add("rating_dropped")
    if any(o.overdue_bills(s.today) for o in s.orders):
        found.add("overdue")
    if user.account_status == "frozen":
        found.add("frozen")
    if user.account_status == "pending_verification" or not user.identity_verified or not user.info_complete:
        found.add("pending")
    if user.region in service.restricted_regions:
        found.add("region")
    if any(service.in_maintenance(name, s.now) for name in ("installment", "reserve_fund", "repayment")):
        found.add("maintenance")
    if credit is None or credit.status != "active":
        found.add("no_credit")
    else:
        if credit.partner in service.suspended_partners:
            found.add("partner")
        if credit.available < s.cart_total:
            found.add("low_limit")
    for item in s.cart:
        if not item.product.installment_allowed or "小米分期" not in item.product.payment_methods:
            found.add("product")
        if item.product.promotion_restriction:
            found.add("promo")
    if fund is None or fund.status == "closed":
        found.add("no_reserve_fund")
    elif fund.status == "risk_hold":
        found.add("rf_security")
    elif fund.available == 0:
        found.add("rf_used_up")
    return found


EXPECTED = {
    "demo_ok": set(), "demo_new": set(),
    "demo_low_limit": {"low_limit"}, "demo_low_rating": {"low_rating"}, "demo_product": {"product"},
    "demo_frozen": {"frozen"}, "demo_pending": {"pending"}, "demo_promo": {"promo"},
    "demo_region": {"region"}, "demo_partner": {"partner"}, "demo_maintenance": {"maintenance"},
    "demo_rf_used_up": {"rf_used_up"}, "demo_rf_credit": {"overdue", "rating_dropped", "low_rating"},
    "demo_rf_security": {"rf_security"}, "demo_overdue": {"overdue"},
}

# Month ends, a leap day and a year end: relative dates must keep the situations intact.
MOMENTS = [datetime(2024, 1, 31, 0, 30, tzinfo=BJ), datetime(2024, 2, 29, 12, tzinfo=BJ), datetime(2024, 3, 31, 23, 30, tzinfo=BJ),
           datetime(2025, 12, 31, 23, 59, tzinfo=BJ)]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda d: d.strftime("%Y-%m-%d"))
def test_each_demo_user_has_exactly_its_cause(factory, now):
    with session_scope(factory) as session:
        seed_demo(session, now=now)
    with session_scope(factory) as session:
        ids = {u.user_id for u in list_users(session)}
        found = {user_id: causes(load_snapshot(session, user_id, now=now)) for user_id in ids}
    assert found == EXPECTED


def test_demo_details(factory, now):
    with session_scope(factory) as session:
        seed_demo(session, now=now)
    with session_scope(factory) as session:
        snap = {u.user_id: load_snapshot(session, u.user_id, now=now) for u in list_users(session)}
    ok = snap["demo_ok"]
    assert len(ok.active_orders) == 2 and ok.auto_repay.enabled
    assert all(s.cart for uid, s in snap.items() if uid != "demo_new")
    assert snap["demo_new"].orders == () and snap["demo_new"].cart == ()
    low = snap["demo_low_limit"]
    assert low.credit.available == Decimal("500.00") and low.cart_total == Decimal("3999.00")
    assert snap["demo_overdue"].auto_repay.enabled is False
    assert snap["demo_rf_credit"].user.previous_credit_rating == "B"
    assert {w.service for w in snap["demo_maintenance"].service.maintenance} == {"installment", "reserve_fund"}
    # credit "used" matches the principal still owed on each user's orders
    for s in snap.values():
        if s.orders:
            assert s.credit.used == sum(o.remaining_principal for o in s.orders), s.user.user_id
    assert all(s.user.name and not s.user.name.isascii() for s in snap.values())  # Chinese names


def test_seeding_twice_is_stable(factory, now):
    with session_scope(factory) as session:
        first = seed_demo(session, now=now)
    with session_scope(factory) as session:
        before = {u.user_id: load_snapshot(session, u.user_id, now=now) for u in list_users(session)}
    with session_scope(factory) as session:
        assert seed_demo(session, now=now) == first
    with session_scope(factory) as session:
        assert {u.user_id: load_snapshot(session, u.user_id, now=now) for u in list_users(session)} == before
