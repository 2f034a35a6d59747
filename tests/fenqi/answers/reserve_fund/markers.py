"""Text that belongs to 小米分期 orders and the 小米分期 line, never to a 备用金 answer."""
import re

INSTALLMENT_MARKERS = ("订单", "分期中", "A1001", "A1002", "小米14", "Redmi", "期账单", "第5期", "¥456.91", "¥357.24",
                       "¥8,888.00", "¥1,234.56", "您的小米分期总额度", "手续费合计", "3期免息")
FUND_FIGURES = ("¥3,000.00", "¥500.50", "¥2,499.50")  # the conftest account's 备用金: limit, used, available
SETTING = re.compile(r"自动还款：(已|未)开启")  # the user's own setting line
DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
TOPICS = ("how_to_repay", "early_repayment", "repayment_due", "auto_repay", "installment_fees")


def installment_text(text: str) -> list:
    return [m for m in INSTALLMENT_MARKERS if m in text]
