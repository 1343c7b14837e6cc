"""league_calendar_day: the League's holiday-table entries, synced to every window

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:50:55.418816
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('league_calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('hlc', sa.String(length=48), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('updated_at', xingan_desk.storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_league_calendar_day'))
    )


def downgrade() -> None:
    op.drop_table('league_calendar_day')
