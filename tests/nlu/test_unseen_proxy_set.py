"""The unseen-proxy set is large, labelled with domain intents in its three voices, loads as Rasa NLU
data, and no line of it is a near-copy of a training line (so it stays a measure of generalisation)."""
from collections import Counter
from pathlib import Path

import yaml

from fenqi.overlap import near_duplicates
from tests.nlu.test_robustness_set import THRESHOLD, training_examples

ROOT = Path(__file__).resolve().parents[2]
PROXY = Path(__file__).with_name("unseen_proxy.yml")


def proxy_cases():
    """(intent, category, text) per line of the proxy set."""
    for block in yaml.safe_load(PROXY.read_text(encoding="utf-8"))["nlu"]:
        category = (block.get("metadata") or {}).get("category")
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                yield block["intent"], category, line.strip()[2:].strip()


def test_proxy_set_is_large_labelled_and_covers_each_voice():
    cases = list(proxy_cases())
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    per_category = Counter(category for _, category, _ in cases)
    assert len(cases) >= 250
    assert {intent for intent, _, _ in cases} <= intents
    assert per_category["bank_cash_credit"] >= 100 and per_category["shopper"] >= 100
    assert per_category["out_of_scope"] >= 50
    assert all(intent == "out_of_scope" for intent, category, _ in cases if category == "out_of_scope")
    texts = [text for _, _, text in cases]
    assert len(set(texts)) == len(texts)


def test_proxy_set_loads_as_rasa_nlu_data():
    from rasa.shared.nlu.training_data.loading import load_data

    loaded = [(m.get("text"), m.get("intent")) for m in load_data(str(PROXY)).intent_examples]
    assert sorted(loaded) == sorted((text, intent) for intent, _, text in proxy_cases())


def test_no_proxy_line_is_a_near_copy_of_a_training_line():
    training = [text for _, text in training_examples()]
    copies = near_duplicates([text for _, _, text in proxy_cases()], training, THRESHOLD)
    # Only the training line is named, so that reading a failure does not reveal the held-out question.
    assert not copies, "training lines too close to a proxy question:\n" + "\n".join(
        f"{s:.2f} {t}" for _, t, s in copies)
