"""Parse texts with a trained model archive — the Rasa side of ``make eval`` and the evaluation gate.

    python -m components.parse MODEL < texts.json > parses.json

Reads a JSON list of texts on stdin, loads ``MODEL`` with Rasa's own ``Agent`` (the whole NLU
pipeline: spaCy, the n-gram intent classifier, the question selector, the fallback classifier) and
writes one JSON list of parse results (``intent``, ``intent_ranking``, ``question``,
``question_ranking``, ``entities``) in the same order. Run from the project root (the spaCy pipeline
is loaded by a path relative to it); ``fenqi.training.parsing`` starts it in a child process, so
the core never imports Rasa and each model's memory is returned when it is done.
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

MAX_TEXTS = 100_000
MAX_CHARS = 500  # what a channel accepts as one message


async def parse_texts(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """The parse data of each text, by one model load."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from deploy.rasa_main import install_sequential_graph_runner

    install_sequential_graph_runner()  # as the servers parse: the graph's nodes in order, without dask
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # no per-message debug lines
    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text[:MAX_CHARS])
        out.append({k: parsed.get(k) for k in ("intent", "intent_ranking", "question", "question_ranking",
                                                "entities") if k in parsed})
    return out


def main(argv: Sequence[str] = ()) -> int:
    args = list(argv) or sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m components.parse MODEL < texts.json", file=sys.stderr)
        return 2
    texts = json.load(sys.stdin)
    if not isinstance(texts, list) or len(texts) > MAX_TEXTS or not all(isinstance(t, str) for t in texts):
        print(f"stdin must be a JSON list of at most {MAX_TEXTS} strings", file=sys.stderr)
        return 2
    parses = asyncio.run(parse_texts(Path(args[0]), texts))
    json.dump(parses, sys.stdout, ensure_ascii=False, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
