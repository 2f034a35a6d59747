"""Engines and sessions, created on request (never at import time).

:class:`Store` is one engine with its session factory; :func:`process_store` is *the* store of a
process (built once, on first use, from the settings) that actions, channels and the web app use.
The schema is made by Alembic only (``fenqi.db.migrations``, ``python -m fenqi db init``).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None (other backends, in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs) -> Engine:
    """A 2.0-style engine; for SQLite, foreign keys on and the file's directory created."""
    path = sqlite_file(url)
    if path is not None:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass(frozen=True)
class Store:
    """The account store: one engine and its session factory."""

    engine: Engine
    sessions: sessionmaker

    @classmethod
    def open(cls, url: str, **kwargs) -> "Store":
        engine = make_engine(url, **kwargs)
        return cls(engine, make_session_factory(engine))

    def session(self):
        """A unit of work (:func:`session_scope`)."""
        return session_scope(self.sessions)

    def close(self) -> None:
        self.engine.dispose()


_process_store: Optional[Store] = None
_process_lock = threading.Lock()


def process_store() -> Store:
    """The process's store, opened once on first use at ``load_settings().database_url``."""
    global _process_store
    with _process_lock:
        if _process_store is None:
            from fenqi.settings import load_settings

            _process_store = Store.open(load_settings().database_url)
        return _process_store


def close_process_store() -> None:
    """Dispose of the process's store; the next :func:`process_store` opens it again (shutdown, tests)."""
    global _process_store
    with _process_lock:
        if _process_store is not None:
            _process_store.close()
            _process_store = None
