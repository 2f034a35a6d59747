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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fenqi.evaluation import (  # noqa: E402
    SMALL_TALK,
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
from fenqi.nlp import OUT_OF_SCOPE  # noqa: E402
from fenqi.overlap import NEAR_COPY, near_duplicates  # noqa: E402
from fenqi.settings import EvaluationSettings  # noqa: E402
from fenqi.settings import section as settings_section  # noqa: E402

OVERLAP_THRESHOLD = NEAR_COPY  # char-bigram Jaccard: at or above, a training line is a near-copy

Example = Tuple[str, str]  # (text, gold intent)


def load_holdout(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def load_training_texts(data_dir: Path) -> List[str]:
    from fenqi.nlp.training_data import training_examples

    return [ex.text for ex in training_examples(data_dir)]


def load_by_category(path: Path) -> Dict[str, List[Example]]:
    """Examples of a Rasa NLU file per block ``metadata: category`` (the unseen-proxy set's voices)."""
    import yaml

    out: Dict[str, List[Example]] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        category = str((block.get("metadata") or {}).get("category", "all"))
        out.setdefault(category, []).extend(
            (line.strip()[2:].strip(), block["intent"]) for line in block["examples"].splitlines()
            if line.strip().startswith("- "))
    return out


def load_dev(path: Path) -> List[Example]:
    with open(path, encoding="utf-8") as fh:
        return [(r["text"], r["intent"]) for r in csv.DictReader(fh, delimiter="\t")]


async def predict_ranked(model: Path, texts: Sequence[str]) -> List[Tuple[str, float]]:
    from components.parse import parse_texts

    return [(p["intent"]["name"], float(p["intent"].get("confidence") or 0.0)) for p in await parse_texts(model, texts)]


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
    from scripts.compare_classifiers import training_labelled

    config = ModelConfig.from_options(entry)
    data = training_labelled()
    texts, labels = [t for t, _, _ in data], [lab for _, lab, _ in data]
    subs = [sub for _, _, sub in data] if entry.get("use_sublabels") else None
    print(f"cross-validation: {folds} folds x {repeats} repeats of the n-gram classifier...", flush=True)
    accs, f1s, oos, conf, correct, margins = [], [], [], [], [], []
    small_talk: List[Tuple[float, bool]] = []  # (confidence, right) of small-talk predictions
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=7)
    preds: Dict[int, List[str]] = {}
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        model = NgramIntentModel(config).fit([texts[i] for i in train], [labels[i] for i in train],
                                             [subs[i] for i in train] if subs else None)
        probs = model.predict_proba([texts[i] for i in test])
        rep = preds.setdefault(k // folds, [""] * len(texts))
        for i, row in zip(test, probs):
            j = int(row.argmax())
            rep[i] = model.classes[j]
            conf.append(float(row[j]))
            correct.append(model.classes[j] == labels[i])
            margins.append(float(row[j] - np.partition(row, -2)[-2]))
            if model.classes[j] in SMALL_TALK and float(row[j]) > 1.5 / len(model.classes):  # not "no evidence"
                small_talk.append((float(row[j]), model.classes[j] == labels[i]))
    for pred in preds.values():
        r = score(labels, pred)
        accs.append(r.accuracy)
        f1s.append(r.macro_f1)
        oos.append(recall_of(OUT_OF_SCOPE, labels, pred))
    ece = expected_calibration_error(conf, correct)
    fallback = pipeline_entry("FallbackClassifier") or {}
    threshold = float(fallback.get("threshold", 0.0))
    ambiguity = float(fallback.get("ambiguity_threshold", 0.0))
    rows = threshold_rows(conf, correct, [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
                          margins, ambiguity)
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
    gate = float(entry.get("small_talk_threshold", 0.0))
    lines += ["", f"(rows include the ambiguity rule: top-2 margin below {ambiguity:.2f} falls back too.)", "",
              f"Small-talk predictions (greet/goodbye/thank/affirm/deny) by confidence — configured small-talk "
              f"threshold **{gate:.2f}**, below it the fallback question:", "",
              "| confidence | n | precision |", "|---|---:|---:|"]
    for low, high in ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)):
        band = [ok for c, ok in small_talk if low <= c < high]
        lines.append(f"| {low:.1f}–{min(high, 1.0):.1f} | {len(band)} | "
                     f"{sum(band) / len(band) if band else float('nan'):.2f} |")
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
    parser.add_argument("--dev", type=Path, default=settings_section(EvaluationSettings).dev_questions_path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "evaluation.md")
    parser.add_argument("--errors", action="store_true", help="print every misclassified question")
    parser.add_argument("--robustness", type=Path, default=ROOT / "tests" / "nlu" / "robustness.yml")
    parser.add_argument("--unseen", type=Path, default=ROOT / "tests" / "nlu" / "unseen_proxy.yml",
                        help="the unseen-proxy set (scored per voice; its texts are never printed)")
    parser.add_argument("--subquestions", type=Path, default=ROOT / "tests" / "nlu" / "subquestions.yml",
                        help="the sub-question set: does the reply answer the question asked (standard questions)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: skip)")
    parser.add_argument("--repeats", type=int, default=2, help="cross-validation repeats (n-gram classifier)")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"no model at {args.model}: run `make train` first", file=sys.stderr)
        return 2

    cases = load_cases(args.robustness)
    sets: Dict[str, List[Example]] = {"Project held-out set (tests/nlu/holdout.yml)": load_holdout(args.holdout),
                                      "Robustness set (tests/nlu/robustness.yml)": [(c.text, c.intent) for c in cases]}
    unseen_names: List[str] = []
    if args.unseen.exists():
        voices = load_by_category(args.unseen)
        for voice, examples in [("all", [ex for exs in voices.values() for ex in exs]), *voices.items()]:
            name = f"Unseen-proxy set (tests/nlu/unseen_proxy.yml), {voice}"
            sets[name] = examples
            unseen_names.append(name)
    if args.dev.exists():
        sets["Real user questions (dev, measured only)"] = load_dev(args.dev)
    else:
        print(f"(no dev questions at {args.dev}; measuring the held-out set only)")

    started = time.time()
    sections = []
    voice_rows: List[str] = []
    unique = list(dict.fromkeys(t for examples in sets.values() for t, _ in examples))
    started_parse = time.perf_counter()
    predicted = dict(zip(unique, predict(args.model, unique)))  # one model load for every set
    per_msg = (time.perf_counter() - started_parse) / len(unique) * 1000
    print(f"parsed {len(unique)} questions: {per_msg:.1f} ms/message (model load included)")
    training = load_training_texts(ROOT / "data" / "nlu")
    for name, examples in sets.items():
        if name in unseen_names[1:]:
            continue  # the voices are parts of the whole set, checked with it
        copies = near_duplicates([t for t, _ in examples], training, OVERLAP_THRESHOLD)
        print(f"{name}: {len(copies)} questions have a near-copy in the training data")
        for question, line, sim in copies:  # the unseen set's own text is never shown
            print(f"   {sim:.2f}  {'(held out)' if name in unseen_names else question}  ~  {line}")
        sections.append(f"{name}: **{len(copies)}** questions have a near-copy in the training data "
                        f"(char-bigram Jaccard ≥ {OVERLAP_THRESHOLD}).\n")
    for name, examples in sets.items():
        texts, gold = zip(*examples)
        pred = [predicted[t] for t in texts]
        if name.startswith("Robustness"):
            section, fig = robustness_markdown(cases, pred)
            sections.append(section)
            print(f"{name}: accuracy {fig['accuracy']:.3f} (strict {fig['strict']:.3f}), OOS recall "
                  f"{fig['oos_recall']:.3f} (strict {fig['oos_strict']:.3f}), nonsense handled {fig['nonsense']:.3f}, "
                  f"small-talk leaks {int(fig['small_talk'])}, {per_msg:.1f} ms/message")
        elif name in unseen_names[1:]:
            report = score(gold, pred)
            oos = recall_of(OUT_OF_SCOPE, gold, pred) if OUT_OF_SCOPE in gold else float("nan")
            voice_rows.append(f"| {name.rsplit(', ', 1)[1]} | {len(examples)} | {report.accuracy:.3f} | "
                              f"{report.macro_f1:.3f} | {oos:.3f} | {report.fallback_count} |")
            print(f"{name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, OOS recall {oos:.3f}, "
                  f"n={len(examples)}")
            if name == unseen_names[-1]:
                sections.append("Unseen-proxy set by voice (fallback counted wrong):\n\n| voice | n | accuracy | "
                                "macro-F1 | out_of_scope recall | fallback |\n|---|---:|---:|---:|---:|---:|\n"
                                + "\n".join(voice_rows) + "\n")
            continue
        else:
            report = score(gold, pred)
            sections.append(markdown(name, report, len(examples)))
            print(f"{name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, OOS recall "
                  f"{recall_of(OUT_OF_SCOPE, gold, pred):.3f}, n={len(examples)}, {per_msg:.1f} ms/message")
        if args.errors and name not in unseen_names:
            for t, g, p in zip(texts, gold, pred):
                if g != p:
                    print(f"   {g:>24} -> {p:<24} {t}")
    if args.subquestions.exists():
        from scripts.question_eval import subquestion_errors, subquestion_report

        section, fig = subquestion_report(args.model, args.subquestions)
        sections.append(section)
        print(f"sub-question set: reply addresses the question {fig['addresses_out']:.3f} logged out, "
              f"{fig['addresses_in']:.3f} logged in; question {fig['question']:.3f}, intent {fig['intent']:.3f}, "
              f"asked to choose {fig['clarify']:.3f}, out of scope kept out {fig['oos_handled']:.3f}")
        if args.errors:
            print("\n".join(subquestion_errors(args.model, args.subquestions)))
    if args.folds > 1:
        entry = pipeline_entry("NgramIntentClassifier")
        sections.append(ngram_cross_validation(entry, args.folds, args.repeats) if entry
                        else cross_validation(args.folds))
        question_entry = pipeline_entry("QuestionSelector")
        if entry and question_entry is not None:
            from scripts.question_eval import question_cross_validation

            section, fig = question_cross_validation(entry, question_entry, args.folds, 1)
            sections.append(section)
            if fig:
                print(f"question stage CV: within the gold intent {fig['within']:.3f} (ECE {fig['ece']:.3f}), "
                      f"intent and question end to end {fig['end_to_end']:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    # Kept across runs: the hand-written decision (first) and the candidates table of
    # scripts/compare_classifiers.py (last).
    kept: Dict[str, str] = {}
    for section in ("decision", "candidates"):
        start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
        if start in previous and end in previous:
            kept[section] = start + previous.split(start, 1)[1].split(end, 1)[0] + end + "\n"
    body = ("# Intent evaluation\n\nGenerated by `make eval` (scripts/evaluate.py) with model "
            f"`{args.model.name}`; {time.time() - started:.0f} s.\n\n" + kept.get("decision", "")
            + "\n".join(sections) + ("\n" + kept["candidates"] if "candidates" in kept else ""))
    args.out.write_text(body, encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
