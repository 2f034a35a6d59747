"""The demo web app over HTTP, against a real seeded SQLite account store."""
from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.identity import verify_token
from fenqi.settings import Settings
from tests.support.schema import init_db
from webapp.app import create_app
from webapp.config import WebConfig, load_web_config

SECRET = "webapp-test-secret-" + "z" * 32


@pytest.fixture
def database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'fenqi.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(make_session_factory(engine)) as session:
        seed_demo(session)
    engine.dispose()
    return url


def settings_for(url: str, ttl: int = 900):
    return lambda: Settings(database_url=url, jwt_secret=SECRET, token_ttl=ttl, production=False)


def call(make_app, method: str, path: str, **kwargs):
    """One request against a fresh app on a real loopback server: (status, body, headers)."""
    async def go():
        async with TestClient(TestServer(make_app())) as client:
            response = await client.request(method, path, **kwargs)
            kind = response.headers.get("Content-Type", "")
            body = await (response.json() if "json" in kind else response.text())
            return response.status, body, response.headers
    return asyncio.run(go())


def test_dev_login_mints_a_token_for_a_store_user(database_url):
    app = partial(create_app, WebConfig(), settings_for(database_url, ttl=900))
    status, body, _ = call(app, "POST", "/api/dev-login", json={"user_id": "demo_low_limit"})
    assert status == 200 and body["demo_only"] is True
    identity = verify_token(body["token"], SECRET)
    assert identity.user_id == "demo_low_limit" and identity.channel == "web"
    assert identity.expires_at == body["expires_at"]
    assert body["user"] == {"user_id": "demo_low_limit", "name": "李娜", "region": "上海",
                            "credit_rating": "B", "account_status": "正常"}


@pytest.mark.parametrize("payload, expected", [
    ({"user_id": "nobody"}, (404, "unknown_user")),
    ({"user_id": ""}, (400, "user_id_required")),
    ({"user": "demo_ok"}, (400, "user_id_required")),
    ({"user_id": "x" * 65}, (400, "user_id_required")),
])
def test_dev_login_refuses_what_is_not_a_store_user(database_url, payload, expected):
    app = partial(create_app, WebConfig(), settings_for(database_url))
    status, body, _ = call(app, "POST", "/api/dev-login", json=payload)
    assert (status, body["error"]) == expected


def test_demo_users_lists_the_store(database_url):
    app = partial(create_app, WebConfig(), settings_for(database_url))
    status, body, _ = call(app, "GET", "/api/demo-users")
    ids = [u["user_id"] for u in body["users"]]
    assert status == 200 and "demo_ok" in ids and "demo_frozen" in ids
    assert ids == sorted(ids)
    frozen = next(u for u in body["users"] if u["user_id"] == "demo_frozen")
    assert frozen["account_status"] == "已冻结"


def test_production_disables_the_demo_login(database_url):
    config = load_web_config({"FENQI_ENV": "production"})
    assert config.dev_login is False
    app = partial(create_app, config, settings_for(database_url))
    status, body, _ = call(app, "POST", "/api/dev-login", json={"user_id": "demo_ok"})
    assert status == 403 and body["error"] == "dev_login_disabled"
    assert call(app, "GET", "/api/demo-users")[0] == 403
    status, body, _ = call(app, "GET", "/api/config")
    assert status == 200 and body["dev_login"] is False


def test_missing_account_tables_is_a_clear_503(tmp_path):
    app = partial(create_app, WebConfig(), settings_for(f"sqlite:///{tmp_path / 'empty.db'}"))
    status, body, _ = call(app, "POST", "/api/dev-login", json={"user_id": "demo_ok"})
    assert status == 503 and body["error"] == "no_account_store"


def test_config_comes_from_the_environment(database_url):
    config = load_web_config({"FENQI_RASA_URL": "http://rasa.internal:5005/", "FENQI_WEB_PORT": "9090",
                              "FENQI_RASA_SOCKET_PATH": "chat.io", "FENQI_ENV": "development"})
    assert (config.port, config.rasa_url, config.socket_path) == (9090, "http://rasa.internal:5005",
                                                                  "/chat.io")
    app = partial(create_app, config, settings_for(database_url))
    status, body, headers = call(app, "GET", "/api/config")
    assert body == {"socket_url": "", "socket_path": "/chat.io", "dev_login": True}  # relayed
    assert "connect-src 'self';" in headers["Content-Security-Policy"]


def test_direct_mode_points_the_browser_at_the_public_rasa_url(database_url):
    config = load_web_config({"FENQI_RASA_PUBLIC_URL": "https://bot.example.com/"})
    app = partial(create_app, config, settings_for(database_url))
    status, body, headers = call(app, "GET", "/api/config")
    assert body["socket_url"] == "https://bot.example.com"
    assert "connect-src 'self' https://bot.example.com wss://bot.example.com;" in \
        headers["Content-Security-Policy"]
    assert call(app, "GET", "/socket.io/?EIO=4&transport=polling")[0] == 404  # no relay then


def test_relay_passes_socket_io_polling_through_unchanged(database_url):
    seen = []

    async def upstream_handler(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, await request.text(),
                     request.headers.get("Content-Type")))
        return web.Response(text="40{\"sid\":\"x\"}", content_type="text/plain",
                            headers={"Set-Cookie": "upstream=1"})

    async def scenario():
        upstream = web.Application()
        upstream.router.add_route("*", "/socket.io/", upstream_handler)
        async with TestServer(upstream, host="127.0.0.1") as rasa:
            config = WebConfig(rasa_url=str(rasa.make_url("")).rstrip("/"))
            app = create_app(config, settings_for(database_url))
            async with TestClient(TestServer(app)) as web_client:
                got = await web_client.get("/socket.io/?EIO=4&transport=polling&t=1")
                body = await got.text()
                posted = await web_client.post("/socket.io/?EIO=4&transport=polling&sid=x",
                                               data="40{\"token\":\"t\"}",
                                               headers={"Content-Type": "text/plain;charset=UTF-8"})
                return got.status, body, got.headers, posted.status

    status, body, headers, posted = asyncio.run(scenario())
    assert (status, body, posted) == (200, '40{"sid":"x"}', 200)
    assert "Set-Cookie" not in headers  # only the content type comes back
    assert seen == [("GET", "/socket.io/?EIO=4&transport=polling&t=1", "", None),
                    ("POST", "/socket.io/?EIO=4&transport=polling&sid=x", '40{"token":"t"}',
                     "text/plain;charset=UTF-8")]


def test_relay_reports_an_unreachable_chat_server(database_url):
    from tests.support.stack import free_port
    config = WebConfig(rasa_url=f"http://127.0.0.1:{free_port()}")
    status, text, _ = call(partial(create_app, config, settings_for(database_url)),
                           "GET", "/socket.io/?EIO=4&transport=polling")
    assert status == 502 and "unreachable" in text


def test_page_and_local_socket_io_client_are_served(database_url):
    app = partial(create_app, WebConfig(), settings_for(database_url))
    status, page, headers = call(app, "GET", "/")
    assert status == 200 and "帮助与客服" in page and "/vendor/socket.io.min.js" in page
    assert "演示登录" in page and "http" not in page.split("<body>")[1]  # nothing from a CDN
    assert headers["Cache-Control"] == "no-store"
    status, script, _ = call(app, "GET", "/vendor/socket.io.min.js")
    assert status == 200 and "Socket.IO" in script[:400]
    status, widget, _ = call(app, "GET", "/static/widget.js")
    assert status == 200 and "FenqiWidget" in widget


def test_missing_socket_io_client_says_how_to_install(database_url, tmp_path):
    app = partial(create_app, WebConfig(socket_io_client=Path(tmp_path / "absent.js")),
                  settings_for(database_url))
    status, text, _ = call(app, "GET", "/vendor/socket.io.min.js")
    assert status == 503 and "make widget-deps" in text
