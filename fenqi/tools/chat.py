"""Terminal chat with a running bot over REST (``make shell``).

    python -m fenqi.tools.chat [--url http://localhost:5005] [--user demo_low_limit]

With ``--user`` a local token is minted with this machine's secret (demo use), so the bot
answers from that user's account; without it the bot gives general guidance.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import List, Optional


def post(url: str, payload: dict) -> List[dict]:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def show(messages: List[dict]) -> List[dict]:
    """Print bot messages; return the buttons offered (numbered for the next input)."""
    buttons: List[dict] = []
    for m in messages:
        if m.get("text"):
            print("\n".join("🤖 " + line if i == 0 else "   " + line for i, line in enumerate(m["text"].splitlines())))
        for b in m.get("buttons", []):
            buttons.append(b)
            print(f"   [{len(buttons)}] {b['title']}")
    return buttons


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--user", help="demo user id to log in as (local demo token)")
    args = parser.parse_args(argv)
    metadata = {}
    secret, ttl = None, 0
    if args.user:
        from fenqi.settings import load_settings
        settings = load_settings()
        secret, ttl = settings.jwt_secret, settings.token_ttl
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    who = f"已登录为 {args.user}" if args.user else "未登录（通用解答）"
    print(f"分期助手 · {who} · 输入问题，数字选择按钮，Ctrl-D 退出")
    buttons: List[dict] = []
    while True:
        try:
            text = input("你: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        if secret is not None:  # a fresh token per message: the session may outlast one token's lifetime
            from fenqi.identity import issue_token
            metadata["auth_token"] = issue_token(args.user, secret, ttl=ttl)
        try:
            buttons = show(post(args.url, {"sender": sender, "message": text, "metadata": metadata}))
        except (urllib.error.URLError, OSError) as exc:
            print(f"无法连接 {args.url}（{exc}）。请先在另一个终端运行 make run。", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
