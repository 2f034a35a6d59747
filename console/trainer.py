"""The trainer's pages of the console (issue #20): the NLU inbox (``/inbox``) and the model releases
(``/models``). Thin: collecting, grouping, need, guards and decisions are ``fenqi.training``'s. Every
handler needs the ``trainer`` role (403 otherwise; ``/models`` also opens to leads), checked on the
server from the session on every request; a decision is a form POST with the session's CSRF token.

Before the inbox answers it folds new tracker events into the analytics rollup and takes the new
shopper messages into the inbox (bounded amounts).
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

from aiohttp import web
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.analytics.labels import known_intents
from fenqi.handoff.agents import LEAD, TRAINER, SignedIn
from fenqi.knowledge import load_questions
from fenqi.nlp import FALLBACK
from fenqi.nlp.training_data import EVALUATION_SETS, TRAINING_DIR, evaluation_texts, training_files
from fenqi.training import inbox, releases
from fenqi.training.guards import TrainingIndex

from . import lead, trainer_pages
from .security import SIGNED

logger = logging.getLogger(__name__)
MODELS_DIR = web.AppKey("models_dir", Path)
COLLECT_LIMIT = 2000   # shopper messages a page takes into the inbox before answering
MAX_PAGE = 1000


def trainer(request: web.Request, also: Tuple[str, ...] = ()) -> SignedIn:
    """The signed-in agent, who must have the ``trainer`` role (or one of ``also``), else 403."""
    signed: Optional[SignedIn] = request.get(SIGNED)
    if signed is None or not (signed.has(TRAINER) or any(signed.has(r) for r in also)):
        raise web.HTTPForbidden(text=trainer_pages.forbidden_page(signed), content_type="text/html")
    return signed


def _stamp() -> Tuple[Tuple[str, float], ...]:
    files = [*training_files(TRAINING_DIR), *EVALUATION_SETS.values()]
    return tuple((str(p), p.stat().st_mtime) for p in files if p.exists())


@lru_cache(maxsize=1)
def _index(stamp: Tuple[Tuple[str, float], ...]) -> TrainingIndex:
    from fenqi.nlp.training_data import training_examples

    return TrainingIndex(training_examples(TRAINING_DIR), evaluation_texts())


def training_index() -> TrainingIndex:
    """The guards' index of the project's training and evaluation lines, rebuilt when a file changes."""
    return _index(_stamp())


def intents() -> list:
    return [i for i in known_intents() if i not in ("", FALLBACK)]


def _page(request: web.Request) -> int:
    try:
        return min(max(int(request.query.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def _back(value: object) -> str:
    back = value if isinstance(value, str) else ""
    return back if back.startswith("/inbox") and "//" not in back and len(back) < 200 else "/inbox"


def _now():  # an aware instant (the stores keep UTC)
    return clock.utcnow().replace(microsecond=0)


async def inbox_page(request: web.Request) -> web.Response:
    signed = trainer(request)
    status = "decided" if request.query.get("status") == "decided" else "open"
    page_no = _page(request)
    try:
        done_id = int(request.query.get("done") or 0)
    except ValueError:
        done_id = 0
    await lead.fresh(request)
    index = await asyncio.to_thread(training_index)
    models_dir = request.app[MODELS_DIR]

    def load(session: Session, tracker: Optional[Connection]) -> str:
        inbox.collect(session, tracker, index, _now(), limit=COLLECT_LIMIT)
        groups, total = inbox.list_groups(session, status, page_no, training=index)
        notice = inbox.group_view(session, done_id) if done_id else None
        return trainer_pages.inbox_page(signed, load_questions(), intents(), status, groups, total, page_no,
                                        inbox.PAGE_SIZE, releases.live_model(session, models_dir),
                                        inbox.counts(session), notice)
    return web.Response(text=await lead.work(request, load), content_type="text/html")


async def decide(request: web.Request) -> web.Response:
    """One decision for one group (confirm, relabel with ``label=intent|question``, out_of_scope, discard)."""
    signed = trainer(request)
    try:
        group_id = int(request.match_info["group_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 < group_id < 2**31:
        raise web.HTTPNotFound()
    form = await request.post()
    action, label = form.get("action"), form.get("label")
    intent, question = None, None
    if isinstance(label, str) and "|" in label and len(label) <= 140:
        intent, _, question = label.partition("|")
    index = await asyncio.to_thread(training_index)

    def act(session: Session, _: Optional[Connection]) -> str:
        try:
            inbox.decide(session, group_id, str(action), signed.agent_id, _now(), index, intent, question or None)
        except inbox.DecisionError as exc:
            return str(exc)
        return ""
    error = await lead.work(request, act)
    if error:
        if error == "no such group":
            raise web.HTTPNotFound(text="没有这个组")
        raise web.HTTPBadRequest(text=trainer_pages.error_page(signed, error), content_type="text/html")
    logger.info("agent %s decided inbox group #%s: %s", signed.agent_id, group_id, action)
    back = _back(form.get("back"))
    raise web.HTTPSeeOther(back + ("&" if "?" in back else "?") + f"done={group_id}")


async def models(request: web.Request) -> web.Response:
    signed = trainer(request, also=(LEAD,))
    models_dir = request.app[MODELS_DIR]

    def load(session: Session, _: Optional[Connection]) -> str:
        return trainer_pages.models_page(signed, releases.live_model(session, models_dir),
                                         releases.releases(session, 30))
    return web.Response(text=await lead.work(request, load), content_type="text/html")


def add_routes(app: web.Application, models_dir: Path) -> None:
    app[MODELS_DIR] = Path(models_dir)
    app.router.add_get("/inbox", inbox_page)
    app.router.add_post("/inbox/groups/{group_id}", decide)
    app.router.add_get("/models", models)
