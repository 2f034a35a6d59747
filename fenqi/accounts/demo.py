"""The packaged demo accounts: one user per situation the assistant can explain."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import FrozenSet, Optional

import yaml
from sqlalchemy.orm import Session

from fenqi.accounts.loader import load_accounts_text
from fenqi.accounts.writer import LoadSummary

DEMO_FILE = "demo_accounts.yml"


def demo_accounts_text() -> str:
    return resources.files("fenqi.accounts").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def seed_demo(session: Session, now: Optional[datetime] = None) -> LoadSummary:
    """Load (or refresh) the demo accounts; relative dates resolve against ``now``."""
    return load_accounts_text(session, demo_accounts_text(), now=now, source=DEMO_FILE)


@lru_cache(maxsize=1)
def demo_user_ids() -> FrozenSet[str]:
    """The user ids of the packaged demo accounts: the only users a demo login may sign in as."""
    data = yaml.safe_load(demo_accounts_text()) or {}
    return frozenset(str(u["user_id"]) for u in data.get("users") or [] if isinstance(u, dict) and "user_id" in u)
