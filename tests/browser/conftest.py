"""The real stack for browser tests: seeded account store, action server, Rasa server with the
``secure_socketio`` channel, the widget web app, and Debian's headless Chromium.

The bot stack is the session's (``bot_stack`` in tests/conftest.py); the web app and the browser
are module-scoped, so Playwright's event loop is gone before other test modules run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.stack import ROOT, free_port

CHROMIUM = os.environ.get("FENQI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def _require(path: Path, hint: str) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: {hint}", pytrace=False)


@pytest.fixture(scope="module")
def stack(bot_stack):
    """The session's bot stack (tests/conftest.py): started once for e2e and browser tests."""
    return bot_stack


def launch_webapp(stack, log: Path):
    """``python -m webapp`` on a free port relaying socket.io to the stack's Rasa server, ready;
    (process, URL). The caller stops it."""
    _require(SOCKET_IO_CLIENT, "run `make widget-deps` (npm ci)")
    port = free_port()
    env = dict(stack.env, FENQI_WEB_HOST="127.0.0.1", FENQI_WEB_PORT=str(port),
               FENQI_RASA_URL=stack.rasa_url)
    env.pop("FENQI_RASA_PUBLIC_URL", None)
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "webapp"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        if proc.poll() is not None:
            pytest.fail(f"webapp exited ({proc.returncode}):\n{log.read_text()}", pytrace=False)
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            pass
        if time.time() > deadline:
            proc.terminate()
            pytest.fail(f"webapp not ready:\n{log.read_text()}", pytrace=False)
        time.sleep(0.3)


@pytest.fixture(scope="module")
def web_url(stack, tmp_path_factory):
    """``python -m webapp`` on a free port, relaying socket.io to the stack's Rasa server."""
    proc, url = launch_webapp(stack, tmp_path_factory.mktemp("web") / "web.log")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (Playwright never downloads a browser here)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make widget-deps` (apt-get install chromium)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
