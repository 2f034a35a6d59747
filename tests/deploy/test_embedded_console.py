"""The supervisor of ``make run`` / ``make run-prod`` runs the agent console as one more process:
spawned on the stack's account store, health-checked, restarted when it dies, logged under
``log/``; the ready banner gives its URL and, with no agent in the store, the ``agents add``
command (no agent or password is made for you). No Rasa server is needed for this."""
from __future__ import annotations

import re

import pytest
import requests

from deploy.__main__ import console_banner
from deploy.embedded import EmbeddedStack, embedded_ports
from tests.support.console import add_agent
from tests.support.stack import TEST_SECRET, free_port

pytestmark = pytest.mark.timeout(180)
ADD = "FENQI_ENV=development .venv/bin/python -m fenqi agents add NAME"


@pytest.fixture
def stack(tmp_path):
    s = EmbeddedStack(tmp_path, embedded_ports(free_port(), free_port()), console_port=free_port(),
                      extra_env={"FENQI_ENV": "development", "FENQI_JWT_SECRET": TEST_SECRET,
                                 "FENQI_DATABASE_URL": f"sqlite:///{tmp_path / 'fenqi.db'}"})
    s.start_data(log=lambda _: None)  # db init (alembic upgrade head), as make run does
    yield s
    s.stop()


def test_the_console_is_supervised_and_answers_its_health_and_login_pages(stack):
    stack.spawn_console()
    stack.wait_ready(60)
    assert requests.get(stack.console_url + "/healthz", timeout=5).json() == {"status": "ok"}
    login = requests.get(stack.console_url + "/login", timeout=5)
    assert login.status_code == 200 and re.search(r'name="csrf" value="[^"]+"', login.text)
    assert requests.get(stack.console_url + "/", timeout=5, allow_redirects=False).status_code == 302

    first = stack.procs["console-1"].popen
    first.kill()
    first.wait(timeout=10)
    stack.restart("console-1", timeout=60)  # what the supervisor loop does for a stopped process
    assert stack.procs["console-1"].popen.pid != first.pid
    assert requests.get(stack.console_url + "/healthz", timeout=5).ok
    assert stack.procs["console-1"].log == stack.logs / "console-1.log" and stack.procs["console-1"].log.exists()


def test_the_banner_prints_the_add_command_until_an_agent_exists(stack):
    assert not stack.has_agents()
    banner = console_banner(stack, ADD, "  ")
    assert banner.startswith(stack.console_url) and banner.endswith(ADD)
    add_agent(stack.env, "安娜")
    assert stack.has_agents()
    assert ADD not in console_banner(stack, ADD, "  ")
