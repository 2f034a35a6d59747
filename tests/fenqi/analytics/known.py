"""A known history, written the way Rasa and the actions store it, and what analytics must make
of it — worked out by hand below, not by the code under test. Used on SQLite
(tests/fenqi/analytics) and on PostgreSQL (tests/prod/test_analytics_postgres.py).

Period 2026-11-02 .. 2026-11-04 (business dates, Asia/Shanghai = UTC+8):

  day    conv  channel  messages (intent: what the bot did, latency ms)            ticket
  11-01  C0    widget   greet: answer 100                         (before the period)
  11-02  C1    widget   how_to_repay: answer 200; thank: answer 100
  11-02  C2    wechat   nlu_fallback (guess credit_limit): clarify 300; "/credit_limit": answer 150
  11-02  C3    rest     out_of_scope: 250; request_human: handoff 400          after_fallback, waited 120 s, rated 2
  11-03  C4    widget   why_cannot (question why.no_option, phone number): 500;
                        request_human: handoff 300                             asked, waited 60 s, rated 5
  11-03  C5    widget   3 × nlu_fallback (guesses how_to_repay, repayment_due, how_to_repay):
                        clarify 300, clarify 300, handoff 350                  fallback_ladder, never accepted
  11-04  C6    wechat   early_repayment (question early.fee) at 07:30 Beijing = 23:30 UTC the day before: 220
  11-04  C7    widget   (C1's sender, a new session) repayment_due (question due.date): 180
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from fenqi.analytics import demo
from fenqi.analytics.channels import REST, WECHAT, WIDGET
from fenqi.analytics.periods import Period
from fenqi.db.engine import Store
from fenqi.handoff.reasons import AFTER_FALLBACK, ASKED, FALLBACK_LADDER
from tests.support.times import BJ

PERIOD = Period("custom", date(2026, 11, 2), date(2026, 11, 4))
OPENID = "o" + "W3chatOpenIdOfC2Shopper0123"[:27]
SENDERS = {"C0": "anon:z0", "C1": "anon:a1", "C2": "wx:" + OPENID, "C3": "rest:anon:shop-3",
           "C4": "web:demo_ok", "C5": "anon:b5", "C6": "wx:o" + "C6".ljust(27, "x"), "C7": "anon:a1"}
PHONE = "13812345678"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time in November 2026, aware in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BJ).astimezone(timezone.utc)


def history() -> demo.History:
    h = demo.History()
    h.chat(SENDERS["C0"], utc(1, 23, 50)).say("你好", "greet", 0.97, 2).answer("greet", 0.100)
    h.chat(SENDERS["C1"], utc(2, 10)).say("怎么还款", "how_to_repay", 0.95, 5).answer("how_to_repay", 0.200) \
        .say("谢谢", "thank", 0.97, 10).answer("thank", 0.100)
    h.chat(SENDERS["C2"], utc(2, 11), "wechat") \
        .say("额度那个", "nlu_fallback", 0.4, 5, ranking=[("credit_limit", 0.35), ("how_to_repay", 0.1)]) \
        .clarify(0.300, options=("credit_limit", "how_to_repay")) \
        .say("/credit_limit", "credit_limit", 1.0, 4).answer("credit_limit", 0.150)
    h.chat(SENDERS["C3"], utc(2, 12), "rest").say("快递到哪了", "out_of_scope", 0.8, 5).out_of_scope(0.250) \
        .say("转人工", "request_human", 0.98, 6).hand_off(AFTER_FALLBACK, 0.400, accepted_after=120, rating=2)
    h.chat(SENDERS["C4"], utc(3, 9, 30)) \
        .say(f"为什么不能分期，我手机{PHONE}", "why_cannot_installment", 0.9, 5,
             question=("why.no_option", 0.8)).answer("why_cannot_installment", 0.500) \
        .say("转人工", "request_human", 0.98, 8).hand_off(ASKED, 0.300, accepted_after=60, rating=5)
    c5 = h.chat(SENDERS["C5"], utc(3, 20))
    for guess in ("how_to_repay", "repayment_due"):
        c5.say("那个怎么弄", "nlu_fallback", 0.3, 5, ranking=[(guess, 0.3)]).clarify(0.300, options=(guess, "auto_repay"))
    c5.say("还是不行", "nlu_fallback", 0.3, 5, ranking=[("how_to_repay", 0.28)]) \
        .hand_off(FALLBACK_LADDER, 0.350, accepted_after=None)
    h.chat(SENDERS["C6"], utc(4, 7, 30), "wechat").say("怎么提前还款", "early_repayment", 0.88, 3,
                                                        question=("early.fee", 0.9)).answer("early_repayment", 0.220)
    h.chat(SENDERS["C7"], utc(4, 15)).say("还款日是哪天", "repayment_due", 0.9, 3, question=("due.date", 0.7)) \
        .answer("repayment_due", 0.180)
    return h


def load(store: Store, tracker) -> demo.History:
    """Write the history's events and tickets; returns it."""
    h = history()
    demo.write_events(tracker, h.rows)
    with store.session() as session:
        demo.write_tickets(session, h.tickets)
    return h


# --- what analytics must say (by hand, see the module docstring) --------------------------------
TOTAL = dict(conversations=7, handoffs=3, messages=13, fallbacks=5, questions=9, answered_directly=4)
BY_CHANNEL = {
    WIDGET: dict(conversations=4, handoffs=2, messages=8, fallbacks=3, questions=6, answered_directly=3),
    WECHAT: dict(conversations=2, handoffs=0, messages=3, fallbacks=1, questions=2, answered_directly=1),
    REST: dict(conversations=1, handoffs=1, messages=2, fallbacks=1, questions=1, answered_directly=0),
}
# nearest-rank percentiles of 100,150,180,200,220,250,300,300,300,300,350,400,500
LATENCY = {None: (300, 500), WIDGET: (300, 500), WECHAT: (220, 300), REST: (250, 400)}
REASONS = {ASKED: 1, AFTER_FALLBACK: 1, FALLBACK_LADDER: 1}
WAIT_MEDIAN = {None: 90.0, WIDGET: 60.0, WECHAT: None, REST: 120.0}
CSAT = {None: (3.5, (0, 1, 0, 0, 1)), WIDGET: (5.0, (0, 0, 0, 0, 1)), WECHAT: (None, (0, 0, 0, 0, 0)),
        REST: (2.0, (0, 1, 0, 0, 0))}
DAILY = [  # day, conversations, handoffs, messages, fallbacks, rated, csat
    (date(2026, 11, 2), 3, 1, 6, 2, 1, 2.0),
    (date(2026, 11, 3), 2, 2, 5, 3, 1, 5.0),
    (date(2026, 11, 4), 2, 0, 2, 0, 0, None),
]
INTENTS = [("nlu_fallback", 4), ("request_human", 2), ("credit_limit", 1), ("early_repayment", 1),
           ("how_to_repay", 1), ("out_of_scope", 1), ("repayment_due", 1), ("thank", 1),
           ("why_cannot_installment", 1)]
QUESTIONS = [("due.date", 1), ("early.fee", 1), ("why.no_option", 1)]
FALLBACK_INTENTS = [("how_to_repay", 2), ("credit_limit", 1), ("out_of_scope", 1), ("repayment_due", 1)]


# --- checks shared by the SQLite and PostgreSQL tests -------------------------------------------

def counts_dict(counts) -> dict:
    return dict(conversations=counts.conversations, handoffs=counts.handoffs, messages=counts.messages,
                fallbacks=counts.fallbacks, questions=counts.questions, answered_directly=counts.answered_directly)


def check_report(store: Store) -> None:
    """Every figure of the analytics page for the period, all channels and per channel."""
    from fenqi.analytics.queries import build_report

    with store.session() as session:
        report = build_report(session, PERIOD)
        one = {c: build_report(session, PERIOD, c).total for c in (WIDGET, WECHAT, REST)}
    assert counts_dict(report.total.counts) == TOTAL
    assert {c: counts_dict(f.counts) for c, f in report.by_channel.items()} == BY_CHANNEL
    assert {c: counts_dict(f.counts) for c, f in one.items()} == BY_CHANNEL  # the channel filter
    t = report.total
    assert (t.containment, t.handoff_rate, t.fallback_rate, t.answered_directly_rate) == (4 / 7, 3 / 7, 5 / 13, 4 / 9)
    for channel, figures in [(None, t)] + list(report.by_channel.items()):
        assert (figures.latency_p50_ms, figures.latency_p95_ms) == LATENCY[channel], channel
        assert figures.wait_median_seconds == WAIT_MEDIAN[channel], channel
        assert (figures.csat, figures.ratings) == CSAT[channel], channel
    assert t.reasons == REASONS and t.served == 2
    assert [(p.day, p.conversations, p.handoffs, p.messages, p.fallbacks, p.rated, p.csat) for p in report.daily] == DAILY
    assert report.intents == INTENTS
    assert report.questions == QUESTIONS
    assert report.fallback_intents == FALLBACK_INTENTS


def rollup_rows(store: Store) -> tuple:
    """The rollup's content, comparable between runs."""
    from sqlalchemy import select

    from fenqi.db.models import AnalyticsConversation as C
    from fenqi.db.models import AnalyticsTurn as T

    with store.session() as session:
        conversations = [tuple(r) for r in session.execute(select(
            C.id, C.sender_id, C.channel, C.day, C.started_at, C.last_at, C.last_event_id, C.open_turn_id, C.messages,
            C.fallbacks, C.ticket_id).order_by(C.id))]
        turns = [tuple(r) for r in session.execute(select(
            T.id, T.conversation_id, T.day, T.at, T.channel, T.intent, T.confidence, T.guess, T.question_id,
            T.question, T.fallback, T.clarified, T.latency_ms).order_by(T.id))]
    return conversations, turns


def check_review_list(store: Store, tracker) -> None:
    """The conversation list's filters on the known history."""
    from fenqi.analytics.review import Filters, list_conversations

    def ids(**filters) -> list:
        with store.session() as session, tracker.connect() as connection:
            rows, total = list_conversations(session, connection, Filters(PERIOD, **filters))
        assert total == len(rows)
        return [(r.channel, r.messages) for r in rows]

    assert len(ids()) == 7
    assert ids(fallback=True) == [(WIDGET, 3), (REST, 2), (WECHAT, 2)]       # C5, C3, C2 (newest first)
    assert ids(handoff=True) == [(WIDGET, 3), (WIDGET, 2), (REST, 2)]        # C5, C4, C3
    assert ids(low_rating=True) == [(REST, 2)]                               # C3, rated 2
    assert ids(intent="request_human") == [(WIDGET, 2), (REST, 2)]           # C4, C3
    assert ids(channel=WECHAT) == [(WECHAT, 1), (WECHAT, 2)]                 # C6, C2
    assert ids(channel=WIDGET, handoff=True, fallback=True) == [(WIDGET, 3)]  # C5
