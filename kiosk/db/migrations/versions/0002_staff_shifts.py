"""staff sign-in at a window: shifts, and the staff member on each handling and rating

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_shifts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('window_number', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=16), nullable=False),
    sa.Column('staff_name', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_staff_shift_open', ['window_number', 'ended_at'], unique=False)
    with op.batch_alter_table('handlings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.String(length=16), nullable=True))
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('staff_id')
    with op.batch_alter_table('handlings', schema=None) as batch_op:
        batch_op.drop_column('staff_id')
    op.drop_table('staff_shifts')
