"""Shared fixtures: a fresh SQLite account store per test, and the real bot stack (once per session)."""
import os

import pytest

from fenqi.db.engine import make_engine, make_session_factory
from tests.support.schema import init_db
from tests.support.stack import start_stack

# endpoints.yml takes the action server URL from the environment (the Makefile sets it too).
os.environ.setdefault("ACTION_SERVER_URL", "http://localhost:5055/webhook")
# Tests run the local demo set-up; unset FENQI_ENV means production (fail closed, issue #11).
os.environ.setdefault("FENQI_ENV", "development")


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("stack"))
    yield stack
    stack.stop()


@pytest.fixture
def engine(tmp_path):
    """A fresh SQLite account store file with all tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store' / 'fenqi.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)
