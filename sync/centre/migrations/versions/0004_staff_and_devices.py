"""staff names from sign-ins; kiosks' latest heartbeat and the faults it reported; hall-days whose
figures wait for the refresher

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('hall_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error', sa.String(length=200), nullable=True))
    op.create_table('dirty_days',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('business_date', sa.String(length=10), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'business_date', name=op.f('pk_dirty_days'))
    )
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.create_index('ix_followup_facts_date', ['hall_id', 'business_date'], unique=False)
    op.create_table('staff_members',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'staff_id', name=op.f('pk_staff_members'))
    )
    op.create_table('device_status',
    sa.Column('kiosk_id', sa.String(length=64), nullable=False),
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('skew_seconds', sa.Float(), nullable=True),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.Column('printer_state', sa.String(length=20), nullable=False),
    sa.Column('outbox_backlog', sa.Integer(), nullable=False),
    sa.Column('disk_free_mb', sa.Integer(), nullable=True),
    sa.Column('software_version', sa.String(length=40), nullable=False),
    sa.Column('config_version', sa.String(length=40), nullable=False),
    sa.Column('data', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('kiosk_id', name=op.f('pk_device_status'))
    )
    with op.batch_alter_table('device_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_status_hall_id'), ['hall_id'], unique=False)
    op.create_table('device_faults',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kiosk_id', sa.String(length=64), nullable=False),
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_faults'))
    )
    with op.batch_alter_table('device_faults', schema=None) as batch_op:
        batch_op.create_index('ix_device_faults_open', ['cleared_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hall_days', schema=None) as batch_op:
        batch_op.drop_column('error')
    op.drop_table('dirty_days')
    with op.batch_alter_table('followup_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_facts_date')
    op.drop_table('device_faults')
    op.drop_table('device_status')
    op.drop_table('staff_members')
