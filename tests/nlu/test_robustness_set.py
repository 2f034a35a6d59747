"""The robustness set is big enough, labelled with real intents, and no line is a near-copy of training data."""
from pathlib import Path

import yaml

from fenqi.evaluation import FALLBACK, load_cases
from fenqi.nlp.training_data import training_examples as training_data
from fenqi.overlap import NEAR_COPY, near_duplicates

ROOT = Path(__file__).resolve().parents[2]
ROBUSTNESS = Path(__file__).with_name("robustness.yml")
THRESHOLD = NEAR_COPY  # char-bigram Jaccard, as make eval


def training_examples():
    """(intent, text) of every training line, the reviewed ones (data/nlu/reviewed/) included."""
    for example in training_data():
        yield example.intent, example.text


def test_robustness_set_is_large_and_labelled_with_domain_intents():
    cases = load_cases(ROBUSTNESS)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    assert len(cases) >= 300
    assert {c.intent for c in cases} <= intents
    assert {a for c in cases for a in c.accept} <= intents | {FALLBACK}
    categories = {c.category for c in cases}
    assert {"account_app_support", "other_financial_and_banking", "other_lenders", "ecommerce_after_sales",
            "cash_borrowing_without_word", "limit_why", "nonsense", "chit_chat"} <= categories


def test_no_robustness_line_is_a_near_copy_of_a_training_line():
    training = [text for _, text in training_examples()]
    copies = near_duplicates([c.text for c in load_cases(ROBUSTNESS)], training, THRESHOLD)
    assert not copies, "\n".join(f"{s:.2f} {q} ~ {t}" for q, t, s in copies)


def test_no_holdout_line_is_a_near_copy_of_a_training_line():
    holdout = yaml.safe_load((ROOT / "tests" / "nlu" / "holdout.yml").read_text(encoding="utf-8"))["nlu"]
    questions = [ln.strip()[2:] for b in holdout for ln in b["examples"].splitlines() if ln.strip().startswith("- ")]
    copies = near_duplicates(questions, [t for _, t in training_examples()], THRESHOLD)
    assert not copies, "\n".join(f"{s:.2f} {q} ~ {t}" for q, t, s in copies)
