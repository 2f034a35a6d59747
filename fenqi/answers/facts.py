"""Personal fact sentences shared by several answers (always from the snapshot, never invented)."""
from __future__ import annotations

from typing import Optional

from fenqi.diagnosis.wording import format_day, format_moment
from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, AutoRepay, Bill, Credit, Order, ReserveFund

CREDIT_STATUS = {"active": "正常", "frozen": "已冻结", "closed": "已关闭"}
RESERVE_STATUS = {"active": "正常", "closed": "已关闭", "risk_hold": "安全限制中"}


def credit_line(credit: Credit) -> str:
    status = "" if credit.status == "active" else f"（状态：{CREDIT_STATUS.get(credit.status, credit.status)}）"
    return (f"您的小米分期总额度 {format_cny(credit.limit)}，已用 {format_cny(credit.used)}，"
            f"可用 {format_cny(credit.available)}{status}。")


def reserve_line(fund: ReserveFund) -> str:
    status = "" if fund.status == "active" else f"（状态：{RESERVE_STATUS.get(fund.status, fund.status)}）"
    return (f"您的备用金总额度 {format_cny(fund.limit)}，已用 {format_cny(fund.used)}，"
            f"可用 {format_cny(fund.available)}{status}。")


def cart_line(snapshot: AccountSnapshot, available) -> str:
    """How the available amount compares with the current checkout (empty without a cart)."""
    total = snapshot.cart_total
    if total <= 0:
        return ""
    verdict = "额度足够" if available >= total else f"还差 {format_cny(total - available)}"
    return f"当前结算金额 {format_cny(total)}，{verdict}。"


def bill_line(bill: Bill, snapshot: AccountSnapshot) -> str:
    """``第3期 ¥345.24（本金 ¥333.25 + 手续费 ¥11.99），还款日 2024年6月15日，还有 5 天``"""
    today = snapshot.today
    days = bill.overdue_days(today)
    if days:
        when = f"已逾期 {days} 天"
    elif bill.due_date == today:
        when = "今天到期"
    else:
        when = f"还有 {(bill.due_date - today).days} 天"
    return (f"第{bill.period_no}期 {format_cny(bill.amount)}（本金 {format_cny(bill.principal)} + "
            f"手续费 {format_cny(bill.fee)}），还款日 {format_day(bill.due_date)}，{when}")


def next_due_line(order: Order, snapshot: AccountSnapshot) -> str:
    bill = order.next_bill
    if bill is None:
        return f"「{order.product_name}」已全部还清"
    return f"「{order.product_name}」（订单号 {order.order_id}）下一期：{bill_line(bill, snapshot)}"


def auto_repay_line(auto: AutoRepay) -> str:
    if auto.enabled:
        method = f"，扣款方式：{auto.method}" if auto.method else ""
        return f"自动还款：已开启{method}。"
    return "自动还款：未开启。"


def repayment_maintenance_line(snapshot: AccountSnapshot) -> Optional[str]:
    window = snapshot.service.in_maintenance("repayment", snapshot.now)
    if window is None:
        return None
    return f"还款系统正在维护，预计 {format_moment(window.end)} 恢复，届时再操作即可。"
