"""Standard-question (标准问) accuracy of the training phrasings: stratified k-fold cross-validation of the
n-gram model on the ``metadata: question`` labels of the domain intents' blocks in data/nlu.

    python scripts/question_cv.py                  # 5 folds, within each intent and over all questions
    python scripts/question_cv.py --errors         # also every misclassified phrasing
    python scripts/question_cv.py --repeats 3      # average over 3 shufflings of the folds

Within an intent: the second stage's task once the intent is right (one model per intent, trained on that
intent's questions). Global: one model over every question label of every domain intent (its intent
accuracy is the share whose predicted question belongs to the gold intent). Reports the per-intent and
global accuracy, macro-F1, the questions with the lowest recall, and the most confused pairs (both
directions summed) — the pairs whose phrasings need sharper, more discriminating examples. Same features
and settings as the configured intent classifier (config.yml, fenqi/nlp/intent_model.py).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fenqi.evaluation import IntentReport, score  # noqa: E402
from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel  # noqa: E402
from scripts.evaluate import pipeline_entry  # noqa: E402

Labelled = Tuple[str, str, Optional[str]]  # (text, intent, standard question or None)


def load_questions(data_dir: Path) -> List[Labelled]:
    """Every example of data/nlu with its intent and its block's ``metadata: question`` (None without)."""
    out: List[Labelled] = []
    for path in sorted(data_dir.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block:
                continue
            question = (block.get("metadata") or {}).get("question")
            out += [(line.strip()[2:].strip(), block["intent"], question)
                    for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    return out


def out_of_fold(texts: Sequence[str], labels: Sequence[str], config: ModelConfig, folds: int,
                repeats: int) -> List[List[str]]:
    """Out-of-fold predictions, one list per repeat (stratified folds, fixed seed)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=7)
    preds: Dict[int, List[str]] = {}
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        model = NgramIntentModel(config).fit([texts[i] for i in train], [labels[i] for i in train])
        probs = model.predict_proba([texts[i] for i in test])
        rep = preds.setdefault(k // folds, [""] * len(texts))
        for i, row in zip(test, probs):
            rep[i] = model.classes[int(row.argmax())]
    return list(preds.values())


def confused_pairs(confusions: Counter) -> List[Tuple[Tuple[str, str], int]]:
    """(question a, question b) → errors either way, most first."""
    pairs: Counter = Counter()
    for (gold, pred), n in confusions.items():
        pairs[tuple(sorted((gold, pred)))] += n
    return pairs.most_common()


def summarise(labels: Sequence[str], runs: Sequence[Sequence[str]]) -> Tuple[float, float, IntentReport]:
    """Mean accuracy and macro-F1 over repeats and the report of all repeats pooled (for confusions)."""
    reports = [score(labels, pred) for pred in runs]
    pooled = score(list(labels) * len(runs), [p for pred in runs for p in pred])
    return (float(np.mean([r.accuracy for r in reports])), float(np.mean([r.macro_f1 for r in reports])), pooled)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=20, help="how many confused pairs to list")
    parser.add_argument("--errors", action="store_true", help="print every misclassified phrasing (first repeat)")
    args = parser.parse_args(argv)

    entry = pipeline_entry("NgramIntentClassifier") or {}
    config = ModelConfig.from_options(entry)
    data = load_questions(args.data)
    labelled = [(t, intent, q) for t, intent, q in data if q]
    unlabelled = [(t, intent) for t, intent, q in data if not q and any(i == intent for _, i, _ in labelled)]
    intent_of = {q: intent for _, intent, q in labelled}
    per_question = Counter(q for _, _, q in labelled)
    print(f"{len(labelled)} labelled examples, {len(per_question)} standard questions, "
          f"{len(unlabelled)} unlabelled examples of those intents; fewest per question: "
          + ", ".join(f"{q} {n}" for q, n in sorted(per_question.items(), key=lambda kv: kv[1])[:5]))

    print(f"\n## Within each intent ({args.folds}-fold CV x {args.repeats})\n")
    print("| intent | examples | questions | fewest | accuracy | macro-F1 |\n|---|---:|---:|---:|---:|---:|")
    within: Counter = Counter()
    errors: List[Tuple[str, str, str]] = []
    total_right = total = 0.0
    for intent in sorted(set(intent_of.values())):
        rows = [(t, q) for t, i, q in labelled if i == intent]
        texts, labels = [t for t, _ in rows], [str(q) for _, q in rows]
        runs = out_of_fold(texts, labels, config, args.folds, args.repeats)
        acc, f1, pooled = summarise(labels, runs)
        within.update(pooled.confusions)
        errors += [(g, p, t) for t, g, p in zip(texts, labels, runs[0]) if g != p]
        total_right += acc * len(rows)
        total += len(rows)
        fewest = min(Counter(labels).values())
        print(f"| {intent} | {len(rows)} | {len(set(labels))} | {fewest} | {acc:.3f} | {f1:.3f} |")
    print(f"| all (weighted) | {int(total)} | {len(per_question)} | {min(per_question.values())} | "
          f"{total_right / total:.3f} | |")

    texts, labels = [t for t, _, _ in labelled], [str(q) for _, _, q in labelled]
    runs = out_of_fold(texts, labels, config, args.folds, args.repeats)
    acc, f1, pooled = summarise(labels, runs)
    intent_acc = float(np.mean([np.mean([intent_of[g] == intent_of[p] for g, p in zip(labels, pred)])
                                for pred in runs]))
    print(f"\n## Global: one model over all {len(per_question)} questions\n\n- accuracy **{acc:.3f}**, "
          f"macro-F1 {f1:.3f}; predicted question in the gold intent: {intent_acc:.3f}")

    recall = sorted(pooled.per_intent.items(), key=lambda kv: kv[1].recall)[:15]
    print("\nLowest recall (global model): " + ", ".join(f"{q} {m.recall:.2f}" for q, m in recall))
    print(f"\n## Most confused pairs within an intent (errors both ways, {args.repeats} repeat(s))\n")
    for (a, b), n in confused_pairs(within)[:args.pairs]:
        print(f"- {a} ↔ {b}: {n}")
    print("\n## Most confused pairs, global model\n")
    for (a, b), n in confused_pairs(pooled.confusions)[:args.pairs]:
        print(f"- {a} ↔ {b}: {n}{'' if intent_of[a] == intent_of[b] else '  (across intents)'}")
    if args.errors:
        print("\n## Misclassified within the intent (gold -> predicted: text)\n")
        for g, p, t in sorted(errors):
            print(f"   {g:>28} -> {p:<28} {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
