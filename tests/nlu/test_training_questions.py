"""The domain intents' training data is organised by standard question (标准问, docs/intents.md): every
example of a domain intent sits in a block naming its question, a question belongs to one intent and
has enough phrasings, and no example is written twice in the training data."""
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from fenqi.answers.routing import RESERVE_FUND_TOPICS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_INTENTS = frozenset(RESERVE_FUND_TOPICS)  # the nine domain intents
MIN_PHRASINGS = 15
KNOWLEDGE = ROOT / "fenqi" / "knowledge" / "questions.yml"


def blocks():
    """(file name, intent, metadata question or None, examples) per block of data/nlu."""
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            examples = [line.strip()[2:].strip() for line in block["examples"].splitlines()
                        if line.strip().startswith("- ")]
            yield path.name, block["intent"], (block.get("metadata") or {}).get("question"), examples


def test_every_domain_example_is_in_a_standard_question_block():
    unlabelled = [(name, ex[:3]) for name, intent, question, ex in blocks() if intent in DOMAIN_INTENTS and not question]
    assert not unlabelled, f"domain blocks without metadata.question: {unlabelled}"
    files = {name for name, intent, _, _ in blocks() if intent in DOMAIN_INTENTS}
    assert files == {f"{intent}.yml" for intent in DOMAIN_INTENTS}


def test_each_question_has_one_block_of_one_intent_and_enough_phrasings():
    seen = Counter(question for _, _, question, _ in blocks() if question)
    assert [q for q, n in seen.items() if n > 1] == []
    per_question = {question: (intent, len(ex)) for _, intent, question, ex in blocks() if question}
    assert all(intent in DOMAIN_INTENTS for intent, _ in per_question.values())
    thin = {q: n for q, (_, n) in per_question.items() if n < MIN_PHRASINGS}
    assert not thin, f"standard questions with fewer than {MIN_PHRASINGS} phrasings: {thin}"
    by_intent = defaultdict(set)
    for question, (intent, _) in per_question.items():
        by_intent[intent].add(question)
    assert set(by_intent) == DOMAIN_INTENTS  # every domain intent has its questions


def test_no_example_is_written_twice():
    counts = Counter(text for _, _, _, examples in blocks() for text in examples)
    assert [t for t, n in counts.items() if n > 1] == []


def test_blocks_name_the_knowledge_base_questions():
    """Once the knowledge base exists, the training blocks and its questions are the same ids and intents."""
    if not KNOWLEDGE.exists():
        pytest.skip("fenqi/knowledge/questions.yml is not in this tree yet")
    kb = {q["id"]: q["intent"] for q in yaml.safe_load(KNOWLEDGE.read_text(encoding="utf-8"))["questions"]}
    data = {question: intent for _, intent, question, _ in blocks() if question}
    assert data == kb
