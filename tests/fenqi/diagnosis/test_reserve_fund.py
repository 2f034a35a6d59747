from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from fenqi.diagnosis import diagnose_reserve_fund
from fenqi.state import CartItem, MaintenanceWindow
from tests.support.times import BJ

NOW = datetime(2024, 6, 10, 10, 0, tzinfo=BJ)


def with_user(**changes):
    return lambda s: replace(s, user=replace(s.user, **changes))


def with_fund(**changes):
    return lambda s: replace(s, reserve_fund=replace(s.reserve_fund, **changes))


def with_product(**changes):
    return lambda s: replace(s, cart=(CartItem(replace(s.cart[0].product, **changes)),))


def overdue(s):
    """The healthy order's second bill falls due on 2024-05-31, ten days before ``now``."""
    order = s.orders[0]
    bills = (order.bills[0], replace(order.bills[1], due_date=date(2024, 5, 31))) + order.bills[2:]
    return replace(s, orders=(replace(order, bills=bills),))


def maintenance(service):
    window = MaintenanceWindow(service, NOW - timedelta(hours=2), datetime(2024, 6, 11, 6, 0, tzinfo=BJ), "系统升级")
    return lambda s: replace(s, service=replace(s.service, maintenance=(window,)))


SINGLE = [
    ("not opened", lambda s: replace(s, reserve_fund=None), "not_opened", "未开通备用金", "还没有开通备用金"),
    ("maintenance", maintenance("reserve_fund"), "maintenance", "系统维护中", "2024年6月11日 06:00"),
    ("rating dropped", with_user(previous_credit_rating="A", credit_rating="B"), "credit_change", "信用状况变化",
     "由 A 级降为 B 级"),
    ("rating low", with_user(credit_rating="D"), "credit_change", "信用状况变化", "D 级"),
    ("overdue", overdue, "credit_change", "信用状况变化", "1 期分期账单已逾期（最长 10 天），共 ¥100.00"),
    ("closed", with_fund(status="closed"), "credit_change", "信用状况变化", "已被关闭"),
    ("used up", with_fund(used=Decimal("5000")), "exhausted", "备用金额度已用完", "总额度 ¥5,000.00"),
    ("below cart", with_fund(used=Decimal("4000")), "exhausted", "备用金额度已用完",
     "您的备用金可用额度 ¥1,000.00 低于结算金额 ¥3,999.00"),
    ("promotion", with_product(promotion_restriction="以旧换新活动商品仅支持全款"), "promotion", "促销活动限制",
     "以旧换新活动商品仅支持全款"),
    ("method", with_product(payment_methods=("小米分期", "微信")), "promotion", "促销活动限制",
     "「小米14」不支持备用金，可用的支付方式：小米分期、微信"),
    ("risk hold", with_fund(status="risk_hold"), "account_security", "账户安全限制", "安全风险"),
    ("frozen account", with_user(account_status="frozen"), "account_security", "账户安全限制", "冻结"),
]


def test_healthy_account_has_no_cause(healthy, kb):
    assert diagnose_reserve_fund(healthy, kb) == ()


@pytest.mark.parametrize("label, change, code, title, fact", SINGLE, ids=[c[0] for c in SINGLE])
def test_each_cause_alone(healthy, kb, label, change, code, title, fact):
    causes = diagnose_reserve_fund(change(healthy), kb)
    assert [(c.code, c.title) for c in causes] == [(code, title)]
    assert any(fact in f for f in causes[0].facts), causes[0].facts
    assert set(kb.cause("reserve_fund", code).fixes) <= set(causes[0].fixes)


@pytest.mark.parametrize("label, change", [
    ("installment maintenance only", maintenance("installment")),
    ("rating improved", with_user(previous_credit_rating="C", credit_rating="B")),
    ("no cart and money left", lambda s: replace(s, cart=())),
    ("exactly enough", with_fund(used=Decimal("1001"))),
])
def test_near_misses_are_not_causes(healthy, kb, label, change):
    assert diagnose_reserve_fund(change(healthy), kb) == ()


def test_overdue_fix_comes_first(healthy, kb):
    cause, = diagnose_reserve_fund(overdue(healthy), kb)
    assert cause.fixes[0] == kb.cause("reserve_fund", "credit_change").fix_variants["overdue"][0]


def test_combination_is_ordered_most_blocking_first(healthy, kb):
    snapshot = overdue(with_fund(status="risk_hold", used=Decimal("5000"))(healthy))
    snapshot = maintenance("reserve_fund")(with_product(promotion_restriction="秒杀")(snapshot))
    titles = [c.title for c in diagnose_reserve_fund(snapshot, kb)]
    assert titles == ["账户安全限制", "信用状况变化", "系统维护中", "促销活动限制", "备用金额度已用完"]


def test_not_opened_hides_cart_level_causes(healthy, kb):
    snapshot = replace(with_product(promotion_restriction="秒杀")(overdue(healthy)), reserve_fund=None)
    assert [c.code for c in diagnose_reserve_fund(snapshot, kb)] == ["not_opened", "credit_change"]


def test_closed_fund_is_not_also_reported_as_used_up(healthy, kb):
    snapshot = with_fund(status="closed", used=Decimal("5000"))(healthy)
    assert [c.code for c in diagnose_reserve_fund(snapshot, kb)] == ["credit_change"]


def test_overdue_across_orders_is_summed(healthy, kb):
    late = overdue(healthy)
    second = replace(late.orders[0], order_id="A2")
    cause, = diagnose_reserve_fund(replace(late, orders=late.orders + (second,)), kb)
    assert "2 期分期账单已逾期" in cause.facts[0] and "¥200.00" in cause.facts[0]


def test_bills_paid_are_never_overdue(healthy, kb):
    order = healthy.orders[0]
    paid = replace(order, bills=tuple(replace(b, due_date=date(2024, 1, 1), paid=True) for b in order.bills))
    assert diagnose_reserve_fund(replace(healthy, orders=(paid,)), kb) == ()
