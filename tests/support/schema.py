"""Test fixtures' shortcut to a schema: ``create_all`` from the models (the product uses Alembic only;
``tests/prod/test_migrations.py`` proves both give the same schema)."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from fenqi.db.models import Base


def init_db(engine: Engine) -> None:
    """Create missing tables (existing ones are left as they are)."""
    Base.metadata.create_all(engine)
