"""Data lifecycle (PIPL, issue #21) with the real parts: the operator commands ``python -m fenqi
data purge|export|erase`` on a seeded history in a real account store (Alembic schema, demo
accounts) and Rasa's own tracker store (``WindowedSQLTrackerStore``), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from deploy.tracker_store import WindowedSQLTrackerStore
from fenqi import clock
from fenqi.db.engine import make_engine
from tests.support.history import OPENID_A, OPENID_B, RETENTION, USER_A, USER_B, Seeded, seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


class Stores:
    def __init__(self, account_url: str, tracker_url: str, tracker_store, var: Path) -> None:
        self.account_url, self.tracker_url, self.tracker_store, self.var = account_url, tracker_url, tracker_store, var
        self.seeded: Seeded = seed(account_url, tracker_store, var / "log", clock.utcnow())

    def fenqi(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "FENQI_ENV": "development", "FENQI_DATABASE_URL": self.account_url,
               "FENQI_TRACKER_URL": self.tracker_url, "FENQI_VAR_DIR": str(self.var),
               "FENQI_RETENTION_DAYS": str(RETENTION)}
        return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)

    def query(self, url: str, sql: str, **params) -> List[tuple]:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(sql), params)]
        finally:
            engine.dispose()

    def events(self) -> Dict[str, List[tuple]]:
        out: Dict[str, List[tuple]] = {}
        for sender, kind, ts in self.query(self.tracker_url, "SELECT sender_id, type_name, timestamp FROM events "
                                                             "ORDER BY id"):
            out.setdefault(sender, []).append((kind, ts))
        return out

    def tickets(self) -> Dict[int, str]:
        return dict(self.query(self.account_url, "SELECT id, sender_id FROM handoff_tickets"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def stores(request, domain, tmp_path):
    if request.param == "sqlite":
        account_url = f"sqlite:///{tmp_path / 'fenqi.db'}"
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
        config = {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    else:
        pg = request.getfixturevalue("pg_server")
        suffix, password = secrets.token_hex(4), secrets.token_urlsafe(12)
        accounts, trackers = f"accounts_{suffix}", f"tracker_{suffix}"
        pg.ensure_role_and_databases("fenqi_test", password, [accounts, trackers])
        account_url, tracker_url = (pg.url(accounts, "fenqi_test", password), pg.url(trackers, "fenqi_test", password))
        config = {"dialect": "postgresql", "url": "127.0.0.1", "port": pg.port, "db": trackers,
                  "username": "fenqi_test", "password": password}
    from rasa.core.tracker_store import create_tracker_store

    tracker_store = create_tracker_store(EndpointConfig.from_dict(
        {"type": "deploy.tracker_store.WindowedSQLTrackerStore", "recent_events": 40, **config}), domain)
    assert isinstance(tracker_store, WindowedSQLTrackerStore)  # Rasa falls back to memory silently
    yield Stores(account_url, tracker_url, tracker_store, tmp_path / "var")
    tracker_store.engine.dispose()


def counts(output: str) -> Dict[str, int]:
    """``kind: N`` lines of a purge or erase report."""
    out = {}
    for line in output.splitlines():
        if line.startswith("  ") and ":" in line:
            kind, _, rest = line.strip().partition(": ")
            out[kind] = int(rest.split()[0])
    return out


def test_purge_removes_exactly_what_is_older_than_the_retention(stores):
    before_events, before_tickets = stores.events(), stores.tickets()
    dry = stores.fenqi("data", "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout and f"retention {RETENTION} days, cutoff" in dry.stdout
    assert stores.events() == before_events and stores.tickets() == before_tickets  # nothing removed

    done = stores.fenqi("data", "purge")
    assert done.returncode == 0, done.stderr
    reported = counts(done.stdout)
    assert counts(dry.stdout) == reported  # the dry run counted what the purge then removed
    after = stores.events()
    # conversations: the old visitor whole; of "mixed" the two ended sessions, not the active one
    # that started before the cutoff (its old first turn stays with it)
    assert "web:old_visitor" not in after
    assert after["rest:u:mixed"] == [e for e in before_events["rest:u:mixed"] if e[1] >= stores.seeded.session3_start]
    assert after["rest:u:mixed"][0][0] == "session_started"
    for sender in set(before_events) - {"web:old_visitor", "rest:u:mixed"}:
        assert after[sender] == before_events[sender], sender
    removed = sum(len(v) for v in before_events.values()) - sum(len(v) for v in after.values())
    assert reported["conversations"] == removed > 0
    # tickets: the two whose whole life is older than the retention, with their messages
    ids = stores.seeded.tickets
    assert set(stores.tickets()) == set(before_tickets) - {ids["old_closed"], ids["old_open_untouched"]}
    assert stores.query(stores.account_url, "SELECT count(*) FROM ticket_messages WHERE ticket_id IN (:a, :b)",
                        a=ids["old_closed"], b=ids["old_open_untouched"]) == [(0,)]
    assert stores.query(stores.account_url, "SELECT count(*) FROM ticket_takeovers WHERE ticket_id = :a",
                        a=ids["old_closed"]) == [(0,)]
    assert (reported["tickets"], reported["takeover messages"]) == (2, 2)
    # binding codes and attempts past the retention; bindings are current state and stay
    assert stores.query(stores.account_url, "SELECT code FROM binding_codes") == [("NEWCODE234",)]
    assert stores.query(stores.account_url, "SELECT key FROM binding_attempts") == [("openid:new",)]
    assert len(stores.query(stores.account_url, "SELECT openid FROM wechat_bindings")) == 2
    # log files: the old rotated one removed, the stale live one emptied, recent ones untouched
    logs = {p.name: p.stat().st_size for p in stores.seeded.log_dir.iterdir()}
    assert "rasa-1.log.2025-01-01" not in logs and logs["actions-1.log"] == 0
    assert logs["rasa-1.log.2026-01-01"] > 0 and logs["rasa-1.log"] > 0
    assert reported["log files"] == 2

    again = stores.fenqi("data", "purge")
    assert again.returncode == 0 and set(counts(again.stdout).values()) == {0}


def test_export_holds_everything_about_the_user_and_nothing_of_another(stores, tmp_path):
    out = tmp_path / "export.json"
    result = stores.fenqi("data", "export", USER_A, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o077 == 0  # personal data: owner only
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["user_id"] == USER_A and data["account"]["user"]["user_id"] == USER_A
    orders = data["account"]["orders"]
    assert [o["order_id"] for o in orders] == ["ORD-DEMO-OK-1", "ORD-DEMO-OK-2"] and orders[0]["bills"]
    assert data["account"]["credit_lines"][0]["credit_limit"]
    conversations = {c["conversation_id"] for c in data["conversations"]}
    assert {f"web:{USER_A}", f"rest:u:{USER_A}:app"} <= conversations and len(conversations) == 3
    for marker in ("用户A 微信 最近", "用户A 网页 最近", "用户A 接口 最近", "摘要 user_a_web", "转写 user_a_web",
                   "消息 user_a_web 0", "摘要 user_a_wechat_before_binding"):
        assert marker in text, marker
    assert len(data["wechat bindings"]) == 1 and data["binding codes"][0]["code"] == "***"
    # nothing of user B, of anonymous visitors or of old conversations; no raw OpenID
    for foreign in (USER_B, "用户B", "user_b_web", "匿名", "老访客", "old_closed", "ORD-DEMO-LOW", OPENID_A, OPENID_B,
                    "NEWCODE234"):
        assert foreign not in text, foreign
    assert stores.fenqi("data", "export", "no-such-user").returncode == 2


def test_erase_removes_the_users_conversation_data_and_leaves_others(stores):
    before_events, before_tickets = stores.events(), stores.tickets()
    refused = stores.fenqi("data", "erase", USER_A, stdin="n\n")
    assert refused.returncode == 1 and "erase? [y/N]" in refused.stdout and "nothing erased" in refused.stdout
    assert stores.events() == before_events and stores.tickets() == before_tickets

    done = stores.fenqi("data", "erase", USER_A, "--yes")
    assert done.returncode == 0, done.stderr
    reported = counts(done.stdout)
    after = stores.events()
    mine = {f"web:{USER_A}", f"rest:u:{USER_A}:app", f"wx:{OPENID_A}"}
    assert not mine & set(after) and set(after) == set(before_events) - mine
    assert all(after[s] == before_events[s] for s in after)  # others untouched
    assert reported["conversations"] == 3
    assert reported["conversation events"] == sum(len(before_events[s]) for s in mine)
    ids = stores.seeded.tickets
    assert set(stores.tickets()) == set(before_tickets) - {ids["user_a_web"], ids["user_a_wechat_before_binding"]}
    assert (reported["tickets"], reported["takeover messages"]) == (2, 3)
    assert stores.query(stores.account_url, "SELECT openid FROM wechat_bindings") == [(OPENID_B,)]
    assert stores.query(stores.account_url, "SELECT code FROM binding_codes ORDER BY code") == [("OLDCODE234",)]
    # the account itself is the lender's record and stays
    assert stores.query(stores.account_url, "SELECT count(*) FROM orders WHERE user_id = :u", u=USER_A) == [(2,)]
    again = stores.fenqi("data", "erase", USER_A, "--yes")
    assert again.returncode == 0 and set(counts(again.stdout).values()) == {0}
