"""outbox state index (the status bar counts pending uploads without reading every payload)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 15:30:55.495571
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_state'))
