"""Standard-question evaluation for `make eval` (called by scripts/evaluate.py).

Two parts:

- :func:`question_cross_validation`: repeated stratified folds of the training data; per fold the
  configured intent classifier and the question model are trained on the rest, and the held-out
  fold gives (a) question accuracy within the gold intent, (b) intent and question together
  end to end, (c) its calibration,
  (d) the answer/clarify trade-off per confidence threshold. Decisions are made here, on the training data's own folds.
- :func:`subquestion_report`: the project's sub-question set (tests/nlu/subquestions.yml, written
  for the purpose and never trained on) through the trained model, the question choice and the
  composed reply, logged out and logged in as a shopper with two orders: question accuracy, the
  clarify rate, and whether the reply *addresses* the question (a word the reply must contain, in
  the general part of the reply, before the account block).
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from fenqi.subquestion_set import SubQuestion, load_subquestions

ROOT = Path(__file__).resolve().parent.parent

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
LOGIN_USER = "demo_ok"  # two active orders


def labelled_training() -> List[Tuple[str, str, Optional[str]]]:
    """(text, intent, question or None) of every training example (block metadata ``question``)."""
    import yaml

    out = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            question = (block.get("metadata") or {}).get("question")
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    out.append((line.strip()[2:].strip(), block["intent"], question))
    return out


def question_cross_validation(entry: Dict[str, Any], question_entry: Dict[str, Any], folds: int = 5,
                              repeats: int = 1) -> Tuple[str, Dict[str, float]]:
    """Markdown section and headline figures of the question stage's cross-validation.

    Folds are stratified by intent over every training example; per fold the configured intent
    classifier and the question models are trained on the rest. Measured on the held-out labelled
    examples: the question within the gold intent (the second stage alone), intent and question
    together with the configured fallback, and, for each answer threshold, how often the bot would
    answer, be right when it does, and offer the right question among its buttons when it asks."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    from fenqi.answers.selection import Thresholds
    from fenqi.evaluation import expected_calibration_error
    from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel
    from fenqi.nlp.question_model import QuestionModel

    data = labelled_training()
    texts = [t for t, _, _ in data]
    intents = [i for _, i, _ in data]
    questions = [q for _, _, q in data]
    n_labelled = sum(q is not None for q in questions)
    if len({q for q in questions if q}) < 2:
        return "### Standard questions: cross-validation\n\n(no standard-question blocks in data/nlu)\n", {}
    icfg, qcfg = ModelConfig.from_options(entry), ModelConfig.from_options(question_entry)
    fallback = 0.65
    margin = Thresholds().margin
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=11)
    within_ok: List[bool] = []
    within_conf: List[float] = []
    e2e_ok: List[bool] = []
    decisions: List[Tuple[float, bool, bool]] = []  # (top confidence, top right, gold among the close ones)
    rescues: List[Tuple[float, bool, bool]] = []  # fallbacks: (joint score, would be right, not a question of ours)
    print(f"question stage: {folds} folds x {repeats} of the intent + question models "
          f"({len(texts)} examples, {n_labelled} with a standard question)...", flush=True)
    for train, test in splitter.split(np.zeros(len(texts)), intents):
        imodel = NgramIntentModel(icfg).fit([texts[i] for i in train], [intents[i] for i in train])
        lab = [i for i in train if questions[i]]
        qmodel = QuestionModel(qcfg).fit([texts[i] for i in lab], [questions[i] for i in lab],
                                         [intents[i] for i in lab])
        all_probs = imodel.predict_proba([texts[i] for i in test])
        for row, i in zip(all_probs, test):  # messages the first stage would not answer (fallback)
            j = int(row.argmax())
            if row[j] >= fallback:
                continue
            domain = [(imodel.classes[k], float(row[k])) for k in np.argsort(-row)
                      if imodel.classes[k] in qmodel.intents]
            if not domain or imodel.classes[j] not in qmodel.intents:
                rescues.append((0.0, False, questions[i] is None))
                continue
            name, p_int = domain[0]
            top = qmodel.rank(texts[i], name, 1)
            rescues.append((p_int * top[0][1], name == intents[i] and top[0][0] == questions[i],
                            questions[i] is None))
        keep = {i: k for k, i in enumerate(test)}
        test = [i for i in test if questions[i]]
        iprobs = all_probs[[keep[i] for i in test]]
        for row, i in zip(iprobs, test):
            within = qmodel.rank(texts[i], intents[i])
            within_ok.append(bool(within) and within[0][0] == questions[i])
            p_top = within[0][1] if within else 0.0
            within_conf.append(p_top)
            close = [q for q, p in within[:3] if p >= p_top - margin]
            decisions.append((p_top, within_ok[-1], questions[i] in close))
            j = int(row.argmax())
            name = imodel.classes[j] if row[j] >= fallback else ""
            chosen = qmodel.rank(texts[i], name, 1) if name else []
            e2e_ok.append(name == intents[i] and bool(chosen) and chosen[0][0] == questions[i])
    figures: Dict[str, float] = {
        "within": float(np.mean(within_ok)), "end_to_end": float(np.mean(e2e_ok)),
        "ece": expected_calibration_error(within_conf, within_ok)}
    lines = [f"### Standard questions: cross-validation ({folds} folds × {repeats}, {len(texts)} examples, "
             f"{n_labelled} labelled with one of {len({q for q in questions if q})} standard questions)", "",
             f"- question accuracy within the gold intent: **{figures['within']:.3f}** "
             f"(ECE {figures['ece']:.3f})",
             f"- intent and question both right, end to end (fallback {fallback:.2f} counted wrong): "
             f"**{figures['end_to_end']:.3f}**", "",
             "Answer or ask (within the gold intent): a question is answered when its confidence reaches the "
             f"threshold; below it, two or three questions within {margin:.2f} of the best are offered as buttons, "
             "else the intent's general answer:", "",
             "| threshold | answered | right when answered | asked | gold among the buttons when asked |",
             "|---:|---:|---:|---:|---:|"]
    for t in THRESHOLDS:
        answered = [(ok, among) for c, ok, among in decisions if c >= t]
        asked = [among for c, ok, among in decisions if c < t]
        lines.append(f"| {t:.2f} | {len(answered) / len(decisions):.3f} | "
                     f"{(sum(ok for ok, _ in answered) / len(answered)) if answered else float('nan'):.3f} | "
                     f"{len(asked) / len(decisions):.3f} | "
                     f"{(sum(asked) / len(asked)) if asked else float('nan'):.3f} |")
    lines += ["", f"Messages the first stage sends to the fallback ({len(rescues)}): answering the top domain intent's "
              "best question instead when P(intent) × P(question | intent) reaches a threshold:", "",
              "| joint ≥ | answered | right when answered | out of scope answered |", "|---:|---:|---:|---:|"]
    for t in (0.3, 0.4, 0.5):
        hit = [(ok, oos) for c, ok, oos in rescues if c >= t]
        lines.append(f"| {t:.2f} | {len(hit)} | {(sum(ok for ok, _ in hit) / len(hit)) if hit else float('nan'):.3f} | "
                     f"{sum(oos for _, oos in hit)} |")
    return "\n".join(lines) + "\n", figures


# --- the sub-question set through the whole answer path --------------------------------------------


def general_part(reply: str) -> str:
    """The reply without its account block (what a question must be answered in, first)."""
    from fenqi.answers.questions import ACCOUNT_HEADING

    return reply.split(ACCOUNT_HEADING, 1)[0]


def addresses(reply: str, must: Sequence[str]) -> bool:
    """Does the general part of the reply name one of the words the question is about?"""
    part = general_part(reply).replace(" ", "")
    return any(w.replace(" ", "") in part for w in must)


def demo_snapshot(user_id: str = LOGIN_USER) -> Any:
    """The packaged demo account ``user_id`` from an in-memory store (relative dates from today)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from fenqi.accounts.demo import seed_demo
    from fenqi.accounts.repository import load_snapshot
    from fenqi.db.models import Base

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
        snapshot = load_snapshot(session, user_id)
    assert snapshot is not None
    return snapshot


async def parse_all(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def reply_for(parsed: Dict[str, Any], item: SubQuestion, snapshot: Any) -> Tuple[Optional[str], Tuple[str, ...], str]:
    """What the bot would answer: the chosen question (or the buttons offered) and the reply text.

    The same steps as actions/answering.respond, for a domain intent; a fallback or out-of-scope
    prediction is a reply that answers no standard question."""
    from actions.answering import THRESHOLDS, intent_ranking, ranking
    from fenqi.answers.questions import answer_question, clarify_answer
    from fenqi.answers.routing import product_of, topic_of
    from fenqi.answers.selection import INSTALLMENT, choose_question, find, is_follow_up
    from fenqi.knowledge import load_questions
    from fenqi.nlp.question_model import QUESTION, QUESTION_BY_INTENT

    book = load_questions()
    intent = (parsed.get("intent") or {}).get("name")
    question = parsed.get(QUESTION) or {}
    confidence = float((parsed.get("intent") or {}).get("confidence") or 0.0)
    confident = confidence >= THRESHOLDS.intent
    within = ranking(question.get("ranking"))
    if topic_of(intent, item.text) != intent:  # actions/answering.choose: the same reading
        intent, confident = topic_of(intent, item.text), False
        within = intent_ranking(parsed.get(QUESTION_BY_INTENT), intent)
    if intent not in {book.get(i).intent for i in book.ids}:
        last = find(book, item.after)
        if last is None or not is_follow_up(item.text):  # actions/fallback.py: a follow-up is read in context
            return None, (), f"[{intent}]"
        intent, confident, within = last.intent, False, []
    choice = choose_question(
        book, intent, within, product=product_of(item.text) or INSTALLMENT,
        previous=item.after, text=item.text,
        context=intent_ranking(parsed.get(QUESTION_BY_INTENT), find(book, item.after).intent) if item.after else [],
        intent_confident=confident, thresholds=THRESHOLDS)
    if choice.question is None:
        return None, tuple(q.id for q in choice.clarify), clarify_answer(list(choice.clarify), choice.product).text
    reply = answer_question(choice.question, snapshot, product=choice.product)
    return choice.question.id, (), reply.text


def subquestion_report(model: Path, path: Path) -> Tuple[str, Dict[str, float]]:
    """Markdown section and headline figures of the sub-question set through the whole answer path."""
    from fenqi.knowledge import load_questions
    from fenqi.nlp import FALLBACK, OUT_OF_SCOPE

    items = load_subquestions(path)
    book = load_questions()
    parsed = asyncio.run(parse_all(model, [i.text for i in items]))
    snapshot = demo_snapshot()
    rows = []
    for item, p in zip(items, parsed):
        must = item.must or (book.get(item.question).variant("installment").mentions
                             if item.question != OUT_OF_SCOPE else ())
        chosen, clarified, text_out = reply_for(p, item, None)
        _, _, text_in = reply_for(p, item, snapshot)
        rows.append((item, p, chosen, clarified, text_out, text_in, must))
    domain = [r for r in rows if r[0].question != OUT_OF_SCOPE]
    oos = [r for r in rows if r[0].question == OUT_OF_SCOPE]
    n = len(domain)
    intent_ok = sum((r[1].get("intent") or {}).get("name") == book.get(r[0].question).intent for r in domain)
    chosen_ok = sum(r[2] == r[0].question for r in domain)
    clarify = sum(bool(r[3]) for r in domain)
    clarify_ok = sum(r[0].question in r[3] for r in domain)
    out_ok = sum(addresses(r[4], r[6]) for r in domain)
    in_ok = sum(addresses(r[5], r[6]) for r in domain)
    oos_ok = sum((r[1].get("intent") or {}).get("name") in (OUT_OF_SCOPE, FALLBACK) for r in oos)
    figures = {"n": float(n), "intent": intent_ok / n, "question": chosen_ok / n, "clarify": clarify / n,
               "addresses_out": out_ok / n, "addresses_in": in_ok / n,
               "oos_handled": oos_ok / len(oos) if oos else float("nan")}
    lines = [f"### Sub-question set (tests/nlu/subquestions.yml): {n} questions of {len({r[0].question for r in domain})} "
             f"standard questions, {len(oos)} out of scope", "",
             f"- reply addresses the question, logged out: **{figures['addresses_out']:.3f}**",
             f"- reply addresses the question, logged in as `{LOGIN_USER}` (two orders): "
             f"**{figures['addresses_in']:.3f}**",
             f"- standard question answered = gold: **{figures['question']:.3f}**; intent right: {figures['intent']:.3f}",
             f"- asked to choose (buttons): {figures['clarify']:.3f} of questions, the gold among the buttons "
             f"{clarify_ok}/{clarify}",
             f"- out-of-scope questions kept out (out_of_scope or the clarifying question): "
             f"**{figures['oos_handled']:.3f}**", "",
             "By voice (addresses, logged out / logged in):", "", "| voice | n | logged out | logged in |",
             "|---|---:|---:|---:|"]
    for voice in sorted({r[0].voice for r in domain}):
        vs = [r for r in domain if r[0].voice == voice]
        lines.append(f"| {voice or '-'} | {len(vs)} | {sum(addresses(r[4], r[6]) for r in vs) / len(vs):.3f} | "
                     f"{sum(addresses(r[5], r[6]) for r in vs) / len(vs):.3f} |")
    lines += ["", "By intent of the gold question (addresses logged in, question right):", "",
              "| intent | n | addresses | question |", "|---|---:|---:|---:|"]
    for intent in sorted({book.get(r[0].question).intent for r in domain}):
        vs = [r for r in domain if book.get(r[0].question).intent == intent]
        lines.append(f"| {intent} | {len(vs)} | {sum(addresses(r[5], r[6]) for r in vs) / len(vs):.3f} | "
                     f"{sum(r[2] == r[0].question for r in vs) / len(vs):.3f} |")
    return "\n".join(lines) + "\n", figures


def subquestion_errors(model: Path, path: Path) -> List[str]:
    """One line per question whose reply does not address it (for --errors)."""
    from fenqi.knowledge import load_questions
    from fenqi.nlp import OUT_OF_SCOPE

    items = [i for i in load_subquestions(path) if i.question != OUT_OF_SCOPE]
    book = load_questions()
    parsed = asyncio.run(parse_all(model, [i.text for i in items]))
    out = []
    for item, p in zip(items, parsed):
        chosen, clarified, text = reply_for(p, item, None)
        must = item.must or book.get(item.question).variant("installment").mentions
        if not addresses(text, must):
            out.append(f"{item.question:>26} -> {chosen or ('?' + '/'.join(clarified)) or '-':<26} "
                       f"[{(p.get('intent') or {}).get('name')}] {item.text}")
    return out
