"""The intent actions answer the standard question the NLU picked, keep it for follow-ups, ask when unsure."""
from rasa_sdk import Tracker

from actions.fallback import ActionClarify
from actions.intent_actions import ActionHowToRepay, ActionRepaymentDue
from tests.actions.conftest import run, token, user_event


def with_questions(event, within=(), by_intent=None):
    parse = dict(event["parse_data"])
    parse["question"] = {"id": within[0][0], "confidence": within[0][1],
                         "ranking": [{"id": q, "confidence": c} for q, c in within]} if within else None
    parse["question_by_intent"] = {i: [[q, c] for q, c in r] for i, r in (by_intent or {}).items()}
    return dict(event, parse_data=parse)


def tracker(sender, events, **slots):
    users = [e for e in events if e["event"] == "user"]
    latest = dict(users[-1]["parse_data"], metadata=users[-1].get("metadata", {}))
    return Tracker(sender, {"order_id": None, "last_question": None, **slots}, latest, events, False, None, {},
                   "action_listen")


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_the_picked_question_is_answered_and_remembered(store):
    event = with_questions(user_event("信用卡能还吗", "how_to_repay", token=token("demo_ok")),
                           [("repay.credit_card", 0.93), ("repay.methods", 0.05)])
    messages, events = run(ActionHowToRepay(), tracker("a1", [event]))
    assert "信用卡" in messages[0]["text"].split("\n\n")[0]
    assert "您想查询哪一笔" not in messages[0]["text"]
    assert slot_events(events) == {"last_question": "repay.credit_card"}


def test_close_questions_are_asked_with_buttons_naming_them(store):
    event = with_questions(user_event("逾期了咋整", "repayment_due"),
                           [("due.overdue_what_to_do", 0.36), ("due.overdue_fee", 0.33), ("due.overdue_credit", 0.3)])
    messages, events = run(ActionRepaymentDue(), tracker("a2", [event]))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert messages[0]["text"].startswith("您是想问")
    assert '/repayment_due{"question":"due.overdue_fee"}' in payloads
    assert "last_question" not in slot_events(events)


def test_a_follow_up_the_nlu_could_not_place_is_read_against_the_last_question(store):
    event = with_questions(user_event("那信用卡呢", "nlu_fallback"), by_intent={"how_to_repay": [("repay.credit_card", 0.6)]})
    messages, events = run(ActionClarify(), tracker("a3", [event], last_question="repay.methods"))
    assert "信用卡" in messages[0]["text"].split("\n\n")[0]
    assert slot_events(events) == {"last_question": "repay.credit_card"}


def test_without_a_last_question_a_miss_is_still_clarified(store):
    event = with_questions(user_event("那信用卡呢", "nlu_fallback"), by_intent={"how_to_repay": [("repay.credit_card", 0.6)]})
    messages, _ = run(ActionClarify(), tracker("a4", [event]))
    assert "您是想问" in messages[0]["text"]
