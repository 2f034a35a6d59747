"""Widget session rules in process: identities, session ids, bot metadata, message bounds."""
import time

import pytest

from fenqi.identity import IdentityError, TokenRules, issue_token, to_millis
from fenqi.widget import (
    ANONYMOUS_PREFIX,
    MAX_MESSAGE_CHARS,
    Peer,
    bot_metadata,
    delivery_refusal,
    merge_history,
    message_text,
    peer_for_token,
    reverify,
    session_allowed,
)

SECRET = "s" * 64
RULES = TokenRules(SECRET)


def test_verified_user_gets_a_server_derived_session():
    peer = peer_for_token(issue_token("u1", SECRET), RULES)
    assert peer.sender_id == "web:u1" and peer.authenticated
    assert session_allowed(None, peer) and session_allowed("web:u1", peer)
    assert not session_allowed("web:u2", peer)
    assert bot_metadata(peer) == {"auth_token": peer.token}


def test_visitor_is_anonymous_and_a_bad_token_is_refused():
    visitor = peer_for_token(None, RULES)
    assert visitor.sender_id.startswith(ANONYMOUS_PREFIX) and not visitor.authenticated
    assert bot_metadata(visitor) == {}
    assert peer_for_token("", RULES).sender_id != visitor.sender_id  # one id per connection
    with pytest.raises(IdentityError):
        peer_for_token("not-a-token", RULES)
    with pytest.raises(IdentityError, match="not accepted"):  # a WeChat-channel token
        peer_for_token(issue_token("u1", SECRET, channel="wechat"), RULES)


def test_reverify_refuses_another_users_token_and_sign_in_on_an_anonymous_socket():
    peer = peer_for_token(issue_token("u1", SECRET), RULES)
    refreshed = issue_token("u1", SECRET, ttl=7200)
    assert reverify(peer, refreshed, RULES).token == refreshed
    assert reverify(peer, refreshed, RULES).expires_at > peer.expires_at
    with pytest.raises(IdentityError, match="another user"):
        reverify(peer, issue_token("u2", SECRET), RULES)
    with pytest.raises(IdentityError):
        reverify(Peer("anon:x"), issue_token("u1", SECRET), RULES)


def test_a_socket_of_a_user_who_signed_out_or_whose_token_expired_is_refused_deliveries():
    peer = peer_for_token(issue_token("u1", SECRET, ttl=600), RULES)
    assert delivery_refusal(peer, RULES) is None and delivery_refusal(Peer("anon:x"), RULES) is None
    signed_out = to_millis(time.time())
    assert delivery_refusal(peer, RULES, signed_out).reason == "signed_out"
    with pytest.raises(IdentityError, match="signed out"):
        reverify(peer, None, RULES, signed_out)
    with pytest.raises(IdentityError, match="signed out"):
        peer_for_token(peer.token, RULES, signed_out)
    expired = Peer("web:u1", "u1", issue_token("u1", SECRET, ttl=60, now=time.time() - 120))
    assert delivery_refusal(expired, RULES).reason == "expired"


def test_message_text_is_bounded_and_typed():
    assert message_text({"message": "  你好 "}) == "你好"
    # over-long text is kept whole: the channel answers it with a notice instead of NLU
    assert len(message_text({"message": "字" * (MAX_MESSAGE_CHARS + 5)})) == MAX_MESSAGE_CHARS + 5
    assert message_text({"message": "字" * (64 * 1024 + 1)}) is None
    assert message_text({"message": 5}) is None and message_text("hi") is None
    assert message_text({"message": "   "}) is None


def test_merge_history_interleaves_tracker_and_live_agent_lines_by_time():
    bot = [{"sender": "user", "text": "转人工", "timestamp": 10.0},
           {"sender": "bot", "text": "正在为您转接", "timestamp": 11.0},
           {"sender": "user", "text": "后来又问机器人", "timestamp": 40.0}]
    live = [{"sender": "bot", "text": "人工客服 安娜 为您服务。", "timestamp": 20.0},
            {"sender": "user", "text": "在吗", "timestamp": 21.0},
            {"sender": "bot", "text": "人工服务已结束", "timestamp": 30.0}]
    assert [m["text"] for m in merge_history(bot, live)] == [
        "转人工", "正在为您转接", "人工客服 安娜 为您服务。", "在吗", "人工服务已结束", "后来又问机器人"]
    assert [m["text"] for m in merge_history(bot, live, limit=2)] == ["人工服务已结束", "后来又问机器人"]
    assert merge_history(bot, live, limit=0) == []
    assert merge_history([], []) == []
