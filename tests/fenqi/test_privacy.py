"""mask_pii: phone, ID-card and bank-card numbers masked; order numbers and other numbers kept."""
import logging

import pytest

from fenqi.privacy import PiiLogFilter, install_log_filter, mask_for_people, mask_pii, personal_traces


@pytest.mark.parametrize("text, expected", [
    # mainland mobiles: 1[3-9]x, 11 digits, spaces/dashes, country code kept
    ("我的手机号是13812345678", "我的手机号是138****5678"),
    ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
    ("手机：139-0000-1111", "手机：139****1111"),
    ("+86 138-1234-5678", "+86 138****5678"),
    ("+8619912345678", "+86199****5678"),
    ("打15012345678或者17712345678都行", "打150****5678或者177****5678都行"),
    # 18-character ID cards, last may be X (either case), spaced 6-8-4
    ("身份证110101199001011234", "身份证110***********1234"),
    ("身份证号 11010119900101123X", "身份证号 110***********123X"),
    ("id 11010119900101123x.", "id 110***********123x."),
    ("110101 19900101 1234", "110***********1234"),
    # bank cards: 16-19 digits, plain or in groups of 4
    ("卡号6222021234567890", "卡号622*********7890"),
    ("卡号 6222 0212 3456 7890 123", "卡号 622************0123"),
    ("6222-0212-3456-7890", "622*********7890"),
    ("银行卡6222021234567890123扣款失败", "银行卡622************0123扣款失败"),
    # several kinds in one message
    ("手机13812345678，卡6222021234567890", "手机138****5678，卡622*********7890"),
])
def test_personal_numbers_are_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "我的订单 202405300001 还款日是哪天",    # order numbers of other shapes are kept
    '/repayment_due{"order_id":"ORD-DEMO-OK-1"}',
    "分12期手续费怎么算",                    # ordinary numbers
    "¥3,999.00 分 24 期",
    "2024-05-30 到期",
    "12345678901",                          # 11 digits but not a mobile prefix
    "138123456789",                         # 12 digits: not a mobile
    "1234567890123456789012",               # 22 digits: nothing we know
    "1000 2000 300",
    "",
])
def test_other_numbers_are_kept(text):
    assert mask_pii(text) == text


def test_an_order_label_does_not_protect_a_personal_number():
    assert mask_pii("订单号 202405300001，手机13812345678") == "订单号 202405300001，手机138****5678"
    assert mask_pii("订单号 6222021234567890") == "订单号 622*********7890"
    assert mask_pii("订单号：13812345678") == "订单号：138****5678"
    assert mask_pii("订单编号是 110101199001011234") == "订单编号是 110***********1234"
    assert mask_pii("order id: 6222021234567890") == "order id: 622*********7890"
    assert mask_pii("没有找到订单号 6222021234567890 的分期订单", keep_order_numbers=False) == \
        "没有找到订单号 622*********7890 的分期订单"


@pytest.mark.parametrize("text, expected", [
    # formats the first version missed (issue #11)
    ("手机１３８１２３４５６７８", "手机138****5678"),                 # full-width digits
    ("电话 １３８ １２３４ ５６７８", "电话 138****5678"),
    ("手机 1381 234 5678", "手机 138****5678"),                     # 4-3-4
    ("身份证 110101 1990 0101 1234", "身份证 110***********1234"),  # 6-4-4-4
    ("手机 138.1234.5678", "手机 138****5678"),                     # dots
    ("手机 138－1234－5678", "手机 138****5678"),                   # full-width dash
    ('/repayment_due{"order_id":"6222021234567890"}', '/repayment_due{"order_id":"622*********7890"}'),
    ("/how_to_repay 13812345678", "/how_to_repay 138****5678"),
    ("13812345678 13912345678", "138****5678 139****5678"),
    ("2024.05.30 13812345678", "2024.05.30 138****5678"),
])
def test_formats_missed_before_are_masked(text, expected):
    assert mask_pii(text) == expected


def test_masking_is_linear_time():
    """Inputs of 200k characters: a quadratic pattern (5 s at 20k before) would need minutes; a
    linear one takes well under a second, so the generous bound holds on a loaded machine."""
    import time
    for text in ("1 " * 100000, "1" * 200000, "绑定" + " " * 200000 + "1", "1-" * 100000 + "X"):
        started = time.perf_counter()
        mask_pii(text)
        assert time.perf_counter() - started < 10, text[:20]


def test_secrets_are_removed_from_log_lines():
    from fenqi.identity import issue_token
    from fenqi.privacy import mask_secrets
    token = issue_token("demo_ok", "s" * 40)
    line = f"metadata={{'auth_token': '{token}'}} GET /status?token=abc123&x=1"
    masked = mask_secrets(line)
    assert token not in masked and "abc123" not in masked and "x=1" in masked
    api = mask_secrets("POST /cgi-bin/message/custom/send?access_token=AT-9f8e7d&x=1 GET /token?secret=s3cr3t")
    assert "AT-9f8e7d" not in api and "s3cr3t" not in api and "x=1" in api


def test_masking_is_idempotent():
    once = mask_pii("卡号6222021234567890 手机13812345678")
    assert mask_pii(once) == once


def test_log_filter_masks_message_and_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user said %s", ("卡号6222021234567890",), None)
    assert PiiLogFilter().filter(record) is True
    assert record.getMessage() == "user said 卡号622*********7890"


def test_installed_filter_masks_records_of_any_logger(caplog):
    old = logging.getLogRecordFactory()
    try:
        install_log_filter()
        install_log_filter()  # twice: still one masking layer
        with caplog.at_level(logging.INFO):
            logging.getLogger("rasa.some.module").info("parse_data_text=%s", "我的手机号是13812345678")
        assert caplog.records[-1].getMessage() == "parse_data_text=我的手机号是138****5678"
        assert "13812345678" not in caplog.text
    finally:
        logging.setLogRecordFactory(old)


def test_wechat_conversation_ids_become_stable_pseudonyms():
    from fenqi.privacy import mask_secrets, pseudonym
    openid = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc"
    masked = mask_secrets(f"rejected token for sender wx:{openid}; again wx:{openid}")
    assert openid not in masked and masked.count(f"wx:{pseudonym(openid)}") == 2
    assert mask_secrets(masked) == masked  # idempotent
    assert pseudonym(openid) != pseudonym(openid + "x") and len(pseudonym(openid)) == 13


def test_log_filter_masks_the_traceback_too():
    """Rasa logs a failed action call with the action server's reply, which echoes the request
    (the tracker, the user's token): the traceback text must be masked as well (issue #21)."""
    import io
    import sys

    from fenqi.identity import issue_token
    token = issue_token("demo_ok", "s" * 40)
    try:
        raise RuntimeError(f"500, body={{'metadata': {{'auth_token': '{token}'}}, 'text': '13812345678'}}")
    except RuntimeError:
        record = logging.LogRecord("rasa", logging.ERROR, __file__, 1, "action failed", (), sys.exc_info())
    PiiLogFilter().filter(record)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.emit(record)
    printed = stream.getvalue()
    assert "action failed" in printed and "RuntimeError" in printed
    assert token not in printed and "13812345678" not in printed and "[token]" in printed


@pytest.mark.parametrize("text, kinds", [
    ("我叫王小明，分期怎么还", ["name"]),
    ("张先生您好，备用金能借多少", ["name"]),
    ("北京市朝阳区建国路88号的收货地址能改吗", ["address"]),
    ("我住在3栋2单元", ["address"]),
    ("订单 1234567 分期失败", ["digits"]),
    ("我手机13812345678收不到验证码", ["digits"]),          # masked first: 138****5678 still looks personal
    ("邮箱 shopper.a@qq.com 收不到账单", ["email"]),
    ("会话 web:demo_ok 里说的", ["identifier"]),
    ("每月15号扣款吗", []),                                   # a day of the month is no address
    ("这两个有什么区别", []),
    ("超市可以用小米分期吗", []),
    ("分12期手续费多少", []),
])
def test_what_still_looks_personal_after_masking_is_named(text, kinds):
    assert personal_traces(mask_for_people(text)) == kinds
