"""The NLU inbox over a known history (tests/fenqi/training/history.py) in real SQLite stores (the
account store's schema, Rasa's events table): what is collected and what is not, masking, grouping,
need order and outcomes, decisions validated against the knowledge base, guards, and the export to
Rasa-format files that read back as training data."""
from __future__ import annotations

import math

import pytest
import yaml
from sqlalchemy import func, select

from fenqi.analytics import rollup
from fenqi.db.engine import Store, make_engine
from fenqi.db.models import InboxItem, InboxSighting
from fenqi.nlp.training_data import evaluation_texts, read_examples, training_examples
from fenqi.training import inbox
from fenqi.training.export import export
from fenqi.training.guards import TrainingIndex
from tests.fenqi.training import history as h
from tests.support.schema import init_db


@pytest.fixture(scope="module")
def index():
    return TrainingIndex(training_examples(), evaluation_texts())


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    directory = tmp_path_factory.mktemp("inbox")
    store = Store.open(f"sqlite:///{directory / 'fenqi.db'}")
    init_db(store.engine)
    tracker = make_engine(f"sqlite:///{directory / 'tracker.db'}")
    h.load(store, tracker)
    rollup.refresh(store, tracker)
    yield store, tracker
    store.close()
    tracker.dispose()


@pytest.fixture(scope="module")
def collected(stores, index):
    store, tracker = stores
    with store.session() as session, tracker.connect() as connection:
        done = inbox.collect(session, connection, index, h.NOW)
    return done


def items(store):
    with store.session() as session:
        return {i.text: (i.group_id, i.seen, i.channel, i.intent, round(i.confidence, 4), round(i.margin, 4),
                         i.question_id, i.personal, i.fallbacks, i.clarified)
                for i in session.scalars(select(InboxItem))}


def test_only_typed_messages_the_model_was_not_trained_on_are_collected_masked(stores, collected):
    store, _ = stores
    got = items(store)
    masked_phone = "我手机138****5678还款失败了"
    assert set(got) == {h.FEES_12, h.FEES_24, h.UNCLEAR, masked_phone, h.holdout_line(), h.CREDIT_CARD,
                        h.near_training_line().text + "呀"}
    assert collected.turns == 11 and collected.sightings == 8 and collected.new_items == 7  # 谢谢/转人工/payload out
    assert all(h.PHONE not in text for text in got) and got[masked_phone][7] == "digits"
    assert all(v[7] is None for t, v in got.items() if t != masked_phone)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxSighting)) == 8


def test_near_identical_messages_are_one_group_and_the_same_text_one_item(stores, collected):
    got = items(stores[0])
    a, a24 = got[h.FEES_12], got[h.FEES_24]
    assert a[0] == a24[0]                                     # digits folded: one group
    assert (a[1], a[4], a[5]) == (2, 0.64, 0.32)              # A1 and A3: seen twice, mean confidence, least margin
    assert (a24[1], a24[2], a24[5]) == (1, "wechat", 0.23)
    others = [v[0] for t, v in got.items() if t not in (h.FEES_12, h.FEES_24)]
    assert len(set(others)) == 5 and a[0] not in others
    assert got[h.UNCLEAR][3:6] == ("how_to_repay", 0.3, 0.02)  # the fallback's guess, not nlu_fallback
    assert got[h.UNCLEAR][8:] == (1, 1)                       # fell back, was clarified


def test_open_groups_come_by_need_with_how_the_conversation_went_on(stores, collected, index):
    store, _ = stores
    with store.session() as session:
        groups, total = inbox.list_groups(session, "open", training=index)
    assert total == 6
    first = {g.items[0].text: g for g in groups}
    order = [h.UNCLEAR, h.FEES_12, "我手机138****5678还款失败了", h.holdout_line(), h.near_training_line().text + "呀",
             h.CREDIT_CARD]
    assert [g.representative.text for g in groups] == order
    for name, text in zip(("B1", "A", "C1", "D1", "G1", "E1"), order):
        assert math.isclose(first[text].need, h.NEED[name], abs_tol=1e-9), name
    b1 = first[h.UNCLEAR]
    assert (b1.signs.seen, b1.signs.fallbacks, b1.signs.clarified, b1.signs.handoffs, b1.signs.low_ratings) == (1, 1, 1, 1, 1)
    assert set(b1.reasons) == {"low_confidence", "fallback", "boundary", "clarified", "handoff", "low_rating"}
    assert "frequent" in first[h.FEES_12].reasons and first[h.FEES_12].signs.seen == 3
    # what confirming would run into is shown before deciding
    findings = {f.kind for _, fs in first[h.holdout_line()].findings for f in fs}
    assert findings == {"evaluation"}
    near = {f.kind for _, fs in first[h.near_training_line().text + "呀"].findings for f in fs}
    assert near == {"near_duplicate"}


def test_collecting_again_adds_nothing_and_the_cursor_moved(stores, collected, index):
    store, tracker = stores
    with store.session() as session, tracker.connect() as connection:
        again = inbox.collect(session, connection, index, h.NOW)
    assert (again.turns, again.new_items, again.sightings) == (0, 0, 0)
    assert again.last_turn_id == collected.last_turn_id > 0


def group_of(store, text):
    with store.session() as session:
        return session.scalars(select(InboxItem.group_id).where(InboxItem.text == text)).one()


def test_a_relabel_is_validated_against_the_knowledge_base(stores, collected, index):
    store, _ = stores
    gid = group_of(store, h.UNCLEAR)
    with store.session() as session:
        for intent, question in (("how_to_repay", "due.date"), ("how_to_repay", None), ("no_such_intent", None),
                                 ("nlu_fallback", None), ("greet", "repay.how"), ("how_to_repay", "repay.nope")):
            with pytest.raises(inbox.DecisionError):
                inbox.decide(session, gid, "relabel", None, h.NOW, index, intent, question)
        with pytest.raises(inbox.DecisionError):
            inbox.decide(session, gid, "rename", None, h.NOW, index)
        with pytest.raises(inbox.DecisionError):
            inbox.decide(session, 10**6, "discard", None, h.NOW, index)
        session.rollback()
    with store.session() as session:  # nothing of the refused decisions was kept
        groups, _ = inbox.list_groups(session, "open")
    assert len(groups) == 6


@pytest.fixture(scope="module")
def decided(stores, collected, index):
    store, _ = stores
    out = {}
    with store.session() as session:
        out["A"] = inbox.decide(session, group_of(store, h.FEES_12), "confirm", None, h.NOW, index)
        out["B1"] = inbox.decide(session, group_of(store, h.UNCLEAR), "relabel", None, h.NOW, index,
                                 "how_to_repay", "repay.how")
        out["C1"] = inbox.decide(session, group_of(store, "我手机138****5678还款失败了"), "confirm", None, h.NOW, index)
        out["D1"] = inbox.decide(session, group_of(store, h.holdout_line()), "confirm", None, h.NOW, index)
        out["E1"] = inbox.decide(session, group_of(store, h.CREDIT_CARD), "out_of_scope", None, h.NOW, index)
        near = h.near_training_line()
        out["G1"] = inbox.decide(session, group_of(store, near.text + "呀"), "relabel", None, h.NOW, index,
                                 "early_repayment", "early.how")
    return out


def test_one_decision_labels_the_group_and_the_guards_keep_out_what_must_not_be_trained_on(decided):
    a = decided["A"]
    assert (a.decision, a.intent, a.question, a.accepted, a.blocked) == (
        "confirmed", "installment_fees", "fees.rate_by_period", 2, ())
    assert (decided["B1"].decision, decided["B1"].accepted) == ("relabelled", 1)
    personal = decided["C1"]
    assert personal.accepted == 0 and "个人信息" in personal.blocked[0][1][0]
    holdout = decided["D1"]
    assert holdout.accepted == 0 and "tests/nlu/holdout.yml" in holdout.blocked[0][1][0]
    assert h.holdout_line() not in holdout.blocked[0][1][0]  # the evaluation line itself is never shown
    assert (decided["E1"].intent, decided["E1"].question, decided["E1"].accepted) == ("out_of_scope", None, 1)
    near = h.near_training_line()
    conflict = decided["G1"]
    assert conflict.accepted == 0 and "冲突" in conflict.blocked[0][1][0] and near.where in conflict.blocked[0][1][0]
    assert f"{near.intent}/{near.question}" in conflict.blocked[0][1][0]


def test_export_writes_rasa_files_with_provenance_that_read_back_as_training_data(stores, decided, index, tmp_path):
    store, _ = stores
    data = tmp_path / "nlu"
    with store.session() as session:
        done = export(session, index, h.NOW, data)
    assert done.total == 4 and not done.blocked
    fees = data / "reviewed" / "installment_fees.yml"
    assert sorted(p.name for p in (data / "reviewed").iterdir()) == ["how_to_repay.yml", "installment_fees.yml",
                                                                      "out_of_scope.yml"]
    document = yaml.safe_load(fees.read_text(encoding="utf-8"))
    assert document["version"] == "3.1"
    blocks = {(b["metadata"]["source"]): b for b in document["nlu"]}
    assert set(blocks) == {"widget", "wechat"}
    assert blocks["widget"]["metadata"] == {"question": "fees.rate_by_period", "reviewed_by": "unknown",
                                            "reviewed_on": "2026-11-11", "source": "widget"}
    assert [(ex.text, ex.intent, ex.question) for ex in read_examples(fees)] == [  # blocks by channel
        (h.FEES_24, "installment_fees", "fees.rate_by_period"), (h.FEES_12, "installment_fees", "fees.rate_by_period")]
    oos = read_examples(data / "reviewed" / "out_of_scope.yml")
    assert [(ex.text, ex.intent, ex.question) for ex in oos] == [(h.CREDIT_CARD, "out_of_scope", None)]
    with store.session() as session:
        assert export(session, index, h.NOW, data).total == 0  # exported once
        states = dict(session.execute(select(InboxItem.text, InboxItem.state)).all())
    assert states[h.FEES_12] == states[h.UNCLEAR] == "exported" and states[h.holdout_line()] == "blocked"


def test_the_guards_name_what_a_reviewed_line_would_repeat_or_contradict(index):
    line = next(ex for ex in training_examples() if ex.question and len(ex.text) >= 8)
    same = index.check(line.text, line.intent, line.question)
    assert [f.kind for f in same] == ["duplicate"] and line.where in same[0].message
    other = "credit_limit" if line.intent != "credit_limit" else "how_to_repay"
    question = next(q for q in ("limit.check", "repay.how") if q.split(".")[0] in ("limit", "repay")
                    and (other == "credit_limit") == q.startswith("limit"))
    assert [f.kind for f in index.check(line.text, other, question)] == ["conflict"]
    subq = evaluation_texts()["subquestions"][0]
    assert [f.kind for f in index.check(subq, "how_to_use_installment", "use.how")][:1] == ["evaluation"]
    batch = index.check_many([("一个全新的说法一二三", "greet", None), ("一个全新的说法一二三", "thank", None)])
    assert batch[0] == [] and [f.kind for f in batch[1]] == ["conflict"]
    assert [f.kind for f in index.check("🙂🙂", "greet", None)] == ["empty"]
    source = (ROOT / line.source).read_text(encoding="utf-8").splitlines()
    assert source[line.line - 1].strip() == f"- {line.text}"  # the guard's file:line is the line


ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
