"""Every kind of bad input is reported with its line and field path, and nothing is written."""

import pytest
from sqlalchemy import func, select

from fenqi.accounts.errors import AccountsFileError
from fenqi.accounts.loader import load_accounts, load_accounts_file, load_accounts_text
from fenqi.accounts.repository import load_snapshot
from fenqi.db import models as m
from fenqi.db.engine import session_scope

BASE = """\
products:
  - {sku: phone, name: Phone, price: 3999}
users:
  - {user_id: u1, name: 张三, region: 北京, credit_rating: A, credit: {limit: 5000}, cart: [{sku: phone}]}
"""

# A valid change to u1 precedes each error, so a half-written load would be visible.
PREFIX = """\
users:
  - user_id: u1
    name: 改名
    region: 上海
    credit_rating: B
"""


def _state(session, now):
    tables = {t: session.scalar(select(func.count()).select_from(t))
              for t in (m.User, m.Product, m.CartItem, m.CreditLine, m.Order, m.Bill, m.MaintenanceWindow)}
    return tables, load_snapshot(session, "u1", now=now)


@pytest.fixture
def seeded(factory, now):
    with session_scope(factory) as session:
        load_accounts_text(session, BASE, now=now)
    with session_scope(factory) as session:
        before = _state(session, now)
    return factory, before


def _load_error(factory, text, now) -> AccountsFileError:
    with pytest.raises(AccountsFileError) as info:
        with session_scope(factory) as session:
            load_accounts_text(session, text, now=now, source="bad.yml")
    return info.value


CASES = {
    "malformed yaml": (PREFIX + "  - user_id: [u2\n    name: x\n",
                       "bad.yml: line 7: malformed YAML"),
    "unknown field": (PREFIX + "    nickname: 小张\n",
                      "bad.yml: line 6: users[0].nickname: unknown field (allowed: user_id, name"),
    "bad enum": (PREFIX + "  - {user_id: u2, name: 李四, region: 北京, credit_rating: F}\n",
                 "bad.yml: line 6: users[1].credit_rating: must be one of A, B, C, D, E, got 'F'"),
    "negative price": ("products:\n  - sku: p2\n    name: 手环\n    price: -199.00\n" + PREFIX,
                       "bad.yml: line 4: products[0].price: must be greater than 0, got -199.00"),
    "order for unknown user": (PREFIX + "orders:\n  - {order_id: o1, user_id: ghost, product_name: P, total: 100,"
                                        " periods: 1, created: today, first_due: today}\n",
                               "bad.yml: line 7: orders[0].user_id: unknown user 'ghost'"),
    "missing required field": (PREFIX + "  - user_id: u2\n    name: 李四\n    credit_rating: A\n",
                               "bad.yml: line 6: users[1]: missing required field 'region'"),
    "duplicate key": (PREFIX + "    credit_rating: C\n",
                      "bad.yml: line 6: users[0].credit_rating: duplicate key 'credit_rating' (first at line 5)"),
    "duplicate id": (PREFIX + "  - {user_id: u1, name: 李四, region: 北京, credit_rating: A}\n",
                     "bad.yml: line 6: users[1].user_id: duplicate user_id 'u1' (also users[0].user_id)"),
    "credit limit range": (PREFIX + "    credit: {limit: 500}\n",
                           "bad.yml: line 6: users[0].credit.limit: must be between 1000 and 100000, got 500.00"),
    "too many decimals": (PREFIX + "    credit: {limit: 5000, used: 1.005}\n",
                          "users[0].credit.used: must have at most 2 decimal places"),
    "not a boolean": (PREFIX + "    identity_verified: yes please\n",
                      "line 6: users[0].identity_verified: must be true or false, got 'yes please'"),
    "cart unknown product": (PREFIX + "    cart: [{sku: tv}]\n",
                             "line 6: users[0].cart[0].sku: unknown product 'tv'"),
    "bills do not cover periods": (
        PREFIX + "orders:\n  - order_id: o1\n    user_id: u1\n    product_name: P\n    total: 100\n"
                 "    periods: 2\n    created: today\n    bills:\n"
                 "      - {period_no: 1, due_date: today, principal: 100}\n",
        "line 13: orders[0].bills: must have one bill per period 1..2; missing 2"),
    "bills and first_due": (
        PREFIX + "orders:\n  - {order_id: o1, user_id: u1, product_name: P, total: 100, periods: 1,"
                 " created: today, first_due: today, bills: []}\n",
        "orders[0].first_due: give either bills or first_due, not both"),
    "bad relative date": (
        PREFIX + "orders:\n  - {order_id: o1, user_id: u1, product_name: P, total: 100, periods: 1,"
                 " created: today+3h, first_due: today}\n",
        "line 7: orders[0].created: must be a date"),
    "window ends before it starts": (
        PREFIX + "service:\n  maintenance:\n    - service: installment\n      start: now+2h\n      end: now-1h\n",
        "line 10: service.maintenance[0].end: must be after start"),
    "bad service": (PREFIX + "service:\n  maintenance:\n    - {service: login, start: now, end: now+1h}\n",
                    "line 8: service.maintenance[0].service: must be one of installment, reserve_fund, repayment"),
    "wrong shape": (PREFIX + "products: {sku: x}\n", "line 6: products: must be a list, got a mapping"),
    "unknown top-level key": (PREFIX + "customers: []\n", "line 6: customers: unknown field (allowed: users"),
    "empty file": ("", "bad.yml: line 1: the file is empty"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_names_line_and_path_and_nothing_changes(seeded, now, name):
    factory, before = seeded
    text, expected = CASES[name]
    error = _load_error(factory, text, now)
    assert expected in str(error)
    assert "\n" not in str(error)
    with session_scope(factory) as session:
        assert _state(session, now) == before


def test_all_problems_are_collected(seeded, now):
    factory, before = seeded
    text = PREFIX + "    account_status: closed\n  - {user_id: u2, name: 李四, region: 北京, credit_rating: Z}\n"
    error = _load_error(factory, text, now)
    assert [(p.line, p.path) for p in error.problems] == [(6, "users[0].account_status"), (7, "users[1].credit_rating")]
    assert str(error).endswith("(and 1 more problem)")


def test_plain_data_errors_have_paths_without_lines(factory, now):
    with pytest.raises(AccountsFileError) as info:
        with session_scope(factory) as session:
            load_accounts(session, {"products": [{"sku": "p", "name": "P", "price": "abc"}]}, now=now)
    assert str(info.value) == "products[0].price: must be an amount in yuan, got 'abc'"


def test_unreadable_file(factory, tmp_path, now):
    with pytest.raises(AccountsFileError, match="missing.yml: cannot read file"):
        with session_scope(factory) as session:
            load_accounts_file(session, tmp_path / "missing.yml", now=now)
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"users: \xff\xfe\n")
    with pytest.raises(AccountsFileError, match="not UTF-8"):
        with session_scope(factory) as session:
            load_accounts_file(session, binary, now=now)


def test_unsafe_yaml_tags_are_refused(factory, now):
    error = _load_error(factory, "users: !!python/object/apply:os.system [echo hi]\n", now)
    assert "line 1: malformed YAML" in str(error)
