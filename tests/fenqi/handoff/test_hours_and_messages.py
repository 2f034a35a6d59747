"""Service hours as data and what the user is told about a handoff."""
from datetime import datetime

import pytest

from fenqi.fallback import load_topics
from fenqi.handoff import handoff_text, load_service_info, pending_notice
from fenqi.handoff.hours import parse_service_info
from fenqi.handoff.summary import ticket_summary, ticket_transcript
from tests.support.times import BJ

SERVICE = load_service_info()
MONDAY_NOON, MONDAY_NIGHT = datetime(2026, 6, 1, 12, 0, tzinfo=BJ), datetime(2026, 6, 1, 23, 30, tzinfo=BJ)


def test_packaged_hours():
    assert SERVICE.label == "每天 9:00–21:00"
    assert SERVICE.is_open(MONDAY_NOON) and not SERVICE.is_open(MONDAY_NIGHT)
    assert not SERVICE.is_open(datetime(2026, 6, 1, 21, 0, tzinfo=BJ)) and SERVICE.is_open(datetime(2026, 6, 1, 9, 0, tzinfo=BJ))


def test_weekdays_only():
    weekdays = parse_service_info({"hours": {"open": "09:00", "close": "18:00", "days": [1, 2, 3, 4, 5]}})
    assert weekdays.is_open(MONDAY_NOON) and not weekdays.is_open(datetime(2026, 6, 6, 12, 0, tzinfo=BJ))  # Saturday


@pytest.mark.parametrize("hours, problem", [
    ({"open": "9点", "close": "21:00"}, "hours.open"),
    ({"open": "21:00", "close": "09:00"}, "after"),
    ({"open": "09:00", "close": "21:00", "days": [0]}, "days"),
])
def test_bad_hours_are_refused(hours, problem):
    with pytest.raises(ValueError, match=problem):
        parse_service_info({"hours": hours})


def test_new_ticket_in_service_hours():
    text = handoff_text(7, 3, SERVICE, MONDAY_NOON)
    assert "工单号 #7" in text and "前面还有 2 位" in text and "每天 9:00–21:00" in text
    assert "现在是服务时间" in text and "继续问我" in text


def test_existing_ticket_outside_hours():
    text = handoff_text(7, 1, SERVICE, MONDAY_NIGHT, already_open=True)
    assert "不用重复提交" in text and "您是下一位" in text and "不在服务时间" in text and "留言" in text


def test_pending_notice_names_ticket_and_position():
    notice = pending_notice(12, 2)
    assert "#12" in notice and "前面还有 1 位" in notice and "继续为您解答" in notice


def test_summary_and_transcript_from_events():
    events = [
        {"event": "user", "text": "怎么还款", "parse_data": {"intent": {"name": "how_to_repay"}}},
        {"event": "bot", "text": "步骤……"},
        {"event": "user", "text": "我的身份证110101199001011234", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "user", "text": "qwerty", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    ]
    assert ticket_summary(events, load_topics(), 3) == "近期话题：怎么还款；连续 2 次未能理解"
    transcript = ticket_transcript(events, load_topics(), SERVICE)
    assert transcript[2] == {"speaker": "user", "text": "我的身份证110***********1234"}
    assert ticket_summary([], load_topics(), 3) == "近期话题：无"


def test_inside_hours_with_no_agent_signed_in_the_shopper_is_told_the_ticket_waits():
    from fenqi.handoff.messages import NO_AGENT_FREE
    text = handoff_text(7, 1, SERVICE, MONDAY_NOON, agents_free=False)
    assert NO_AGENT_FREE in text and "现在是服务时间" not in text
    assert NO_AGENT_FREE not in handoff_text(7, 1, SERVICE, MONDAY_NOON, agents_free=True)
    night = handoff_text(7, 1, SERVICE, MONDAY_NIGHT, agents_free=False)
    assert "现在不在服务时间" in night and NO_AGENT_FREE not in night
