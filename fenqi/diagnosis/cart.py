"""Facts about the checkout cart shared by both diagnoses (which products block which method)."""
from __future__ import annotations

from typing import Dict, Iterator, Tuple

from fenqi.money import format_cny
from fenqi.state import AccountSnapshot, Product

from .wording import enumerate_cn, quoted


def cart_products(snapshot: AccountSnapshot) -> Tuple[Product, ...]:
    """Distinct products in the cart, in cart order."""
    seen: Dict[str, Product] = {}
    for item in snapshot.cart:
        seen.setdefault(item.product.sku, item.product)
    return tuple(seen.values())


def method_refused(product: Product, method: str) -> str:
    """A fact sentence: ``product`` cannot be paid with ``method``; names the methods it allows."""
    others = [m for m in product.payment_methods if m != method]
    allowed = f"，可用的支付方式：{enumerate_cn(others)}" if others else ""
    return f"{quoted(product.name)}不支持{method}{allowed}。"


def promotion_facts(snapshot: AccountSnapshot) -> Iterator[str]:
    for product in cart_products(snapshot):
        if product.promotion_restriction:
            yield f"{quoted(product.name)}参加了促销活动：{product.promotion_restriction.rstrip('。')}。"


def shortfall_fact(label: str, available, cart_total) -> str:
    """``您的可用额度 ¥500.00 低于结算金额 ¥3,999.00。``"""
    return f"您的{label} {format_cny(available)} 低于结算金额 {format_cny(cart_total)}。"
