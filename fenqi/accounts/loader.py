"""Load accounts (users, products, carts, orders, service status) from YAML into the store.

Everything is validated before anything is written; on any error
:class:`AccountsFileError` is raised and the caller's transaction must be rolled back
(``fenqi.db.engine.session_scope`` does). Loading is an upsert by ids, so loading the
same file twice leaves the same state. Schema: ``docs/accounts.md``.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path as FilePath
from typing import Any, Mapping, Optional, Union

from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.accounts.errors import AccountsFileError
from fenqi.accounts.schema import validate_accounts
from fenqi.accounts.writer import LoadSummary, write_accounts
from fenqi.datafile import Path, YamlDocument, parse_yaml, read_yaml
from fenqi.db import models as m


def load_accounts(session: Session, data: Any, now: Optional[datetime] = None,
                  source: Optional[str] = None,
                  lines: Optional[Mapping[Path, int]] = None) -> LoadSummary:
    """Validate ``data`` (parsed YAML) and upsert it in ``session`` (flushed, not committed).

    Relative dates (``now+2h``, ``today+5d``) resolve against ``now`` (default: local now).
    """
    now = (now or clock.now()).replace(microsecond=0)
    accounts = validate_accounts(
        data, now=now, lines=lines, source=source,
        user_known=lambda user_id: session.get(m.User, user_id) is not None,
        product_known=lambda sku: session.get(m.Product, sku) is not None,
    )
    return write_accounts(session, accounts)


def load_accounts_text(session: Session, text: str, now: Optional[datetime] = None,
                       source: str = "<string>") -> LoadSummary:
    """Like :func:`load_accounts_file` for YAML text."""
    return _load_document(session, parse_yaml(text, source, AccountsFileError), now, source)


def _load_document(session: Session, document: YamlDocument, now: Optional[datetime],
                   source: str) -> LoadSummary:
    return load_accounts(session, document.data, now=now, source=source, lines=document.lines)


def load_accounts_file(session: Session, path: Union[str, FilePath],
                       now: Optional[datetime] = None) -> LoadSummary:
    """Load a YAML accounts file; errors name the file, line and field path."""
    return _load_document(session, read_yaml(path, AccountsFileError), now, str(path))
