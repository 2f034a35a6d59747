"""The console's aiohttp app: sign-in, the queue, a ticket page and its live JSON API.

Every request is one store session (run in a worker thread); every POST needs the session's CSRF
token (form field ``csrf`` or header ``X-CSRF-Token``) and a same-origin ``Origin`` if one is sent.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fenqi import clock
from fenqi.accounts.repository import load_snapshot
from fenqi.db.engine import Store, make_engine, session_scope
from fenqi.db.models import Agent, HandoffTicket, TicketMessage
from fenqi.handoff import live
from fenqi.handoff import takeover as tk
from fenqi.handoff.agents import SignedIn, authenticate, end_session, resume_session, start_session
from fenqi.handoff.tickets import list_tickets, queue_position
from fenqi.handoff.view import account_summary, channel_label, masked_transcript, waiting_text
from fenqi.knowledge import load_knowledge
from fenqi.privacy import mask_pii
from fenqi.settings import ConsoleSettings, load_console_settings, load_settings

from . import lead, pages, trainer
from .security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SIGNED,
    LoginLimiter,
    cookie_options,
    csrf_ok,
)

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("static")
FACTORY = web.AppKey("factory", sessionmaker)
CONSOLE = web.AppKey("console", ConsoleSettings)
LIMITER = web.AppKey("limiter", LoginLimiter)        # per agent name: 5 failures / 5 min
IP_LIMITER = web.AppKey("ip_limiter", LoginLimiter)  # per client address: 30 failures / 5 min
PUBLIC = ("/login", "/healthz", "/static/", "/favicon.ico")
DATA = ("/api/",)                     # JSON; a GET of anything else but .csv/.svg is a page: sign in first
FILES = (".csv", ".svg")
ACTIONS: Dict[str, Callable[[int], tk.Event]] = {
    "accept": tk.Accept, "release": tk.Release, "handback": tk.HandBack, "close": tk.Close}
DELIVERY_LABELS = {"pending": "发送中", "delivered": "已送达", "received": "", "failed": "未送达"}
FAILURE_LABELS = {"window_closed": "已超过微信 48 小时客服消息时限", "quota": "客服消息额度已用完",
                  "no_channel": "该渠道不支持人工消息", "api_error": "微信接口出错",
                  live.EXPIRED: "用户 {wait}内未上线，消息已过期",
                  "signed_out": "顾客已退出登录或登录已过期"}
T = TypeVar("T")


def now() -> datetime:
    """Business time (fenqi.clock): aware, in the business zone."""
    return clock.now()


async def in_store(request: web.Request, work: Callable[[Session], T]) -> T:
    """``work(session)`` in one unit of work, off the event loop."""
    factory = request.app[FACTORY]

    def run() -> T:
        with session_scope(factory) as session:
            return work(session)
    return await asyncio.to_thread(run)


def _signed(request: web.Request) -> SignedIn:
    return request[SIGNED]


@web.middleware
async def security_headers(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer makes Origin "null"
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException) and response.status >= 400:
        raise response
    return response


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser form/fetch: the CSRF token still has to match
        return True
    return origin == f"{request.scheme}://{request.host}"


@web.middleware
async def authenticated(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                        ) -> web.StreamResponse:
    """Signed-in agents only (except the login page); CSRF token and origin on every POST."""
    if request.method == "POST" and not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin request refused")
    if request.path.startswith(PUBLIC):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    signed = await in_store(request, lambda s: resume_session(s, token, now()))
    if signed is None:
        if request.method == "GET" and not request.path.startswith(DATA) and not request.path.endswith(FILES):
            raise web.HTTPFound("/login")
        raise web.HTTPUnauthorized(text='{"error": "sign_in_required"}', content_type="application/json")
    if request.method == "POST":
        given: Any = request.headers.get(CSRF_HEADER)
        if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            given = (await request.post()).get(CSRF_FIELD)
        if not csrf_ok(signed.csrf_token, given if isinstance(given, str) else None):
            raise web.HTTPForbidden(text='{"error": "csrf"}', content_type="application/json")
    request[SIGNED] = signed
    return await handler(request)


# --- sign-in ------------------------------------------------------------------------------------

def _login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """The form with the login CSRF token: the cookie's when it has one (several tabs, a stray
    redirected request must not invalidate the page on screen), else a new one."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    csrf = current if 20 <= len(current) <= 64 and current.replace("-", "").replace("_", "").isalnum() \
        else secrets.token_urlsafe(24)
    response = web.Response(text=pages.login_page(csrf, error), content_type="text/html", status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, **cookie_options(request.app[CONSOLE].secure_cookie))  # type: ignore[arg-type]
    return response


async def login_form(request: web.Request) -> web.Response:
    return _login_form(request)


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    given = form.get(CSRF_FIELD)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), given if isinstance(given, str) else None):
        return _login_form(request, "页面已过期，请重新登录。", status=403)
    name, password = form.get("name"), form.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or len(name) > 32 or len(password) > 128:
        return _login_form(request, "账号或密码错误。", status=400)
    by_name, by_ip = request.app[LIMITER], request.app[IP_LIMITER]
    name_key, ip_key = f"name:{name}", f"ip:{request.remote}"
    if by_name.blocked(name_key) or by_ip.blocked(ip_key):
        return _login_form(request, "登录失败次数过多，请 5 分钟后再试。", status=429)

    def sign_in(session: Session) -> Optional[str]:
        agent = authenticate(session, name, password)
        return start_session(session, agent, now()) if agent is not None else None
    token = await in_store(request, sign_in)
    if token is None:
        by_name.failed(name_key)
        by_ip.failed(ip_key)
        logger.info("console sign-in failed")
        return _login_form(request, "账号或密码错误。", status=401)
    by_name.reset(name_key)
    response = web.HTTPFound("/")
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request.app[CONSOLE].secure_cookie))  # type: ignore[arg-type]
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    await in_store(request, lambda s: end_session(s, token))
    response = web.HTTPFound("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


# --- the queue ----------------------------------------------------------------------------------

def _agent_names(session: Session) -> Dict[int, str]:
    return {a.id: a.name for a in session.scalars(select(Agent))}


async def queue(request: web.Request) -> web.Response:
    online = await in_store(request, lambda s: live.agents_online(s, now()))
    return web.Response(text=pages.queue_page(_signed(request), online), content_type="text/html")


async def queue_api(request: web.Request) -> web.Response:
    def load(session: Session) -> Dict[str, Any]:
        moment, names = now(), _agent_names(session)
        items = []
        for ticket in list_tickets(session):
            state = live.takeover_state(session, ticket)
            items.append({"id": ticket.id, "position": queue_position(session, ticket),
                          "state": state.state, "state_label": pages.STATE_LABELS[state.state],
                          "agent": names.get(state.agent_id or -1),
                          "waiting": waiting_text(ticket.created_at, moment),
                          "channel": channel_label(ticket.channel),
                          "verified": ticket.user_id is not None, "summary": mask_pii(ticket.summary or "")})
        return {"tickets": items, "online": live.agents_online(session, moment)}
    return web.json_response(await in_store(request, load))


# --- a ticket -----------------------------------------------------------------------------------

def _ticket_id(request: web.Request) -> int:
    try:
        ticket_id = int(request.match_info["ticket_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 < ticket_id < 2**31:
        raise web.HTTPNotFound()
    return ticket_id


async def ticket_page(request: web.Request) -> web.Response:
    ticket_id = _ticket_id(request)

    def load(session: Session) -> Optional[str]:
        ticket = live.ticket_or_none(session, ticket_id)
        if ticket is None:
            return None
        summary = None
        if ticket.user_id:
            snapshot = load_snapshot(session, ticket.user_id)
            summary = account_summary(snapshot, load_knowledge()) if snapshot else None
        return pages.ticket_page(_signed(request), ticket.id, mask_pii(ticket.summary or ""),
                                 channel_label(ticket.channel), waiting_text(ticket.created_at, now()),
                                 masked_transcript(ticket.transcript or []), summary)
    html = await in_store(request, load)
    if html is None:
        raise web.HTTPNotFound(text="没有这个工单")
    return web.Response(text=html, content_type="text/html")


def wait_label(seconds: int) -> str:
    """``900`` -> "15 分钟", ``7200`` -> "2 小时", ``45`` -> "45 秒"."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


def failure_label(reason: Optional[str], message_ttl: int) -> Optional[str]:
    """What the console says about an undeliverable message (the stored reason when unknown)."""
    label = FAILURE_LABELS.get(reason or "")
    return label.format(wait=wait_label(message_ttl)) if label else reason


def _message_json(m: TicketMessage, names: Dict[int, str], message_ttl: int) -> Dict[str, Any]:
    return {"id": m.id, "author": m.author, "agent": names.get(m.agent_id or -1), "kind": m.kind,
            "text": m.text, "at": clock.local(m.created_at).strftime("%H:%M:%S"), "delivery": m.delivery,
            "delivery_label": DELIVERY_LABELS.get(m.delivery, ""),
            "delivery_error": failure_label(m.delivery_error, message_ttl)}


async def ticket_api(request: web.Request) -> web.Response:
    """The ticket's state and its live messages after ``?after=ID`` (polled by the page), and again
    from ``?pending=ID`` (the oldest message the page shows as pending) so state changes show."""
    ticket_id, signed = _ticket_id(request), _signed(request)
    message_ttl = request.app[CONSOLE].agent_message_ttl
    try:
        after = max(int(request.query.get("after", "0")), 0)
    except ValueError:
        after = 0
    try:  # the oldest message the page still shows as pending: its state may have changed since
        shown_pending = max(int(request.query.get("pending", "0")), 0)
    except ValueError:
        shown_pending = 0

    def load(session: Session) -> Optional[Dict[str, Any]]:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            return None
        state, names = live.takeover_state(session, ticket), _agent_names(session)
        # messages whose delivery state may still change are resent until settled, and so is
        # everything from the oldest one the page still shows as pending (delivered, failed or
        # expired meanwhile)
        unsettled = [m.id for m in live.messages(session, ticket_id) if m.delivery == "pending"]
        since = min([after] + [i - 1 for i in unsettled] + ([shown_pending - 1] if shown_pending else []))
        return {"state": state.state, "state_label": pages.STATE_LABELS[state.state],
                "agent": names.get(state.agent_id or -1), "mine": state.agent_id == signed.agent_id,
                "rating": state.rating,
                "messages": [_message_json(m, names, message_ttl)
                             for m in live.messages(session, ticket_id, since)]}
    data = await in_store(request, load)
    if data is None:
        raise web.HTTPNotFound()
    return web.json_response(data)


def _wants_json(request: web.Request) -> bool:
    return CSRF_HEADER in request.headers


async def ticket_action(request: web.Request) -> web.Response:
    ticket_id, signed = _ticket_id(request), _signed(request)
    name = request.match_info["action"]
    make = ACTIONS.get(name)
    if make is None:
        raise web.HTTPNotFound()

    def act(session: Session) -> Optional[str]:
        try:
            live.transition(session, ticket_id, make(signed.agent_id), now())
        except live.TicketNotFound:
            raise web.HTTPNotFound() from None
        except tk.InvalidTransition as exc:
            return str(exc)
        logger.info("agent %s: %s ticket #%s", signed.agent_id, name, ticket_id)
        return None
    error = await in_store(request, act)
    if _wants_json(request):
        return web.json_response({"ok": error is None, "error": error}, status=409 if error else 200)
    raise web.HTTPSeeOther(f"/tickets/{ticket_id}")


async def send_message(request: web.Request) -> web.Response:
    ticket_id, signed = _ticket_id(request), _signed(request)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = (await request.post()).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > live.MAX_TEXT:
        return web.json_response({"ok": False, "error": "消息为空或超过 1000 字"}, status=400)

    def send(session: Session) -> Optional[str]:
        try:
            live.post_agent_message(session, ticket_id, signed.agent_id, text, now())
        except live.TicketNotFound:
            raise web.HTTPNotFound() from None
        except tk.InvalidTransition:
            return "请先接入会话（只有接入的客服可以回复）"
        return None
    error = await in_store(request, send)
    if _wants_json(request):
        return web.json_response({"ok": error is None, "error": error}, status=409 if error else 200)
    raise web.HTTPSeeOther(f"/tickets/{ticket_id}")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def create_app(database_url: Optional[str] = None, console: Optional[ConsoleSettings] = None,
               limiter: Optional[LoginLimiter] = None, tracker_url: Optional[str] = None,
               refresh: bool = True, models_dir: Optional[Path] = None) -> web.Application:
    """The console app; the account store and tracker store engines are created on startup and
    disposed on cleanup; ``refresh``: keep the analytics rollup current in the background;
    ``models_dir``: where the model history is (default: the settings' ``FENQI_MODELS_DIR``)."""
    app = web.Application(middlewares=[security_headers, authenticated], client_max_size=16 * 1024)
    app[CONSOLE] = console or load_console_settings()
    app[LIMITER] = limiter or LoginLimiter()
    app[IP_LIMITER] = LoginLimiter(max_failures=30)

    async def open_store(app: web.Application):  # type: ignore[no-untyped-def]
        settings = load_settings() if database_url is None or tracker_url is None else None
        store = Store.open(database_url or settings.database_url)  # type: ignore[union-attr]  # schema: Alembic
        tracker = make_engine(tracker_url or settings.tracker_url)  # type: ignore[union-attr]  # Rasa's
        app[FACTORY], app[lead.STORE], app[lead.TRACKER] = store.sessions, store, tracker
        task = asyncio.ensure_future(lead.refresh_forever(app)) if refresh else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tracker.dispose()
        store.close()

    app.cleanup_ctx.append(open_store)
    app.router.add_get("/healthz", health)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", queue)
    app.router.add_get("/api/queue", queue_api)
    app.router.add_get("/tickets/{ticket_id}", ticket_page)
    app.router.add_get("/api/tickets/{ticket_id}", ticket_api)
    app.router.add_post("/tickets/{ticket_id}/messages", send_message)
    app.router.add_post("/tickets/{ticket_id}/{action}", ticket_action)
    lead.add_routes(app)
    trainer.add_routes(app, models_dir or Path(load_settings().models.models_dir))
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    return app
