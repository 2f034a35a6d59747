"""Shared fixtures: the real bot stack (started once per test session, on demand)."""
import pytest

from tests.support.stack import start_stack


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("stack"))
    yield stack
    stack.stop()
