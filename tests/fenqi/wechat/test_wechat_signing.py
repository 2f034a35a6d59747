"""Signatures, safe mode and hostile XML, driven by wechatpy acting as the WeChat server."""
import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.errors import WebhookError
from fenqi.wechat.signing import open_envelope, seal_reply, verify_echo
from fenqi.wechat.xmlsafe import ensure_safe_xml
from tests.support.wechat_simulator import WeChatClient

TOKEN = "wx-test-token"
APPID = "wx1234567890abcdef"


@pytest.fixture
def config(aes_key):
    return WeChatConfig(token=TOKEN, appid=APPID, appsecret="s", encoding_aes_key=aes_key)


@pytest.fixture
def client(config):
    return WeChatClient("http://unused", TOKEN, APPID, config.encoding_aes_key)


def status_of(call) -> int:
    with pytest.raises(WebhookError) as info:
        call()
    return info.value.status


def test_get_verification_returns_echostr(client, config):
    assert verify_echo(config, dict(client.params(), echostr="8821337")) == "8821337"


def test_get_with_wrong_signature_is_403(client, config):
    params = dict(client.params(), echostr="1")
    params["signature"] = "0" * 40
    assert status_of(lambda: verify_echo(config, params)) == 403


def test_unconfigured_token_is_503(client):
    assert status_of(lambda: verify_echo(WeChatConfig(), dict(client.params(), echostr="1"))) == 503


def test_plain_post_opens_when_no_aes_key_is_configured(client):
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1))
    envelope = open_envelope(WeChatConfig(token=TOKEN, appid=APPID), params, body)
    assert not envelope.encrypted
    assert xmltodict.parse(envelope.xml)["xml"]["Content"] == "你好"


@pytest.mark.parametrize("tamper", ["signature", "timestamp", "nonce", "missing"])
def test_post_signature_is_checked(client, config, tamper):
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1))
    if tamper == "missing":
        del params["signature"]
    else:
        params[tamper] = params[tamper] + "1"
    assert status_of(lambda: open_envelope(config, params, body)) == 403


def test_wrong_token_is_403(config):
    stranger = WeChatClient("http://unused", "another-token")
    params, body = stranger.prepare(stranger.text("oUser1", "你好", msg_id=1))
    assert status_of(lambda: open_envelope(config, params, body)) == 403


def test_safe_mode_decrypts_and_reply_is_encrypted_back(client, config):
    params, body = client.prepare(client.text("oUser1", "额度为什么用不了", msg_id=7), encrypt=True)
    assert "额度" not in body.decode("utf-8")  # really encrypted on the wire
    envelope = open_envelope(config, params, body)
    assert envelope.encrypted
    assert xmltodict.parse(envelope.xml)["xml"]["Content"] == "额度为什么用不了"
    sealed = seal_reply(config, envelope, "<xml><Content><![CDATA[好的]]></Content></xml>")
    outer = xmltodict.parse(sealed)["xml"]
    crypto = WeChatCrypto(TOKEN, config.encoding_aes_key, APPID)
    plain = crypto.decrypt_message(sealed, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    assert "好的" in plain


def test_safe_mode_wrong_msg_signature_is_403(client, config):
    params, body = client.prepare(client.text("oUser1", "x", msg_id=1), encrypt=True)
    params["msg_signature"] = "f" * 40
    assert status_of(lambda: open_envelope(config, params, body)) == 403


def test_safe_mode_other_appid_is_403(config):
    other = WeChatClient("http://unused", TOKEN, "wxOTHERAPPID000000", config.encoding_aes_key)
    params, body = other.prepare(other.text("oUser1", "x", msg_id=1), encrypt=True)
    assert status_of(lambda: open_envelope(config, params, body)) == 403


def test_safe_mode_other_key_cannot_decrypt(config, make_aes_key):
    other = WeChatClient("http://unused", TOKEN, APPID, make_aes_key())
    params, body = other.prepare(other.text("oUser1", "x", msg_id=1), encrypt=True)
    assert status_of(lambda: open_envelope(config, params, body)) in (400, 403)


def test_safe_mode_without_aes_key_is_503(client, config):
    params, body = client.prepare(client.text("oUser1", "x", msg_id=1), encrypt=True)
    plain_only = WeChatConfig(token=TOKEN, appid=APPID)
    assert status_of(lambda: open_envelope(plain_only, params, body)) == 503


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  '<xml><Content>&lol2;</Content></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
       '<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>')


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, XXE.replace("DOCTYPE", "doctype")])
def test_dtd_and_entities_are_rejected(body):
    with pytest.raises(WebhookError) as info:
        ensure_safe_xml(body)
    assert info.value.status == 400


@pytest.mark.parametrize("body", ["", "not xml", "<xml><a></xml>", "<root><a>1</a></root>"])
def test_malformed_or_foreign_xml_is_rejected(body):
    with pytest.raises(WebhookError) as info:
        ensure_safe_xml(body)
    assert info.value.status == 400


def test_signed_but_hostile_body_is_400_before_parsing(client, config):
    params = client.params()
    assert status_of(lambda: open_envelope(config, params, XXE.encode())) == 400


def test_encrypted_payload_with_doctype_is_rejected_after_decryption(client, config):
    params, body = client.prepare(XXE, encrypt=True)
    assert status_of(lambda: open_envelope(config, params, body)) == 400


def test_non_utf8_body_is_400(client, config):
    params = client.params()
    assert status_of(lambda: open_envelope(config, params, "<xml>你好</xml>".encode("gbk"))) == 400


# --- issue #11: replay, stale timestamps, downgrade ------------------------------------------

def test_plaintext_is_refused_when_an_aes_key_is_configured(client, config):
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1))
    with pytest.raises(WebhookError) as info:
        open_envelope(config, params, body)
    assert info.value.status == 403 and "safe mode" in info.value.message


@pytest.mark.parametrize("skew", [-301, 301, -86400 * 365])
def test_a_stale_or_future_timestamp_is_refused(client, config, skew):
    import time
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1), encrypt=True,
                                  params=client.params(timestamp=str(int(time.time()) + skew)))
    assert status_of(lambda: open_envelope(config, params, body)) == 403


def test_a_replayed_nonce_with_another_body_is_refused_an_identical_retry_is_not(client, config):
    from fenqi.security.replay import MemoryNonceCache
    nonces = MemoryNonceCache(600)
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1), encrypt=True)
    open_envelope(config, params, body, nonces)
    open_envelope(config, params, body, nonces)  # WeChat's retry of the very same request
    _, other = client.prepare(client.text("oUser1", "转账", msg_id=2), encrypt=True, params=params)
    replayed = dict(params, msg_signature=client.seal(client.text("oUser1", "转账", msg_id=2), params)[1]["msg_signature"])
    assert status_of(lambda: open_envelope(config, replayed, other, nonces)) == 403


def test_signatures_are_compared_in_constant_time(monkeypatch, client, config):
    import hmac
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    params, body = client.prepare(client.text("oUser1", "你好", msg_id=1), encrypt=True)
    open_envelope(config, params, body)
    assert len(calls) == 2  # URL signature and msg_signature
