"""Intent evaluation: accuracy, macro-F1, per-intent precision/recall and confusions.

    python scripts/evaluate.py --model models/fenqi.tar.gz

Measures the project's own held-out file (tests/nlu/holdout.yml) and, when it exists, the real
dev questions (FENQI_DEV_QUESTIONS, default ../shared/eval/real_questions_dev.tsv: measured only,
never trained on). Writes docs/evaluation.md and prints the same tables.
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
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fenqi.evaluation import IntentReport, score  # noqa: E402
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


async def predict(model: Path, texts: Sequence[str]) -> List[str]:
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
        out.append(parsed["intent"]["name"])
    return out


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
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds (0: skip)")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"no model at {args.model}: run `make train` first", file=sys.stderr)
        return 2

    sets: Dict[str, List[Example]] = {"Project held-out set (tests/nlu/holdout.yml)": load_holdout(args.holdout)}
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
        pred = asyncio.run(predict(args.model, texts))
        report = score(gold, pred)
        sections.append(markdown(name, report, len(examples)))
        print(f"{name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, n={len(examples)}")
        if args.errors:
            for t, g, p in zip(texts, gold, pred):
                if g != p:
                    print(f"   {g:>24} -> {p:<24} {t}")
    if args.folds > 1:
        sections.append(cross_validation(args.folds))
    body = ("# Intent evaluation\n\nGenerated by `make eval` (scripts/evaluate.py) with model "
            f"`{args.model.name}`; {time.time() - started:.0f} s.\n\n" + "\n".join(sections))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(body, encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
