"""Account-store tests share one fixed moment (the store fixtures live in tests/fenqi/conftest.py)."""
from datetime import datetime

import pytest

from tests.support.times import BJ


@pytest.fixture
def now():
    return datetime(2024, 6, 15, 10, 30, tzinfo=BJ)
