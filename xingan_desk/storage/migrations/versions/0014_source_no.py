"""source_no: the ledger's own number of an imported record (原台账编号), on every kind

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None

# every kind's detail table (records/kind.py SOURCE_NO is a field of every kind)
TABLES = ('consultation', 'enterprise', 'preexam_filing', 'preexam_case', 'mediation',
          'rating', 'mediator', 'patent', 'pledge', 'insurance', 'navigation', 'agency')


def upgrade() -> None:
    for kind in TABLES:
        with op.batch_alter_table(f'{kind}_detail', schema=None) as batch_op:
            batch_op.add_column(sa.Column('source_no', sa.String(length=200), nullable=True))


def downgrade() -> None:
    for kind in reversed(TABLES):
        with op.batch_alter_table(f'{kind}_detail', schema=None) as batch_op:
            batch_op.drop_column('source_no')
