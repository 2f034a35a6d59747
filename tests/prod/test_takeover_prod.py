"""Live takeover against the production stack: PostgreSQL, Redis, two Rasa instances and an action
server behind nginx, the widget host app relaying socket.io to nginx, the console on the same store.

The same flow as tests/browser/test_browser_takeover.py (shopper and agent in two browser contexts):
the agent's messages are delivered by whichever Rasa instance holds the shopper's socket, socket.io
emits cross instances through Redis (AsyncRedisManager), tracker checks go through nginx.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests

from deploy.cluster import Ports, ProdStack
from tests.browser.conftest import browser, web_url  # noqa: F401 - fixtures: Chromium, the widget host app
from tests.browser.test_browser_takeover import takeover_flow
from tests.support.console import add_agent, start_console
from tests.support.stack import MODEL

pytestmark = [pytest.mark.prod, pytest.mark.browser, pytest.mark.timeout(1200)]

SHOPPER = "demo_rf_used_up"


@pytest.fixture(scope="module")
def prod(prod_binaries, prod_workdir):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    stack = ProdStack(prod_workdir / "takeover", Ports.random(n_rasa=2, n_actions=1), durable=False)
    try:
        stack.start(timeout=600, log=lambda msg: None)
    except Exception as exc:
        pytest.fail(f"production stack did not start: {exc}")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def stack(prod):
    """What the widget host app fixture needs: socket.io through nginx; its demo login (development
    mode for the host app only) mints tokens with the production secret."""
    return SimpleNamespace(env=dict(prod.env, FENQI_ENV="development"), rasa_url=prod.balancer_url)


@pytest.fixture(scope="module")
def console(prod, tmp_path_factory):
    env = dict(prod.env, FENQI_CONSOLE_SECURE_COOKIE="0")  # plain HTTP on loopback in the test
    add_agent(env, "安娜")
    c = start_console(env, tmp_path_factory.mktemp("console"))
    yield c
    c.stop()


def test_takeover_through_nginx_with_two_rasa_instances(prod, browser, web_url, console):  # noqa: F811
    for url in prod.rasa_urls:  # both instances are up and serving
        assert requests.get(f"{url}/status", params={"token": prod.api_token}, timeout=30).ok
    takeover_flow(browser, web_url, console.url, prod.balancer_url, prod.api_token, prod.accounts_url, SHOPPER)
