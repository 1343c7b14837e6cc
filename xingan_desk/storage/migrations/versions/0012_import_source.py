"""import_source: the ledger rows an import brought in (re-imports skip them)

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0012'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'import_source',
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('source_key', sa.String(length=80), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('file', sa.String(length=260), nullable=False),
        sa.Column('sheet', sa.String(length=100), nullable=False),
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('imported_by', sa.String(length=50), nullable=False),
        sa.Column('imported_at', xingan_desk.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'source_key', name=op.f('pk_import_source')),
    )
    with op.batch_alter_table('import_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_source_record_id'), ['record_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_source_record_id'))
    op.drop_table('import_source')
