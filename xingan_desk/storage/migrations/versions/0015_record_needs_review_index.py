"""record: indexes for the start-up counts and searches with a small page cache

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

需处理事项 is counted at every start and after every save: the records whose fold kept an
event (`needs_review`) are few, but without an index finding them read the whole record
table (about 0.4 s of CPU at 200,000 records).

A search for a common name walks an area's newest records (query.dense_text_ids); with
search_text in `ix_record_kind_created` it reads that index, not the wide record rows, and
needs no 64 MiB page cache per connection to stay quick. `voided` in
`ix_record_kind_status` and (`voided`, `kind`) in `ix_record_due` let an area's count and the
deadline counts read only those narrow indexes, never the rows. `ix_record_search_hit`
takes a search index hit (a pk) to its kind, state and list order without the wide row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_record_needs_review', 'record', ['id'], unique=False,
                    sqlite_where=sa.text('needs_review IS 1'))
    op.drop_index('ix_record_kind_created', table_name='record')
    op.create_index('ix_record_kind_created', 'record',
                    ['kind', 'created_at', 'id', 'voided', 'search_text'], unique=False)
    op.drop_index('ix_record_kind_status', table_name='record')
    op.create_index('ix_record_kind_status', 'record', ['kind', 'status', 'voided'],
                    unique=False)
    op.drop_index('ix_record_due', table_name='record')
    op.create_index('ix_record_due', 'record', ['due_date', 'voided', 'kind'], unique=False)
    op.create_index('ix_record_search_hit', 'record', ['pk', 'kind', 'voided', 'created_at', 'id'],
                    unique=False)
    # statistics for the new indexes (a store analyzed before would plan with them guessed)
    op.execute("ANALYZE record")


def downgrade() -> None:
    op.drop_index('ix_record_search_hit', table_name='record')
    op.drop_index('ix_record_due', table_name='record')
    op.create_index('ix_record_due', 'record', ['due_date'], unique=False)
    op.drop_index('ix_record_kind_status', table_name='record')
    op.create_index('ix_record_kind_status', 'record', ['kind', 'status'], unique=False)
    op.drop_index('ix_record_kind_created', table_name='record')
    op.create_index('ix_record_kind_created', 'record', ['kind', 'created_at', 'id', 'voided'],
                    unique=False)
    op.drop_index('ix_record_needs_review', table_name='record')
