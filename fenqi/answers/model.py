"""What every answer function returns: text plus optional buttons and an order choice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # Rasa-style intent payload, e.g. '/early_repayment{"order_id":"A1"}'


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: Tuple[Button, ...] = ()
    needs_order: bool = False  # the user must pick one of ``order_choices`` first
    order_choices: Tuple[Tuple[str, str], ...] = ()  # (order_id, label such as "小米14 ¥3,999.00 · 12期")
