"""Real PostgreSQL / Redis / nginx for the production-mode tests (loopback, random ports, temp data).

The binaries are installed with apt when missing (root); the tests are skipped only when they are
missing and cannot be installed. ``make test-prod`` installs them first, so CI never skips.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from deploy.services import Postgres, free_port, install_missing


def _world_traversable_tmpdir(prefix: str) -> Path:
    """pytest's tmp dirs are private to root; the ``postgres`` user needs its own."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope="session")
def prod_binaries():
    missing = install_missing(log=lambda msg: print(msg))
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed and cannot be installed here (need root and apt-get)")


@pytest.fixture(scope="session")
def pg_server(prod_binaries):
    """A throw-away PostgreSQL cluster (fsync off) for schema tests."""
    base = _world_traversable_tmpdir("fenqi-pg-test-")
    server = Postgres(base / "pg", free_port(), secrets.token_urlsafe(16), durable=False)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def prod_workdir():
    base = _world_traversable_tmpdir("fenqi-prod-test-")
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(prod_binaries, tmp_path_factory):
    from deploy.services import Redis

    server = Redis(tmp_path_factory.mktemp("redis"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prod_stack(prod_binaries, prod_workdir):
    """The production stack of ``make run-prod`` (2 Rasa instances, 1 action server, PostgreSQL, Redis,
    nginx) shared by the modules that need no special channel set-up (test_failover.py,
    test_training_loop.py): one start-up for them."""
    from deploy.cluster import Ports, ProdStack
    from tests.support.stack import MODEL

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    prod = ProdStack(prod_workdir / "prod", Ports.random(n_rasa=2, n_actions=1), durable=False)
    try:
        prod.start(timeout=420, log=lambda msg: None)
    except Exception as exc:  # keep the servers' logs in the failure message
        pytest.fail(f"production stack did not start: {exc}")
    yield prod
    prod.stop()
