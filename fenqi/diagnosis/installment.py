"""Why 小米分期 cannot be used right now (seeds 000, 001, 003), most-blocking first.

Order: account-level blockers the user cannot work around by changing the cart (not opened,
account status, region policy, credit rating, partner pause, maintenance), then cart-level ones
(product, promotion, limit). When 小米分期 is not opened, cart-level causes are not reported.
"""
from __future__ import annotations

from typing import Callable, Iterable, List, Optional, Tuple

from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, rating_below

from .cart import cart_products, method_refused, promotion_facts, shortfall_fact
from .cause import Cause, make_cause
from .wording import format_moment

METHOD = "小米分期"
Finding = Optional[Tuple[List[str], Tuple[str, ...]]]  # (facts, fix variants) or None


def is_opened(snapshot: AccountSnapshot) -> bool:
    """A credit line exists and has not been closed."""
    return snapshot.credit is not None and snapshot.credit.status != "closed"


def not_opened(s: AccountSnapshot) -> Finding:
    if s.credit is None:
        return ["您还没有开通小米分期。"], ()
    if s.credit.status == "closed":
        return ["您的小米分期额度已关闭，需要重新开通。"], ()
    return None


def account_abnormal(s: AccountSnapshot) -> Finding:
    facts, variants = [], []
    user = s.user
    if user.account_status == "frozen":
        facts.append("您的小米账号目前处于冻结状态。")
        variants.append("frozen")
    if user.account_status == "pending_verification":
        facts.append("您的账户信息正在等待验证。")
        variants.append("verify")
    if not user.identity_verified:
        facts.append("您还没有完成实名认证。")
        variants.append("verify")
    if not user.info_complete:
        facts.append("您的个人信息不完整或已过期。")
        variants.append("info")
    if s.credit is not None and s.credit.status == "frozen":
        facts.append("您的小米分期额度已被冻结。")
        variants.append("frozen")
    return (facts, tuple(dict.fromkeys(variants))) if facts else None


def region(s: AccountSnapshot) -> Finding:
    if s.user.region in s.service.restricted_regions:
        return [f"您所在的地区（{s.user.region}）受当地金融政策限制，暂不提供小米分期。"], ()
    return None


def credit_rating(s: AccountSnapshot) -> Finding:
    user, minimum = s.user, s.service.min_credit_rating
    if not rating_below(user.credit_rating, minimum):
        return None
    before = ""
    if user.previous_credit_rating and rating_below(user.credit_rating, user.previous_credit_rating):
        before = f"（此前为 {user.previous_credit_rating} 级）"
    return [f"您当前的信用评级为 {user.credit_rating} 级{before}，小米分期要求 {minimum} 级或更好。"], ()


def partner(s: AccountSnapshot) -> Finding:
    if s.credit is not None and s.credit.partner in s.service.suspended_partners:
        return [f"为您提供分期额度的合作机构「{s.credit.partner}」目前暂停了分期业务。"], ()
    return None


def maintenance_finding(s: AccountSnapshot, service: str, label: str) -> Finding:
    """The ``service`` maintenance window covering now, worded for ``label`` (小米分期 / 备用金)."""
    window = s.service.in_maintenance(service, s.now)
    if window is None:
        return None
    note = f"（{window.note}）" if window.note else ""
    return [f"{label}正在系统维护{note}，预计 {format_moment(window.end)} 恢复。"], ()


def maintenance(s: AccountSnapshot) -> Finding:
    return maintenance_finding(s, "installment", METHOD)


def product_unsupported(s: AccountSnapshot) -> Finding:
    facts = [method_refused(p, METHOD) for p in cart_products(s)
             if not p.installment_allowed or METHOD not in p.payment_methods]
    return (facts, ()) if facts else None


def promotion(s: AccountSnapshot) -> Finding:
    facts = list(promotion_facts(s))
    return (facts, ()) if facts else None


def limit_insufficient(s: AccountSnapshot) -> Finding:
    credit, total = s.credit, s.cart_total
    if credit is None:
        return None
    if total > 0 and credit.available < total:
        return [shortfall_fact("可用额度", credit.available, total)], ()
    if total == 0 and credit.available <= 0:
        return [f"您的可用额度为 {format_cny(credit.available)}（总额度 {format_cny(credit.limit)}，"
                f"已用 {format_cny(credit.used)}）。"], ()
    return None


ACCOUNT_CHECKS: Tuple[Tuple[str, Callable[[AccountSnapshot], Finding]], ...] = (
    ("not_opened", not_opened), ("account_abnormal", account_abnormal), ("region", region),
    ("credit_rating", credit_rating), ("partner", partner), ("maintenance", maintenance),
)
CART_CHECKS: Tuple[Tuple[str, Callable[[AccountSnapshot], Finding]], ...] = (
    ("product_unsupported", product_unsupported), ("promotion", promotion),
    ("limit_insufficient", limit_insufficient),
)


def run_checks(snapshot: AccountSnapshot, knowledge: Knowledge, domain: str,
               checks: Iterable[Tuple[str, Callable[[AccountSnapshot], Finding]]]) -> Tuple[Cause, ...]:
    causes = []
    for code, check in checks:
        finding = check(snapshot)
        if finding is not None:
            facts, variants = finding
            causes.append(make_cause(knowledge.cause(domain, code), facts, variants))
    return tuple(causes)


def diagnose_installment(snapshot: AccountSnapshot, knowledge: Knowledge) -> Tuple[Cause, ...]:
    """Every reason 小米分期 is blocked for this snapshot, most-blocking first; empty when none."""
    checks = ACCOUNT_CHECKS + (CART_CHECKS if is_opened(snapshot) else ())
    return run_checks(snapshot, knowledge, "installment", checks)
