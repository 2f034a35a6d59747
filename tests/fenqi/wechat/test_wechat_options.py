import asyncio

from fenqi.wechat.options import (
    MAX_OPTIONS,
    MAX_PAYLOAD_CHARS,
    MAX_TITLE_CHARS,
    OptionMemory,
    bounded_options,
    choice_number,
    render_bot_messages,
    render_options,
    resolve_choice,
)

BUTTONS = [{"title": "查看额度", "payload": "/ask_credit"}, {"title": "还款方式", "payload": "/ask_repay"}]


def test_buttons_become_numbered_options():
    text, options = render_bot_messages([{"text": "请选择：", "buttons": BUTTONS}])
    assert text == "请选择：\n回复 1：查看额度\n回复 2：还款方式"
    assert options == [("查看额度", "/ask_credit"), ("还款方式", "/ask_repay")]


def test_options_across_messages_are_numbered_consecutively():
    text, options = render_bot_messages([
        {"text": "A", "buttons": BUTTONS[:1]}, {"text": "B", "buttons": BUTTONS[1:]}])
    assert "回复 1：查看额度" in text and "回复 2：还款方式" in text
    assert [p for _, p in options] == ["/ask_credit", "/ask_repay"]


def test_text_image_and_attachment_fold_into_paragraphs():
    text, options = render_bot_messages([{"text": "第一段"}, {"image": "https://img.example/a.png"},
                                         {"text": "第三段"}])
    assert text == "第一段\n\nhttps://img.example/a.png\n\n第三段"
    assert options == []


def test_numeric_replies_are_recognised_in_full_and_half_width():
    assert choice_number("2") == 2
    assert choice_number(" １ ") == 1
    assert choice_number("2。") == 2
    assert choice_number("我要 2 期") is None
    assert choice_number("123456") is None


def test_resolve_only_within_the_offered_range():
    options = [("查看额度", "/ask_credit"), ("还款方式", "/ask_repay")]
    assert resolve_choice("2", options) == "/ask_repay"
    assert resolve_choice("3", options) is None
    assert resolve_choice("0", options) is None


def test_memory_keeps_the_last_options_per_user():
    async def main():
        memory = OptionMemory()
        await memory.remember("openid-a", [("查看额度", "/ask_credit")])
        await memory.remember("openid-b", [("还款方式", "/ask_repay")])
        assert await memory.resolve("openid-a", "1") == "/ask_credit"
        assert await memory.resolve("openid-b", "1") == "/ask_repay"
        assert await memory.resolve("openid-a", "查看额度") is None
        await memory.remember("openid-a", [])  # a reply without buttons clears them
        assert await memory.resolve("openid-a", "1") is None
    asyncio.run(main())


def test_memory_forgets_after_ttl():
    async def main():
        memory = OptionMemory(ttl=0.0)
        await memory.remember("openid-a", [("查看额度", "/ask_credit")])
        assert await memory.resolve("openid-a", "1") is None
    asyncio.run(main())


def test_remembered_options_are_bounded_and_keep_their_numbers():
    hostile = [("标" * 10_000, "/x" * 10_000), ("还款", "/ask_repay")] + [("t", "/p")] * 500
    bounded = bounded_options(hostile)
    assert len(bounded) == MAX_OPTIONS and all(len(title) <= MAX_TITLE_CHARS for title, _ in bounded)
    assert bounded[0] == ("标" * MAX_TITLE_CHARS, "") and bounded[1] == ("还款", "/ask_repay")
    assert bounded_options([("a", "p" * MAX_PAYLOAD_CHARS)]) == (("a", "p" * MAX_PAYLOAD_CHARS),)

    async def main():
        memory = OptionMemory()
        await memory.remember("openid-a", hostile)
        assert await memory.recall("openid-a") == bounded
        assert await memory.resolve("openid-a", "1") is None  # oversize payload: read as text
        assert await memory.resolve("openid-a", "2") == "/ask_repay"
        assert await memory.resolve("openid-a", str(MAX_OPTIONS + 1)) is None
    asyncio.run(main())


def test_button_without_payload_uses_its_title():
    assert render_options([("好的", "好的")]) == "回复 1：好的"
    _, options = render_bot_messages([{"text": "x", "buttons": [{"title": "好的"}]}])
    assert options == [("好的", "好的")]
