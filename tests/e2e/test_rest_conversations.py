"""End to end over REST: real Rasa server, real action server, real seeded SQLite account store."""
import time

import pytest

from fenqi.identity import issue_token

pytestmark = pytest.mark.e2e

WHY_NO_INSTALLMENT = "为什么我有额度却不能分期"
WHY_NO_RESERVE_FUND = "我的备用金为什么用不了"
PERSONAL = "我查了您的账户"  # how a personal diagnosis opens; generic guidance never says it


def texts(messages):
    return "\n".join(m.get("text", "") for m in messages)


def test_anonymous_repayment_question_gets_steps_and_login_hint(bot_stack):
    reply = texts(bot_stack.ask("anon-1", "小米分期怎么还款"))
    assert "我的订单" in reply and "1." in reply and "5." in reply
    assert "登录" in reply
    assert "¥" not in reply  # no account data without a verified identity


@pytest.mark.parametrize("user, title, fact", [
    ("demo_low_limit", "额度不足", "¥500.00"),
    ("demo_low_rating", "信用评级不足", None),
    ("demo_product", "商品不支持分期", None),
    ("demo_frozen", "账户状态异常", None),
    ("demo_pending", "账户状态异常", None),
    ("demo_maintenance", "系统维护中", None),
    ("demo_promo", "促销活动限制", None),
    ("demo_region", "地区政策限制", None),
    ("demo_partner", "合作机构调整", None),
])
def test_installment_diagnosis_names_the_users_cause(bot_stack, user, title, fact):
    reply = texts(bot_stack.ask(f"cause-{user}", WHY_NO_INSTALLMENT, token=bot_stack.token(user)))
    assert f"【{title}】" in reply
    assert reply.count("【") == 1, reply  # exactly the one cause this demo user has
    if fact:
        assert fact in reply


def test_installment_diagnosis_without_cause_says_so(bot_stack):
    reply = texts(bot_stack.ask("cause-ok", WHY_NO_INSTALLMENT, token=bot_stack.token("demo_ok")))
    assert "没有发现账户方面的问题" in reply


@pytest.mark.parametrize("user, title", [
    ("demo_rf_used_up", "备用金额度已用完"),
    ("demo_rf_credit", "信用状况变化"),
    ("demo_rf_security", "账户安全限制"),
    ("demo_maintenance", "系统维护中"),
])
def test_reserve_fund_diagnosis_names_the_users_cause(bot_stack, user, title):
    reply = texts(bot_stack.ask(f"rf-{user}", WHY_NO_RESERVE_FUND, token=bot_stack.token(user)))
    assert f"【{title}】" in reply


def test_forged_token_gets_generic_answer_only(bot_stack):
    forged = issue_token("demo_low_limit", "not-the-server-secret")
    reply = texts(bot_stack.ask("forger", WHY_NO_INSTALLMENT, token=forged))
    assert PERSONAL not in reply and "¥500.00" not in reply
    assert "登录" in reply


def test_expired_token_asks_to_log_in_again(bot_stack):
    expired = issue_token("demo_low_limit", bot_stack.secret, ttl=60, now=time.time() - 3600)
    reply = texts(bot_stack.ask("expired", WHY_NO_INSTALLMENT, token=expired))
    assert "¥500.00" not in reply and "过期" in reply


@pytest.mark.parametrize("claims", [{"channel": "wechat", "ttl": 300}, {"ttl": 30 * 86400}],
                         ids=["wechat-channel token", "month-long token"])
def test_a_wechat_token_or_an_over_long_lived_one_gets_no_account_data_on_rest(bot_stack, claims):
    """Issue 21: a token the WeChat channel minted (chn=wechat), or one minted to last a month, was
    accepted on REST; the channel and the actions now refuse both (no account, anonymous sender)."""
    token = issue_token("demo_low_limit", bot_stack.secret, **claims)
    reply = bot_stack.ask(f"claims-{claims.get('channel', 'long')}", WHY_NO_INSTALLMENT, token=token)
    assert "¥500.00" not in texts(reply) and PERSONAL not in texts(reply), texts(reply)
    assert all(m["recipient_id"].startswith("rest:anon:") for m in reply), reply
    app_token = issue_token("demo_low_limit", bot_stack.secret, ttl=300, channel="web")
    assert "¥500.00" in texts(bot_stack.ask("claims-app", WHY_NO_INSTALLMENT, token=app_token))


def test_a_signed_out_users_earlier_tokens_get_no_account_data(bot_stack):
    before = bot_stack.token("demo_rf_used_up")
    assert "【备用金额度已用完】" in texts(bot_stack.ask("signout-1", WHY_NO_RESERVE_FUND, token=before))
    signed_out = bot_stack.fenqi("sign-out", "demo_rf_used_up")
    assert signed_out.returncode == 0, signed_out.stderr
    reply = texts(bot_stack.ask("signout-1", WHY_NO_RESERVE_FUND, token=before))
    assert "【备用金额度已用完】" not in reply and "登录" in reply, reply
    time.sleep(0.01)
    after = bot_stack.token("demo_rf_used_up")
    assert "【备用金额度已用完】" in texts(bot_stack.ask("signout-2", WHY_NO_RESERVE_FUND, token=after))


def test_user_id_in_metadata_or_sender_is_never_trusted(bot_stack):
    reply = texts(bot_stack.ask("demo_low_limit", WHY_NO_INSTALLMENT,
                                metadata={"user_id": "demo_low_limit", "sub": "demo_low_limit"}))
    assert "¥500.00" not in reply and PERSONAL not in reply


def test_token_decides_whose_account_even_on_a_shared_sender(bot_stack):
    first = texts(bot_stack.ask("shared", WHY_NO_INSTALLMENT, token=bot_stack.token("demo_low_limit")))
    second = texts(bot_stack.ask("shared", WHY_NO_INSTALLMENT, token=bot_stack.token("demo_region")))
    assert "【额度不足】" in first and "【地区政策限制】" in second and "¥500.00" not in second


def test_unknown_user_gets_a_clear_answer(bot_stack):
    reply = texts(bot_stack.ask("ghost", WHY_NO_INSTALLMENT, token=bot_stack.token("no_such_user")))
    assert "未找到" in reply and PERSONAL not in reply


def test_amounts_owed_list_every_order_and_a_chosen_order_is_kept_for_follow_ups(bot_stack):
    token = bot_stack.token("demo_ok")
    owed = bot_stack.ask("orders", "我这个月要还多少钱", token=token)  # the same rule for every order: no choice
    assert "ORD-DEMO-OK-1" in texts(owed) and "ORD-DEMO-OK-2" in texts(owed)
    assert not any("order_id" in b["payload"] for m in owed for b in m.get("buttons") or [])
    first = bot_stack.ask("orders", "现在一次全部还清要还多少", token=token)  # a payoff quote differs per order
    order_buttons = [b for m in first for b in m.get("buttons") or [] if "order_id" in b["payload"]]
    assert len(order_buttons) == 2, texts(first)
    chosen = order_buttons[1]
    quote = texts(bot_stack.ask("orders", chosen["payload"], token=token))
    assert "ORD-DEMO-OK-2" in quote and "ORD-DEMO-OK-1" not in quote
    follow_up = bot_stack.ask("orders", "那提前还能省多少手续费", token=token)
    assert not any("order_id" in b["payload"] for m in follow_up for b in m.get("buttons") or []), texts(follow_up)
    assert "ORD-DEMO-OK-2" in texts(follow_up) and "ORD-DEMO-OK-1" not in texts(follow_up)


def test_reserve_fund_repayment_questions_answer_about_the_reserve_fund(bot_stack):
    token = bot_stack.token("demo_rf_used_up")
    reply = texts(bot_stack.ask("rf-topic", "我的备用金能提前还吗", token=token))
    assert "备用金" in reply and "¥3,000.00" in reply  # the user's own 备用金 figures
    assert "分期订单" not in reply


# Each 备用金 topic asked in words and by its button payload reaches the same 备用金 answer (routing by
# intent + product, fenqi/answers/routing.py); the heading names the 备用金 answer, never an order.
RESERVE_FUND_TOPICS = [
    ("那怎么还备用金", "how_to_repay", "备用金还款步骤"),
    ("备用金每个月几号还", "repayment_due", "备用金"),
    ("备用金想一次性提前还完行不行", "early_repayment", "备用金"),
    ("备用金自动扣款怎么关", "auto_repay", "备用金"),
    ("备用金利息怎么算", "installment_fees", "备用金"),
    ("备用金额度能提高吗", "reserve_fund_limit", "备用金"),
    ("备用金为什么借不出来", "reserve_fund_limit", "备用金"),
]


@pytest.mark.parametrize("words, intent, marker", RESERVE_FUND_TOPICS)
def test_reserve_fund_topic_in_words_and_by_button_answers_about_the_reserve_fund(bot_stack, words, intent, marker):
    token = bot_stack.token("demo_rf_used_up")
    typed = texts(bot_stack.ask(f"rf-words-{intent}-{len(words)}", words, token=token))
    button = texts(bot_stack.ask(f"rf-button-{intent}-{len(words)}", f'/{intent}{{"product":"备用金"}}', token=token))
    # the words name a standard question (answered first); the topic button, the topic's general 备用金 answer
    assert "备用金" in typed.split("\n\n")[0] and "分期订单" not in typed, typed
    assert marker in button and "¥3,000.00" in button and "分期订单" not in button, button


