"""record_source: the source key of each imported record (idempotent re-import)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'record_source',
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('source_key', sa.String(length=200), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('imported_at', xingan_desk.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'source_key', name=op.f('pk_record_source')),
    )


def downgrade() -> None:
    op.drop_table('record_source')
