"""The pure pieces of analytics: what an event means (fold), the metric formulas, periods in
Beijing dates, channels from sender ids, review tags, masking of identifiers, handoff reasons."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from fenqi.analytics import demo
from fenqi.analytics.channels import channel_of, parse_channel
from fenqi.analytics.events import event_from_row
from fenqi.analytics.fold import Fold
from fenqi.analytics.metrics import Counts, TicketFact, figures, percentile
from fenqi.analytics.periods import PeriodError, day_start_utc, period_from
from fenqi.analytics.review import ReviewError, parse_tags
from fenqi.handoff.reasons import requested_reason
from fenqi.privacy import mask_for_people
from tests.support.times import BJ

UTC = timezone.utc


def Row(i, row):  # noqa: N802 - a stored row: (id, sender_id, type_name, timestamp, intent_name, action_name, data)
    return (i, row["sender_id"], row["type_name"], row["timestamp"], row["intent_name"], row["action_name"], row["data"])


def fold(history: demo.History) -> Fold:
    f = Fold()
    for i, row in enumerate(history.rows, 1):
        f.add(event_from_row(Row(i, row)))
    return f


def test_a_turn_knows_its_intent_guess_question_and_latency():
    h = demo.History()
    h.chat("anon:x", datetime(2026, 11, 2, 2, tzinfo=UTC)).say("嗯那个", "nlu_fallback", 0.4, 3, ranking=[("auto_repay", 0.3)]) \
        .clarify(0.42).say("/auto_repay", "auto_repay", 1.0, 2).answer("auto_repay", 0.2) \
        .say("提前还款要钱吗", "early_repayment", 0.9, 5, question=("early.fee", 0.77)).answer("early_repayment", 0.3) \
        .say("好的谢谢", "thank", 0.9, 5).answer("thank", 0.1)
    f = fold(h)
    [conversation] = f.conversations.values()
    turns = [(t.intent, t.guess, t.question_id, t.question, t.fallback, t.clarified, t.latency_ms) for t in f.turns]
    assert turns == [("nlu_fallback", "auto_repay", None, True, True, True, 420),
                     ("auto_repay", "auto_repay", None, False, False, False, 200),   # a click is no question
                     ("early_repayment", "early_repayment", "early.fee", True, False, False, 300),
                     ("thank", "thank", None, False, False, False, 100)]              # small talk is no question
    assert (conversation.messages, conversation.fallbacks, conversation.open_turn_id) == (4, 1, None)
    assert conversation.day == date(2026, 11, 2) and conversation.channel == "widget"


def test_out_of_scope_is_a_fallback_and_a_new_session_a_new_conversation():
    h = demo.History()
    h.chat("wx:o1", datetime(2026, 11, 2, 15, 59, tzinfo=UTC)).say("快递呢", "out_of_scope", 0.7, 1).out_of_scope(0.1)
    h.chat("wx:o1", datetime(2026, 11, 2, 17, tzinfo=UTC)).say("怎么还款", "how_to_repay", 0.9, 1).answer("how_to_repay")
    f = fold(h)
    first, second = f.conversations.values()
    assert (first.fallbacks, second.fallbacks) == (1, 0)
    assert (first.day, second.day) == (date(2026, 11, 2), date(2026, 11, 3))  # 01:00 in Beijing: the next day
    assert first.last_at < second.started_at  # the next session's start action is not the last one's


def test_a_reply_still_to_come_is_completed_by_the_next_batch():
    h = demo.History()
    h.chat("anon:y", datetime(2026, 11, 2, 2, tzinfo=UTC)).say("还款日", "repayment_due", 0.9, 1).answer("repayment_due", 0.5)
    rows = [event_from_row(Row(i, r)) for i, r in enumerate(h.rows, 1)]
    first = Fold()
    for e in rows[:4]:  # up to the shopper's message
        first.add(e)
    [conversation] = first.conversations.values()
    [turn] = first.turns
    assert conversation.open_turn_id == turn.id and turn.latency_ms is None
    conversation.changed, turn.changed, turn.new, conversation.new = False, False, False, False
    second = Fold(current={"anon:y": conversation}, open_turns={conversation.id: turn})
    for e in rows[4:]:
        second.add(e)
    assert second.turns == [turn] and turn.latency_ms == 500 and conversation.open_turn_id is None


def test_stored_json_is_not_trusted():
    bad = (1, "anon:z", "user", 1.0, None, None,
           '{"parse_data": {"intent": "not a dict", "intent_ranking": 5, "question": [1]}, "text": 3}')
    f = Fold()
    f.add(event_from_row(bad))
    [turn] = f.turns
    assert (turn.intent, turn.question_id, turn.question, turn.confidence) == ("", None, False, None)


def test_metric_formulas():
    assert percentile({}, 0.5) is None
    assert percentile({100: 1, 200: 1, 300: 2}, 0.5) == 200 and percentile({100: 1, 200: 1, 300: 2}, 0.95) == 300
    tickets = [TicketFact("widget", date(2026, 1, 1), "asked", 30.0, 4), TicketFact("widget", date(2026, 1, 1), None,
                                                                                    None, None),
               TicketFact("widget", date(2026, 1, 1), "asked", 90.0, 1)]
    f = figures(Counts(conversations=10, handoffs=3, messages=20, fallbacks=5, questions=16, answered_directly=12),
                {250: 3, 900: 1}, tickets)
    assert (f.containment, f.handoff_rate, f.fallback_rate, f.answered_directly_rate) == (0.7, 0.3, 0.25, 0.75)
    assert (f.wait_median_seconds, f.csat, f.ratings, f.reasons) == (60.0, 2.5, (1, 0, 0, 1, 0), {"asked": 2, None: 1})
    assert (f.latency_p50_ms, f.latency_p95_ms) == (250, 900)
    empty = figures(Counts(), {}, [])
    assert (empty.containment, empty.csat, empty.wait_median_seconds, empty.latency_p50_ms) == (None, None, None, None)


def test_periods_are_beijing_dates():
    today = date(2026, 12, 3)
    assert (period_from({}, today).first, period_from({}, today).last) == (date(2026, 11, 27), today)
    assert period_from({"period": "today"}, today).days == [today]
    assert len(period_from({"period": "30d"}, today).days) == 30
    assert period_from({"period": "nonsense"}, today).key == "7d"
    custom = period_from({"period": "custom", "from": "2026-11-02", "to": "2026-11-04"}, today)
    assert custom.utc_bounds() == (datetime(2026, 11, 1, 16, tzinfo=UTC), datetime(2026, 11, 4, 16, tzinfo=UTC))
    assert day_start_utc(date(2026, 11, 2)) == datetime(2026, 11, 1, 16, tzinfo=UTC)
    for bad in ({"from": "2026-11-04", "to": "2026-11-02"}, {"from": "x", "to": "2026-11-02"},
                {"from": "2024-01-01", "to": "2026-01-01"}):
        with pytest.raises(PeriodError):
            period_from({"period": "custom", **bad}, today)


def test_channels_come_from_the_server_derived_sender_id():
    assert [channel_of(s) for s in ("web:demo_ok", "anon:1f", "wx:oAbc", "rest:u:demo_ok:x", "rest:anon:r-1",
                                    "default", "web")] == ["widget", "widget", "wechat", "rest", "rest", "other",
                                                           "other"]
    assert (parse_channel("wechat"), parse_channel("<script>"), parse_channel(None)) == ("wechat", None, None)


def test_the_wechat_prefix_is_the_channels():
    from fenqi.analytics.channels import WECHAT_PREFIX
    from fenqi.wechat.inbound import Inbound
    assert Inbound(kind="text", openid="oX", account="gh", dedupe_key="k", msg_type="text").sender_id == WECHAT_PREFIX + "oX"


def test_review_tags():
    assert parse_tags(["知识缺失", "<b>x</b>"], "") == ["知识缺失"]  # only the fixed tags from the checkboxes
    assert parse_tags([], " 利率,利率、 话术；") == ["利率", "话术"]
    with pytest.raises(ReviewError):
        parse_tags([], "很" * 21)
    with pytest.raises(ReviewError):
        parse_tags([], ",".join(f"t{i}" for i in range(11)))
    with pytest.raises(ReviewError):
        parse_tags([], "x" * 201)


def test_identifiers_are_masked_in_shown_text():
    text = ("来自 wx:oAbCdEfGhIjKlMnOpQrStUvWxYz0 和 web:demo_ok，openid oAbCdEfGhIjKlMnOpQrStUvWxYz0，"
            "卡 6222021234567890，token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
    shown = mask_for_people(text)
    for secret in ("oAbCdEfGhIjKlMnOpQrStUvWxYz0", "demo_ok", "6222021234567890", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in shown
    assert "[会话标识]" in shown and "[OpenID]" in shown and "622*********7890" in shown
    assert mask_for_people("备用金还款日是每月 8 号") == "备用金还款日是每月 8 号"


def test_handoff_reasons():
    def user(intent):
        return {"event": "user", "parse_data": {"intent": {"name": intent}}}
    assert requested_reason([user("request_human")]) == "asked"
    assert requested_reason([user("how_to_repay"), user("request_human")]) == "asked"
    assert requested_reason([user("nlu_fallback"), {"event": "bot"}, user("request_human")]) == "after_fallback"
    assert requested_reason([user("out_of_scope"), user("request_human")]) == "after_fallback"


def test_charts_keep_text_as_text_say_when_empty_and_draw_each_data_once():
    from fenqi.analytics import charts
    from fenqi.analytics.metrics import DayPoint
    points = [DayPoint(date(2026, 11, 2), 5, 1, 9, 2, 1, 4), DayPoint(date(2026, 11, 3), 3, 0, 4, 0, 0, 0)]
    svg = charts.chart("volume", points)
    assert "<text" in svg and "每日会话数" in svg and "机器人独立完成" in svg and "11-02" in svg
    assert "<script" not in svg and "href=" not in svg.replace('xlink:href="#', "")  # nothing external
    assert charts.chart("volume", list(points)) is svg  # the same data: drawn once
    assert "暂无数据" in charts.chart("csat", [DayPoint(date(2026, 11, 2))])
    assert "怎么还款" in charts.chart("intents", [("how_to_repay", 3)])
    with pytest.raises(KeyError):
        charts.chart("nothing", [])


def test_tracker_timestamps_become_aware_utc_instants_and_a_naive_start_is_refused():
    from fenqi.analytics.events import Event, utc
    moment = utc(datetime(2026, 11, 2, 10, tzinfo=UTC).timestamp())
    assert moment == datetime(2026, 11, 2, 18, tzinfo=BJ) and moment.tzinfo is UTC
    assert Event(1, "anon:x", "user", moment.timestamp()).at == moment
    with pytest.raises(ValueError, match="naive"):
        demo.History().chat("anon:x", datetime(2026, 11, 2, 10))
