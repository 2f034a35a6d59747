"""Real PostgreSQL / Redis / nginx for the production-mode tests (loopback, random ports, temp data).

The binaries are installed with apt when missing (root); the tests are skipped only when they are
missing and cannot be installed. ``make test-prod`` installs them first, so CI never skips.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from typing import List

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


class FakeApiThread:
    """The fake WeChat customer-service API on its own event-loop thread (the prod tests are sync)."""

    def __init__(self) -> None:
        from tests.support.stack import WECHAT_ENV
        from tests.support.wechat_simulator import FakeWeChatApi

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.fake = FakeWeChatApi(WECHAT_ENV["WECHAT_APPID"], WECHAT_ENV["WECHAT_APPSECRET"])
        self.url = asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)

    def sent_to(self, openid: str) -> List[str]:
        return [text for to, text in list(self.fake.sent) if to == openid]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="session")
def fake_wechat_api():
    api = FakeApiThread()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def supervised_stack(prod_binaries, prod_workdir, fake_wechat_api):
    """``make run-prod``'s stack (two Rasa instances, two action servers, the WeChat channel on a
    fake API) watched by ``python -m deploy``'s supervisor in a thread: (stack, supervisor).
    Shared by test_failover.py and test_faults.py (one start-up for both)."""
    from deploy.cluster import Ports, ProdStack
    from deploy.supervisor import Supervisor
    from tests.support.stack import MODEL, QUICK_STOP, WECHAT_ENV

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    stack = ProdStack(prod_workdir / "supervised", Ports.random(n_rasa=2, n_actions=2), durable=False)
    stack.env.update({**QUICK_STOP, **WECHAT_ENV}, WECHAT_API_BASE=fake_wechat_api.url)
    try:
        stack.start(timeout=600, log=lambda msg: None)
    except Exception as exc:
        stack.stop()
        pytest.fail(f"production stack did not start: {exc}")
    watch = Supervisor(stack, log=lambda msg: print(f"[supervisor] {msg}"))
    stopped = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stopped.is_set,), daemon=True)
    thread.start()
    yield stack, watch
    stopped.set()
    thread.join(30)
    stack.stop()
