"""A fresh SQLite account store file per test."""
from __future__ import annotations

import pytest

from fenqi.db.engine import init_db, make_engine, make_session_factory


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store' / 'fenqi.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)
