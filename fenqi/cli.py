"""Command line for operators and demos: ``python -m fenqi ...``.

    db init                      create or upgrade the account schema (alembic upgrade head)
    db seed-demo                 load (refresh) the packaged demo accounts
    db seed-demo-history         a week of made-up conversations, tickets and ratings for the lead's
                                 pages (replaces the previous one; --if-stale: only if not from today)
    analytics refresh            fold the tracker events stored since the last refresh into the rollup
    analytics rebuild            empty the analytics rollup and fold every stored event again
    accounts load FILE.yml       load accounts from a YAML file (docs/accounts.md)
    users list                   list users
    token USER_ID [--ttl S]      print a signed user token (JWT; at most FENQI_TOKEN_MAX_TTL seconds)
    sign-out USER_ID             refuse every token of the user issued until now (all channels, devices)
    tickets list [--all]         human-handoff tickets: open ones in queue order (or all)
    tickets show ID              one ticket with its (masked) transcript
    tickets close ID             close a ticket (the bot answers that sender normally again)
    agents add NAME [--role R]   a console agent; password from a prompt (or one line on stdin);
                                 roles: lead (analytics, conversation review), trainer
    agents grant NAME ROLE       give an agent a role (revoke NAME ROLE takes it away)
    agents list                  console agents with their roles
    nlu collect | export         the NLU inbox: take new shopper messages in; write the accepted ones
                                 to data/nlu/reviewed/ (fenqi/training/commands.py)
    model status | gate NEW | promote NEW | rollback
                                 the live model; compare a candidate with it; make it live on every
                                 running Rasa instance; return to the one before (docs/training-loop.md)
    data purge [--dry-run]       remove what is older than FENQI_RETENTION_DAYS (conversations,
                                 tickets, takeover messages, log files); counts per kind
    data export USER_ID [-o F]   everything held about one user as JSON (masked; docs/security.md)
    data erase USER_ID [--yes]   erase one user's conversation data (trackers, tickets, bindings)

The database comes from ``FENQI_DATABASE_URL``, the tracker store (``data``) from
``FENQI_TRACKER_URL`` (see fenqi.settings). Any failure is one
line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator, List, Optional

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.accounts.demo import seed_demo
from fenqi.accounts.errors import AccountsFileError
from fenqi.accounts.loader import load_accounts_file
from fenqi.accounts.repository import list_users, user_exists
from fenqi.db.engine import make_engine, make_session_factory, session_scope, sqlite_file
from fenqi.db.migrations import upgrade
from fenqi.db.models import AGENT_ROLES, Base
from fenqi.handoff.tickets import (
    TicketNotFound,
    close_ticket,
    get_ticket,
    list_tickets,
    queue_position,
)
from fenqi.identity import issue_token
from fenqi.settings import ConfigurationError, load_settings, var_dir
from fenqi.signout import sign_out

EXIT_ERROR = 2


class CliError(Exception):
    """A failure to report as one line."""


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<invalid URL>"


def _migrate(url: str) -> None:
    """``alembic upgrade head``: the one way the schema is made (an unversioned older store is adopted)."""
    try:
        upgrade(url)
    except ImportError as exc:
        raise CliError(f"database driver not installed for {_safe_url(url)}: {exc}") from exc
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError(f"database {_safe_url(url)}: {detail}") from exc


@contextmanager
def _session(create_tables: bool = False) -> Iterator[Session]:
    """A session on the configured database (migrated to head on request, else required to be)."""
    url = load_settings().database_url
    try:
        engine = make_engine(url)
    except ImportError as exc:
        raise CliError(f"database driver not installed for {_safe_url(url)}: {exc}") from exc
    except OSError as exc:
        raise CliError(f"cannot create the database directory for {_safe_url(url)}: "
                       f"{exc.strerror or exc}") from exc
    try:
        if create_tables:
            _migrate(url)
        elif not inspect(engine).has_table("users"):
            raise CliError(f"database {_safe_url(url)} has no account tables; "
                           "run: python -m fenqi db init")
        elif set(Base.metadata.tables) - set(inspect(engine).get_table_names()):
            missing = sorted(set(Base.metadata.tables) - set(inspect(engine).get_table_names()))
            raise CliError(f"database {_safe_url(url)} lacks {', '.join(missing)} (an older schema); "
                           "run: python -m fenqi db init")
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError(f"database {_safe_url(url)}: {detail}") from exc
    finally:
        engine.dispose()


def cmd_db_init(args: argparse.Namespace) -> int:
    with _session(create_tables=True):
        pass
    print(f"database ready: {_safe_url(load_settings().database_url)}")
    return 0


def cmd_db_seed_demo(args: argparse.Namespace) -> int:
    with _session(create_tables=True) as session:
        summary = seed_demo(session)
    print(f"loaded demo accounts: {summary}")
    return 0


def _tracker():
    """The tracker store (``FENQI_TRACKER_URL``) as an engine; the caller disposes of it."""
    url = load_settings().tracker_url
    try:
        return make_engine(url)
    except ImportError as exc:
        raise CliError(f"database driver not installed for {_safe_url(url)}: {exc}") from exc


def cmd_db_seed_demo_history(args: argparse.Namespace) -> int:
    from fenqi import clock
    from fenqi.analytics import demo, rollup
    from fenqi.db.engine import Store

    tracker = _tracker()
    try:
        today = clock.today()
        if args.if_stale and demo.newest_demo_day(tracker) == today:
            print("demo history is from today already")
            return 0
        with _session(create_tables=True) as session:
            removed = demo.remove_demo_history(session, tracker)
        events = tickets = 0
        until = clock.utcnow()
        store = Store.open(load_settings().database_url)
        try:
            for history in demo.generate(today - timedelta(days=args.days - 1), args.days, args.per_day, until=until):
                demo.write_events(tracker, history.rows)
                with store.session() as session:
                    demo.write_tickets(session, history.tickets)
                events, tickets = events + len(history.rows), tickets + len(history.tickets)
            # SQLite hands the deleted events' ids out again: fold everything anew (reviews stay)
            progress = rollup.rebuild(store, tracker)
        finally:
            store.close()
    finally:
        tracker.dispose()
    (var_dir() / demo.STAMP).write_text(today.isoformat(), encoding="utf-8")
    print(f"demo history: {events} tracker events ({args.days} days), {tickets} tickets"
          f" (replaced {removed} events); analytics rollup rebuilt ({progress.events} events)")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    from fenqi.analytics import rollup
    from fenqi.db.engine import Store

    with _session():  # the account store exists and is migrated
        pass
    tracker, store = _tracker(), Store.open(load_settings().database_url)
    try:
        if args.action == "rebuild":
            progress = rollup.rebuild(store, tracker)
        else:
            progress = rollup.refresh(store, tracker, catch_up=True)
    finally:
        store.close()
        tracker.dispose()
    print(f"analytics: folded {progress.events} events, {progress.tickets} tickets; "
          f"at event {progress.last_event_id} of {progress.newest_event_id}")
    return 0


def cmd_accounts_load(args: argparse.Namespace) -> int:
    with _session(create_tables=True) as session:
        summary = load_accounts_file(session, args.file)
    print(f"loaded {summary} from {args.file}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    with _session() as session:
        users = list_users(session)
    if not users:
        print("no users yet (try: python -m fenqi db seed-demo)")
    for u in users:
        print("\t".join((u.user_id, u.name, u.region, u.credit_rating, u.account_status)))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not args.allow_unknown:
        with _session() as session:
            if not user_exists(session, args.user_id):
                raise CliError(f"unknown user {args.user_id!r} (use --allow-unknown to mint anyway)")
    ttl = args.ttl if args.ttl is not None else settings.token_ttl
    if ttl > settings.identity.token_max_ttl:
        raise CliError(f"--ttl {ttl} exceeds FENQI_TOKEN_MAX_TTL ({settings.identity.token_max_ttl} s): "
                       "such a token would be refused")
    print(issue_token(args.user_id, settings.jwt_secret, ttl=ttl))
    return 0


def cmd_sign_out(args: argparse.Namespace) -> int:
    with _session() as session:
        sign_out(session, args.user_id)
    print(f"signed out {args.user_id}: tokens issued until now are refused; open widget pages are "
          "told to sign in again at their next message or delivery")
    return 0


def _when(value: Optional[datetime]) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def cmd_tickets_list(args: argparse.Namespace) -> int:
    with _session() as session:
        tickets = list_tickets(session, include_closed=args.all)
        rows = [(t, queue_position(session, t) if t.status == "open" else None) for t in tickets]
    if not rows:
        print("no open tickets" if not args.all else "no tickets yet")
    for t, position in rows:
        queue = f"queue {position}" if position else f"closed {_when(t.closed_at)}"
        print("\t".join((f"#{t.id}", t.status, queue, _when(t.created_at), t.user_id or "-",
                         t.channel or "-", t.sender_id, t.summary or "-")))
    return 0


def cmd_tickets_show(args: argparse.Namespace) -> int:
    with _session() as session:
        t = _ticket(session, args.ticket_id)
        position = queue_position(session, t) if t.status == "open" else None
    print(f"ticket #{t.id}  {t.status}" + (f" (queue {position})" if position else ""))
    for label, value in (("created", _when(t.created_at)), ("closed", _when(t.closed_at)),
                         ("user", t.user_id or "- (not verified)"), ("channel", t.channel or "-"),
                         ("sender", t.sender_id), ("summary", t.summary or "-")):
        print(f"{label + ':':9}{value}")
    for turn in t.transcript or []:
        print(f"  {'用户' if turn.get('speaker') == 'user' else '助手'}: {turn.get('text', '')}")
    return 0


def cmd_tickets_close(args: argparse.Namespace) -> int:
    from fenqi.handoff import live
    from fenqi.handoff.takeover import ACCEPTED, Close

    with _session() as session:
        current = live.takeover_state(session, _ticket(session, args.ticket_id))
        if current.state == ACCEPTED:
            raise CliError(f"ticket #{args.ticket_id} is being served by an agent; "
                           "they close it in the console")
        now = clock.now().replace(microsecond=0)
        if current.is_open:  # queued: closed through the takeover machine (state and status)
            live.transition(session, args.ticket_id, Close(None), now)
        ticket, _ = close_ticket(session, args.ticket_id, now)
        changed = current.is_open
    print(f"closed ticket #{ticket.id}" if changed else f"ticket #{ticket.id} was already closed "
          f"({_when(ticket.closed_at)})")
    return 0


def _read_password() -> str:
    """The new agent's password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def cmd_agents_add(args: argparse.Namespace) -> int:
    from fenqi.handoff.agents import AgentError, add_agent, check_name, check_role

    roles = args.role or []
    try:
        check_name(args.name)
        for role in roles:
            check_role(role)
        password = _read_password()
        with _session() as session:
            agent = add_agent(session, args.name, password, clock.now().replace(microsecond=0), roles)
            agent_id = agent.id
    except AgentError as exc:
        raise CliError(str(exc)) from None
    print(f"agent {args.name} added (id {agent_id})" + (f", roles: {', '.join(sorted(set(roles)))}" if roles else ""))
    return 0


def cmd_agents_role(args: argparse.Namespace) -> int:
    from fenqi.handoff.agents import AgentError, grant_role, revoke_role

    grant = args.action == "grant"
    try:
        with _session() as session:
            changed = (grant_role if grant else revoke_role)(session, args.name, args.role)
    except AgentError as exc:
        raise CliError(str(exc)) from None
    if grant:
        print(f"agent {args.name} now has role {args.role}" if changed else f"agent {args.name} had role {args.role} already")
    else:
        print(f"agent {args.name} no longer has role {args.role}" if changed
              else f"agent {args.name} did not have role {args.role}")
    return 0


def cmd_agents_list(args: argparse.Namespace) -> int:
    from fenqi.handoff.agents import list_agents, roles_of

    with _session() as session:
        agents = [(a, roles_of(session, a.id)) for a in list_agents(session)]
    if not agents:
        print("no agents yet (add one: python -m fenqi agents add NAME)")
    for a, roles in agents:
        print("\t".join((str(a.id), a.name, "active" if a.active else "disabled", ",".join(sorted(roles)) or "-",
                         _when(a.last_seen_at))))
    return 0


@contextmanager
def _tracker_engine() -> Iterator[Optional[Engine]]:
    """Rasa's tracker store (``FENQI_TRACKER_URL``), or None while it does not exist yet."""
    url = load_settings().tracker_url
    path = sqlite_file(url)
    if path is not None and not path.exists():
        yield None
        return
    try:
        engine = make_engine(url)
    except ImportError as exc:
        raise CliError(f"database driver not installed for {_safe_url(url)}: {exc}") from exc
    try:
        yield engine
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError(f"tracker store {_safe_url(url)}: {detail}") from exc
    finally:
        engine.dispose()


def cmd_data_purge(args: argparse.Namespace) -> int:
    from fenqi.lifecycle.purge import cutoff_for, purge

    settings = load_settings()
    cutoff = cutoff_for(settings.retention.retention_days)
    with _session() as session, _tracker_engine() as trackers:
        report = purge(session, trackers, var_dir() / "log", cutoff, dry_run=args.dry_run)
        if args.dry_run:
            session.rollback()
    print(f"retention {settings.retention.retention_days} days, " + "\n".join(report.lines()))
    return 0


def cmd_data_export(args: argparse.Namespace) -> int:
    from fenqi.lifecycle.subject_data import export_user

    with _session() as session, _tracker_engine() as trackers:
        data = export_user(session, trackers, args.user_id)
    if data is None:
        raise CliError(f"unknown user {args.user_id!r}")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"exported {args.user_id} to {args.output}: " + ", ".join(
        f"{key} {len(value)}" for key, value in data.items() if isinstance(value, list)), file=sys.stderr)
    return 0


def _confirmed(question: str) -> bool:
    print(question, end=" ", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def cmd_data_erase(args: argparse.Namespace) -> int:
    from fenqi.lifecycle.subject_data import erase_user

    with _session() as session, _tracker_engine() as trackers:
        plan = erase_user(session, trackers, args.user_id, dry_run=True)
        session.rollback()
        if not plan.user_known:
            print(f"note: no account {args.user_id!r}; erasing what is still linked to that id")
        if args.dry_run:
            print("\n".join(plan.lines()))
            return 0
        if not args.yes:
            print("\n".join(plan.lines()).replace("would erase:", f"this erases, for {args.user_id}:"))
            if not _confirmed("erase? [y/N]"):
                print("nothing erased")
                return 1
        report = erase_user(session, trackers, args.user_id)
    print("\n".join(report.lines()))
    return 0


def _ticket(session: Session, ticket_id: int):
    try:
        return get_ticket(session, ticket_id)
    except TicketNotFound:
        raise CliError(f"unknown ticket id {ticket_id} (see: python -m fenqi tickets list --all)") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value}")
    return value


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        value = _positive_int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}–{high}: {value}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fenqi", description="分期助手 account store tools")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    db = groups.add_parser("db", help="database setup").add_subparsers(dest="action", required=True)
    db.add_parser("init", help="create the tables").set_defaults(handler=cmd_db_init)
    db.add_parser("seed-demo", help="load the demo accounts").set_defaults(handler=cmd_db_seed_demo)
    history = db.add_parser("seed-demo-history", help="made-up conversations, tickets and ratings (analytics demo)")
    history.add_argument("--if-stale", action="store_true", help="do nothing when the demo history is from today")
    history.add_argument("--days", type=_bounded(1, 366), default=7, help="business days, ending today (default 7)")
    history.add_argument("--per-day", type=_bounded(1, 5000), default=25,
                         help="conversations a day (about; default 25)")
    history.set_defaults(handler=cmd_db_seed_demo_history)

    analytics = groups.add_parser("analytics", help="the analytics rollup of the tracker's events")
    steps = analytics.add_subparsers(dest="action", required=True)
    steps.add_parser("refresh", help="fold the events stored since the last refresh").set_defaults(handler=cmd_analytics)
    steps.add_parser("rebuild", help="empty the rollup and fold every event again").set_defaults(handler=cmd_analytics)

    accounts = groups.add_parser("accounts", help="account data").add_subparsers(dest="action", required=True)
    load = accounts.add_parser("load", help="load accounts from a YAML file")
    load.add_argument("file", metavar="FILE.yml")
    load.set_defaults(handler=cmd_accounts_load)

    users = groups.add_parser("users", help="users").add_subparsers(dest="action", required=True)
    users.add_parser("list", help="list users").set_defaults(handler=cmd_users_list)

    token = groups.add_parser("token", help="print a signed token for a user")
    token.add_argument("user_id", metavar="USER_ID")
    token.add_argument("--ttl", type=_positive_int, metavar="SECONDS",
                       help="lifetime in seconds (default: FENQI_TOKEN_TTL or 3600)")
    token.add_argument("--allow-unknown", action="store_true",
                       help="mint a token even if the user is not in the database")
    token.set_defaults(handler=cmd_token)
    signing_out = groups.add_parser("sign-out", help="refuse every token of a user issued until now")
    signing_out.add_argument("user_id", metavar="USER_ID")
    signing_out.set_defaults(handler=cmd_sign_out)
    tickets = groups.add_parser("tickets", help="human-handoff tickets").add_subparsers(dest="action",
                                                                                      required=True)
    listing = tickets.add_parser("list", help="open tickets in queue order")
    listing.add_argument("--all", action="store_true", help="closed tickets too")
    listing.set_defaults(handler=cmd_tickets_list)
    for name, handler, what in (("show", cmd_tickets_show, "show a ticket and its transcript"),
                                ("close", cmd_tickets_close, "close a ticket")):
        command = tickets.add_parser(name, help=what)
        command.add_argument("ticket_id", type=_positive_int, metavar="ID")
        command.set_defaults(handler=handler)

    agents = groups.add_parser("agents", help="console agents").add_subparsers(dest="action", required=True)
    adding = agents.add_parser("add", help="add an agent (password from a prompt or stdin, never argv)")
    adding.add_argument("name", metavar="NAME")
    adding.add_argument("--role", action="append", choices=AGENT_ROLES,
                        help="a role to give (repeatable): lead = analytics and conversation review")
    adding.set_defaults(handler=cmd_agents_add)
    for name, what in (("grant", "give an agent a role"), ("revoke", "take a role from an agent")):
        change = agents.add_parser(name, help=what)
        change.add_argument("name", metavar="NAME")
        change.add_argument("role", metavar="ROLE", choices=AGENT_ROLES)
        change.set_defaults(handler=cmd_agents_role)
    agents.add_parser("list", help="list agents").set_defaults(handler=cmd_agents_list)

    data = groups.add_parser("data", help="personal data lifecycle (PIPL)").add_subparsers(dest="action",
                                                                                          required=True)
    purging = data.add_parser("purge", help="remove what is older than FENQI_RETENTION_DAYS")
    purging.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    purging.set_defaults(handler=cmd_data_purge)
    exporting = data.add_parser("export", help="everything held about one user, as JSON (masked)")
    exporting.add_argument("user_id", metavar="USER_ID")
    exporting.add_argument("-o", "--output", metavar="FILE", help="write to FILE (mode 600) instead of stdout")
    exporting.set_defaults(handler=cmd_data_export)
    erasing = data.add_parser("erase", help="erase one user's conversation data")
    erasing.add_argument("user_id", metavar="USER_ID")
    erasing.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erasing.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    erasing.set_defaults(handler=cmd_data_erase)

    from fenqi.training.commands import add_commands

    add_commands(groups)  # nlu collect|export, model status|gate|promote|rollback (the training loop)
    groups.add_parser("wechat", help="WeChat binding codes (python -m fenqi wechat --help)", add_help=False)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["wechat"]:  # WeChat binding codes: its own small CLI
        from fenqi.wechat.cli import main as wechat_main
        return wechat_main(argv[1:], prog="python -m fenqi wechat")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (CliError, AccountsFileError, ConfigurationError) as exc:
        message = str(exc)
    except SQLAlchemyError as exc:
        message = f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
    except OSError as exc:
        message = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    except KeyboardInterrupt:
        return 130
    print(f"fenqi: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_ERROR
