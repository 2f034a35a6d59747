"""The sub-question test set (tests/nlu/subquestions.yml, issue 18) is well formed, large, in every voice,
covers every standard question of the knowledge base at least four times, and shares no question with
the other held-out sets, the knowledge base's canonical questions or the training data.

Failures name entries by index only, never a training line: the set stays unseen by whoever writes the
training phrasings, and the training lines stay unseen by whoever writes the set."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from fenqi.evaluation import load_cases
from fenqi.overlap import bigrams, jaccard, normalise
from fenqi.subquestion_set import DEFAULT_PATH, FOLLOWUP, VOICES, coverage, load_subquestions, thin, unknown_ids
from tests.nlu.test_robustness_set import ROBUSTNESS, THRESHOLD, training_examples
from tests.nlu.test_unseen_proxy_set import proxy_cases

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "fenqi" / "knowledge" / "questions.yml"
HOLDOUT = Path(__file__).with_name("holdout.yml")
MINIMUM_PER_QUESTION = 4


@pytest.fixture(scope="module")
def cases():
    return load_subquestions(DEFAULT_PATH)


@pytest.fixture(scope="module")
def knowledge():
    """The knowledge base's entries (id, question, ...); the test is skipped until the file exists."""
    if not KNOWLEDGE.exists():
        pytest.skip(f"{KNOWLEDGE.relative_to(ROOT)} is not there yet")
    entries = yaml.safe_load(KNOWLEDGE.read_text(encoding="utf-8"))["questions"]
    assert entries, "the knowledge base lists no standard question"
    return entries


def near_copies(cases, others, threshold=THRESHOLD):
    """Indices of the set's questions with a char-bigram Jaccard >= threshold to any of ``others``."""
    other_bigrams = [bigrams(o) for o in others]
    mine = [bigrams(c.text) for c in cases]
    return [i for i, b in enumerate(mine) if any(jaccard(b, ob) >= threshold for ob in other_bigrams)]


def test_set_is_large_and_written_in_every_voice(cases):
    in_scope = [c for c in cases if c.in_scope]
    voices = Counter(c.voice for c in cases)
    assert len(in_scope) >= 600
    assert 50 <= len(cases) - len(in_scope) <= 100  # honest out-of-scope handling, not the bulk of the set
    assert set(voices) == set(VOICES)
    assert voices[FOLLOWUP] >= 35
    assert min(voices[v] for v in ("typo", "dialect", "borrowing", "long", "mixed")) >= 15
    assert all(c.after for c in cases if c.voice == FOLLOWUP)


def test_every_gold_question_of_the_set_is_asked_at_least_four_times(cases):
    counts = coverage(cases)
    assert len(counts) >= 120  # the issue: at least 120 standard questions
    assert not thin(cases, counts, MINIMUM_PER_QUESTION)
    assert {c.after for c in cases if c.after} <= set(counts)  # follow-ups come after questions of the set


def test_no_question_is_in_another_held_out_set(cases):
    holdout = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))["nlu"]
    others = {ln.strip()[2:] for b in holdout for ln in b["examples"].splitlines() if ln.strip().startswith("- ")}
    others |= {c.text for c in load_cases(ROBUSTNESS)}
    others |= {text for _, _, text in proxy_cases()}
    taken = {normalise(t) for t in others}
    shared = [i for i, c in enumerate(cases) if normalise(c.text) in taken]
    assert not shared, f"questions{shared} also appear in holdout, robustness or unseen_proxy"


def test_no_question_is_a_near_copy_of_a_training_line(cases):
    copies = near_copies(cases, [text for _, text in training_examples()])
    assert not copies, f"questions{copies} of {DEFAULT_PATH.name} have a near-copy in data/nlu (Jaccard >= {THRESHOLD})"


def test_every_id_is_a_standard_question_of_the_knowledge_base(cases, knowledge):
    assert not unknown_ids(cases, {entry["id"] for entry in knowledge})


def test_every_standard_question_is_asked_at_least_four_times(cases, knowledge):
    missing = thin(cases, {entry["id"] for entry in knowledge}, MINIMUM_PER_QUESTION)
    assert not missing, f"standard questions with fewer than {MINIMUM_PER_QUESTION} test questions: {missing}"


def test_no_question_is_a_near_copy_of_a_canonical_question(cases, knowledge):
    """The canonical wording and the button title may be trained on: the set must not repeat them."""
    canonical = [str(entry[key]) for entry in knowledge for key in ("question", "title") if entry.get(key)]
    copies = near_copies(cases, canonical)
    assert not copies, f"questions{copies} repeat a canonical question or title (Jaccard >= {THRESHOLD})"
