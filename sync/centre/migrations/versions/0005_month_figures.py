"""each hall's stored figures added up per calendar month (the street's months, quarters and years read
them instead of every hall-day's)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_COUNTS = ['issued', 'called', 'finished', 'no_show', 'removed', 'rated', 'satisfied', 'dissatisfied',
           'unrated', 'ignored_presses', 'materials_incomplete', 'promised', 'print_failures',
           'level_1', 'level_2', 'level_3', 'level_4', 'level_5']
_SUMS = ['wait_n', 'wait_sum_s', 'service_n', 'service_sum_s']


def upgrade() -> None:
    op.create_table('month_figures',
    sa.Column('hall_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    *[sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS],
    sa.Column('wait_n', sa.Integer(), nullable=False),
    sa.Column('wait_sum_s', sa.Float(), nullable=False),
    sa.Column('service_n', sa.Integer(), nullable=False),
    sa.Column('service_sum_s', sa.Float(), nullable=False),
    sa.Column('wait_p90_s', sa.Float(), nullable=True),
    sa.Column('service_p90_s', sa.Float(), nullable=True),
    sa.Column('wait_hist', _JSON, nullable=False),
    sa.Column('service_hist', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('hall_id', 'month', 'scope', 'key', name=op.f('pk_month_figures'))
    )
    with op.batch_alter_table('month_figures', schema=None) as batch_op:
        batch_op.create_index('ix_month_figures_month_scope', ['month', 'scope'], unique=False)
    _backfill()


def _backfill() -> None:
    """The months already stored, added up from their hall-day rows as day_store.store_months does from
    now on; written out here so that this revision never changes with the models."""
    bind = op.get_bind()
    cols = ['hall_id', 'business_date', 'scope', 'key', *_COUNTS, *_SUMS, 'wait_p90_s', 'service_p90_s',
            'wait_hist', 'service_hist']
    months: dict[tuple[str, str, str, str], dict] = {}
    for r in bind.execute(sa.text(f"SELECT {', '.join(cols)} FROM day_figures")).mappings():
        k = (r['hall_id'], r['business_date'][:7], r['scope'], r['key'])
        m = months.get(k)
        if m is None:
            m = months[k] = {'hall_id': k[0], 'month': k[1], 'scope': k[2], 'key': k[3], 'days': 0,
                             **dict.fromkeys(_COUNTS, 0), **dict.fromkeys(_SUMS, 0),
                             'wait_p90_s': r['wait_p90_s'], 'service_p90_s': r['service_p90_s'],
                             'wait_hist': {}, 'service_hist': {}}
        m['days'] += 1
        for c in (*_COUNTS, *_SUMS):
            m[c] += r[c] or 0
        for name in ('wait_hist', 'service_hist'):
            hist = r[name]
            if isinstance(hist, str):  # SQLite hands JSON back as text to a plain query
                hist = json.loads(hist)
            for b, n in (hist or {}).items():
                m[name][int(b)] = m[name].get(int(b), 0) + int(n)
    out = []
    for m in months.values():
        if m['days'] > 1:
            m['wait_p90_s'] = m['service_p90_s'] = None
        for name in ('wait_hist', 'service_hist'):
            m[name] = {str(b): m[name][b] for b in sorted(m[name])}
        out.append(m)
    if not out:
        return
    table = sa.table('month_figures', *[sa.column(c, _JSON if c.endswith('_hist') else None) for c in out[0]])
    for i in range(0, len(out), 500):
        op.bulk_insert(table, out[i : i + 500])


def downgrade() -> None:
    op.drop_table('month_figures')
