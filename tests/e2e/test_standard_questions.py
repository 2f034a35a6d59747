"""End to end: the bot answers the question that was asked (standard questions), logged in and out.

Real Rasa server, real action server, real seeded SQLite store; ``demo_ok`` has two active orders,
so an answer that does not differ per order must come without "which order?", and one that does
gives the general rule first.
"""
import json

import pytest

pytestmark = pytest.mark.e2e

ORDER_GATE = "您想查询哪一笔分期订单"
FEE_TABLE = "24期每期"

# (question, words of which the reply's first paragraph must contain one)
SAMPLE = [
    ("我可以用信用卡还吗", ["信用卡"]),
    ("逾期会影响征信吗", ["征信"]),
    ("有宽限期吗", ["宽限"]),
    ("还款日可以改吗", ["还款日"]),
    ("提前还款要手续费吗", ["手续费", "违约金"]),
    ("能用零钱还吗", ["零钱", "微信"]),
    ("可以只还一部分吗", ["部分"]),
    ("小米分期逾期一天有利息吗", ["逾期"]),
    ("备用金借款期限多长", ["期限"]),
    ("备用金最少借多少", ["最少", "最低"]),
    ("额度多久可以提升", ["提升", "提额"]),
    ("最高额度是多少", ["最高"]),
    ("还款后额度多久恢复", ["恢复"]),
]


def texts(messages):
    return "\n".join(m.get("text", "") for m in messages)


def first_paragraph(messages):
    return texts(messages).split("\n\n", 1)[0]


@pytest.mark.parametrize("question, words", SAMPLE)
@pytest.mark.parametrize("logged_in", [False, True], ids=["logged-out", "demo_ok"])
def test_the_reply_answers_the_question_first(bot_stack, question, words, logged_in):
    token = bot_stack.token("demo_ok") if logged_in else None
    reply = bot_stack.ask(f"sq-{logged_in}-{abs(hash(question))}", question, token=token)
    head = first_paragraph(reply)
    assert any(w in head for w in words), texts(reply)
    assert not texts(reply).startswith(ORDER_GATE)
    if not logged_in:
        assert "¥" not in texts(reply) or "逾期" in question  # no account figures without a verified identity


def test_overdue_interest_is_not_the_checkout_fee_table(bot_stack):
    reply = texts(bot_stack.ask("sq-overdue-interest", "小米分期逾期一天有利息吗", token=bot_stack.token("demo_ok")))
    assert FEE_TABLE not in reply


def test_three_different_questions_get_three_different_answers(bot_stack):
    token = bot_stack.token("demo_ok")
    replies = [texts(bot_stack.ask("sq-three", q, token=token))
               for q in ("那逾期会影响征信吗", "我现在还要还多少", "能不能下个月再还")]
    assert len(set(replies)) == 3
    assert "征信" in replies[0].split("\n\n", 1)[0]
    assert "¥" in replies[1]  # the shopper's own amounts
    assert ORDER_GATE not in replies[1]


def test_a_follow_up_resolves_against_the_last_question(bot_stack):
    bot_stack.ask("sq-follow", "可以用哪些方式还款")
    reply = bot_stack.ask("sq-follow", "那信用卡呢？")
    assert "信用卡" in first_paragraph(reply), texts(reply)


def test_a_button_names_the_question_and_nothing_else_is_trusted(bot_stack):
    asked = bot_stack.ask("sq-button", '/repayment_due{"question":"due.grace_period"}')
    assert "宽限" in first_paragraph(asked)
    planted = bot_stack.ask("sq-button-bad", '/repayment_due{"question":"limit.max"}')  # another intent's
    assert "宽限" not in texts(planted) and "最高" not in first_paragraph(planted)


def test_an_answer_that_differs_per_order_gives_the_rule_then_asks_which(bot_stack):
    token = bot_stack.token("demo_ok")
    reply = bot_stack.ask("sq-per-order", "现在一次全部还清要还多少钱", token=token)
    text = texts(reply)
    assert ORDER_GATE in text and not text.startswith(ORDER_GATE), text
    buttons = [b for m in reply for b in m.get("buttons") or []]
    assert len(buttons) == 2
    payload = buttons[0]["payload"]
    entities = json.loads(payload[payload.index("{"):])
    assert entities["question"] and entities["order_id"]
    chosen = texts(bot_stack.ask("sq-per-order", payload, token=token))
    assert "¥" in chosen and ORDER_GATE not in chosen
