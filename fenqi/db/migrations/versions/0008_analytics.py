"""Analytics and conversation review (issue #19): agent roles, the handoff reason, the analytics
rollup of the tracker's events and the leads' conversation reviews.

``handoff_tickets`` only gains a nullable column (ALTER TABLE ADD COLUMN: no SQLite table rebuild,
so its partial unique index stays). Instants (``*_at``, ``events_until``) are the models'
``fenqi.db.types.UtcDateTime``: a plain ``DATETIME`` / ``TIMESTAMP WITHOUT TIME ZONE`` holding UTC,
declared ``sa.DateTime()`` here as revision 0005 does.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('handoff_tickets', sa.Column('reason', sa.String(length=16), nullable=True))
    op.create_table('agent_roles',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('lead', 'trainer')", name='agent_role_valid'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'role')
    )
    op.create_table('analytics_conversations',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('open_turn_id', sa.Integer(), nullable=True),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('fallbacks', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('analytics_conversations_by_day', 'analytics_conversations', ['day', 'channel'], unique=False)
    op.create_index('analytics_conversations_by_sender', 'analytics_conversations', ['sender_id', 'id'],
                    unique=False)
    op.create_table('analytics_turns',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('guess', sa.String(length=64), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=True),
    sa.Column('question', sa.Boolean(), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('clarified', sa.Boolean(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['analytics_conversations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('analytics_turns_by_day', 'analytics_turns', ['day', 'channel'], unique=False)
    op.create_index('analytics_turns_by_conversation', 'analytics_turns', ['conversation_id', 'intent'],
                    unique=False)
    op.create_table('analytics_cursor',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('last_ticket_id', sa.Integer(), nullable=False),
    sa.Column('horizon_event_id', sa.Integer(), nullable=False),
    sa.Column('horizon_at', sa.DateTime(), nullable=True),
    sa.Column('events_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = 1', name='analytics_cursor_single_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('conversation_reviews',
    sa.Column('conversation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('conversation_id')
    )


def downgrade() -> None:
    op.drop_table('conversation_reviews')
    op.drop_table('analytics_cursor')
    op.drop_index('analytics_turns_by_conversation', table_name='analytics_turns')
    op.drop_index('analytics_turns_by_day', table_name='analytics_turns')
    op.drop_table('analytics_turns')
    op.drop_index('analytics_conversations_by_sender', table_name='analytics_conversations')
    op.drop_index('analytics_conversations_by_day', table_name='analytics_conversations')
    op.drop_table('analytics_conversations')
    op.drop_table('agent_roles')
    op.drop_column('handoff_tickets', 'reason')  # SQLite >= 3.35 drops a column in place
