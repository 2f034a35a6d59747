"""Handoff tickets: conversations handed to a human agent (fenqi.handoff), one open per sender.

The action server creates this table on first use in a store that lacks it, so the upgrade
skips it when it is already there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('handoff_tickets'):
        return
    op.create_table('handoff_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('transcript', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name='ticket_status_valid'),
    sa.CheckConstraint("(status = 'open' AND closed_at IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL)",
                       name='ticket_closed_at_matches'),
    sa.CheckConstraint('length(sender_id) > 0', name='ticket_sender_not_empty'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('one_open_ticket_per_sender', 'handoff_tickets', ['sender_id'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index('one_open_ticket_per_sender', table_name='handoff_tickets')
    op.drop_table('handoff_tickets')
