"""parse_rest_body / clean_text / sanitize_payload / rest_sender_id: hostile bodies in, typed values out."""
import json

import pytest

from fenqi.security.inbound import (
    InputError,
    clean_text,
    parse_rest_body,
    rest_sender_id,
    sanitize_payload,
    valid_order_id,
)


@pytest.mark.parametrize("body, reason", [
    (b"[]", "body must be a JSON object"),
    (b"null", "body must be a JSON object"),
    (b"true", "body must be a JSON object"),
    (b'"hello"', "body must be a JSON object"),
    (b"{", "body is not valid JSON"),
    (b"\xff\xfe{}", "body is not valid UTF-8"),
    (b'{"message": 5}', "message must be a string"),
    (b'{"message": ["a"]}', "message must be a string"),
    (b'{"sender": 5, "message": "hi"}', "sender must be"),
    (b'{"sender": "web:demo_ok", "message": "hi"}', "sender uses a reserved prefix"),
    (b'{"sender": "WX:abc", "message": "hi"}', "sender uses a reserved prefix"),
    (b'{"sender": "a b", "message": "hi"}', "sender must be"),
    (b'{"message": "hi", "metadata": []}', "metadata must be a JSON object"),
    (b'{"message": "hi", "metadata": {"auth_token": 5}}', "metadata.auth_token must be an ASCII string"),
    (b'{"message": "  \\u0000 "}', "message must not be empty"),
    (b"[" * 5000 + b"]" * 5000, "body is nested too deeply"),
])
def test_malformed_bodies_are_refused_with_a_reason(body, reason):
    with pytest.raises(InputError) as info:
        parse_rest_body(body)
    assert info.value.status == 400 and info.value.reason.startswith(reason)


def test_oversized_body_is_413():
    with pytest.raises(InputError) as info:
        parse_rest_body(json.dumps({"message": "😀" * 5000}).encode(), max_bytes=16384)
    assert info.value.status == 413


def test_client_channel_and_metadata_are_ignored_except_the_token():
    parsed = parse_rest_body(json.dumps({"sender": "me", "message": "你好", "input_channel": "wechat",
                                         "metadata": {"auth_token": "t", "user_id": "demo_ok"}}).encode())
    assert (parsed.sender_key, parsed.text, parsed.token) == ("me", "你好", "t")


def test_text_is_cleaned_and_masked():
    assert clean_text("\x00手机\x1b13812345678\ud800 ") == "手机 138****5678"


@pytest.mark.parametrize("text, expected", [
    ('/repayment_due{"order_id": 5}', "/repayment_due"),
    ('/repayment_due{"order_id": ["ORD-1"]}', "/repayment_due"),
    ('/repayment_due{"order_id": "ORD-1", "x": 1}', "/repayment_due"),
    ('/repayment_due{"order_id": "' + "A" * 200 + '"}', "/repayment_due"),
    ('/repayment_due{"order_id": "ORD-DEMO-OK-1"}', '/repayment_due{"order_id":"ORD-DEMO-OK-1"}'),
    ("/greet@0.1", "/greet"),
    ("/how_to_repay", "/how_to_repay"),
    ("怎么还款", "怎么还款"),
])
def test_payload_entities_are_kept_only_when_well_formed(text, expected):
    assert sanitize_payload(text) == expected


def test_order_id_slot_values_must_be_short_id_strings():
    assert valid_order_id("ORD-DEMO-OK-1") == "ORD-DEMO-OK-1"
    for bad in (5, ["ORD-1"], {"a": 1}, "", "x" * 41, "ORD 1", None):
        assert valid_order_id(bad) is None


def test_sender_ids_are_derived_on_the_server():
    assert rest_sender_id("demo_ok", "me") == "rest:u:demo_ok:me"
    assert rest_sender_id("demo_ok", None) == "rest:u:demo_ok"
    assert rest_sender_id(None, "me") == "rest:anon:me"
    first, second = rest_sender_id(None, None), rest_sender_id(None, None)
    assert first != second and first.startswith("rest:anon:r-")  # no shared "default"
    assert rest_sender_id("demo_a", "s") != rest_sender_id("demo_b", "s")


@pytest.mark.parametrize("text, expected", [
    ('/how_to_repay{"product":"备用金"}', '/how_to_repay{"product":"备用金"}'),      # the 备用金 topic buttons
    ('/how_to_repay{"product": "备用金", "order_id": "A1"}', '/how_to_repay{"product":"备用金","order_id":"A1"}'),
    ('/how_to_repay{"product": ["备用金"]}', "/how_to_repay"),
    ('/how_to_repay{"product": "备用金{}"}', "/how_to_repay"),
    ('/how_to_repay{"product": "' + "备" * 21 + '"}', "/how_to_repay"),
])
def test_button_payload_keeps_only_well_formed_product_and_order_entities(text, expected):
    assert sanitize_payload(text) == expected
