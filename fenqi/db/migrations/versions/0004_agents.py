"""Live agent takeover: agent accounts and console sessions, each ticket's takeover state and
its live message log (fenqi.handoff.takeover, console/).

New tables only: ``handoff_tickets`` is left as it is (its partial unique index would not survive
SQLite's table rebuild), the takeover state lives 1:1 beside it in ``ticket_takeovers``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('length(name) > 0', name='agent_name_not_empty'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('agent_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_table('ticket_takeovers',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('served', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_offered', sa.Boolean(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('last_inbound_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'accepted', 'returned', 'closed')", name='takeover_state_valid'),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name='takeover_rating_valid'),
    sa.CheckConstraint("state <> 'accepted' OR agent_id IS NOT NULL", name='takeover_accepted_has_agent'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_table('ticket_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('delivery_error', sa.String(length=64), nullable=True),
    sa.CheckConstraint("author IN ('shopper', 'agent', 'system')", name='ticket_message_author_valid'),
    sa.CheckConstraint("kind IN ('text', 'rating_request')", name='ticket_message_kind_valid'),
    sa.CheckConstraint("delivery IN ('received', 'pending', 'delivered', 'failed')",
                       name='ticket_message_delivery_valid'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ticket_messages_by_ticket', 'ticket_messages', ['ticket_id', 'id'], unique=False)
    op.create_index('ticket_messages_pending', 'ticket_messages', ['delivery', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ticket_messages_pending', table_name='ticket_messages')
    op.drop_index('ticket_messages_by_ticket', table_name='ticket_messages')
    op.drop_table('ticket_messages')
    op.drop_table('ticket_takeovers')
    op.drop_table('agent_sessions')
    op.drop_table('agents')
