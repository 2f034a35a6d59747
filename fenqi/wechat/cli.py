"""``python -m fenqi.wechat ...``: binding codes for the WeChat channel (demo/operator use).

    code USER_ID [--ttl SECONDS]   print a one-time binding code; the user sends "绑定 <code>"
    unbind OPENID                  remove an OpenID's binding

Uses ``FENQI_DATABASE_URL`` (see fenqi.settings); the account tables must exist
(``python -m fenqi db init``). Failures are one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.settings import ConfigurationError, load_settings

from .binding import CODE_TTL, mint_binding_code, unbind_openid


def _run(action) -> int:
    engine = make_engine(load_settings().database_url)
    try:
        if not inspect(engine).has_table("binding_codes"):
            raise ValueError("the account tables do not exist; run: python -m fenqi db init")
        with session_scope(make_session_factory(engine)) as session:
            return action(session)
    finally:
        engine.dispose()


def cmd_code(args: argparse.Namespace) -> int:
    def action(session):
        code = mint_binding_code(session, args.user_id, ttl=args.ttl)
        print(code)
        print(f"valid {args.ttl // 60} min; in WeChat send: 绑定 {code}", file=sys.stderr)
        return 0
    return _run(action)


def cmd_unbind(args: argparse.Namespace) -> int:
    def action(session):
        removed = unbind_openid(session, args.openid)
        print("unbound" if removed else "no binding for that OpenID")
        return 0
    return _run(action)


def build_parser(prog: str = "python -m fenqi.wechat") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="WeChat channel bindings")
    sub = parser.add_subparsers(dest="command", required=True)
    code = sub.add_parser("code", help="mint a one-time binding code for a user")
    code.add_argument("user_id")
    code.add_argument("--ttl", type=int, default=CODE_TTL, help="seconds the code stays valid")
    code.set_defaults(func=cmd_code)
    unbind = sub.add_parser("unbind", help="remove an OpenID's binding")
    unbind.add_argument("openid")
    unbind.set_defaults(func=cmd_unbind)
    return parser


def main(argv: Optional[List[str]] = None, prog: str = "python -m fenqi.wechat") -> int:
    args = build_parser(prog).parse_args(argv)
    if getattr(args, "ttl", 1) <= 0:
        print("error: --ttl must be positive", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, ConfigurationError, SQLAlchemyError, RuntimeError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"error: {detail}", file=sys.stderr)
        return 2
