"""action_clarify / action_out_of_scope / action_offer_human: clarify (or say what the bot answers),
then offer a human, then hand off — misses of either kind, in any mix; never silent."""
from sqlalchemy import select

from actions.fallback import ActionClarify, ActionOfferHuman, ActionOutOfScope
from fenqi.db.engine import session_scope
from fenqi.db.models import HandoffTicket
from tests.actions.conftest import run, tracker, user_event

RANKING = [("nlu_fallback", 0.35), ("greet", 0.3), ("repayment_due", 0.2), ("out_of_scope", 0.1),
           ("how_to_repay", 0.08), ("credit_limit", 0.02)]
GIBBERISH = user_event("qwerty uiop", "nlu_fallback", RANKING)
ELSEWHERE = user_event("验证码一直收不到", "out_of_scope", [("out_of_scope", 0.8), ("how_to_repay", 0.1)])


def bot(text):
    return {"event": "bot", "text": text}


def test_first_miss_asks_about_the_two_likeliest_topics(store):
    messages, events = run(ActionClarify(), tracker("s1", [GIBBERISH]))
    assert events == [] and len(messages) == 1
    text, buttons = messages[0]["text"], messages[0]["buttons"]
    assert "您是想问“还款日和账单”还是“怎么还款”吗？" in text
    assert [b["payload"] for b in buttons] == ["/repayment_due", "/how_to_repay", "/deny"]
    assert [b["title"] for b in buttons] == ["还款日和账单", "怎么还款", "都不是"]


def test_second_miss_in_a_row_offers_a_human_and_the_menu(store):
    events = [GIBBERISH, bot("您是想问…"), GIBBERISH]
    messages, _ = run(ActionClarify(), tracker("s2", events))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == "/request_human" and messages[0]["buttons"][0]["title"] == "转人工"
    assert "/why_cannot_installment" in payloads and len(payloads) >= 4
    assert "还是没能理解" in messages[0]["text"]


def test_understood_message_in_between_starts_over(store):
    events = [GIBBERISH, user_event("怎么还款", "how_to_repay"), GIBBERISH]
    messages, _ = run(ActionClarify(), tracker("s3", events))
    assert "您是想问" in messages[0]["text"]


def test_third_miss_hands_off_once(store):
    events = [GIBBERISH, bot("?"), GIBBERISH, bot("?"), GIBBERISH]
    messages, _ = run(ActionClarify(), tracker("s4", events))
    assert "几次都没能理解" in messages[0]["text"] and "工单号 #1" in messages[0]["text"]
    messages, _ = run(ActionClarify(), tracker("s4", events + [bot("…"), GIBBERISH]))
    assert "不用重复提交" in messages[0]["text"] and "#1" in messages[0]["text"]
    with session_scope(store) as s:
        tickets = s.scalars(select(HandoffTicket)).all()
        assert len(tickets) == 1 and tickets[0].summary.endswith("连续 3 次未能理解")
        assert tickets[0].reason == "fallback_ladder"


def test_rejecting_the_suggestions_offers_a_human(store):
    events = [GIBBERISH, bot("您是想问…"), user_event("都不是", "deny")]
    messages, _ = run(ActionOfferHuman(), tracker("s5", events))
    assert messages[0]["buttons"][0]["payload"] == "/request_human" and "没猜中" in messages[0]["text"]


def test_no_after_a_human_was_offered_is_just_acknowledged(store):
    events = [GIBBERISH, bot("?"), GIBBERISH, bot("转人工？"), user_event("不用了", "deny")]
    messages, _ = run(ActionOfferHuman(), tracker("s6", events))
    assert "转人工" in messages[0]["text"] and messages[0]["buttons"][0]["payload"] != "/request_human"


def test_a_first_out_of_scope_question_says_what_the_bot_answers(store):
    messages, events = run(ActionOutOfScope(), tracker("o1", [ELSEWHERE]))
    assert events == [] and [m["response"] for m in messages] == ["utter_out_of_scope"]


def test_out_of_scope_questions_climb_the_same_ladder_and_the_third_hands_off(store):
    """The old rule answered every out_of_scope with utter_out_of_scope: never a handoff."""
    messages, _ = run(ActionOutOfScope(), tracker("o2", [ELSEWHERE, bot("这个问题我暂时帮不上忙"), ELSEWHERE]))
    assert messages[0]["buttons"][0]["payload"] == "/request_human" and "超出了我能解答的范围" in messages[0]["text"]
    events = [ELSEWHERE, bot("?"), ELSEWHERE, bot("?"), ELSEWHERE]
    messages, _ = run(ActionOutOfScope(), tracker("o2", events))
    assert "请人工客服来帮您" in messages[0]["text"] and "工单号 #1" in messages[0]["text"]
    with session_scope(store) as s:
        assert [t.summary for t in s.scalars(select(HandoffTicket))] == ["近期话题：无；连续 3 次未能理解"]


def test_misses_of_both_kinds_count_together(store):
    # out of scope, then not understood: the second miss offers a human
    messages, _ = run(ActionClarify(), tracker("m1", [ELSEWHERE, bot("?"), GIBBERISH]))
    assert messages[0]["buttons"][0]["payload"] == "/request_human" and "还是没能理解" in messages[0]["text"]
    # not understood, not understood, out of scope: the third hands off
    messages, _ = run(ActionOutOfScope(), tracker("m2", [GIBBERISH, bot("?"), GIBBERISH, bot("?"), ELSEWHERE]))
    assert "工单号" in messages[0]["text"]
    # an understood question in between starts over
    messages, _ = run(ActionOutOfScope(), tracker("m3", [GIBBERISH, bot("?"), user_event("怎么还款", "how_to_repay"),
                                                         ELSEWHERE]))
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
