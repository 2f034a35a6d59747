"""Attack tests against the real servers: helpers to post raw bodies and read stored trackers."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests

from tests.support.stack import API_TOKEN


def rss_peak_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Rest:
    """Raw access to the REST webhook and the (internal, token-protected) tracker API."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.url = f"{stack.rasa_url}/webhooks/rest/webhook"

    def post(self, body: Any = None, raw: Optional[bytes] = None, params: Optional[dict] = None,
             timeout: float = 60) -> requests.Response:
        if raw is None:
            return requests.post(self.url, json=body, params=params, timeout=timeout)
        return requests.post(self.url, data=raw, params=params, timeout=timeout,
                             headers={"Content-Type": "application/json"})

    def say(self, sender: Optional[str], text: str, token: Optional[str] = None,
            **extra: Any) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"message": text, **extra}
        if sender is not None:
            body["sender"] = sender
        if token:
            body.setdefault("metadata", {})["auth_token"] = token
        r = self.post(body)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        r = requests.get(f"{self.stack.rasa_url}/conversations/{conversation_id}/tracker",
                         params={"token": API_TOKEN, "include_events": "ALL"}, timeout=30)
        r.raise_for_status()
        return r.json()

    def user_texts(self, conversation_id: str) -> List[str]:
        return [e.get("text") or "" for e in self.tracker(conversation_id)["events"]
                if e.get("event") == "user"]


@pytest.fixture
def rest(bot_stack: Any) -> Rest:
    return Rest(bot_stack)


@pytest.fixture
def rasa_pid(bot_stack: Any) -> int:
    return bot_stack.rasa_pid


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
