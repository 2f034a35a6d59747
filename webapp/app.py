"""The aiohttp app: help page, widget assets, widget config and the demo login API."""
from __future__ import annotations

from typing import Callable, Optional
from urllib.parse import urlsplit

from aiohttp import web

from fenqi.db.engine import Store
from fenqi.settings import Settings, load_settings
from webapp.config import STATIC_DIR, WebConfig, load_web_config
from webapp.demo_login import DemoAccounts, NoAccountTables, UnknownUser, user_card
from webapp.socket_proxy import SESSION, open_client_session, relay

CONFIG = web.AppKey("config", WebConfig)
SETTINGS = web.AppKey("settings", object)
ACCOUNTS = web.AppKey("accounts", object)
MAX_USER_ID = 64


def socket_origins(url: str) -> str:
    """CSP ``connect-src`` entries for a directly reached Rasa server ("" for the relay)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    ws = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {ws}://{parts.netloc}"


def content_security_policy(config: WebConfig) -> str:
    connect = " ".join(filter(None, ["'self'", socket_origins(config.public_socket_url)]))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy",
                                content_security_policy(request.app[CONFIG]))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path == "/" or request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def socket_io_client(request: web.Request) -> web.StreamResponse:
    path = request.app[CONFIG].socket_io_client
    if not path.is_file():
        raise web.HTTPServiceUnavailable(text="socket.io-client is not installed: run `make widget-deps`")
    return web.FileResponse(path, headers={"Content-Type": "application/javascript"})


async def widget_config(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    return web.json_response({"socket_url": config.public_socket_url,
                              "socket_path": config.socket_path, "dev_login": config.dev_login})


def _require_dev_login(request: web.Request) -> DemoAccounts:
    if not request.app[CONFIG].dev_login:
        raise web.HTTPForbidden(text='{"error": "dev_login_disabled"}', content_type="application/json")
    return request.app[ACCOUNTS]


def _store_unavailable(exc: Exception) -> web.HTTPServiceUnavailable:
    return web.HTTPServiceUnavailable(text=f'{{"error": "no_account_store", "hint": "{exc}"}}',
                                      content_type="application/json")


async def demo_users(request: web.Request) -> web.Response:
    accounts = _require_dev_login(request)
    try:
        users = accounts.users()
    except NoAccountTables as exc:
        raise _store_unavailable(exc)
    return web.json_response({"demo_only": True, "users": [user_card(u) for u in users]})


async def dev_login(request: web.Request) -> web.Response:
    """Demo only: ``{"user_id": ...}`` -> a signed token for that store user."""
    accounts = _require_dev_login(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_USER_ID:
        return web.json_response({"error": "user_id_required"}, status=400)
    try:
        login = accounts.login(user_id, request.app[SETTINGS]())
    except UnknownUser:
        return web.json_response({"error": "unknown_user"}, status=404)
    except NoAccountTables as exc:
        raise _store_unavailable(exc)
    return web.json_response({"demo_only": True, "token": login.token,
                              "expires_at": login.expires_at, "user": user_card(login.user)})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(config: Optional[WebConfig] = None,
               settings: Callable[[], Settings] = load_settings) -> web.Application:
    """The web app; the process's account store is opened on startup, closed on cleanup."""
    config = config or load_web_config()
    app = web.Application(middlewares=[security_headers], client_max_size=16 * 1024)
    app[CONFIG] = config
    app[SETTINGS] = settings

    async def open_store(app: web.Application):
        store = Store.open(settings().database_url) if config.dev_login else None
        app[ACCOUNTS] = DemoAccounts(store.engine) if store is not None else None
        yield
        if store is not None:
            store.close()

    app.cleanup_ctx.append(open_store)
    app.cleanup_ctx.append(open_client_session())
    if not config.public_socket_url:
        for method in ("GET", "POST"):
            app.router.add_route(method, config.socket_path + "/", relay(config.rasa_url, SESSION))
    app.router.add_get("/", index)
    app.router.add_get("/healthz", health)
    app.router.add_get("/vendor/socket.io.min.js", socket_io_client)
    app.router.add_get("/api/config", widget_config)
    app.router.add_get("/api/demo-users", demo_users)
    app.router.add_post("/api/dev-login", dev_login)
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    return app
