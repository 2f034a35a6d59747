"""Run the evaluation gate: a candidate archive against the live one, on the same data.

Both models parse the evaluation sets in child processes (at the same time) while this process
cross-validates the two models' training data on the same folds; then every measure is compared
(:mod:`fenqi.training.gate`) and the record is written beside the models (``models/gates/``). What
depends on one model only (its cross-validation, its parses) is kept in ``models/gates/cache/``.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

from fenqi.nlp.training_data import EVALUATION_SETS

from .archive import ModelArchive, read_archive
from .crossval import FOLDS, Scored, compare, cross_validate
from .gate import DEFAULT_TOLERANCE, Comparison, GateRecord, Tolerance, Verdict, decide, figures, report
from .measure import by_text, compare_sets, load_sets
from .parsing import ParseJob


@dataclass(frozen=True)
class GateResult:
    comparisons: List[Comparison]
    verdict: Verdict
    record: GateRecord
    text: str


class _Parses:
    """The parses of ``texts`` by one archive: from the cache (the live model's, from an earlier gate)
    or from a parser started now."""

    def __init__(self, archive: ModelArchive, texts: List[str], cache: Optional[Path]) -> None:
        digest = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
        self.path = cache / f"{archive.sha256}-parses-{digest}.json" if cache is not None else None
        self.texts = texts
        self.cached: Optional[List[Dict[str, Any]]] = None
        self.job: Optional[ParseJob] = None
        if self.path is not None and self.path.exists():
            self.cached = json.loads(self.path.read_text(encoding="utf-8"))
        else:
            self.job = ParseJob(archive.path, texts)

    def result(self) -> Dict[str, Any]:
        if self.cached is None:
            assert self.job is not None
            self.cached = self.job.result()
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text(json.dumps(self.cached, ensure_ascii=False), encoding="utf-8")
        return by_text(self.texts, self.cached)

    def close(self) -> None:
        if self.job is not None:
            self.job.close()


def _cross_validated(archive: ModelArchive, folds: int, cache: Optional[Path]) -> Scored:
    """The model's cross-validation, from the cache when it was computed before (it depends only on
    the archive's training data and configuration)."""
    path = cache / f"{archive.sha256}-cv{folds}.json" if cache is not None else None
    if path is not None and path.exists():
        return Scored.from_json(json.loads(path.read_text(encoding="utf-8")))
    scored = cross_validate(archive.setup, folds)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(scored.as_json(), ensure_ascii=False), encoding="utf-8")
    return scored


def run_gate(candidate: Path, live: Path, *, folds: int = FOLDS, tolerance: Tolerance = DEFAULT_TOLERANCE,
             sets: Mapping[str, Path] = EVALUATION_SETS, now: Optional[str] = None, cache: Optional[Path] = None,
             log: Callable[[str], None] = lambda _: None) -> GateResult:
    """Compare ``candidate`` with ``live`` (both archives) and decide; raises ArchiveError/ParseError.
    ``cache``: a directory keeping each model's cross-validation and parses of the sets (named by the
    model's content, and the sets' texts), so a second candidate against the same live model
    computes only its own."""
    from fenqi import clock

    started = time.monotonic()
    new: ModelArchive = read_archive(candidate)
    old: ModelArchive = read_archive(live)
    evaluation = load_sets(sets)
    texts = evaluation.texts()
    log(f">> parsing {len(texts)} evaluation questions with both models (child processes, or the cache) ...")
    parses = [_Parses(old, texts, cache), _Parses(new, texts, cache)]
    try:
        log(f">> cross-validation: {folds} folds of each model's training data "
            f"({len(old.examples)} live, {len(new.examples)} candidate examples) ...")
        cv = list(compare(_cross_validated(old, folds, cache), _cross_validated(new, folds, cache), folds))
        live_parses, candidate_parses = (p.result() for p in parses)
    finally:
        for p in parses:
            p.close()
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
