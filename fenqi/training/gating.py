"""Run the evaluation gate: a candidate archive against the live one, on the same data.

Both models parse the evaluation sets in child processes (at the same time) while this process
cross-validates the two models' training data on the same folds; then every measure is compared
(:mod:`fenqi.training.gate`) and the record is written beside the models (``models/gates/``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Mapping, Optional

from fenqi.nlp.training_data import EVALUATION_SETS

from .archive import ModelArchive, read_archive
from .crossval import FOLDS, compare_cross_validation
from .gate import DEFAULT_TOLERANCE, Comparison, GateRecord, Tolerance, Verdict, decide, figures, report
from .measure import by_text, compare_sets, load_sets
from .parsing import ParseJob


@dataclass(frozen=True)
class GateResult:
    comparisons: List[Comparison]
    verdict: Verdict
    record: GateRecord
    text: str


def run_gate(candidate: Path, live: Path, *, folds: int = FOLDS, tolerance: Tolerance = DEFAULT_TOLERANCE,
             sets: Mapping[str, Path] = EVALUATION_SETS, now: Optional[str] = None,
             log: Callable[[str], None] = lambda _: None) -> GateResult:
    """Compare ``candidate`` with ``live`` (both archives) and decide; raises ArchiveError/ParseError."""
    from fenqi import clock

    started = time.monotonic()
    new: ModelArchive = read_archive(candidate)
    old: ModelArchive = read_archive(live)
    evaluation = load_sets(sets)
    texts = evaluation.texts()
    log(f">> parsing {len(texts)} evaluation questions with both models (child processes) ...")
    jobs = [ParseJob(old.path, texts), ParseJob(new.path, texts)]
    try:
        log(f">> cross-validation: {folds} folds of each model's training data "
            f"({len(old.examples)} live, {len(new.examples)} candidate examples) ...")
        cv = list(compare_cross_validation(old.setup, new.setup, folds))
        live_parses, candidate_parses = (by_text(texts, job.result()) for job in jobs)
    finally:
        for job in jobs:
            job.close()
    comparisons = cv + compare_sets(evaluation, live_parses, candidate_parses)
    verdict = decide(comparisons, tolerance)
    seconds = time.monotonic() - started
    record = GateRecord(candidate_sha256=new.sha256, live_sha256=old.sha256, live_model=old.path.name,
                        passed=verdict.passed, reasons=verdict.reasons,
                        tolerance=tolerance.__dict__, figures=figures(comparisons),
                        at=now or clock.now().isoformat(timespec="seconds"), seconds=round(seconds, 1), folds=folds,
                        extra={"candidate_model": new.path.name, "candidate_trained_at": new.trained_at,
                               "live_trained_at": old.trained_at, "candidate_examples": len(new.examples),
                               "live_examples": len(old.examples)})
    header = [f"candidate: {new.path} (trained {new.trained_at}, {len(new.examples)} examples, sha256 {new.sha256[:12]})",
              f"live:      {old.path} (trained {old.trained_at}, {len(old.examples)} examples, sha256 {old.sha256[:12]})"]
    text = report(comparisons, verdict, tolerance, header=header) + f"(gate run: {seconds:.0f} s)\n"
    return GateResult(comparisons, verdict, record, text)
