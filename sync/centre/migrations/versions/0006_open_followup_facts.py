"""a partial index of the follow-up facts not done yet (the night page counts the overdue ones among a
street's years of facts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.create_index('ix_followup_facts_open_due', ['due_date'], unique=False,
                              postgresql_where=sa.text('done_on IS NULL'),
                              sqlite_where=sa.text('done_on IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_facts_open_due')
