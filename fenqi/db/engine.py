"""Engines and sessions, created on request (never at import time).

:class:`Store` is one engine with its session factory; :func:`process_store` is *the* store of a
process (built once, on first use, from the settings) that actions, channels and the web app use.
The schema is made by Alembic only (``fenqi.db.migrations``, ``python -m fenqi db init``).
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

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


def serving_options(url: str, pool_size: int = 0) -> Dict[str, Any]:
    """``create_engine`` options of a serving process (actions, channels): a dead or hung
    database fails fast instead of holding a shopper (``fenqi.resilience``).

    Every backend: connections checked before use (``pool_pre_ping``; after a database restart
    the pooled ones are dead). PostgreSQL: ``connect_timeout``, ``statement_timeout`` and
    ``lock_timeout`` and an ``application_name`` of ``fenqi-<pid>`` (which process a query is
    from, in ``pg_stat_activity``). ``pool_size`` > 0 sizes the pool (as many again in
    overflow; a bounded wait for one). Migrations and the CLI keep plain engines (no statement timeout)."""
    from fenqi.resilience import DB_CONNECT_TIMEOUT_S, DB_STATEMENT_TIMEOUT_S

    options: Dict[str, Any] = {"pool_pre_ping": True}
    if make_url(url).get_backend_name() == "postgresql":
        millis = DB_STATEMENT_TIMEOUT_S * 1000
        options["connect_args"] = {
            "connect_timeout": DB_CONNECT_TIMEOUT_S,
            "application_name": f"fenqi-{os.getpid()}",
            "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
        }
        if pool_size > 0:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_timeout=DB_CONNECT_TIMEOUT_S)
    return options


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
    """The process's store, opened once on first use at ``load_settings().database_url``, with
    the serving timeouts (:func:`serving_options`)."""
    global _process_store
    with _process_lock:
        if _process_store is None:
            from fenqi.resilience import DB_THREADS
            from fenqi.settings import load_settings

            url = load_settings().database_url
            _process_store = Store.open(url, **serving_options(url, pool_size=DB_THREADS))
        return _process_store


def close_process_store() -> None:
    """Dispose of the process's store; the next :func:`process_store` opens it again (shutdown, tests)."""
    global _process_store
    with _process_lock:
        if _process_store is not None:
            _process_store.close()
            _process_store = None
