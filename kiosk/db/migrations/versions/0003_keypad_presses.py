"""keypad presses: the last committed frame of each keypad, to acknowledge resends after a restart

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keypad_presses',
    sa.Column('bus', sa.String(length=64), nullable=False),
    sa.Column('address', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('frame', sa.String(length=64), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bus', 'address')
    )


def downgrade() -> None:
    op.drop_table('keypad_presses')
