"""Topic data (titles, menu, cap) and the recent turns/intents a ticket keeps."""
import pytest

from fenqi.answers import INTENTS
from fenqi.fallback import load_topics, recent_intents, recent_turns
from fenqi.fallback.topics import parse_topics


def test_every_core_intent_has_a_chinese_title_and_nothing_else_does():
    topics = load_topics()
    assert set(topics.titles) == set(INTENTS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in title) for title in topics.titles.values())
    assert not topics.is_core("nlu_fallback") and not topics.is_core("greet")
    assert topics.max_fallbacks >= 2 and set(topics.menu) <= set(topics.titles)


@pytest.mark.parametrize("data, problem", [
    ({"max_fallbacks": 3}, "topics"),
    ({"topics": {"a": ""}, "max_fallbacks": 3}, "title"),
    ({"topics": {"a": "甲"}, "menu": ["b"], "max_fallbacks": 3}, "menu"),
    ({"topics": {"a": "甲"}, "max_fallbacks": 1}, "max_fallbacks"),
])
def test_bad_topic_data_is_refused(data, problem):
    with pytest.raises(ValueError, match=problem):
        parse_topics(data)


EVENTS = [
    {"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}},
    {"event": "bot", "text": "您好，我是分期助手"},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "/how_to_repay", "parse_data": {"intent": {"name": "how_to_repay"}}},
    {"event": "bot", "text": "还款步骤……"},
    {"event": "user", "text": "我的卡号6222021234567890扣不了款", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    {"event": "bot", "text": "没有找到订单号 6222021234567890 的分期订单。订单号 202405300001 可以查"},
    {"event": "user", "text": "手机13812345678", "parse_data": {"intent": {"name": "how_to_repay"}}},
]


def test_recent_turns_are_masked_and_show_clicked_buttons():
    turns = recent_turns(EVENTS, load_topics(), limit=5)
    assert [(t.speaker, t.text) for t in turns] == [
        ("user", "（点选：怎么还款）"), ("bot", "还款步骤……"),
        ("user", "我的卡号622*********7890扣不了款"),
        ("bot", "没有找到订单号 622*********7890 的分期订单。订单号 202405300001 可以查"),
        ("user", "手机138****5678")]
    assert [t.text for t in recent_turns(EVENTS, load_topics(), limit=2)] == [turns[3].text, turns[4].text]


def test_recent_intents_are_distinct_and_skip_fallback():
    assert recent_intents(EVENTS, limit=3) == ["greet", "how_to_repay"]
    assert recent_intents(EVENTS, limit=1) == ["how_to_repay"]
