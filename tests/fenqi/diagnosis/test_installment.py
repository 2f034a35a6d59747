from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from fenqi.diagnosis import Cause, diagnose_installment
from fenqi.state import CartItem, MaintenanceWindow, Product
from tests.support.times import BJ

NOW = datetime(2024, 6, 10, 10, 0, tzinfo=BJ)


def with_user(**changes):
    return lambda s: replace(s, user=replace(s.user, **changes))


def with_credit(**changes):
    return lambda s: replace(s, credit=replace(s.credit, **changes))


def with_product(**changes):
    return lambda s: replace(s, cart=(CartItem(replace(s.cart[0].product, **changes)),))


def with_service(**changes):
    return lambda s: replace(s, service=replace(s.service, **changes))


def both(first, second):
    return lambda s: second(first(s))


def maintenance(service, start=NOW - timedelta(hours=1), end=datetime(2024, 6, 10, 18, 30, tzinfo=BJ), note=""):
    return with_service(maintenance=(MaintenanceWindow(service, start, end, note),))


SINGLE = [
    ("rating", with_user(credit_rating="D"), "credit_rating", "信用评级不足", "D 级"),
    ("rating E", with_user(credit_rating="E"), "credit_rating", "信用评级不足", "C 级"),
    ("limit", with_credit(used=Decimal("9500")), "limit_insufficient", "额度不足",
     "您的可用额度 ¥500.00 低于结算金额 ¥3,999.00"),
    ("product flag", with_product(installment_allowed=False, payment_methods=("花呗", "微信")),
     "product_unsupported", "商品不支持分期", "可用的支付方式：花呗、微信"),
    ("product methods", with_product(payment_methods=("花呗", "支付宝")), "product_unsupported", "商品不支持分期",
     "「小米14」不支持小米分期"),
    ("frozen account", with_user(account_status="frozen"), "account_abnormal", "账户状态异常", "冻结"),
    ("pending", with_user(account_status="pending_verification"), "account_abnormal", "账户状态异常", "等待验证"),
    ("not verified", with_user(identity_verified=False), "account_abnormal", "账户状态异常", "实名认证"),
    ("info", with_user(info_complete=False), "account_abnormal", "账户状态异常", "个人信息不完整"),
    ("credit frozen", with_credit(status="frozen"), "account_abnormal", "账户状态异常", "额度已被冻结"),
    ("maintenance", maintenance("installment"), "maintenance", "系统维护中", "2024年6月10日 18:30"),
    ("promotion", with_product(promotion_restriction="秒杀活动商品不支持分期"), "promotion", "促销活动限制",
     "秒杀活动商品不支持分期"),
    ("region", both(with_user(region="海外-新加坡"), with_service(restricted_regions=("海外-新加坡",))),
     "region", "地区政策限制", "海外-新加坡"),
    ("partner", with_service(suspended_partners=("小米消费金融",)), "partner", "合作机构调整", "小米消费金融"),
    ("no credit", lambda s: replace(s, credit=None), "not_opened", "未开通小米分期", "还没有开通"),
    ("closed credit", with_credit(status="closed"), "not_opened", "未开通小米分期", "已关闭"),
]


def test_healthy_account_has_no_cause(healthy, kb):
    assert diagnose_installment(healthy, kb) == ()


@pytest.mark.parametrize("label, change, code, title, fact", SINGLE, ids=[c[0] for c in SINGLE])
def test_each_cause_alone(healthy, kb, label, change, code, title, fact):
    causes = diagnose_installment(change(healthy), kb)
    assert [(c.code, c.title) for c in causes] == [(code, title)]
    cause = causes[0]
    assert isinstance(cause, Cause)
    assert any(fact in f for f in cause.facts), cause.facts
    assert set(kb.cause("installment", code).fixes) <= set(cause.fixes)


def test_frozen_account_fix_comes_first(healthy, kb):
    cause, = diagnose_installment(with_user(account_status="frozen")(healthy), kb)
    assert cause.fixes[0] == kb.cause("installment", "account_abnormal").fix_variants["frozen"][0]


@pytest.mark.parametrize("label, change", [
    ("reserve maintenance only", maintenance("reserve_fund")),
    ("maintenance over", maintenance("installment", NOW - timedelta(days=1), NOW - timedelta(hours=1))),
    ("maintenance later", maintenance("installment", NOW + timedelta(hours=1), NOW + timedelta(hours=2))),
    ("rating at threshold", with_user(credit_rating="C")),
    ("limit exactly enough", with_credit(used=Decimal("6001"))),
    ("other partner suspended", with_service(suspended_partners=("某银行",))),
    ("other region restricted", with_service(restricted_regions=("海外-新加坡",))),
])
def test_near_misses_are_not_causes(healthy, kb, label, change):
    assert diagnose_installment(change(healthy), kb) == ()


def test_empty_cart_with_no_available_limit(healthy, kb):
    snapshot = replace(with_credit(used=Decimal("10000"))(healthy), cart=())
    cause, = diagnose_installment(snapshot, kb)
    assert cause.title == "额度不足" and "¥0.00" in cause.facts[0]
    assert diagnose_installment(replace(healthy, cart=()), kb) == ()


def test_combination_is_ordered_most_blocking_first(healthy, kb):
    snapshot = with_credit(used=Decimal("9500"))(healthy)
    snapshot = with_product(promotion_restriction="限时秒杀")(snapshot)
    snapshot = with_user(account_status="frozen", credit_rating="D")(snapshot)
    snapshot = maintenance("installment")(snapshot)
    titles = [c.title for c in diagnose_installment(snapshot, kb)]
    assert titles == ["账户状态异常", "信用评级不足", "系统维护中", "促销活动限制", "额度不足"]


def test_not_opened_hides_cart_level_causes(healthy, kb):
    snapshot = replace(with_product(installment_allowed=False)(healthy), credit=None)
    snapshot = with_user(region="海外-新加坡")(snapshot)
    snapshot = with_service(restricted_regions=("海外-新加坡",))(snapshot)
    assert [c.code for c in diagnose_installment(snapshot, kb)] == ["not_opened", "region"]


def test_each_unsupported_product_is_named(healthy, kb):
    other = Product(sku="tv", name="小米电视 S65", price=Decimal("2999"), payment_methods=("微信",))
    snapshot = with_product(installment_allowed=False)(healthy)
    snapshot = replace(snapshot, cart=snapshot.cart + (CartItem(other),), credit=replace(healthy.credit, used=0))
    cause, = diagnose_installment(snapshot, kb)
    assert len(cause.facts) == 2
    assert "「小米14」" in cause.facts[0] and "「小米电视 S65」" in cause.facts[1]


def test_rating_drop_is_mentioned(healthy, kb):
    cause, = diagnose_installment(with_user(credit_rating="D", previous_credit_rating="B")(healthy), kb)
    assert "此前为 B 级" in cause.facts[0]


def test_diagnosis_is_pure(healthy, kb):
    snapshot = with_credit(used=Decimal("9500"))(healthy)
    assert diagnose_installment(snapshot, kb) == diagnose_installment(snapshot, kb)


def test_not_opened_comes_before_account_problems(healthy, kb):
    snapshot = replace(with_user(account_status="frozen")(healthy), credit=None)
    assert [c.code for c in diagnose_installment(snapshot, kb)] == ["not_opened", "account_abnormal"]
