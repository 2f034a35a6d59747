"""``python -m fenqi nlu …`` and ``python -m fenqi model …`` (registered by :mod:`fenqi.cli`).

    nlu collect                  take the shopper messages stored since the last time into the inbox
    nlu export [--data DIR]      accepted inbox messages -> DIR/nlu/reviewed/<intent>.yml (default data/)
    model status                 the live model, since when, the releases and what each instance serves
    model gate NEW [--live M]    compare NEW with the live model; exit 0 passed, 1 refused
    model promote NEW            after a passed gate: NEW on every running Rasa instance, one at a time
    model rollback               every instance back to the model live before

Instances: ``--rasa URL`` (repeatable), else those the supervisor recorded in
``$FENQI_VAR_DIR/rasa-instances.json``; the API token is ``RASA_API_TOKEN`` (else
``$FENQI_VAR_DIR/rasa-api-token``, the embedded stack's).
"""
from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any, List

from fenqi.settings import load_settings, var_dir

EXIT_REFUSED = 1


def _cli() -> Any:
    from fenqi import cli

    return cli


def _models_dir() -> Path:
    return Path(load_settings().models.models_dir)


def _now() -> Any:
    from fenqi import clock

    return clock.utcnow().replace(microsecond=0)


def _training_index(data_dir: Path) -> Any:
    from fenqi.nlp.training_data import evaluation_texts, training_examples

    from .guards import TrainingIndex

    return TrainingIndex(training_examples(data_dir / "nlu"), evaluation_texts())


def cmd_nlu_collect(args: argparse.Namespace) -> int:
    from fenqi.analytics import rollup
    from fenqi.analytics.events import has_events_table
    from fenqi.db.engine import Store

    from . import inbox

    cli = _cli()
    with cli._session():
        pass
    tracker, store = cli._tracker(), Store.open(load_settings().database_url)
    try:
        rollup.refresh(store, tracker, catch_up=True)
        index = _training_index(Path(args.data))
        total = inbox.Collected()
        while True:
            with store.session() as session, tracker.connect() as connection:
                done = inbox.collect(session, connection if has_events_table(tracker) else None, index, _now())
            total.turns += done.turns
            total.sightings += done.sightings
            total.new_items += done.new_items
            total.new_groups += done.new_groups
            if done.turns < inbox.BATCH:
                break
        with store.session() as session:
            counts = inbox.counts(session)
    finally:
        store.close()
        tracker.dispose()
    print(f"inbox: {total.turns} shopper messages looked at, {total.sightings} counted, {total.new_items} new "
          f"messages in {total.new_groups} new groups; open groups {counts.get('open_groups', 0)}, accepted "
          f"{counts.get('accepted', 0)}, blocked {counts.get('blocked', 0)}, exported {counts.get('exported', 0)}")
    return 0


def cmd_nlu_export(args: argparse.Namespace) -> int:
    from .export import export

    data = Path(args.data)
    with _cli()._session() as session:
        done = export(session, _training_index(data), _now(), data / "nlu")
    for path, n in sorted(done.written.items()):
        print(f"{path}: +{n}")
    for text, reason in done.blocked:
        print(f"blocked: {text}  ({reason})")
    print(f"exported {done.total} example(s) into {len(done.written)} file(s); {len(done.blocked)} blocked"
          + ("; next: make validate, review the diff, then train a candidate (make candidate)" if done.total else ""))
    return 0


def _instances(args: argparse.Namespace) -> List[Any]:
    from .rollout import Instance, read_instances

    if args.rasa:
        return [Instance(f"rasa-{i}", url.rstrip("/")) for i, url in enumerate(args.rasa, 1)]
    return read_instances(var_dir())


def _api_token() -> str:
    token = load_settings().deploy.rasa_api_token
    if token:
        return token
    path = var_dir() / "rasa-api-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    raise _cli().CliError("no Rasa API token: set RASA_API_TOKEN (production: var/prod/secrets.env)")


def _store() -> Any:
    from fenqi.db.engine import Store

    with _cli()._session():  # the account store exists and is migrated
        pass
    return Store.open(load_settings().database_url)


def cmd_model_status(args: argparse.Namespace) -> int:
    from . import releases
    from .gate import GateRecord, summary
    from .rollout import serving

    models = _models_dir()
    with _cli()._session() as session:
        live = releases.live_model(session, models)
        rows = [(r.id, r.action, r.model, r.created_at, r.by, r.gate) for r in releases.releases(session, args.last)]
    since = (f"{live.release.created_at:%Y-%m-%d %H:%M:%S} UTC" if live.release else "(no release recorded)")
    print(f"live: {live.path} since {since}")
    for rid, action, model, at, by, gate in rows:
        line = f"  #{rid} {at:%Y-%m-%d %H:%M:%S} UTC {action:<8} {model}  by {by}"
        if gate:
            line += f"  [{summary(GateRecord.from_json(gate))}]"
        print(line)
    token = None
    for instance in _instances(args):
        token = token or _api_token()
        print(f"  {instance.name} {instance.url}: serves {serving(instance, token) or '(not answering)'}")
    return 0


def cmd_model_gate(args: argparse.Namespace) -> int:
    from . import releases
    from .archive import ArchiveError
    from .gate import Tolerance
    from .gating import run_gate
    from .parsing import ParseError

    models = _models_dir()
    if args.live:
        live = Path(args.live)
    else:
        with _cli()._session() as session:
            live = releases.live_model(session, models).path
    tolerance = Tolerance(overall=args.tolerance, per_intent=args.per_intent)
    try:
        result = run_gate(Path(args.model), live, folds=args.folds, tolerance=tolerance,
                          cache=releases.gate_cache(models), log=print)
    except (ArchiveError, ParseError) as exc:
        raise _cli().CliError(str(exc)) from None
    print(result.text, end="")
    path = releases.save_gate_record(models, result.record)
    print(f"gate record: {path}")
    return 0 if result.verdict.passed else EXIT_REFUSED


def _release_errors() -> tuple:
    from .archive import ArchiveError
    from .releases import ReleaseError

    return ReleaseError, ArchiveError


def _instances_or_offline(args: argparse.Namespace) -> List[Any]:
    instances = _instances(args)
    if not instances and not args.offline:
        raise _cli().CliError(f"no running Rasa instance recorded in {var_dir() / 'rasa-instances.json'}: pass "
                              "--rasa URL (each instance), set FENQI_VAR_DIR to the stack's state directory "
                              "(var/prod), or --offline to only record the release for the next start")
    return instances


def _by(args: argparse.Namespace) -> str:
    return args.by or getpass.getuser()


def cmd_model_promote(args: argparse.Namespace) -> int:
    from .promotion import promote

    instances = _instances_or_offline(args)
    store = _store()
    try:
        done = promote(store, _models_dir(), Path(args.model), instances, _api_token() if instances else "",
                       _by(args), _now, log=print)
    except _release_errors() as exc:
        raise _cli().CliError(str(exc)) from None
    finally:
        store.close()
    per = ", ".join(f"{s.instance.name} {s.seconds:.1f} s" for s in done.steps) or "no instance running"
    print(f"promoted {done.model} (was {done.previous}): {per}")
    return 0


def cmd_model_rollback(args: argparse.Namespace) -> int:
    from .promotion import rollback

    instances = _instances_or_offline(args)
    store = _store()
    try:
        done = rollback(store, _models_dir(), instances, _api_token() if instances else "", _by(args), _now, log=print)
    except _release_errors() as exc:
        raise _cli().CliError(str(exc)) from None
    finally:
        store.close()
    per = ", ".join(f"{s.instance.name} {s.seconds:.1f} s" for s in done.steps) or "no instance running"
    print(f"rolled back to {done.model} (was {done.previous}): {per}")
    return 0


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {value}")
    return value


def _folds(text: str) -> int:
    value = int(text)
    if not 2 <= value <= 20:
        raise argparse.ArgumentTypeError(f"must be 2–20: {value}")
    return value


def add_commands(groups: Any) -> None:
    """The ``nlu`` and ``model`` command groups of ``python -m fenqi``."""
    from .crossval import FOLDS
    from .gate import DEFAULT_TOLERANCE

    nlu = groups.add_parser("nlu", help="the NLU inbox and its reviewed training data").add_subparsers(
        dest="action", required=True)
    collect = nlu.add_parser("collect", help="take new shopper messages into the inbox")
    export = nlu.add_parser("export", help="write accepted inbox messages into data/nlu/reviewed/")
    for command, handler in ((collect, cmd_nlu_collect), (export, cmd_nlu_export)):
        command.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "data"), metavar="DIR",
                             help="the data directory (training data in DIR/nlu; default: the project's data/)")
        command.set_defaults(handler=handler)

    model = groups.add_parser("model", help="evaluation gate, promotion and rollback of trained models")
    steps = model.add_subparsers(dest="action", required=True)
    status = steps.add_parser("status", help="the live model, since when, the releases and the instances")
    status.add_argument("--last", type=int, default=10, help="releases to list (default 10)")
    gate = steps.add_parser("gate", help="compare a trained model with the live one and decide")
    gate.add_argument("model", metavar="NEW", help="the candidate archive (e.g. models/candidate.tar.gz)")
    gate.add_argument("--live", metavar="MODEL", help="compare with this archive instead of the live model")
    gate.add_argument("--folds", type=_folds, default=FOLDS, help=f"cross-validation folds (default {FOLDS})")
    gate.add_argument("--tolerance", type=_share, default=DEFAULT_TOLERANCE.overall,
                      help=f"largest loss of a measure's share (default {DEFAULT_TOLERANCE.overall})")
    gate.add_argument("--per-intent", type=_share, default=DEFAULT_TOLERANCE.per_intent,
                      help=f"largest loss of one intent's share (default {DEFAULT_TOLERANCE.per_intent})")
    gate.set_defaults(handler=cmd_model_gate)
    promote = steps.add_parser("promote", help="a gate-passed model on every running instance, one at a time")
    promote.add_argument("model", metavar="NEW")
    rollback = steps.add_parser("rollback", help="every instance back to the model live before")
    for command, handler in ((status, cmd_model_status), (promote, cmd_model_promote), (rollback, cmd_model_rollback)):
        command.add_argument("--rasa", action="append", metavar="URL",
                             help="a Rasa instance (repeatable; default: the supervisor's record)")
        command.set_defaults(handler=handler)
    for command in (promote, rollback):
        command.add_argument("--by", metavar="NAME", help="who releases it (default: the login name)")
        command.add_argument("--offline", action="store_true",
                             help="no instance is running: record the release for the next start only")
