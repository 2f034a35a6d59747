"""Chinese names of intents for the pages and charts (core topics from fenqi/fallback/topics.yml)."""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List

from fenqi.fallback import load_topics
from fenqi.nlp import FALLBACK, OUT_OF_SCOPE

OTHER_INTENTS = {FALLBACK: "未识别（澄清）", OUT_OF_SCOPE: "超出范围", "greet": "问候", "goodbye": "告别",
                 "thank": "感谢", "affirm": "肯定", "deny": "否定", "bot_challenge": "问是否机器人",
                 "request_human": "转人工", "": "（无）"}


@lru_cache(maxsize=1)
def _titles() -> Dict[str, str]:
    return {**OTHER_INTENTS, **load_topics().titles}


def known_intents() -> List[str]:
    """Every intent the bot knows (the review's intent filter), the answerable topics first."""
    return list(load_topics().titles) + [i for i in OTHER_INTENTS if i]


def intent_label(intent: str) -> str:
    """``how_to_repay`` -> ``怎么还款``; an unknown name is shown as it is."""
    return _titles().get(intent, intent)


def question_label(question_id: str) -> str:
    """``repay.credit_card`` -> ``能用信用卡还吗（repay.credit_card）``; an id the knowledge base no
    longer has (an older model's) is shown as it is."""
    from fenqi.knowledge import load_questions

    book = load_questions()
    if question_id not in book.ids:
        return question_id
    return f"{book.get(question_id).question}（{question_id}）"
