"""Intent evaluation: accuracy, macro-F1, per-intent precision/recall and confusions.

    python scripts/evaluate.py --model models/fenqi.tar.gz

Measures the project's own held-out file (tests/nlu/holdout.yml), the robustness set
(tests/nlu/robustness.yml, by category) and, when it exists, the real dev questions
(FENQI_DEV_QUESTIONS, default ../shared/eval/real_questions_dev.tsv: measured only, never trained on,
decides nothing). Cross-validation repeats stratified folds of the configured classifier on data/nlu and
reports calibration (accuracy per confidence band, ECE) and what each fallback threshold would catch.
Writes docs/evaluation.md (keeping its classifier-candidates section) and prints the same tables.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fenqi.evaluation import (  # noqa: E402
    OUT_OF_SCOPE,
    IntentReport,
    by_category,
    calibration,
    choose_threshold,
    expected_calibration_error,
    load_cases,
    recall_of,
    score,
    threshold_rows,
)
from fenqi.overlap import near_duplicates  # noqa: E402

OVERLAP_THRESHOLD = 0.7  # char-bigram Jaccard: at or above, a training line is a near-copy

Example = Tuple[str, str]  # (text, gold intent)


def load_holdout(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def load_training_texts(data_dir: Path) -> List[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [m.get("text") for m in load_data(str(data_dir)).intent_examples]


def load_dev(path: Path) -> List[Example]:
    with open(path, encoding="utf-8") as fh:
        return [(r["text"], r["intent"]) for r in csv.DictReader(fh, delimiter="\t")]


async def predict_ranked(model: Path, texts: Sequence[str]) -> List[Tuple[str, float]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # no per-message debug lines

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append((parsed["intent"]["name"], float(parsed["intent"].get("confidence") or 0.0)))
    return out


def predict(model: Path, texts: Sequence[str]) -> List[str]:
    return [name for name, _ in asyncio.run(predict_ranked(model, texts))]


def pipeline_entry(name_suffix: str) -> Optional[Dict[str, Any]]:
    """The config.yml pipeline entry whose name ends with ``name_suffix`` (None if absent)."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return next((c for c in config.get("pipeline", []) if str(c.get("name", "")).endswith(name_suffix)), None)


def ngram_cross_validation(entry: Dict[str, Any], folds: int, repeats: int) -> str:
    """Repeated stratified CV of the configured n-gram classifier (its Rasa-free core, same settings);
    calibration per confidence band and the fallback-threshold table come from the out-of-fold predictions."""
    import numpy as np
    from sklearn.model_selection import RepeatedStratifiedKFold

    from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel
    from scripts.compare_classifiers import training_data

    config = ModelConfig(char_ngrams=(int(entry.get("char_min_ngram", 1)), int(entry.get("char_max_ngram", 3))),
                         use_words=bool(entry.get("use_words", True)), C=float(entry.get("C", 10.0)),
                         temperature=float(entry.get("temperature", 1.0)), class_weight=entry.get("class_weight"))
    data = training_data()
    texts, labels = [t for t, _ in data], [lab for _, lab in data]
    print(f"cross-validation: {folds} folds x {repeats} repeats of the n-gram classifier...", flush=True)
    accs, f1s, oos, conf, correct = [], [], [], [], []
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=7)
    preds: Dict[int, List[str]] = {}
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        model = NgramIntentModel(config).fit([texts[i] for i in train], [labels[i] for i in train])
        probs = model.predict_proba([texts[i] for i in test])
        rep = preds.setdefault(k // folds, [""] * len(texts))
        for i, row in zip(test, probs):
            j = int(row.argmax())
            rep[i] = model.classes[j]
            conf.append(float(row[j]))
            correct.append(model.classes[j] == labels[i])
    for pred in preds.values():
        r = score(labels, pred)
        accs.append(r.accuracy)
        f1s.append(r.macro_f1)
        oos.append(recall_of(OUT_OF_SCOPE, labels, pred))
    ece = expected_calibration_error(conf, correct)
    threshold = float((pipeline_entry("FallbackClassifier") or {}).get("threshold", 0.0))
    rows = threshold_rows(conf, correct, [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7])
    suggested = choose_threshold(rows)
    print(f"cross-validation: accuracy {np.mean(accs):.3f}, macro-F1 {np.mean(f1s):.3f}, OOS recall "
          f"{np.mean(oos):.3f}, ECE {ece:.3f}; suggested threshold {suggested:.2f} (configured {threshold:.2f})")
    lines = [f"### Cross-validation on the training data ({folds} folds × {repeats} repeats, {len(texts)} examples, "
             "configured n-gram classifier)", "",
             f"- accuracy: **{np.mean(accs):.3f}** ± {np.std(accs):.3f}",
             f"- macro-F1: **{np.mean(f1s):.3f}** ± {np.std(f1s):.3f}",
             f"- out_of_scope recall: **{np.mean(oos):.3f}** ± {np.std(oos):.3f}",
             f"- expected calibration error (ECE, {len(conf)} out-of-fold predictions): **{ece:.3f}**", "",
             "Calibration (top intent, no fallback):", "",
             "| confidence | n | accuracy | mean confidence |", "|---|---:|---:|---:|"]
    for b in calibration(conf, correct):
        lines.append(f"| {b.low:.2f}–{b.high:.2f} | {b.n} | {b.accuracy:.2f} | {b.mean_confidence:.2f} |"
                     if b.n else f"| {b.low:.2f}–{b.high:.2f} | 0 | – | – |")
    lines += ["", f"Fallback threshold (configured: **{threshold:.2f}**; the lowest threshold at which at least half "
              f"of the wrong answers become a clarifying question: {suggested:.2f}):", "",
              "| threshold | wrong answers → fallback | right answers → fallback |", "|---:|---:|---:|"]
    lines += [f"| {r.threshold:.2f} | {r.errors_caught:.2f} | {r.correct_lost:.2f} |" for r in rows]
    return "\n".join(lines) + "\n"


def robustness_markdown(cases: Sequence[Any], predicted: Sequence[str]) -> Tuple[str, Dict[str, float]]:
    gold = [c.intent for c in cases]
    strict = score(gold, predicted)
    handled = sum(c.handled(p) for c, p in zip(cases, predicted)) / len(cases)
    oos_cases = [(c, p) for c, p in zip(cases, predicted) if c.intent == OUT_OF_SCOPE]
    oos_handled = sum(c.handled(p) for c, p in oos_cases) / len(oos_cases)
    cats = by_category(cases, predicted)
    nonsense = next((c.rate for c in cats if c.category == "nonsense"), float("nan"))
    figures = {"accuracy": handled, "strict": strict.accuracy, "oos_recall": oos_handled,
               "oos_strict": recall_of(OUT_OF_SCOPE, gold, predicted), "nonsense": nonsense,
               "small_talk": float(sum(c.small_talk for c in cats))}
    lines = [f"### Robustness set (tests/nlu/robustness.yml) ({len(cases)} questions)", "",
             f"- accuracy: **{handled:.3f}** (a nonsense line that reaches the fallback question counts as handled; "
             f"strict, fallback always wrong: {strict.accuracy:.3f})",
             f"- macro-F1 (strict): {strict.macro_f1:.3f}",
             f"- out_of_scope recall: **{oos_handled:.3f}** (strict: {figures['oos_strict']:.3f})",
             f"- nonsense to fallback or out_of_scope: **{nonsense:.3f}**",
             f"- non-small-talk questions answered as small talk: **{int(figures['small_talk'])}**", "",
             "| category | n | handled | rate | fallback | → small talk |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {c.category} | {c.n} | {c.handled} | {c.rate:.2f} | {c.fallback} | {c.small_talk} |" for c in cats]
    lines += ["", "Most frequent confusions (gold → predicted: count):", ""]
    lines += [f"- {g} → {p}: {n}" for (g, p), n in strict.confusions.most_common(12)] or ["- none"]
    return "\n".join(lines) + "\n", figures


def cross_validation(folds: int) -> str:
    """``rasa test nlu --cross-validation`` on the training data; a markdown section of its report."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--nlu", str(ROOT / "data" / "nlu"),
               "--config", str(ROOT / "config.yml"), "--cross-validation", "--folds", str(folds),
               "--out", out, "--no-plot", "--quiet"]
        print(f"cross-validation: {folds} folds (trains {folds} models, a few minutes)...", flush=True)
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        report_file = Path(out) / "intent_report.json"
        if done.returncode != 0 or not report_file.exists():
            print(done.stderr[-2000:], file=sys.stderr)
            raise SystemExit("cross-validation failed")
        report = json.loads(report_file.read_text(encoding="utf-8"))
    macro = report["macro avg"]
    print(f"cross-validation ({folds} folds): accuracy {report['accuracy']:.3f}, macro-F1 {macro['f1-score']:.3f}")
    lines = [f"### Cross-validation on the training data ({folds} folds, {macro['support']} examples)", "",
             f"- accuracy: **{report['accuracy']:.3f}**", f"- macro-F1: **{macro['f1-score']:.3f}**", "",
             "| intent | support | precision | recall | F1 |", "|---|---:|---:|---:|---:|"]
    for intent, m in sorted(report.items()):
        if isinstance(m, dict) and "precision" in m and not intent.endswith("avg"):
            lines.append(f"| {intent} | {m['support']} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1-score']:.2f} |")
    return "\n".join(lines) + "\n"


def markdown(name: str, report: IntentReport, n: int) -> str:
    lines = [f"### {name} ({n} questions)", "",
             f"- accuracy: **{report.accuracy:.3f}**", f"- macro-F1: **{report.macro_f1:.3f}**",
             f"- answered by fallback (nlu_fallback): {report.fallback_count}", "",
             "| intent | support | precision | recall | F1 |", "|---|---:|---:|---:|---:|"]
    for intent, m in sorted(report.per_intent.items()):
        lines.append(f"| {intent} | {m.support} | {m.precision:.2f} | {m.recall:.2f} | {m.f1:.2f} |")
    lines += ["", "Most frequent confusions (gold → predicted: count):", ""]
    lines += [f"- {g} → {p}: {c}" for (g, p), c in report.confusions.most_common(12)] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "fenqi.tar.gz")
    parser.add_argument("--holdout", type=Path, default=ROOT / "tests" / "nlu" / "holdout.yml")
    parser.add_argument("--dev", type=Path, default=Path(os.environ.get(
        "FENQI_DEV_QUESTIONS", ROOT.parent / "shared" / "eval" / "real_questions_dev.tsv")))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "evaluation.md")
    parser.add_argument("--errors", action="store_true", help="print every misclassified question")
    parser.add_argument("--robustness", type=Path, default=ROOT / "tests" / "nlu" / "robustness.yml")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: skip)")
    parser.add_argument("--repeats", type=int, default=2, help="cross-validation repeats (n-gram classifier)")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"no model at {args.model}: run `make train` first", file=sys.stderr)
        return 2

    cases = load_cases(args.robustness)
    sets: Dict[str, List[Example]] = {"Project held-out set (tests/nlu/holdout.yml)": load_holdout(args.holdout),
                                      "Robustness set (tests/nlu/robustness.yml)": [(c.text, c.intent) for c in cases]}
    if args.dev.exists():
        sets["Real user questions (dev, measured only)"] = load_dev(args.dev)
    else:
        print(f"(no dev questions at {args.dev}; measuring the held-out set only)")

    started = time.time()
    sections = []
    training = load_training_texts(ROOT / "data" / "nlu")
    for name, examples in sets.items():
        copies = near_duplicates([t for t, _ in examples], training, OVERLAP_THRESHOLD)
        print(f"{name}: {len(copies)} questions have a near-copy in the training data")
        for question, line, sim in copies:
            print(f"   {sim:.2f}  {question}  ~  {line}")
        sections.append(f"{name}: **{len(copies)}** questions have a near-copy in the training data "
                        f"(char-bigram Jaccard ≥ {OVERLAP_THRESHOLD}).\n")
    for name, examples in sets.items():
        texts, gold = zip(*examples)
        started_set = time.perf_counter()
        pred = predict(args.model, texts)
        per_msg = (time.perf_counter() - started_set) / len(texts) * 1000
        if name.startswith("Robustness"):
            section, fig = robustness_markdown(cases, pred)
            sections.append(section)
            print(f"{name}: accuracy {fig['accuracy']:.3f} (strict {fig['strict']:.3f}), OOS recall "
                  f"{fig['oos_recall']:.3f} (strict {fig['oos_strict']:.3f}), nonsense handled {fig['nonsense']:.3f}, "
                  f"small-talk leaks {int(fig['small_talk'])}, {per_msg:.1f} ms/message")
        else:
            report = score(gold, pred)
            sections.append(markdown(name, report, len(examples)))
            print(f"{name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, OOS recall "
                  f"{recall_of(OUT_OF_SCOPE, gold, pred):.3f}, n={len(examples)}, {per_msg:.1f} ms/message")
        if args.errors:
            for t, g, p in zip(texts, gold, pred):
                if g != p:
                    print(f"   {g:>24} -> {p:<24} {t}")
    if args.folds > 1:
        entry = pipeline_entry("NgramIntentClassifier")
        sections.append(ngram_cross_validation(entry, args.folds, args.repeats) if entry
                        else cross_validation(args.folds))
    body = ("# Intent evaluation\n\nGenerated by `make eval` (scripts/evaluate.py) with model "
            f"`{args.model.name}`; {time.time() - started:.0f} s.\n\n" + "\n".join(sections))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    start, end = "<!-- candidates:start -->", "<!-- candidates:end -->"
    if start in previous and end in previous:  # scripts/compare_classifiers.py writes this section
        body += "\n" + start + previous.split(start, 1)[1].split(end, 1)[0] + end + "\n"
    args.out.write_text(body, encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
