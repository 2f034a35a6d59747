from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer
from fenqi.state import CartItem, Product


def test_worked_example_for_the_cart_total(account):
    text = answer("installment_fees", account).text
    assert "按您当前结算金额 ¥3,999.00 计算" in text
    assert "3期免息" in text and "24期每期 0.70%" in text
    assert "3期：每期本金 ¥1,333.00 + 手续费 ¥0.00 = ¥1,333.00，手续费合计 ¥0.00" in text
    assert "12期：每期本金 ¥333.25 + 手续费 ¥23.99 = ¥357.24，手续费合计 ¥287.88" in text
    assert "第24期本金 ¥166.74" in text and "手续费合计 ¥671.76" in text
    assert "演示" in text


def test_product_periods_limit_the_example(account):
    product = Product("p", "小米手环", Decimal("600"), periods=(3, 6))
    text = answer("installment_fees", replace(account, cart=(CartItem(product),))).text
    assert "6期：每期本金 ¥100.00 + 手续费 ¥3.00" in text
    assert "12期：" not in text and "只列出可选期数" in text


def test_limit_shortfall_is_flagged(account):
    text = answer("installment_fees", replace(account, credit=replace(account.credit, used=Decimal("8000")))).text
    assert "您的可用额度 ¥888.00 低于结算金额 ¥3,999.00" in text


def test_empty_cart_uses_the_example_amount(account, kb):
    text = answer("installment_fees", replace(account, cart=())).text
    assert "购物车里还没有" in text and f"以 ¥{kb.fees.example_amount:,.2f} 为例" in text


def test_anonymous_uses_the_example_amount():
    text = answer("installment_fees", None).text
    assert "以 ¥3,000.00 为例" in text and "¥3,999.00" not in text
