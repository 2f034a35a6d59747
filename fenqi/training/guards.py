"""What may become a training example (pure): the guards a reviewed message passes before it is
accepted, and again when it is exported.

* **duplicate** — the same text (normalised) is a training line with the same label: nothing to add;
* **near duplicate** — a training line with the same label is almost the same (char-bigram Jaccard
  ≥ :data:`NEAR_DUPLICATE`): the guard names it;
* **conflict** — the same or almost the same text is a training line with *another* label (intent
  or standard question): shown to the reviewer, never accepted (fix one of them first);
* **evaluation line** — the text is, or is a near-copy of (Jaccard ≥ ``fenqi.overlap.NEAR_COPY``,
  what ``make eval`` and the set tests check), a line of an evaluation set: an evaluation line never
  becomes training data. Only the set is named, never its line (the trainer must not see them);
* **personal** — the masked text still looks personal (``fenqi.privacy.personal_traces``).

:class:`TrainingIndex` holds the training lines and evaluation lines with a bigram index, so each
check compares against the few lines sharing enough bigrams rather than all of them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from fenqi.nlp.training_data import Example
from fenqi.overlap import NEAR_COPY, bigrams, jaccard, normalise
from fenqi.privacy import PERSONAL_KINDS, personal_traces

NEAR_DUPLICATE = 0.8   # same label: a near duplicate adds nothing
NEAR_CONFLICT = 0.9    # another label: almost the same words labelled otherwise


@dataclass(frozen=True)
class Finding:
    """One reason a text cannot be accepted (``kind``), in words a trainer reads (``message``)."""

    kind: str       # duplicate | near_duplicate | conflict | evaluation | personal | empty
    message: str


def label_of(intent: str, question: Optional[str]) -> str:
    return f"{intent}/{question}" if question else intent


class TextIndex:
    """Texts with their bigram sets and an inverted index bigram -> text positions."""

    def __init__(self) -> None:
        self.grams: List[Set[str]] = []
        self.keys: List[str] = []
        self.by_gram: Dict[str, List[int]] = defaultdict(list)
        self.by_key: Dict[str, List[int]] = defaultdict(list)

    def add(self, text: str) -> int:
        i = len(self.grams)
        grams = bigrams(text)
        self.grams.append(grams)
        self.keys.append(normalise(text))
        self.by_key[self.keys[i]].append(i)
        for g in grams:
            self.by_gram[g].append(i)
        return i

    def similar(self, text: str, threshold: float) -> List[Tuple[int, float]]:
        """Positions at Jaccard ≥ ``threshold`` (exact normalised matches count as 1.0), best first."""
        grams, key = bigrams(text), normalise(text)
        found: Dict[int, float] = {i: 1.0 for i in self.by_key.get(key, [])}
        if grams:
            shared: Dict[int, int] = defaultdict(int)
            for g in grams:
                for i in self.by_gram.get(g, ()):
                    shared[i] += 1
            need = threshold * len(grams)  # |A∩B| ≥ t·|A∪B| ≥ t·|A|
            for i, n in shared.items():
                if i not in found and n >= need:
                    score = jaccard(grams, self.grams[i])
                    if score >= threshold:
                        found[i] = score
        return sorted(found.items(), key=lambda p: -p[1])


class TrainingIndex:
    """The training lines and evaluation lines the guards check against."""

    def __init__(self, training: Sequence[Example], evaluation: Mapping[str, Sequence[str]]) -> None:
        self.training = list(training)
        self._train = TextIndex()
        for ex in self.training:
            self._train.add(ex.text)
        self._eval = TextIndex()
        self._eval_set: List[str] = []
        for name, texts in evaluation.items():
            for text in texts:
                self._eval.add(text)
                self._eval_set.append(name)

    def is_training_line(self, text: str) -> bool:
        return bool(self._train.by_key.get(normalise(text)))

    def check(self, text: str, intent: str, question: Optional[str]) -> List[Finding]:
        """Every reason ``text`` labelled ``intent``/``question`` cannot be a training example (empty: it can)."""
        if not normalise(text):
            return [Finding("empty", "没有可学习的文字（只有符号或表情）")]
        findings: List[Finding] = []
        kinds = personal_traces(text)
        if kinds:
            findings.append(Finding("personal", "仍像个人信息（" + "、".join(PERSONAL_KINDS[k] for k in kinds)
                                    + "），不能加入训练数据"))
        evaluation = self._eval.similar(text, NEAR_COPY)
        if evaluation:
            i, score = evaluation[0]
            findings.append(Finding("evaluation", f"与评测集 tests/nlu/{self._eval_set[i]}.yml 的一行"
                                    + ("相同" if score >= 1.0 else f"几乎相同（{score:.2f}）")
                                    + "：评测数据绝不进入训练（评测句不显示）"))
        wanted = label_of(intent, question)
        for i, score in self._train.similar(text, min(NEAR_DUPLICATE, NEAR_CONFLICT)):
            ex = self.training[i]
            theirs = label_of(ex.intent, ex.question)
            if theirs != wanted and score >= NEAR_CONFLICT:
                findings.append(Finding("conflict", f"冲突：{ex.where}「{ex.text}」标注为 {theirs}"
                                        + ("" if score >= 1.0 else f"（相似度 {score:.2f}）")))
            elif theirs == wanted and score >= 1.0:
                findings.append(Finding("duplicate", f"重复：与 {ex.where}「{ex.text}」相同"))
            elif theirs == wanted and score >= NEAR_DUPLICATE:
                findings.append(Finding("near_duplicate", f"近似重复（{score:.2f}）：{ex.where}「{ex.text}」"))
            if len(findings) >= 5:
                break
        return findings

    def check_many(self, items: Iterable[Tuple[str, str, Optional[str]]]) -> List[List[Finding]]:
        """:meth:`check` of each (text, intent, question), plus conflicts *among* them (the same text
        labelled twice in one batch)."""
        items = list(items)
        out = [self.check(t, i, q) for t, i, q in items]
        seen: Dict[str, str] = {}
        for n, (text, intent, question) in enumerate(items):
            key, label = normalise(text), label_of(intent, question)
            if key in seen and seen[key] != label:
                out[n].append(Finding("conflict", f"冲突：同一句在本批中另标注为 {seen[key]}"))
            seen.setdefault(key, label)
        return out
