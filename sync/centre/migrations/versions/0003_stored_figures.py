"""stored figures: per hall-day figures, the night page's extras, follow-up due/done facts

Pages and period reports read these instead of recomputing every hall's figures from the snapshots
(sync/centre/day_store.py writes them on ingest and close of day). Existing data is backfilled by
``street-centre refresh-figures``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_COUNTS = (
    'issued', 'called', 'finished', 'no_show', 'removed', 'rated', 'satisfied', 'dissatisfied', 'unrated',
    'ignored_presses', 'materials_incomplete', 'promised', 'print_failures',
    'level_1', 'level_2', 'level_3', 'level_4', 'level_5',
)


def upgrade() -> None:
    op.create_table('day_figures',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('business_date', sa.String(length=10), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    *[sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS],
    sa.Column('wait_n', sa.Integer(), nullable=False),
    sa.Column('wait_sum_s', sa.Float(), nullable=False),
    sa.Column('service_n', sa.Integer(), nullable=False),
    sa.Column('service_sum_s', sa.Float(), nullable=False),
    sa.Column('wait_mean_s', sa.Float(), nullable=True),
    sa.Column('wait_p90_s', sa.Float(), nullable=True),
    sa.Column('service_mean_s', sa.Float(), nullable=True),
    sa.Column('service_p90_s', sa.Float(), nullable=True),
    sa.Column('evaluation_rate', sa.Float(), nullable=True),
    sa.Column('satisfaction_rate', sa.Float(), nullable=True),
    sa.Column('wait_hist', _JSON, nullable=False),
    sa.Column('service_hist', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'business_date', 'scope', 'key', name=op.f('pk_day_figures'))
    )
    with op.batch_alter_table('day_figures', schema=None) as batch_op:
        batch_op.create_index('ix_day_figures_date_scope', ['business_date', 'scope'], unique=False)

    op.create_table('hall_days',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('business_date', sa.String(length=10), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('matches_kiosk', sa.Boolean(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hourly', _JSON, nullable=False),
    sa.Column('service_names', _JSON, nullable=False),
    sa.Column('dissatisfied', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'business_date', name=op.f('pk_hall_days'))
    )
    with op.batch_alter_table('hall_days', schema=None) as batch_op:
        batch_op.create_index('ix_hall_days_date', ['business_date'], unique=False)

    op.create_table('followup_facts',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('business_date', sa.String(length=10), nullable=False),
    sa.Column('due_date', sa.String(length=10), nullable=True),
    sa.Column('window_number', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('done_on', sa.String(length=10), nullable=True),
    sa.PrimaryKeyConstraint('hall_id', 'id', name=op.f('pk_followup_facts'))
    )
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.create_index('ix_followup_facts_due', ['due_date'], unique=False)
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_date', ['business_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_date')
    op.drop_table('followup_facts')
    op.drop_table('hall_days')
    op.drop_table('day_figures')
