import pytest

from fenqi.privacy import pseudonym
from fenqi.wechat.errors import WebhookError
from fenqi.wechat.inbound import IGNORED, TEXT, UNSUPPORTED, WELCOME, parse_inbound
from tests.support.wechat_simulator import WeChatClient

client = WeChatClient("http://unused", "t")


def test_text_goes_to_the_bot_with_a_namespaced_sender():
    inbound = parse_inbound(client.text("oUser1", " 为什么不能分期 ", msg_id=42))
    assert inbound.kind == TEXT and inbound.text == "为什么不能分期"
    assert inbound.sender_id == "wx:oUser1"
    assert inbound.dedupe_key == "msg:42"


def test_voice_with_recognition_uses_the_recognised_text():
    inbound = parse_inbound(client.voice("oUser1", "备用金怎么还", msg_id=43))
    assert (inbound.kind, inbound.text) == (TEXT, "备用金怎么还")


def test_voice_without_recognition_and_images_are_unsupported():
    assert parse_inbound(client.voice("oUser1", None, msg_id=44)).kind == UNSUPPORTED
    assert parse_inbound(client.image("oUser1", msg_id=45)).kind == UNSUPPORTED


def test_subscribe_events_welcome_and_are_deduped_by_sender_and_time():
    inbound = parse_inbound(client.event("oUser1", "subscribe", create_time=1700000000))
    assert inbound.kind == WELCOME
    assert inbound.dedupe_key.startswith(f"evt:{pseudonym('oUser1')}:1700000000")
    assert "oUser1" not in inbound.dedupe_key  # logged, claimed in Redis, stored as the message id
    scan = parse_inbound(client.event("oUser1", "subscribe", create_time=1700000001, EventKey="qrscene_7"))
    assert scan.kind == WELCOME


def test_other_events_get_no_reply():
    for event in ("unsubscribe", "LOCATION", "CLICK", "TEMPLATESENDJOBFINISH"):
        assert parse_inbound(client.event("oUser1", event)).kind == IGNORED


def test_events_of_same_second_from_different_users_do_not_collide():
    a = parse_inbound(client.event("oUserA", "subscribe", create_time=1700000000))
    b = parse_inbound(client.event("oUserB", "subscribe", create_time=1700000000))
    assert a.dedupe_key != b.dedupe_key


@pytest.mark.parametrize("xml", [
    "<xml><ToUserName>a</ToUserName></xml>",  # no MsgType
    "<xml><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",  # no FromUserName
    "<xml>just text</xml>",
])
def test_incomplete_messages_are_400(xml):
    with pytest.raises(WebhookError) as info:
        parse_inbound(xml)
    assert info.value.status == 400
