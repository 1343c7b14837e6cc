"""attachments: files attached to records (metadata; content beside the store)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('material', sa.String(length=100), nullable=True),
    sa.Column('mime', sa.String(length=40), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', xingan_desk.storage.types.UTCDateTime(), nullable=False),
    sa.Column('hlc', sa.String(length=48), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('void_reason', sa.String(length=300), nullable=True),
    sa.Column('voided_by', sa.String(length=50), nullable=True),
    sa.Column('voided_at', xingan_desk.storage.types.UTCDateTime(), nullable=True),
    sa.Column('have_content', sa.Boolean(), nullable=False),
    sa.Column('sync_state', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sync_state'), ['sync_state'], unique=False)
    op.create_table('attachment_cursor',
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_attachment_cursor'))
    )


def downgrade() -> None:
    op.drop_table('attachment_cursor')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sync_state'))
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_record_id'))
    op.drop_table('attachment')
