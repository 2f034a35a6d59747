import pytest

from fenqi.wechat.splitting import MAX_MESSAGE_BYTES, split_message, utf8_len


def test_short_text_is_one_part():
    assert split_message("  您好，请问有什么可以帮您？ ") == ["您好，请问有什么可以帮您？"]


def test_empty_text_has_no_parts():
    assert split_message(" \n ") == []


def test_parts_fit_the_byte_limit_and_lose_nothing():
    text = "\n".join(f"第{i}步：打开小米商城App，进入“我的”页面，找到小米分期入口并查看可用额度。" for i in range(80))
    parts = split_message(text)
    assert len(parts) > 1
    assert all(utf8_len(p) <= MAX_MESSAGE_BYTES for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_splits_prefer_line_breaks():
    lines = [f"{i:03d}" + "额" * 100 for i in range(30)]  # each line ~304 bytes
    parts = split_message("\n".join(lines))
    for part in parts:  # every part is made of whole lines
        assert all(line in lines for line in part.split("\n"))


def test_never_splits_inside_a_multibyte_character():
    text = "分" * 1000 + "😀" * 300  # 3-byte and 4-byte characters, no break opportunities
    parts = split_message(text, limit=100)
    assert all(utf8_len(p) <= 100 for p in parts)
    assert "".join(parts) == text  # every part decodes to whole characters and they add up


def test_falls_back_to_sentence_ends_without_line_breaks():
    sentence = "请先确认实名认证已完成。"  # 36 bytes
    parts = split_message(sentence * 10, limit=100)
    assert all(p.endswith("。") for p in parts)


def test_rejects_a_limit_too_small_for_any_character():
    with pytest.raises(ValueError):
        split_message("abc", limit=3)
