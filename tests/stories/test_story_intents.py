"""The NLU really predicts the intents the test conversations are labelled with.

``rasa test core`` (3.6) checks the actions of ``tests/stories`` against the labelled intents,
not what the model makes of the ``user:`` texts, so this test parses every text with the
trained model. Button payloads (``/intent``) are skipped.
"""
import asyncio
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "fenqi.tar.gz"
STORIES = sorted(Path(__file__).parent.glob("*.yml"))

pytestmark = pytest.mark.e2e


def labelled_texts():
    for path in STORIES:
        for story in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories", []):
            for step in story["steps"]:
                text = str(step.get("user", "")).strip()
                if text and step.get("intent") and not text.startswith("/"):
                    yield story["story"], text, step["intent"]


def test_every_story_text_is_predicted_as_labelled():
    assert MODEL.exists(), "run `make train` first"
    from rasa.core.agent import Agent

    cases = list(labelled_texts())
    assert any(intent == "nlu_fallback" for _, _, intent in cases)

    async def parse_all():
        agent = Agent.load(str(MODEL))
        return [(await agent.parse_message(text))["intent"] for _, text, _ in cases]

    predicted = asyncio.run(parse_all())
    wrong = [f"{story}: {text!r} labelled {label}, predicted {p['name']} ({p.get('confidence', 0):.2f})"
             for (story, text, label), p in zip(cases, predicted) if p["name"] != label]
    assert not wrong, "\n".join(wrong)
