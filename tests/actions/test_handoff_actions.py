"""action_handoff and the answers' open-ticket notice, on a real SQLite store."""
from sqlalchemy import select

from actions.handoff import ActionHandoff
from actions.intent_actions import ActionHowToRepay
from fenqi import clock
from fenqi.db.engine import session_scope
from fenqi.db.models import HandoffTicket
from fenqi.handoff import close_ticket
from tests.actions.conftest import run, token, tracker, user_event


def conversation(tok=None):
    return [user_event("我的卡号6222021234567890扣款失败", "how_to_repay", token=tok),
            {"event": "bot", "text": "还款步骤……"},
            user_event("转人工", "request_human", token=tok, channel="rest")]


def stored(store):
    with session_scope(store) as s:
        return s.scalars(select(HandoffTicket).order_by(HandoffTicket.id)).all()


def test_handoff_of_a_verified_user_stores_a_masked_ticket(store):
    messages, _ = run(ActionHandoff(), tracker("web:demo_ok", conversation(token("demo_ok"))))
    text = messages[0]["text"]
    assert "工单号 #1" in text and "您是下一位" in text and "每天 9:00–21:00" in text
    [ticket] = stored(store)
    assert (ticket.user_id, ticket.channel, ticket.sender_id, ticket.status) == ("demo_ok", "rest", "web:demo_ok", "open")
    assert ticket.summary == "近期话题：怎么还款"
    assert ticket.reason == "asked"  # 转人工 after an answered question
    assert ticket.transcript[0] == {"speaker": "user", "text": "我的卡号622*********7890扣款失败"}
    assert "6222021234567890" not in str(ticket.transcript)


def test_anonymous_or_forged_token_gives_no_user_id(store):
    from fenqi.identity import issue_token
    run(ActionHandoff(), tracker("anon", conversation()))
    forged = issue_token("demo_ok", "wrong-secret-of-the-same-length-0123456789")
    run(ActionHandoff(), tracker("forger", conversation(forged)))
    assert [(t.sender_id, t.user_id) for t in stored(store)] == [("anon", None), ("forger", None)]


def test_second_request_reuses_the_ticket_and_queue_counts_earlier_ones(store):
    run(ActionHandoff(), tracker("first", conversation()))
    messages, _ = run(ActionHandoff(), tracker("second", conversation()))
    assert "工单号 #2" in messages[0]["text"] and "前面还有 1 位" in messages[0]["text"]
    again, _ = run(ActionHandoff(), tracker("second", conversation()))
    assert "不用重复提交" in again[0]["text"] and "#2" in again[0]["text"]
    assert len(stored(store)) == 2


def test_answers_mention_the_open_ticket_until_it_is_closed(store):
    question = [user_event("怎么还款", "how_to_repay")]
    plain, _ = run(ActionHowToRepay(), tracker("carol", question))
    assert "工单" not in plain[0]["text"]
    run(ActionHandoff(), tracker("carol", conversation()))
    while_open, _ = run(ActionHowToRepay(), tracker("carol", question))
    assert while_open[0]["text"].startswith("您的问题已转给人工客服（工单号 #1")
    assert plain[0]["text"] in while_open[0]["text"]  # the bot still answers
    with session_scope(store) as s:
        close_ticket(s, 1, clock.now())
    after, _ = run(ActionHowToRepay(), tracker("carol", question))
    assert after[0]["text"] == plain[0]["text"]


def test_store_failure_still_answers(store, tmp_path, monkeypatch):
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"this is not a SQLite file" * 100)
    monkeypatch.setenv("FENQI_DATABASE_URL", f"sqlite:///{not_a_database}")
    from fenqi.db.engine import close_process_store
    close_process_store()
    messages, _ = run(ActionHandoff(), tracker("dave", [user_event("转人工", "request_human")]))
    assert "没有成功" in messages[0]["text"] and "客服" in messages[0]["text"]
    answer, _ = run(ActionHowToRepay(), tracker("dave", [user_event("怎么还款", "how_to_repay")]))
    assert "我的订单" in answer[0]["text"]  # answers go on without the notice


def test_importing_the_action_package_installs_the_log_filter():
    import logging

    import actions  # noqa: F401  (the action server imports it the same way)
    assert getattr(logging.getLogRecordFactory(), "masks_pii", False)


def test_with_no_agent_online_the_shopper_is_told_and_the_ticket_stays_queued(store):

    from fenqi.handoff.hours import load_service_info
    from fenqi.handoff.messages import NO_AGENT_FREE
    if not load_service_info().is_open(clock.now()):
        text = run(ActionHandoff(), tracker("web:demo_ok", conversation(token("demo_ok"))))[0][0]["text"]
        assert "现在不在服务时间" in text and NO_AGENT_FREE not in text
    else:
        text = run(ActionHandoff(), tracker("web:demo_ok", conversation(token("demo_ok"))))[0][0]["text"]
        assert NO_AGENT_FREE in text
    [ticket] = stored(store)
    assert ticket.status == "open"


def test_with_an_agent_in_the_console_the_shopper_is_not_told_no_agent_is_free(store):

    from fenqi.handoff.agents import add_agent
    from fenqi.handoff.messages import NO_AGENT_FREE
    with session_scope(store) as s:
        add_agent(s, "安娜", "a long enough secret", clock.now()).last_seen_at = clock.now()
    text = run(ActionHandoff(), tracker("web:demo_ok", conversation(token("demo_ok"))))[0][0]["text"]
    assert NO_AGENT_FREE not in text


def test_a_request_right_after_a_miss_is_recorded_as_after_fallback(store):
    events = [user_event("那个东西咋弄", "nlu_fallback", ranking=[("nlu_fallback", 0.6), ("how_to_repay", 0.3)]),
              {"event": "bot", "text": "您是想问…"}, user_event("转人工", "request_human")]
    run(ActionHandoff(), tracker("missed", events))
    run(ActionHandoff(), tracker("oos", [user_event("快递到哪了", "out_of_scope"), {"event": "bot", "text": "帮不上"},
                                          user_event("人工", "request_human")]))
    assert [(t.sender_id, t.reason) for t in stored(store)] == [("missed", "after_fallback"), ("oos", "after_fallback")]
