"""Shared fixtures for the WeChat core tests: a real SQLite account store and sample keys."""
from __future__ import annotations

import base64
import os
from datetime import datetime

import pytest

from fenqi.db.engine import session_scope
from fenqi.db.models import User
from tests.support.times import BJ


def _new_aes_key() -> str:
    """A valid 43-character EncodingAESKey (base64 of 32 random bytes, no padding)."""
    return base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")


@pytest.fixture
def make_aes_key():
    return _new_aes_key


@pytest.fixture
def aes_key() -> str:
    return _new_aes_key()


@pytest.fixture
def sessions(factory):
    """The fresh account store (tests/conftest.py) with two users."""
    with session_scope(factory) as session:
        for user_id, name in (("u1001", "张三"), ("u1002", "李四")):
            session.add(User(user_id=user_id, name=name, region="北京", credit_rating="B",
                             account_status="active"))
    return factory


@pytest.fixture
def now() -> datetime:
    return datetime(2024, 6, 1, 10, 0, 0, tzinfo=BJ)
