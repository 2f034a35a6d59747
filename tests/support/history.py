"""A seeded history for the data-lifecycle tests: old and recent conversations (written by Rasa's
own tracker store), tickets with messages, WeChat bindings, binding codes and log files, for two
users and for nobody, relative to ``now``.

``RETENTION`` days is the retention the tests run with; "old" means older than it, "recent"
newer. Each text is distinctive so an export can be searched for what must (not) be in it.
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import Store
from fenqi.db.migrations import upgrade
from fenqi.db.models import (
    BindingAttempt,
    BindingCode,
    HandoffTicket,
    TicketMessage,
    TicketTakeover,
    WechatBinding,
)

RETENTION = 180
USER_A, USER_B = "demo_ok", "demo_low_limit"  # demo accounts: A is exported/erased, B must stay
OPENID_A, OPENID_B = "oHistoryUserA0123456789abcde", "oHistoryUserB0123456789abcde"


@dataclass
class Seeded:
    now: datetime  # aware UTC
    session3_start: float  # epoch of the active session of "rest:u:mixed" (kept from there on)
    tickets: Dict[str, int]  # label -> id
    log_dir: Path


def _ts(now: datetime, days: float) -> float:
    return (now - timedelta(days=days)).timestamp()


def _session(start: float, texts: List[str], step: float = 60.0) -> list:
    """A session starting at ``start``: session start, then one user/bot turn per text."""
    events = [ActionExecuted("action_session_start", timestamp=start - 0.5), SessionStarted(timestamp=start),
              ActionExecuted("action_listen", timestamp=start + 0.1)]
    t = start + 1
    for text in texts:
        events += [UserUttered(text, {"name": "how_to_repay", "confidence": 0.9}, timestamp=t),
                   ActionExecuted("action_how_to_repay", timestamp=t + 0.1),
                   BotUttered(f"回答：{text}", timestamp=t + 0.2), ActionExecuted("action_listen", timestamp=t + 0.3)]
        t += step
    return events


def _save(tracker_store, sender: str, events: list) -> None:
    tracker = tracker_store.init_tracker(sender)
    for event in events:
        tracker.update(event)
    asyncio.run(tracker_store.save(tracker))


def seed(account_url: str, tracker_store, log_dir: Path, now: datetime) -> Seeded:
    """Migrate and fill the account store at ``account_url`` (demo accounts + history), the tracker
    store (a Rasa ``SQLTrackerStore``) and ``log_dir``; see the module doc."""
    upgrade(account_url)
    store = Store.open(account_url)
    day = 86400.0
    # conversations ------------------------------------------------------------------------
    _save(tracker_store, "web:old_visitor", _session(_ts(now, 300), ["旧会话 老访客"]))
    session3 = _ts(now, 190)
    _save(tracker_store, "rest:u:mixed",
          _session(_ts(now, 250), ["第一段 旧"]) + _session(_ts(now, 200), ["第二段 旧"])
          + _session(session3, ["第三段 旧的开头"]) + [UserUttered("第三段 最近", {"name": "greet"},
                                                                  timestamp=session3 + 189 * day)])
    _save(tracker_store, f"wx:{OPENID_A}", _session(_ts(now, 10), ["用户A 微信 最近"]))
    _save(tracker_store, f"web:{USER_A}", _session(_ts(now, 5), ["用户A 网页 最近"]))
    _save(tracker_store, f"rest:u:{USER_A}:app", _session(_ts(now, 3), ["用户A 接口 最近"]))
    _save(tracker_store, f"web:{USER_B}", _session(_ts(now, 4), ["用户B 网页 最近"]))
    _save(tracker_store, "anon:recent-visitor", _session(_ts(now, 2), ["匿名 最近"]))
    # account store ------------------------------------------------------------------------
    at = lambda days: now - timedelta(days=days)  # noqa: E731
    tickets: Dict[str, int] = {}
    with store.session() as session:
        seed_demo(session)
        session.add_all([WechatBinding(openid=OPENID_A, user_id=USER_A, bound_at=at(20)),
                         WechatBinding(openid=OPENID_B, user_id=USER_B, bound_at=at(20)),
                         BindingCode(code="OLDCODE234", user_id=USER_B, expires_at=at(200), used=True),
                         BindingCode(code="NEWCODE234", user_id=USER_A, expires_at=at(-0.01), used=False),
                         BindingAttempt(key="openid:old", window_start=at(200), attempts=3),
                         BindingAttempt(key="openid:new", window_start=at(0), attempts=1)])

        def ticket(label, sender, user, created, closed=None, messages=()):
            t = HandoffTicket(sender_id=sender, channel=sender.split(":")[0], user_id=user,
                              summary=f"摘要 {label}", transcript=[{"speaker": "user", "text": f"转写 {label}"}],
                              status="closed" if closed is not None else "open",
                              created_at=at(created), closed_at=at(closed) if closed is not None else None)
            session.add(t)
            session.flush()
            session.add(TicketTakeover(ticket_id=t.id, state="closed" if closed is not None else "queued"))
            for i, days in enumerate(messages):
                session.add(TicketMessage(ticket_id=t.id, author="shopper", kind="text", text=f"消息 {label} {i}",
                                          created_at=at(days), delivery="received"))
            tickets[label] = t.id

        ticket("old_closed", "anon:old-1", None, 300, closed=299, messages=(300, 299.5))
        ticket("old_open_untouched", "anon:old-2", None, 400)
        ticket("old_closed_recently", "anon:old-3", None, 200, closed=5)
        ticket("old_open_recent_message", "anon:old-4", None, 200, messages=(200, 2))
        ticket("user_a_web", f"web:{USER_A}", USER_A, 6, closed=5, messages=(6, 5.5))
        ticket("user_a_wechat_before_binding", f"wx:{OPENID_A}", None, 30, closed=29, messages=(30,))
        ticket("user_b_web", f"web:{USER_B}", USER_B, 4, messages=(4,))
    store.close()
    # log files ---------------------------------------------------------------------------
    log_dir.mkdir(parents=True, exist_ok=True)
    files = {"rasa-1.log.2025-01-01": 200, "rasa-1.log.2026-01-01": 1, "actions-1.log": 200, "rasa-1.log": 0}
    for name, days in files.items():
        path = log_dir / name
        path.write_text(f"log line of {name}\n", encoding="utf-8")
        stamp = _ts(now, days)
        os.utime(path, (stamp, stamp))
    return Seeded(now=now, session3_start=session3, tickets=tickets, log_dir=log_dir)
