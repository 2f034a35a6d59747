"""The training loop (issue #20): the NLU inbox (groups of near-identical shopper messages, the
masked messages, which tracker message was which, its cursor) and the model releases (which model
is live, the one before it, the gate record it was promoted with).

Only new tables. This branch builds on 0008 (analytics: the inbox reads its rollup and the
trainer role); the lead re-chains it after the revisions of main.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:02:27
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('model', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('gate', sa.JSON(), nullable=True),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rollout', sa.JSON(), nullable=True),
    sa.CheckConstraint("action IN ('baseline', 'promote', 'rollback')", name='model_release_action_valid'),
    sa.ForeignKeyConstraint(['previous_id'], ['model_releases.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('nlu_inbox_cursor',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_turn_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = 1', name='nlu_inbox_cursor_single_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('nlu_inbox_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('question', sa.String(length=64), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("decision IN ('open', 'confirmed', 'relabelled', 'out_of_scope', 'discarded')", name='inbox_decision_valid'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('nlu_inbox_groups_by_decision', 'nlu_inbox_groups', ['decision', 'id'], unique=False)
    op.create_table('nlu_inbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('margin', sa.Float(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=True),
    sa.Column('question_confidence', sa.Float(), nullable=True),
    sa.Column('seen', sa.Integer(), nullable=False),
    sa.Column('fallbacks', sa.Integer(), nullable=False),
    sa.Column('clarified', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('personal', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('exported_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('new', 'accepted', 'blocked', 'discarded', 'exported')", name='inbox_state_valid'),
    sa.ForeignKeyConstraint(['group_id'], ['nlu_inbox_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('nlu_inbox_items_by_group', 'nlu_inbox_items', ['group_id'], unique=False)
    op.create_index('nlu_inbox_items_by_state', 'nlu_inbox_items', ['state', 'id'], unique=False)
    op.create_table('nlu_inbox_sightings',
    sa.Column('turn_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['nlu_inbox_items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('turn_id')
    )
    op.create_index('nlu_inbox_sightings_by_item', 'nlu_inbox_sightings', ['item_id'], unique=False)


def downgrade() -> None:
    op.drop_index('nlu_inbox_sightings_by_item', table_name='nlu_inbox_sightings')
    op.drop_table('nlu_inbox_sightings')
    op.drop_index('nlu_inbox_items_by_state', table_name='nlu_inbox_items')
    op.drop_index('nlu_inbox_items_by_group', table_name='nlu_inbox_items')
    op.drop_table('nlu_inbox_items')
    op.drop_index('nlu_inbox_groups_by_decision', table_name='nlu_inbox_groups')
    op.drop_table('nlu_inbox_groups')
    op.drop_table('nlu_inbox_cursor')
    op.drop_table('model_releases')
