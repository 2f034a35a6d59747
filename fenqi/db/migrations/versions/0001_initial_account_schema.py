"""Initial account schema: the tables of fenqi/db/models.py as of the first release.

Frozen: later model changes get their own revision (alembic revision --autogenerate).
Money is NUMERIC(12, 2) and fee rates NUMERIC(8, 6), as fenqi.db.types renders them.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 07:57:50.563481
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner_suspensions',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length(partner) > 0', name='partner_not_empty'),
    sa.PrimaryKeyConstraint('partner')
    )
    op.create_table('policy_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('min_credit_rating', sa.String(length=1), nullable=False),
    sa.CheckConstraint("min_credit_rating IN ('A', 'B', 'C', 'D', 'E')", name='min_rating_valid'),
    sa.CheckConstraint('id = 1', name='single_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('products',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('installment_allowed', sa.Boolean(), nullable=False),
    sa.Column('promotion_restriction', sa.Text(), nullable=True),
    sa.CheckConstraint('length(sku) > 0', name='sku_not_empty'),
    sa.CheckConstraint('price > 0', name='price_positive'),
    sa.PrimaryKeyConstraint('sku')
    )
    op.create_table('region_policies',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length(region) > 0', name='region_not_empty'),
    sa.PrimaryKeyConstraint('region')
    )
    op.create_table('users',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('credit_rating', sa.String(length=1), nullable=False),
    sa.Column('previous_credit_rating', sa.String(length=1), nullable=True),
    sa.Column('account_status', sa.String(length=32), nullable=False),
    sa.Column('identity_verified', sa.Boolean(), nullable=False),
    sa.Column('info_complete', sa.Boolean(), nullable=False),
    sa.CheckConstraint("account_status IN ('active', 'frozen', 'pending_verification')", name='account_status_valid'),
    sa.CheckConstraint("credit_rating IN ('A', 'B', 'C', 'D', 'E')", name='credit_rating_valid'),
    sa.CheckConstraint("previous_credit_rating IS NULL OR previous_credit_rating IN ('A', 'B', 'C', 'D', 'E')", name='previous_credit_rating_valid'),
    sa.CheckConstraint('length(user_id) > 0', name='user_id_not_empty'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('auto_repay',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('binding_codes',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(code) > 0', name='code_not_empty'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('cart_items',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name='quantity_positive'),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'sku')
    )
    op.create_table('credit_lines',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('credit_limit', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('used', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status IN ('active', 'frozen', 'closed')", name='credit_status_valid'),
    sa.CheckConstraint('credit_limit BETWEEN 1000 AND 100000', name='credit_limit_range'),
    sa.CheckConstraint('length(partner) > 0', name='credit_partner_not_empty'),
    sa.CheckConstraint('used >= 0', name='credit_used_not_negative'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('maintenance_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=16), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("service IN ('installment', 'reserve_fund', 'repayment')", name='service_valid'),
    sa.CheckConstraint('end_at > start_at', name='window_ends_after_start'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('orders',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('product_name', sa.String(length=128), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('fee_rate', sa.Numeric(precision=8, scale=6), nullable=False),
    sa.Column('created', sa.Date(), nullable=False),
    sa.CheckConstraint('fee_rate >= 0 AND fee_rate < 1', name='fee_rate_range'),
    sa.CheckConstraint('length(order_id) > 0', name='order_id_not_empty'),
    sa.CheckConstraint('periods BETWEEN 1 AND 60', name='order_periods_range'),
    sa.CheckConstraint('total > 0', name='order_total_positive'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id')
    )
    op.create_table('product_payment_methods',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.CheckConstraint("method IN ('小米分期', '花呗', '信用卡', '银行卡', '微信', '支付宝', '备用金')", name='method_valid'),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sku', 'method')
    )
    op.create_table('product_periods',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('periods', sa.Integer(), autoincrement=False, nullable=False),
    sa.CheckConstraint('periods BETWEEN 1 AND 60', name='periods_range'),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sku', 'periods')
    )
    op.create_table('reserve_funds',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('fund_limit', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('used', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.CheckConstraint("status IN ('active', 'closed', 'risk_hold')", name='reserve_status_valid'),
    sa.CheckConstraint('fund_limit >= 0', name='reserve_limit_not_negative'),
    sa.CheckConstraint('used >= 0', name='reserve_used_not_negative'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('wechat_bindings',
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('bound_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(openid) > 0', name='openid_not_empty'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('openid')
    )
    op.create_table('bills',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('period_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.CheckConstraint('fee >= 0', name='fee_not_negative'),
    sa.CheckConstraint('period_no >= 1', name='period_no_positive'),
    sa.CheckConstraint('principal >= 0', name='principal_not_negative'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'period_no')
    )


def downgrade() -> None:
    op.drop_table('bills')
    op.drop_table('wechat_bindings')
    op.drop_table('reserve_funds')
    op.drop_table('product_periods')
    op.drop_table('product_payment_methods')
    op.drop_table('orders')
    op.drop_table('maintenance_windows')
    op.drop_table('credit_lines')
    op.drop_table('cart_items')
    op.drop_table('binding_codes')
    op.drop_table('auto_repay')
    op.drop_table('users')
    op.drop_table('region_policies')
    op.drop_table('products')
    op.drop_table('policy_settings')
    op.drop_table('partner_suspensions')
