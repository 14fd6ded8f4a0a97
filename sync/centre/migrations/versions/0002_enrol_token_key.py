"""enrol tokens remember the key they were exchanged for

A kiosk whose enrolment reply was lost on the way may ask again with the same token for a few minutes
and gets the same key (sync/centre/enrol.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('enrol_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('enrol_tokens', schema=None) as batch_op:
        batch_op.drop_column('key_id')
