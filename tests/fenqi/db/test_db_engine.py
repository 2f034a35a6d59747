from decimal import Decimal

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from fenqi.db.engine import make_engine, make_session_factory, session_scope, sqlite_file
from fenqi.db.models import CartItem, Product, User
from tests.support.schema import init_db


def _user(user_id="u1"):
    return User(user_id=user_id, name="张三", region="北京", credit_rating="B", account_status="active")


def test_make_engine_creates_the_sqlite_directory_and_init_db_the_tables(tmp_path):
    path = tmp_path / "a" / "b" / "fenqi.db"
    engine = make_engine(f"sqlite:///{path}")
    assert path.parent.is_dir() and not path.exists()
    init_db(engine)
    init_db(engine)  # idempotent
    assert {"users", "credit_lines", "reserve_funds", "products", "cart_items", "orders", "bills",
            "auto_repay", "maintenance_windows", "partner_suspensions", "region_policies",
            "policy_settings", "wechat_bindings", "binding_codes"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_file_only_for_file_databases(tmp_path):
    assert sqlite_file(f"sqlite:///{tmp_path}/x.db") == tmp_path / "x.db"
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql://u:p@host/db") is None


def test_foreign_keys_are_enforced(factory):
    with pytest.raises(IntegrityError):
        with session_scope(factory) as session:
            session.add(CartItem(user_id="nobody", sku="nothing", quantity=1))


def test_session_scope_commits_on_success(factory):
    with session_scope(factory) as session:
        session.add(_user())
    with session_scope(factory) as session:
        assert session.get(User, "u1").name == "张三"


def test_session_scope_rolls_back_on_error(factory):
    with pytest.raises(RuntimeError):
        with session_scope(factory) as session:
            session.add(_user())
            session.flush()
            raise RuntimeError("boom")
    with session_scope(factory) as session:
        assert session.scalars(select(User)).all() == []


def test_money_round_trips_as_exact_decimal(engine):
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        session.add(Product(sku="p", name="P", price=Decimal("99999999.99")))
        session.add(Product(sku="q", name="Q", price=Decimal("0.1")))
    with session_scope(factory) as session:
        assert session.get(Product, "p").price == Decimal("99999999.99")
        price = session.get(Product, "q").price
        assert isinstance(price, Decimal) and str(price) == "0.10"
