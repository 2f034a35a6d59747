"""Issue #11 "open doors": fail-closed demo login, demo-only accounts, bounded relay, no sid in logs,
placeholder secrets, nginx routes. In process against real aiohttp servers and a real SQLite store."""
from __future__ import annotations

import asyncio
import logging
from functools import partial

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.db.models import User
from fenqi.security.limits import Limits
from fenqi.settings import Settings
from tests.support.schema import init_db
from webapp.app import create_app
from webapp.config import WebConfig, load_web_config
from webapp.socket_proxy import SESSION, open_client_session, relay

SECRET = "surface-test-" + "q1w2e3r4t5y6u7i8o9p0" * 2


@pytest.fixture
def database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'fenqi.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(make_session_factory(engine)) as session:
        seed_demo(session)
        session.add(User(user_id="real_customer", name="王五", region="广州", credit_rating="A",
                         account_status="active"))
    engine.dispose()
    return url


def call(make_app, method, path, **kwargs):
    async def go():
        async with TestClient(TestServer(make_app())) as client:
            response = await client.request(method, path, **kwargs)
            kind = response.headers.get("Content-Type", "")
            return response.status, await (response.json() if "json" in kind else response.text())
    return asyncio.run(go())


@pytest.mark.parametrize("env", [{}, {"FENQI_ENV": "Production"}, {"FENQI_ENV": "prod"},
                                 {"FENQI_ENV": "staging"}, {"FENQI_ENV": ""}])
def test_demo_login_is_off_unless_explicitly_development(env):
    assert load_web_config(env).dev_login is False
    assert load_web_config({"FENQI_ENV": "development"}).dev_login is True


def test_demo_login_never_mints_a_token_for_a_real_account(database_url):
    def settings():
        return Settings(database_url=database_url, jwt_secret=SECRET, token_ttl=60, production=False)
    app = partial(create_app, WebConfig(dev_login=True), settings)
    status, body = call(app, "POST", "/api/dev-login", json={"user_id": "real_customer"})
    assert status == 404 and "token" not in body
    status, body = call(app, "GET", "/api/demo-users")
    ids = {u["user_id"] for u in body["users"]}
    assert "real_customer" not in ids and ids and all(i.startswith("demo_") for i in ids)


def test_relay_is_bounded_per_client():
    async def go():
        release = asyncio.Event()

        async def slow_upstream(request):
            await release.wait()
            return web.Response(text="ok")

        upstream = web.Application()
        upstream.router.add_route("*", "/socket.io/", slow_upstream)
        async with TestServer(upstream) as rasa:
            limits = Limits(relay_max_concurrent=4, relay_max_per_client=2, relay_rate_per_minute=1000)
            app = web.Application()
            app.cleanup_ctx.append(open_client_session(limits))
            app.router.add_route("GET", "/socket.io/", relay(str(rasa.make_url("")), SESSION, limits))
            async with TestClient(TestServer(app)) as client:
                pending = [asyncio.ensure_future(client.get("/socket.io/?EIO=4")) for _ in range(2)]
                await asyncio.sleep(0.3)
                third = await client.get("/socket.io/?EIO=4")
                release.set()
                statuses = [(await p).status for p in pending]
                return third.status, statuses
    third, first_two = asyncio.run(go())
    assert third == 429 and first_two == [200, 200]


def test_web_access_log_has_no_query_strings(caplog):
    from webapp.__main__ import PathOnlyAccessLogger

    class Req:
        method, path, path_qs = "GET", "/socket.io/", "/socket.io/?EIO=4&sid=SECRETSID"

    class Resp:
        status = 200

    logger = logging.getLogger("aiohttp.access")
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        PathOnlyAccessLogger(logger, "").log(Req(), Resp(), 0.01)
    assert "SECRETSID" not in caplog.text and "/socket.io/" in caplog.text


def test_example_compose_secrets_refuse_to_start():
    from pathlib import Path

    from fenqi.settings import ConfigurationError, check_production_secret
    example = Path(__file__).resolve().parents[2] / "deploy" / "compose.env.example"
    values = dict(line.split("=", 1) for line in example.read_text().splitlines()
                  if "=" in line and not line.startswith("#"))
    for name in ("FENQI_JWT_SECRET", "RASA_API_TOKEN", "DB_PASSWORD"):
        with pytest.raises(ConfigurationError):
            check_production_secret(name, values[name])
