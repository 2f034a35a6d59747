"""A fresh SQLite account store file (with the demo accounts) per test."""
from __future__ import annotations

import pytest

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import init_db, make_engine, make_session_factory, session_scope


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store' / 'fenqi.db'}")
    init_db(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed_demo(session)
    yield factory
    engine.dispose()
