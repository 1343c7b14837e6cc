"""covering indexes for newest-first lists: (kind, created_at, id, voided), (created_at, id, voided)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:45:58.740406
"""

from __future__ import annotations

from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX (no batch table copy: the record table can be large).
    op.drop_index('ix_record_kind_created', table_name='record')
    op.create_index('ix_record_kind_created', 'record', ['kind', 'created_at', 'id', 'voided'],
                    unique=False)
    op.create_index('ix_record_created', 'record', ['created_at', 'id', 'voided'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_record_created', table_name='record')
    op.drop_index('ix_record_kind_created', table_name='record')
    op.create_index('ix_record_kind_created', 'record', ['kind', 'created_at'], unique=False)
