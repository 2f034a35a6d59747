"""The lead's pages of the console (issue #19): analytics (``/analytics``, its charts and CSV
tables) and conversation review (``/conversations``). Thin: the figures, queries, masking and
tables are ``fenqi.analytics``'s. Every handler needs the ``lead`` role (403 otherwise), checked
on the server from the session on every request.

Before answering, a page folds the tracker events stored since the last refresh into the rollup
(a bounded amount: :data:`PAGE_BATCHES`); a background task of the app keeps it current too.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Optional, Tuple, TypeVar
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.analytics import charts, queries, rollup
from fenqi.analytics.channels import parse_channel
from fenqi.analytics.events import has_events_table
from fenqi.analytics.labels import known_intents
from fenqi.analytics.periods import Period, PeriodError, period_from
from fenqi.analytics.review import (
    PAGE_SIZE,
    ReviewError,
    conversation_view,
    filters_from,
    list_conversations,
    parse_tags,
    save_review,
)
from fenqi.analytics.tables import ANALYTICS_TABLES, Table, conversations_table
from fenqi.db.engine import Store
from fenqi.handoff.agents import LEAD, SignedIn

from . import lead_pages
from .security import SIGNED

logger = logging.getLogger(__name__)
STORE = web.AppKey("store", Store)
TRACKER = web.AppKey("tracker", Engine)
PAGE_BATCHES = 2             # a page folds at most 2 × 5,000 new events before answering
REFRESH_SECONDS = 10         # the background refresh
CSV_ROWS = 2000              # the conversation list's CSV: this many rows a file (&page=2 for the next)
T = TypeVar("T")


def lead(request: web.Request) -> SignedIn:
    """The signed-in agent, who must have the ``lead`` role (else 403, with a page saying so)."""
    signed: Optional[SignedIn] = request.get(SIGNED)
    if signed is None or not signed.has(LEAD):
        raise web.HTTPForbidden(text=lead_pages.forbidden_page(signed), content_type="text/html")
    return signed


def today() -> Any:
    return clock.today()


async def work(request: web.Request, fn: Callable[[Session, Optional[Connection]], T]) -> T:
    """``fn(session, tracker connection)`` in a worker thread: one account-store unit of work and,
    when Rasa's table exists, a tracker-store connection."""
    store, tracker = request.app[STORE], request.app[TRACKER]

    def run() -> T:
        with store.session() as session:
            if not has_events_table(tracker):
                return fn(session, None)
            with tracker.connect() as connection:
                return fn(session, connection)
    return await asyncio.to_thread(run)


async def fresh(request: web.Request) -> rollup.Progress:
    """Fold what Rasa stored since the last refresh (bounded) before a page reads the rollup."""
    store, tracker = request.app[STORE], request.app[TRACKER]
    return await asyncio.to_thread(rollup.refresh, store, tracker, max_batches=PAGE_BATCHES)


def _period(request: web.Request) -> Tuple[Period, Optional[str], str]:
    """The requested period and channel; a bad custom period falls back to the default and says why."""
    channel = parse_channel(request.query.get("channel"))
    try:
        return period_from(request.query, today()), channel, ""
    except PeriodError as exc:
        return period_from({}, today()), channel, f"时间段无效（{exc}），已显示近 7 天。"


def _csv(table: Table, period: Period, channel: Optional[str]) -> web.Response:
    name = f"{table.name}-{period.first.isoformat()}_{period.last.isoformat()}{'-' + channel if channel else ''}.csv"
    return web.Response(body=table.csv().encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- analytics ----------------------------------------------------------------------------------

async def analytics(request: web.Request) -> web.Response:
    signed = lead(request)
    period, channel, error = _period(request)
    progress = await fresh(request)
    report = await work(request, lambda s, _: queries.build_report(s, period, channel))
    return web.Response(text=lead_pages.analytics_page(signed, period, channel, report, progress, error),
                        content_type="text/html")


async def analytics_csv(request: web.Request) -> web.Response:
    lead(request)
    make = ANALYTICS_TABLES.get(request.match_info["table"])
    if make is None:
        raise web.HTTPNotFound()
    period, channel, _ = _period(request)
    report = await work(request, lambda s, _: queries.build_report(s, period, channel))
    return _csv(make(report), period, channel)


CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"  # the SVG document's own inline styles


async def chart(request: web.Request) -> web.Response:
    """A chart as an SVG image (same origin: the page's ``img-src 'self'`` shows it)."""
    lead(request)
    name = request.match_info["name"]
    if name not in charts.CHARTS:
        raise web.HTTPNotFound()
    period, channel, _ = _period(request)

    def draw(session: Session, _: Any) -> str:
        if name == "intents":
            return charts.chart(name, queries.rankings(session, period, channel)[0])
        return charts.chart(name, queries.daily_series(session, period, channel))
    svg = await work(request, draw)
    return web.Response(text=svg, content_type="image/svg+xml", headers={"Content-Security-Policy": CHART_CSP})


# --- conversation review ------------------------------------------------------------------------

def _filters(request: web.Request) -> Tuple[Any, str]:
    channel = parse_channel(request.query.get("channel"))
    try:
        return filters_from(request.query, today(), channel), ""
    except PeriodError as exc:
        return filters_from({k: v for k, v in request.query.items() if k not in ("period", "from", "to")},
                            today(), channel), f"时间段无效（{exc}），已显示近 7 天。"


async def conversations(request: web.Request) -> web.Response:
    signed = lead(request)
    filters, error = _filters(request)
    await fresh(request)

    def load(session: Session, tracker: Optional[Connection]) -> str:
        rows, total = list_conversations(session, tracker, filters)
        return lead_pages.conversations_page(signed, filters, rows, total, PAGE_SIZE, known_intents(), error)
    return web.Response(text=await work(request, load), content_type="text/html")


async def conversations_csv(request: web.Request) -> web.Response:
    lead(request)
    filters, _ = _filters(request)
    rows, _total = await work(request, lambda s, t: list_conversations(s, t, filters, page_size=CSV_ROWS))  # page N
    return _csv(conversations_table(rows), filters.period, filters.channel)


def _conversation_id(request: web.Request) -> int:
    try:
        value = int(request.match_info["conversation_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 < value < 2**31:
        raise web.HTTPNotFound()
    return value


def _back(value: object) -> str:
    """Where "back to the list" goes: the list with its filters, never another site."""
    back = value if isinstance(value, str) else ""
    return back if back.startswith("/conversations") and "//" not in back and len(back) < 500 else "/conversations"


async def conversation(request: web.Request) -> web.Response:
    signed = lead(request)
    conversation_id = _conversation_id(request)
    notice = "已保存。" if request.query.get("saved") == "1" else ""
    view = await work(request, lambda s, t: conversation_view(s, t, conversation_id))
    if view is None:
        raise web.HTTPNotFound(text="没有这个会话")
    return web.Response(text=lead_pages.conversation_page(signed, view, _back(request.query.get("back")), notice),
                        content_type="text/html")


async def review(request: web.Request) -> web.Response:
    """Store tags and the reviewed mark (a form POST with the session's CSRF token)."""
    signed = lead(request)
    conversation_id = _conversation_id(request)
    form = await request.post()
    fixed = [v for v in form.getall("tag", []) if isinstance(v, str)]
    free = form.get("free", "")
    try:
        tags = parse_tags(fixed, free if isinstance(free, str) else "")
    except ReviewError as exc:
        raise web.HTTPBadRequest(text=lead_pages.error_page(signed, str(exc)), content_type="text/html") from None
    now = clock.utcnow()
    saved = await work(request, lambda s, _: save_review(s, conversation_id, tags, form.get("reviewed") == "1",
                                                         signed.agent_id, now))
    if not saved:
        raise web.HTTPNotFound(text="没有这个会话")
    logger.info("agent %s reviewed conversation #%s", signed.agent_id, conversation_id)
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}?saved=1&back={quote(_back(form.get('back')), safe='')}")


# --- wiring -------------------------------------------------------------------------------------

async def refresh_forever(app: web.Application) -> None:
    """Load matplotlib, then keep the rollup current in the background (errors are logged, never fatal)."""
    try:
        await asyncio.to_thread(charts.warm_up)
    except Exception:  # the charts will say so when asked
        logger.exception("could not load matplotlib")
    while True:
        try:
            await asyncio.to_thread(rollup.refresh, app[STORE], app[TRACKER], max_batches=20)
        except Exception:  # a store that is down: try again later
            logger.exception("analytics refresh failed")
        await asyncio.sleep(REFRESH_SECONDS)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/analytics", analytics)
    app.router.add_get("/analytics/charts/{name}.svg", chart)
    app.router.add_get("/analytics/{table}.csv", analytics_csv)
    app.router.add_get("/conversations", conversations)
    app.router.add_get("/conversations.csv", conversations_csv)
    app.router.add_get("/conversations/{conversation_id}", conversation)
    app.router.add_post("/conversations/{conversation_id}/review", review)

