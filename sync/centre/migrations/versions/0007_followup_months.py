"""each hall's follow-up facts counted per due month, window, staff member and kind (the street's
months, quarters and years read them instead of every fact)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('followup_months',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('window_number', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'month', 'window_number', 'staff_id', 'kind',
                            name=op.f('pk_followup_months'))
    )
    with op.batch_alter_table('followup_months', schema=None) as batch_op:
        batch_op.create_index('ix_followup_months_month', ['month'], unique=False)
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.create_index('ix_followup_facts_hall_due', ['hall_id', 'due_date'], unique=False)
    # the facts already stored, counted as day_store.store_followup_months does from now on
    op.execute(
        "INSERT INTO followup_months (hall_id, month, window_number, staff_id, kind, due, on_time) "
        "SELECT hall_id, substr(due_date, 1, 7), window_number, coalesce(staff_id, ''), kind, count(*), "
        "sum(CASE WHEN done_on IS NOT NULL AND done_on <= due_date THEN 1 ELSE 0 END) "
        "FROM followup_facts WHERE due_date IS NOT NULL "
        "GROUP BY hall_id, substr(due_date, 1, 7), window_number, coalesce(staff_id, ''), kind"
    )


def downgrade() -> None:
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_facts_hall_due')
    op.drop_table('followup_months')
