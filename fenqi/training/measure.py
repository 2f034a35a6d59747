"""The evaluation sets scored for two models from their parses (pure once the parses exist):

* the held-out set (``tests/nlu/holdout.yml``): the intent, a fallback counted wrong (``make eval``);
* the robustness set (``tests/nlu/robustness.yml``): handled (the gold intent or an accepted
  alternative, e.g. the clarifying question for nonsense);
* the sub-question set (``tests/nlu/subquestions.yml``): the reply, logged out, *addresses* the
  question asked (``fenqi/answers/replay.py``); an out-of-scope question is right when kept out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from fenqi.evaluation import Case, load_cases
from fenqi.nlp import FALLBACK, OUT_OF_SCOPE
from fenqi.nlp.training_data import EVALUATION_SETS, read_examples
from fenqi.subquestion_set import SubQuestion, load_subquestions

from .gate import Comparison, Outcome

Parses = Mapping[str, Mapping[str, Any]]  # text -> parse data


@dataclass(frozen=True)
class EvaluationSets:
    holdout: Tuple[Tuple[str, str], ...]
    robustness: Tuple[Case, ...]
    subquestions: Tuple[SubQuestion, ...]

    def texts(self) -> List[str]:
        """Every text to parse, once."""
        texts = [t for t, _ in self.holdout] + [c.text for c in self.robustness] + [q.text for q in self.subquestions]
        return list(dict.fromkeys(texts))


def load_sets(paths: Mapping[str, Path] = EVALUATION_SETS) -> EvaluationSets:
    return EvaluationSets(
        holdout=tuple((ex.text, ex.intent) for ex in read_examples(paths["holdout"])),
        robustness=tuple(load_cases(paths["robustness"])),
        subquestions=tuple(load_subquestions(paths["subquestions"])))


def intent_of(parse: Mapping[str, Any]) -> str:
    intent = parse.get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else ""


def holdout_comparison(sets: EvaluationSets, live: Parses, candidate: Parses) -> Comparison:
    outcomes = []
    for text, gold in sets.holdout:
        b, a = intent_of(live[text]), intent_of(candidate[text])
        outcomes.append(Outcome(text, gold, gold, b == gold, a == gold, b, a))
    return Comparison("held-out set", "accuracy", tuple(outcomes))


def robustness_comparison(sets: EvaluationSets, live: Parses, candidate: Parses) -> Comparison:
    outcomes = []
    for case in sets.robustness:
        b, a = intent_of(live[case.text]), intent_of(candidate[case.text])
        outcomes.append(Outcome(case.text, case.intent, case.intent, case.handled(b), case.handled(a), b, a))
    return Comparison("robustness set", "handled", tuple(outcomes))


def _said(chosen: Any, clarified: Sequence[str], reply: str) -> str:
    return chosen or ("?" + "/".join(clarified) if clarified else reply[:24])


def subquestion_comparison(sets: EvaluationSets, live: Parses, candidate: Parses) -> Comparison:
    from fenqi.answers.replay import addresses, must_words, reply_for
    from fenqi.knowledge import load_questions

    book = load_questions()
    outcomes = []
    for item in sets.subquestions:
        pair: List[Tuple[bool, str]] = []
        for parses in (live, candidate):
            parse = parses[item.text]
            if item.question == OUT_OF_SCOPE:
                said = intent_of(parse)
                pair.append((said in (OUT_OF_SCOPE, FALLBACK), said))
                continue
            chosen, clarified, reply = reply_for(parse, item.text, item.after)
            pair.append((addresses(reply, must_words(item.question, item.must)), _said(chosen, clarified, reply)))
        intent = OUT_OF_SCOPE if item.question == OUT_OF_SCOPE else book.get(item.question).intent
        outcomes.append(Outcome(item.text, item.question, intent, pair[0][0], pair[1][0], pair[0][1], pair[1][1]))
    return Comparison("sub-question set", "reply addresses the question", tuple(outcomes))


def compare_sets(sets: EvaluationSets, live: Parses, candidate: Parses) -> List[Comparison]:
    return [holdout_comparison(sets, live, candidate), robustness_comparison(sets, live, candidate),
            subquestion_comparison(sets, live, candidate)]


def by_text(texts: Sequence[str], parses: Sequence[Mapping[str, Any]]) -> Dict[str, Mapping[str, Any]]:
    return dict(zip(texts, parses))
