"""The packaged demo accounts: one user per situation the assistant can explain."""
from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Optional

from sqlalchemy.orm import Session

from fenqi.accounts.loader import load_accounts_text
from fenqi.accounts.writer import LoadSummary

DEMO_FILE = "demo_accounts.yml"


def demo_accounts_text() -> str:
    return resources.files("fenqi.accounts").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def seed_demo(session: Session, now: Optional[datetime] = None) -> LoadSummary:
    """Load (or refresh) the demo accounts; relative dates resolve against ``now``."""
    return load_accounts_text(session, demo_accounts_text(), now=now, source=DEMO_FILE)
