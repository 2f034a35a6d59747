"""Why 备用金 cannot be used right now (seed 004), most-blocking first.

Order: not opened, account security, credit change, maintenance, promotion, exhausted.
When 备用金 is not opened, cart-level causes (promotion, exhausted) are not reported.
"""
from __future__ import annotations

from typing import Tuple

from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.state import ZERO, AccountSnapshot, rating_below

from .cart import cart_products, method_refused, promotion_facts, shortfall_fact
from .cause import Cause
from .installment import Finding, maintenance_finding, run_checks

METHOD = "备用金"


def not_opened(s: AccountSnapshot) -> Finding:
    return (["您还没有开通备用金。"], ()) if s.reserve_fund is None else None


def account_security(s: AccountSnapshot) -> Finding:
    facts = []
    if s.reserve_fund is not None and s.reserve_fund.status == "risk_hold":
        facts.append("系统检测到账户存在安全风险，备用金已被临时限制使用。")
    if s.user.account_status == "frozen":
        facts.append("您的小米账号目前处于冻结状态。")
    return (facts, ()) if facts else None


def overdue_fact(s: AccountSnapshot) -> str:
    """``您有 2 期分期账单已逾期（最长 12 天），共 ¥700.00。`` or empty when nothing is overdue."""
    bills = [b for o in s.orders for b in o.overdue_bills(s.today)]
    if not bills:
        return ""
    days = max(b.overdue_days(s.today) for b in bills)
    amount = sum((b.amount for b in bills), ZERO)
    return f"您有 {len(bills)} 期分期账单已逾期（最长 {days} 天），共 {format_cny(amount)}。"


def credit_change(s: AccountSnapshot) -> Finding:
    user, minimum = s.user, s.service.min_credit_rating
    facts, variants = [], []
    if user.previous_credit_rating and rating_below(user.credit_rating, user.previous_credit_rating):
        facts.append(f"您的信用评级近期由 {user.previous_credit_rating} 级降为 {user.credit_rating} 级。")
    if rating_below(user.credit_rating, minimum):
        facts.append(f"您当前的信用评级为 {user.credit_rating} 级，备用金要求 {minimum} 级或更好。")
    overdue = overdue_fact(s)
    if overdue:
        facts.append(overdue)
        variants.append("overdue")
    if s.reserve_fund is not None and s.reserve_fund.status == "closed":
        facts.append("您的备用金已被关闭。")
        variants.append("closed")
    return (facts, tuple(variants)) if facts else None


def maintenance(s: AccountSnapshot) -> Finding:
    return maintenance_finding(s, "reserve_fund", METHOD)


def promotion(s: AccountSnapshot) -> Finding:
    facts = list(promotion_facts(s))
    facts += [method_refused(p, METHOD) for p in cart_products(s) if METHOD not in p.payment_methods]
    return (facts, ()) if facts else None


def exhausted(s: AccountSnapshot) -> Finding:
    fund, total = s.reserve_fund, s.cart_total
    if fund is None or fund.status == "closed":
        return None
    if fund.available <= 0:
        return [f"您的备用金额度已用完（总额度 {format_cny(fund.limit)}，已用 {format_cny(fund.used)}）。"], ()
    if total > 0 and fund.available < total:
        return [shortfall_fact("备用金可用额度", fund.available, total)], ()
    return None


ACCOUNT_CHECKS = (("not_opened", not_opened), ("account_security", account_security),
                  ("credit_change", credit_change), ("maintenance", maintenance))
CART_CHECKS = (("promotion", promotion), ("exhausted", exhausted))


def diagnose_reserve_fund(snapshot: AccountSnapshot, knowledge: Knowledge) -> Tuple[Cause, ...]:
    """Every reason 备用金 is blocked for this snapshot, most-blocking first; empty when none."""
    checks = ACCOUNT_CHECKS + (CART_CHECKS if snapshot.reserve_fund is not None else ())
    return run_checks(snapshot, knowledge, "reserve_fund", checks)
