"""Releases in a real SQLite account store with a models directory of real archives (the trained model,
and the same model re-packed as a "candidate"): what is live, the gate a promotion needs, the history
it keeps, rollback, and the release put back when an instance refuses the new model. Switching real
Rasa instances is tests/prod/test_training_loop.py."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest

from fenqi.db.engine import Store
from fenqi.training import releases
from fenqi.training.archive import read_archive, sha256_of
from fenqi.training.gate import GateRecord, Tolerance
from fenqi.training.promotion import promote, rollback
from fenqi.training.rollout import Instance, read_instances, remove_instances, write_instances
from tests.support.models import repacked
from tests.support.schema import init_db
from tests.support.stack import MODEL, free_port

NOW = datetime(2026, 12, 3, 2, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def repacked_model(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    return repacked(MODEL, tmp_path_factory.mktemp("candidate") / "candidate.tar.gz")


@pytest.fixture
def world(tmp_path, repacked_model):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copyfile(MODEL, models / "fenqi.tar.gz")
    candidate = repacked_model
    store = Store.open(f"sqlite:///{tmp_path / 'fenqi.db'}")
    init_db(store.engine)
    yield store, models, candidate
    store.close()


def gate(models, candidate, live, passed=True):
    record = GateRecord(sha256_of(candidate), sha256_of(live), live.name, passed,
                        () if passed else ("held-out set: accuracy 0.886 -> 0.700",), Tolerance().__dict__,
                        {"held-out set": {"metric": "accuracy", "n": 237, "live": 0.886, "candidate": 0.9,
                                          "fixed": 4, "broken": 1}}, "2026-12-03T10:00:00+08:00")
    releases.save_gate_record(models, record)
    return record


def test_the_archive_records_what_the_model_learnt_from_and_its_pipeline_options():
    from fenqi.nlp.training_data import training_examples

    archive = read_archive(MODEL)
    assert len(archive.examples) == len(training_examples())
    assert {(t, i, q) for t, i, q, _ in archive.examples} == {(e.text, e.intent, e.question) for e in training_examples()}
    assert archive.setup.intent_options["classifier"] == "svm" and archive.setup.question_options is not None
    assert archive.setup.fallback == 0.65 and len(archive.sha256) == 64


def test_before_any_release_the_default_model_is_live_and_served(world):
    store, models, _ = world
    with store.session() as session:
        live = releases.live_model(session, models)
        assert live.release is None and live.path == models / "fenqi.tar.gz"
        assert releases.serving_path(session, models, MODEL) == MODEL


def test_a_promotion_needs_a_passed_gate_against_the_current_live_model(world):
    store, models, candidate = world
    with pytest.raises(releases.ReleaseError, match="no gate record"):
        promote(store, models, candidate, [], "", "trainer", lambda: NOW, log=lambda _: None)
    gate(models, candidate, models / "fenqi.tar.gz", passed=False)
    with pytest.raises(releases.ReleaseError, match="refused"):
        promote(store, models, candidate, [], "", "trainer", lambda: NOW, log=lambda _: None)
    gate(models, candidate, candidate)  # compared with another model than the live one
    with pytest.raises(releases.ReleaseError, match="run the gate again"):
        promote(store, models, candidate, [], "", "trainer", lambda: NOW, log=lambda _: None)
    with store.session() as session:
        assert releases.live_release(session) is None  # nothing recorded


def test_promote_keeps_both_models_and_rollback_returns_to_the_one_before(world):
    store, models, candidate = world
    gate(models, candidate, models / "fenqi.tar.gz")
    done = promote(store, models, candidate, [], "", "安娜", lambda: NOW, log=lambda _: None)
    history = sorted(p.name for p in (models / "history").iterdir())
    assert done.model in history and done.previous in history and f"{done.model}.gate.json" in history
    with store.session() as session:
        chain = [(r.action, r.model, r.by) for r in reversed(releases.releases(session))]
        assert chain == [("baseline", done.previous, "安娜"), ("promote", done.model, "安娜")]
        assert releases.serving_path(session, models, MODEL) == models / "history" / done.model
        assert releases.live_release(session).gate["passed"] is True
    with pytest.raises(releases.ReleaseError, match="live model already"):
        promote(store, models, candidate, [], "", "安娜", lambda: NOW, log=lambda _: None)
    back = rollback(store, models, [], "", "安娜", lambda: NOW, log=lambda _: None)
    assert (back.model, back.previous) == (done.previous, done.model)
    with store.session() as session:
        assert releases.live_model(session, models).name == done.previous
    with pytest.raises(releases.ReleaseError, match="no earlier model"):
        rollback(store, models, [], "", "安娜", lambda: NOW, log=lambda _: None)


def test_an_instance_that_refuses_the_model_puts_the_live_release_back(world):
    store, models, candidate = world
    gate(models, candidate, models / "fenqi.tar.gz")
    down = Instance("rasa-1", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(releases.ReleaseError, match="rasa-1"):
        promote(store, models, candidate, [down], "token", "安娜", lambda: NOW, log=lambda _: None)
    with store.session() as session:
        actions = [r.action for r in reversed(releases.releases(session))]
        live = releases.live_model(session, models)
    assert actions == ["baseline", "promote", "rollback"]
    assert live.name == next(p.name for p in (models / "history").glob("*.tar.gz") if p.name.endswith(
        sha256_of(models / "fenqi.tar.gz")[:16] + ".tar.gz"))


def test_the_supervisors_record_of_its_instances(tmp_path):
    assert read_instances(tmp_path) == []
    path = write_instances(tmp_path, [Instance("rasa-1", "http://127.0.0.1:5105"), Instance("rasa-2", "http://127.0.0.1:5106")])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [i.url for i in read_instances(tmp_path)] == ["http://127.0.0.1:5105", "http://127.0.0.1:5106"]
    path.write_text('[{"name": "x", "url": "file:///etc/passwd"}, 3]', encoding="utf-8")
    assert read_instances(tmp_path) == []
    remove_instances(tmp_path)
    assert not path.exists()
