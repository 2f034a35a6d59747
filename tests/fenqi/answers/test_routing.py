"""Product routing and the order-slot rule, in process (the action adapter only hands them data)."""
from dataclasses import replace

import pytest

from fenqi.answers.routing import keeps_order, product_asked


@pytest.mark.parametrize("text, entities, product", [
    ("备用金怎么还", [], "reserve_fund"),
    ("/how_to_repay{\"product\": \"备用金\"}", [], "reserve_fund"),
    ("那个怎么还", [{"entity": "product", "value": "备用金"}], "reserve_fund"),
    ("小米分期怎么还款", [{"entity": "product", "value": "小米分期"}], None),
    (None, [], None),
])
def test_product_asked(text, entities, product):
    assert product_asked(text, entities) == product


def test_chosen_order_is_kept_only_while_it_is_the_users(account):
    own = account.orders[0].order_id
    assert keeps_order(account, own)
    assert not keeps_order(account, "SOMEONE-ELSES")
    assert not keeps_order(None, own)  # anonymous: no order is anyone's
    assert not keeps_order(replace(account, orders=()), own)
    assert keeps_order(account, None) and keeps_order(None, None)  # nothing chosen, nothing to clear
