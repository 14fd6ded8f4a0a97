"""keypad presses: how many presses of each keypad were committed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('keypad_presses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presses', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('keypad_presses', schema=None) as batch_op:
        batch_op.drop_column('presses')
