"""Fixed channel texts (not bot answers: those come from the bot)."""
from __future__ import annotations

from fenqi.resilience import BUSY_TEXT

WELCOME = (
    "您好，欢迎关注！我是分期助手，可以帮您解答小米分期、备用金、分期还款等问题。\n"
    "直接发送文字描述您的问题即可，例如：“为什么有额度却不能分期？”"
)
BIND_HINT = (
    "如需查询您本人的额度、账单等信息，请先绑定账号：在小米商城账号中获取 10 位绑定码，"
    "然后发送“绑定 绑定码”（例如：绑定 K7M2Q9XH4P）。"
)
UNSUPPORTED = "抱歉，我目前只能处理文字消息（语音请开启识别），请用文字描述您的问题。"
BOT_ERROR = BUSY_TEXT  # the one busy message of every channel
TOO_SLOW = "抱歉，这个问题我处理得有点慢，请稍后再发送一次。"
BOT_SILENT = "抱歉，我暂时没能理解，请换个说法描述您的问题。"
BIND_OK = "绑定成功！现在可以直接询问您的分期额度、账单和还款情况。"
BIND_FAILED = {
    "unknown": "绑定码无效，请核对后重新发送“绑定 绑定码”。",
    "expired": "绑定码已过期，请重新获取绑定码后再试。",
    "used": "该绑定码已被使用，请重新获取绑定码后再试。",
    "throttled": "尝试次数过多，请稍后再试。",
}


def welcome(bound: bool) -> str:
    return WELCOME if bound else f"{WELCOME}\n\n{BIND_HINT}"
