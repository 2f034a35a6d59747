"""Compare intent classifiers by generalisation: repeated stratified CV on data/nlu, then each candidate
trained on all of data/nlu and measured on the robustness set and the held-out set (dev: report only).

    python scripts/compare_classifiers.py                 # scikit-learn candidates only (fast)
    python scripts/compare_classifiers.py --rasa          # plus DIET, a DIET variant, Rasa's LR (slow)

The results replace the candidates section of docs/evaluation.md (between its markers); `make eval`
keeps that section. Every candidate sees the same folds (same seed), so the DIET + n-gram ensemble is
scored on the out-of-fold predictions of both.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fenqi.evaluation import (  # noqa: E402
    FALLBACK,
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
from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel  # noqa: E402
from fenqi.settings import EvaluationSettings, section  # noqa: E402

Ranking = List[Tuple[str, float]]
START, END = "<!-- candidates:start -->", "<!-- candidates:end -->"
UNSEEN_VOICES = ("bank_cash_credit", "shopper", "out_of_scope")  # tests/nlu/unseen_proxy.yml, block categories


def load_yaml_labelled(path: Path) -> List[Tuple[str, str, Optional[str]]]:
    """(text, intent, sub-label or None) of every example; the sub-label is the block's ``metadata: sublabel``."""
    out = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        sub = (block.get("metadata") or {}).get("sublabel")
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                out.append((line.strip()[2:].strip(), block["intent"], sub))
    return out


def load_yaml_examples(path: Path) -> List[Tuple[str, str]]:
    return [(t, lab) for t, lab, _ in load_yaml_labelled(path)]


def training_labelled() -> List[Tuple[str, str, Optional[str]]]:
    """(text, intent, sub-label or None) of every training example, the reviewed ones included."""
    from fenqi.nlp.training_data import training_examples

    return [(ex.text, ex.intent, ex.metadata.get("sublabel")) for ex in training_examples()]


def training_data() -> List[Tuple[str, str]]:
    return [(t, lab) for t, lab, _ in training_labelled()]


def folds(labels: Sequence[str], n_folds: int, repeats: int, seed: int = 7) -> List[Tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import RepeatedStratifiedKFold

    rskf = RepeatedStratifiedKFold(n_splits=n_folds, n_repeats=repeats, random_state=seed)
    return list(rskf.split(np.zeros(len(labels)), labels))


# --- candidates -----------------------------------------------------------------------------
class Candidate:
    name: str
    note: str = ""

    def fit(self, texts: Sequence[str], labels: Sequence[str], subs: Optional[Sequence[Optional[str]]] = None) -> None:
        raise NotImplementedError

    def rank(self, texts: Sequence[str]) -> List[Ranking]:
        raise NotImplementedError


class NgramCandidate(Candidate):
    def __init__(self, name: str, config: ModelConfig, note: str = "", sublabels: bool = False) -> None:
        self.name, self.config, self.note, self.sublabels = name, config, note, sublabels
        self.model: Optional[NgramIntentModel] = None

    def fit(self, texts: Sequence[str], labels: Sequence[str], subs: Optional[Sequence[Optional[str]]] = None) -> None:
        self.model = NgramIntentModel(self.config).fit(texts, labels, subs if self.sublabels else None)

    def rank(self, texts: Sequence[str]) -> List[Ranking]:
        assert self.model is not None
        probs = self.model.predict_proba(texts)
        classes = self.model.classes
        return [sorted(zip(classes, map(float, row)), key=lambda x: -x[1]) for row in probs]


class RasaCandidate(Candidate):
    """An NLU-only Rasa pipeline (no FallbackClassifier: raw confidences), trained in a temp dir."""

    def __init__(self, name: str, pipeline: List[Dict[str, Any]], note: str = "") -> None:
        self.name, self.pipeline, self.note = name, pipeline, note
        self.agent: Any = None
        self.tmp = tempfile.TemporaryDirectory()

    def fit(self, texts: Sequence[str], labels: Sequence[str], subs: Optional[Sequence[Optional[str]]] = None) -> None:
        from rasa.core.agent import Agent
        from rasa.model_training import train_nlu

        work = Path(self.tmp.name)
        by_intent: Dict[str, List[str]] = {}
        for t, lab in zip(texts, labels):
            by_intent.setdefault(lab, []).append(t)
        nlu = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in ts)}
                                         for i, ts in by_intent.items()]}
        (work / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
        cfg = {"recipe": "default.v1", "language": "zh", "assistant_id": "cv", "pipeline": self.pipeline,
               "policies": []}
        (work / "config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work / "models"),
                          fixed_model_name="cv")
        self.agent = Agent.load(model)

    def rank(self, texts: Sequence[str]) -> List[Ranking]:
        async def parse_all() -> List[Ranking]:
            out = []
            for t in texts:
                parsed = await self.agent.parse_message(t)
                ranking = parsed.get("intent_ranking") or [parsed["intent"]]
                out.append([(r["name"], float(r["confidence"])) for r in ranking])
            return out

        return asyncio.run(parse_all())


def spacy_front() -> List[Dict[str, Any]]:
    return [{"name": "SpacyNLP", "model": "build/spacy-zh", "case_sensitive": False}, {"name": "SpacyTokenizer"}]


COUNT_FEATURES = [{"name": "CountVectorsFeaturizer"},
                  {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}]
DIET_TODAY = {"name": "DIETClassifier", "epochs": 60, "number_of_transformer_layers": 1, "transformer_size": 128,
              "entity_recognition": False, "constrain_similarities": True, "random_seed": 7}


def rasa_candidates() -> List[Candidate]:
    return [
        RasaCandidate("DIET (today)", spacy_front() + COUNT_FEATURES + [DIET_TODAY],
                      "1×128 transformer, 60 epochs, word + char_wb 1-3 counts"),
        RasaCandidate("DIET variant", spacy_front() + COUNT_FEATURES[:1] + [
            {"name": "CountVectorsFeaturizer", "analyzer": "char", "min_ngram": 1, "max_ngram": 4}] + [
            {**DIET_TODAY, "number_of_transformer_layers": 0, "epochs": 100, "drop_rate": 0.3}],
            "no transformer, 100 epochs, drop 0.3, char 1-4 counts"),
        RasaCandidate("Rasa LogisticRegressionClassifier", spacy_front() + COUNT_FEATURES + [
            {"name": "LogisticRegressionClassifier", "max_iter": 500, "solver": "lbfgs", "C": 10,
             "random_state": 7}], "same count features as DIET"),
    ]


def ngram_candidates() -> List[Candidate]:
    lr = ModelConfig(classifier="lr", combine="stack", C=100, temperature=1.0)
    svm = ModelConfig(classifier="svm", combine="stack", C=1, temperature=0.2)
    oos16 = {"out_of_scope": 1.6}
    return [
        NgramCandidate("LR, char 1-3 + words, C=100", lr, "the previous choice, T=1"),
        NgramCandidate("LR, char 1-3 + words, C=100, out_of_scope sub-labels", lr, "summed back", sublabels=True),
        NgramCandidate("SVM, char 1-3 + words", svm, "C=1, T=0.2"),
        NgramCandidate("SVM, char 1-3 only", replace(svm, use_words=False), "C=1, T=0.2"),
        NgramCandidate("SVM, char 1-4 + words", replace(svm, char_ngrams=(1, 4)), "C=1, T=0.2"),
        NgramCandidate("SVM, char 1-3 + words, balanced", replace(svm, class_weight="balanced"), "C=1, T=0.2"),
        NgramCandidate("SVM, char 1-3 + words, C=3", replace(svm, C=3, temperature=0.15), "T=0.15"),
        NgramCandidate("SVM + Platt sigmoids, char 1-3 + words", replace(svm, classifier="svm-platt", temperature=1.0),
                       "sklearn CalibratedClassifierCV, 3 inner folds"),
        NgramCandidate("SVM, sub-labels summed, T=0.2", svm, "out_of_scope as 8 kinds", sublabels=True),
        NgramCandidate("SVM, sub-labels summed, T=0.3", replace(svm, temperature=0.3), "flatter: more mass to the kinds",
                       sublabels=True),
        NgramCandidate("SVM, sub-labels max", replace(svm, sublabel_pool="max"), "best kind's margin", sublabels=True),
        NgramCandidate("SVM, char model + word model averaged", replace(svm, combine="average"), "C=1, T=0.2"),
        NgramCandidate("SVM, char model + char&word model averaged", replace(svm, combine="char+stack"), "C=1, T=0.2"),
        NgramCandidate("SVM, char + char&word averaged, out_of_scope ×1.6 (chosen)",
                       replace(svm, combine="char+stack", class_weight=oos16), "C=1, T=0.2"),
        NgramCandidate("same, 2 typo variants per training line, C=0.5",
                       replace(svm, combine="char+stack", class_weight=oos16, augment=2, C=0.5),
                       "one character dropped; T=0.2"),
        NgramCandidate("same, with out_of_scope sub-labels", replace(svm, combine="char+stack", class_weight=oos16),
                       "summed", sublabels=True),
    ]


# --- measuring ------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    note: str
    folds: str
    acc: List[float] = field(default_factory=list)
    f1: List[float] = field(default_factory=list)
    oos: List[float] = field(default_factory=list)
    conf: List[float] = field(default_factory=list)
    correct: List[bool] = field(default_factory=list)
    margins: List[float] = field(default_factory=list)
    threshold: Optional[float] = None  # its own fallback threshold, from its CV (lowest catching half the errors)
    oof: Dict[int, Ranking] = field(default_factory=dict)  # (repeat*n + index) -> ranking
    sets: Dict[str, Dict[str, float]] = field(default_factory=dict)
    train_s: float = 0.0
    infer_ms: float = 0.0


def cross_validate(cand: Candidate, texts: List[str], labels: List[str],
                   splits: Sequence[Tuple[np.ndarray, np.ndarray]],
                   n_folds: int, repeats: int, subs: Optional[List[Optional[str]]] = None) -> Result:
    res = Result(cand.name, cand.note, f"{n_folds}×{repeats}")
    per_repeat: Dict[int, Dict[int, str]] = {}
    for k, (train, test) in enumerate(splits):
        repeat = k // n_folds
        cand.fit([texts[i] for i in train], [labels[i] for i in train],
                 [subs[i] for i in train] if subs else None)
        ranks = cand.rank([texts[i] for i in test])
        for i, r in zip(test, ranks):
            per_repeat.setdefault(repeat, {})[int(i)] = r[0][0]
            res.oof[repeat * len(texts) + int(i)] = r
            res.conf.append(r[0][1])
            res.correct.append(r[0][0] == labels[i])
            res.margins.append(r[0][1] - (r[1][1] if len(r) > 1 else 0.0))
        print(f"  {cand.name}: fold {k + 1}/{len(splits)}", flush=True)
    for preds in per_repeat.values():
        pred = [preds[i] for i in range(len(texts))]
        rep = score(labels, pred)
        res.acc.append(rep.accuracy)
        res.f1.append(rep.macro_f1)
        res.oos.append(recall_of(OUT_OF_SCOPE, labels, pred))
    return res


def own_threshold(res: Result, ambiguity: float) -> float:
    """The fallback threshold the CV rule gives this candidate: the lowest catching half its wrong answers."""
    grid = [round(0.3 + 0.05 * k, 2) for k in range(11)]
    return choose_threshold(threshold_rows(res.conf, res.correct, grid, res.margins, ambiguity))


def measure_sets(cand: Candidate, res: Result, texts: List[str], labels: List[str],
                 sets: Dict[str, Tuple[List[str], List[str], Any]], threshold: float,
                 subs: Optional[List[Optional[str]]] = None, ambiguity: float = 0.05) -> None:
    """Fit on all data and score every set; ``threshold`` < 0: the candidate's own CV threshold."""
    if threshold < 0:
        threshold = own_threshold(res, ambiguity) if res.conf else 0.0
    res.threshold = threshold
    started = time.perf_counter()
    cand.fit(texts, labels, subs)
    res.train_s = time.perf_counter() - started
    for name, (qs, gold, cases) in sets.items():
        started = time.perf_counter()
        ranks = cand.rank(qs)
        res.infer_ms = max(res.infer_ms, (time.perf_counter() - started) / len(qs) * 1000)
        pred = [r[0][0] if r[0][1] >= threshold and (len(r) < 2 or r[0][1] - r[1][1] >= ambiguity) else FALLBACK
                for r in ranks]
        raw = [r[0][0] for r in ranks]
        rep = score(gold, pred)
        entry = {"acc": rep.accuracy, "acc_raw": score(gold, raw).accuracy, "f1": rep.macro_f1,
                 "oos": recall_of(OUT_OF_SCOPE, gold, pred), "oos_raw": recall_of(OUT_OF_SCOPE, gold, raw)}
        if cases is not None:
            entry["handled"] = sum(c.handled(p) for c, p in zip(cases, pred)) / len(cases)
            cats = {c.category: c for c in by_category(cases, pred)}
            if "nonsense" in cats:
                entry["nonsense"] = cats["nonsense"].rate
            entry["small_talk"] = sum(c.small_talk for c in cats.values())
        res.sets[name] = entry


def ensemble(a: Result, b: Result, labels: List[str], n_folds: int, repeats: int, weight: float = 0.5) -> Result:
    res = Result(f"ensemble: {weight:.1f}·{a.name} + {1 - weight:.1f}·{b.name}", "mean of probabilities",
                 f"{n_folds}×{repeats}")
    n = len(labels)
    for repeat in range(repeats):
        pred = []
        for i in range(n):
            pa, pb = dict(a.oof[repeat * n + i]), dict(b.oof[repeat * n + i])
            mixed = {k: weight * pa.get(k, 0.0) + (1 - weight) * pb.get(k, 0.0) for k in set(pa) | set(pb)}
            best = max(mixed.items(), key=lambda kv: kv[1])
            pred.append(best[0])
            res.conf.append(best[1])
            res.correct.append(best[0] == labels[i])
        rep = score(labels, pred)
        res.acc.append(rep.accuracy)
        res.f1.append(rep.macro_f1)
        res.oos.append(recall_of(OUT_OF_SCOPE, labels, pred))
    return res


def dump(path: Path, results: Sequence[Result]) -> None:
    """Raw results as JSON (written after every Rasa candidate, so a long run keeps what it measured)."""
    path.write_text(json.dumps([{"name": r.name, "note": r.note, "folds": r.folds, "acc": r.acc, "f1": r.f1,
                                 "oos": r.oos, "conf": r.conf, "correct": r.correct, "sets": r.sets,
                                 "threshold": r.threshold, "train_s": r.train_s, "infer_ms": r.infer_ms}
                                for r in results]), encoding="utf-8")


def mean_sd(xs: Sequence[float]) -> str:
    return f"{np.mean(xs):.3f} ± {np.std(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


def render(results: List[Result], threshold: float, n: int) -> str:
    own = "each candidate's own threshold from its CV (the lowest that turns half its wrong answers into the " \
          "clarifying question)" if threshold < 0 else f"fallback below {threshold:.2f}"
    voices = [v for v in UNSEEN_VOICES if any(f"unseen:{v}" in r.sets for r in results)]
    lines = [START, "## Classifier candidates (scripts/compare_classifiers.py)", "",
             f"Repeated stratified cross-validation on data/nlu ({n} examples; mean ± sd over repeats; "
             "raw top intent, no fallback), then each candidate trained on all of data/nlu and scored on the "
             f"robustness, held-out and unseen-proxy sets with {own} and Rasa's ambiguity rule (top-2 margin "
             "< 0.05). Set accuracies count every fallback wrong (the strict figure; robustness `handled` "
             "lets nonsense reach the fallback), raw = top intent without fallback. Dev figures are reported "
             "only; they decide nothing. Train = one fit on all data, on the shared 2 cores under load; "
             "inference = per message (featurising + model, no Rasa).", "",
             "| candidate | CV | CV accuracy | CV macro-F1 | CV OOS recall | ECE | threshold | robustness handled "
             "(strict / raw) | robustness OOS recall (strict) | nonsense handled | holdout acc (raw) | "
             + "".join(f"unseen {v} acc (raw) | " for v in voices)
             + "dev acc (raw; report only) | train s | ms/msg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(voices) + "---:|---:|---:|"]

    def s(res: Result, name: str, key: str) -> str:
        v = res.sets.get(name, {}).get(key)
        return "–" if v is None else f"{v:.3f}"

    for r in results:
        ece = expected_calibration_error(r.conf, r.correct) if r.conf else float("nan")
        head = (f"| {r.name} ({r.note}) | {r.folds} | {mean_sd(r.acc)} | {mean_sd(r.f1)} | {mean_sd(r.oos)} "
                f"| {ece:.3f} | {'–' if r.threshold is None else f'{r.threshold:.2f}'} ")
        if not r.sets:
            lines.append(head + "| – " * (7 + len(voices)) + "|")
            continue
        lines.append(head + f"| {s(r, 'robustness', 'handled')} ({s(r, 'robustness', 'acc')} / "
                     f"{s(r, 'robustness', 'acc_raw')}) | {s(r, 'robustness', 'oos')} | {s(r, 'robustness', 'nonsense')} "
                     f"| {s(r, 'holdout', 'acc')} ({s(r, 'holdout', 'acc_raw')}) | "
                     + "".join(f"{s(r, f'unseen:{v}', 'acc')} ({s(r, f'unseen:{v}', 'acc_raw')}) | " for v in voices)
                     + f"{s(r, 'dev', 'acc')} ({s(r, 'dev', 'acc_raw')}) | {r.train_s:.1f} | {r.infer_ms:.2f} |")
    lines += ["", "Calibration on the CV folds (accuracy per confidence band):", ""]
    lines.append("| candidate | " + " | ".join(f"{b.low:.2f}–{b.high:.2f}" for b in calibration([0.5], [True]))
                 + " |")
    lines.append("|---|" + "---:|" * (len(calibration([0.5], [True]))))
    for r in results:
        if r.conf:
            cells = [f"{b.accuracy:.2f} (n={b.n})" if b.n else "–" for b in calibration(r.conf, r.correct)]
            lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(doc: Path, section: str) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Intent evaluation\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa", action="store_true", help="also the Rasa candidates (DIET etc.; slow)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rasa-folds", type=int, default=3)
    parser.add_argument("--rasa-repeats", type=int, default=2)
    parser.add_argument("--threshold", type=float, default=-1.0,
                        help="fallback threshold for the set scores (default: each candidate's own, from its CV)")
    parser.add_argument("--only", default="", help="comma-separated substrings of candidate names")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "evaluation.md")
    parser.add_argument("--json", type=Path, default=None, help="also dump raw results here")
    parser.add_argument("--include", type=Path, nargs="*", default=[],
                        help="results (JSON from --json) of earlier runs to show in the same table")
    parser.add_argument("--dev", type=Path, default=section(EvaluationSettings).dev_questions_path)
    args = parser.parse_args(argv)

    data = training_labelled()
    texts, labels, subs = [t for t, _, _ in data], [lab for _, lab, _ in data], [sub for _, _, sub in data]
    cases = load_cases(ROOT / "tests" / "nlu" / "robustness.yml")
    holdout = load_yaml_examples(ROOT / "tests" / "nlu" / "holdout.yml")
    sets: Dict[str, Tuple[List[str], List[str], Any]] = {
        "robustness": ([c.text for c in cases], [c.intent for c in cases], cases),
        "holdout": ([t for t, _ in holdout], [lab for _, lab in holdout], None)}
    unseen = ROOT / "tests" / "nlu" / "unseen_proxy.yml"
    if unseen.exists():  # scores only: its texts are never printed
        for block in yaml.safe_load(unseen.read_text(encoding="utf-8"))["nlu"]:
            voice = (block.get("metadata") or {}).get("category")
            if voice in UNSEEN_VOICES:
                qs, gold, _ = sets.setdefault(f"unseen:{voice}", ([], [], None))
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        qs.append(line.strip()[2:].strip())
                        gold.append(block["intent"])
    if args.dev.exists():
        with open(args.dev, encoding="utf-8") as fh:
            dev = [(r["text"], r["intent"]) for r in csv.DictReader(fh, delimiter="\t")]
        sets["dev"] = ([t for t, _ in dev], [lab for _, lab in dev], None)

    wanted: Callable[[Candidate], bool] = lambda c: not args.only or any(  # noqa: E731
        s.strip() in c.name for s in args.only.split(","))
    results: List[Result] = []
    sk_splits = folds(labels, args.folds, args.repeats)
    for cand in filter(wanted, ngram_candidates()):
        print(f"{cand.name}: {args.folds}×{args.repeats} CV", flush=True)
        res = cross_validate(cand, texts, labels, sk_splits, args.folds, args.repeats, subs)
        measure_sets(cand, res, texts, labels, sets, args.threshold, subs)
        results.append(res)
    if args.rasa:
        rasa_splits = folds(labels, args.rasa_folds, args.rasa_repeats)
        base = NgramCandidate("char 1-3 + words (same folds as Rasa)", ModelConfig(), "for the ensemble")
        base_res = cross_validate(base, texts, labels, rasa_splits, args.rasa_folds, args.rasa_repeats)
        results.append(base_res)
        for cand in filter(wanted, rasa_candidates()):
            print(f"{cand.name}: {args.rasa_folds}×{args.rasa_repeats} CV", flush=True)
            res = cross_validate(cand, texts, labels, rasa_splits, args.rasa_folds, args.rasa_repeats)
            measure_sets(cand, res, texts, labels, sets, args.threshold)
            results.append(res)
            if args.json:
                dump(args.json, results)
            if cand.name.startswith("DIET (today)"):
                results.append(ensemble(res, base_res, labels, args.rasa_folds, args.rasa_repeats))
    for path in args.include:
        for raw in json.loads(path.read_text(encoding="utf-8")):
            if raw["name"] not in {r.name for r in results}:
                results.append(Result(raw["name"], raw["note"], raw["folds"], raw["acc"], raw["f1"], raw["oos"],
                                      raw["conf"], raw["correct"], threshold=raw.get("threshold"), sets=raw["sets"],
                                      train_s=raw["train_s"], infer_ms=raw["infer_ms"]))
    for r in results:
        print(f"{r.name}: CV acc {mean_sd(r.acc)}, F1 {mean_sd(r.f1)}, OOS {mean_sd(r.oos)}, "
              f"ECE {expected_calibration_error(r.conf, r.correct):.3f}, sets {json.dumps(r.sets)}, "
              f"train {r.train_s:.1f}s, {r.infer_ms:.1f} ms/msg", flush=True)
    if args.json:
        dump(args.json, results)
    splice(args.out, render(results, args.threshold, len(texts)))
    print(f"wrote candidates section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
