"""A fresh SQLite account store file (with the demo accounts) per test."""
from __future__ import annotations

import pytest

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import session_scope


@pytest.fixture
def store(factory):
    with session_scope(factory) as session:
        seed_demo(session)
    return factory
