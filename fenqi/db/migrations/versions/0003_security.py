"""Binding-attempt counters (issue #11): atomic per-OpenID / per-code / global limits in the store.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('binding_attempts'):
        return
    op.create_table('binding_attempts',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint('attempts >= 0', name='attempts_not_negative'),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('binding_attempts')
