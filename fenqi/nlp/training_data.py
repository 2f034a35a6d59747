"""The NLU data files as rows (Rasa-free): the training data and the evaluation sets.

Training data is every ``*.yml`` under ``data/nlu/`` — the hand-written files and the reviewed
shopper messages the NLU inbox exported to ``data/nlu/reviewed/`` — in Rasa's ``version: "3.1"``
format: blocks of one intent whose ``metadata`` may name the standard question
(``question: repay.how``). Each example keeps its file and line, so a guard can say which line a
new example duplicates or contradicts.

The evaluation sets (``tests/nlu/``) measure the model and must never become training data:
:func:`evaluation_texts` lists every line of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from fenqi.datafile import read_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRAINING_DIR = PROJECT_ROOT / "data" / "nlu"
REVIEWED_DIR = "reviewed"  # under the training directory: what the NLU inbox exported
TESTS_NLU = PROJECT_ROOT / "tests" / "nlu"
# Every evaluation set, by name: measured only, never trained on (docs/evaluation.md).
EVALUATION_SETS: Mapping[str, Path] = {
    "holdout": TESTS_NLU / "holdout.yml",
    "robustness": TESTS_NLU / "robustness.yml",
    "unseen_proxy": TESTS_NLU / "unseen_proxy.yml",
    "subquestions": TESTS_NLU / "subquestions.yml",
}
HIDDEN_SETS = frozenset({"unseen_proxy"})  # its texts are never shown, only scored


@dataclass(frozen=True)
class Example:
    """One line of an NLU file: the text, its intent and standard question (block metadata), where it is."""

    text: str
    intent: str
    question: Optional[str] = None
    source: str = ""  # file, relative to the project when it is inside it
    line: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def read_examples(path: Path) -> List[Example]:
    """Every example of one Rasa NLU YAML file, with its line number (``- text`` lines only)."""
    document = read_yaml(path)
    source = _shown(path)
    out: List[Example] = []
    for i, block in enumerate((document.data or {}).get("nlu") or []):
        if not isinstance(block, dict) or "intent" not in block:
            continue  # synonyms, regexes, lookups
        raw = block.get("metadata")
        metadata: Dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        question = metadata.get("question")
        first = document.lines.get(("nlu", i, "examples"), 0)
        for j, raw in enumerate(str(block.get("examples") or "").splitlines()):
            stripped = raw.strip()
            if stripped.startswith("- "):
                out.append(Example(stripped[2:].strip(), str(block["intent"]),
                                   str(question) if question else None, source, first + 1 + j if first else 0,
                                   metadata))
    return out


def training_files(data_dir: Path = TRAINING_DIR) -> List[Path]:
    """The NLU training files, the reviewed ones included (sorted, recursive)."""
    return sorted(p for p in Path(data_dir).rglob("*.yml") if p.is_file())


def training_examples(data_dir: Path = TRAINING_DIR) -> List[Example]:
    """Every training example under ``data_dir`` (``data/nlu``: written and reviewed)."""
    return [ex for path in training_files(data_dir) for ex in read_examples(path)]


def labelled(examples: Iterable[Example]) -> List[Tuple[str, str, Optional[str]]]:
    """(text, intent, standard question or None) of each example."""
    return [(ex.text, ex.intent, ex.question) for ex in examples]


def evaluation_texts(sets: Mapping[str, Path] = EVALUATION_SETS) -> Dict[str, List[str]]:
    """Every line of each evaluation set, by set name (a missing file is an empty set)."""
    from fenqi.evaluation import load_cases
    from fenqi.subquestion_set import load_subquestions

    out: Dict[str, List[str]] = {}
    for name, path in sets.items():
        if not Path(path).exists():
            out[name] = []
        elif name == "robustness":
            out[name] = [c.text for c in load_cases(path)]
        elif name == "subquestions":
            out[name] = [q.text for q in load_subquestions(path)]
        else:
            out[name] = [ex.text for ex in read_examples(path)]
    return out
