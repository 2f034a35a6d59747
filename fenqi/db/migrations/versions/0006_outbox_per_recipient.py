"""Outbox per recipient (issue #21): the widget's outbox reads only the pending messages of the
shoppers connected to a process, so it finds their tickets by sender and their pending messages by
ticket through indexes, never by scanning what waits for shoppers who left.

Indexes only, no table rebuild (``handoff_tickets``' partial unique index stays as it is).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('handoff_tickets_by_sender', 'handoff_tickets', ['sender_id', 'id'], unique=False)
    op.create_index('ticket_messages_pending_by_ticket', 'ticket_messages', ['ticket_id', 'delivery', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ticket_messages_pending_by_ticket', table_name='ticket_messages')
    op.drop_index('handoff_tickets_by_sender', table_name='handoff_tickets')
