"""Instants in UTC (issue 21): every stored point in time becomes UTC; sign-outs are recorded.

Before this revision the store held naive times in the zone of the server that wrote (and
compared) them: upgrade reads each one in the local zone of
the process that migrates (run it on that server, with its ``TZ``; a UTC server changes nothing)
and writes it as UTC, which ``fenqi.db.types.UtcDateTime`` reads back as aware UTC; downgrade
writes UTC back as local time. Column types do not change (``DATETIME`` / ``TIMESTAMP WITHOUT TIME
ZONE`` holding UTC, the same on SQLite and PostgreSQL).

``token_revocations``: a user's sign-out; their tokens issued up to ``revoked_before`` are refused
(``fenqi.identity``, the widget channel).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:00:00
"""
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Tuple

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# table -> (primary key columns, instant columns)
INSTANTS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    'maintenance_windows': (('id',), ('start_at', 'end_at')),
    'wechat_bindings': (('openid',), ('bound_at',)),
    'binding_codes': (('code',), ('expires_at',)),
    'binding_attempts': (('key',), ('window_start',)),
    'handoff_tickets': (('id',), ('created_at', 'closed_at')),
    'agents': (('id',), ('created_at', 'last_seen_at')),
    'agent_sessions': (('token_hash',), ('created_at', 'expires_at')),
    'ticket_takeovers': (('ticket_id',), ('accepted_at', 'ended_at', 'last_inbound_at')),
    'ticket_messages': (('id',), ('created_at', 'delivered_at')),
}


def local_to_utc(value: datetime) -> datetime:
    """A naive local time of this machine as naive UTC (``astimezone`` reads naive as local)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc).astimezone().replace(tzinfo=None)


def _convert(change: Callable[[datetime], datetime]) -> None:
    bind = op.get_bind()
    for name, (keys, columns) in INSTANTS.items():
        table = sa.table(name, *(sa.column(k) for k in keys), *(sa.column(c, sa.DateTime()) for c in columns))
        for row in bind.execute(sa.select(table)).mappings().all():
            values: Dict[str, Optional[datetime]] = {c: change(row[c]) for c in columns if row[c] is not None}
            values = {c: v for c, v in values.items() if v != row[c]}
            if values:
                bind.execute(table.update().where(sa.and_(*(table.c[k] == row[k] for k in keys))).values(**values))


def upgrade() -> None:
    _convert(local_to_utc)
    op.create_table('token_revocations',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('revoked_before', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(user_id) > 0', name='revocation_user_not_empty'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    op.drop_table('token_revocations')
    _convert(utc_to_local)
