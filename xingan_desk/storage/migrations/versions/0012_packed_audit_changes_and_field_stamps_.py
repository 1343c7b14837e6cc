"""packed audit changes and field stamps, login indexes

The audit log's `changes` and the records' `field_hlc` were JSON text; they are now packed
(storage/types.pack_json: compact, deflated with a frozen preset dictionary). Rows written
before are rewritten here, so an old store shrinks too; every entry reads back equal (the
types read both forms, so a row missed here would still read right). The index of every audit
entry's time gives way to three small partial indexes for the login lock-out's lookups. The
search index becomes contentless (its tokens were stored twice: in the index and as content).
acked_log's mutation ids lose their UNIQUE index (no query used it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)
from xingan_desk.storage.types import FieldStamps, encode_audit_changes

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Frozen copy (a migration must not change when the live schema module does)
AUDIT_NO_UPDATE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)
SEARCH_CONTENTLESS = (
    "CREATE VIRTUAL TABLE record_search USING fts5(tokens, content='', contentless_delete=1, "
    "tokenize='unicode61 remove_diacritics 0')"
)
SEARCH_STORED = (
    "CREATE VIRTUAL TABLE record_search USING fts5(tokens, "
    "tokenize='unicode61 remove_diacritics 0')"
)
BATCH = 2000


def _rewrite(table: str, key: str, column: str, convert: Callable[[Any], Any]) -> None:
    """Rewrite the JSON-text values of one column in key order, BATCH rows at a time."""
    conn = op.get_bind()
    last = None
    while True:
        rows = conn.exec_driver_sql(
            f"SELECT {key}, {column} FROM {table} WHERE typeof({column}) = 'text' "
            f"AND {column} NOT IN ('{{}}', 'null')"
            + (f" AND {key} > ?" if last is not None else "")
            + f" ORDER BY {key} LIMIT {BATCH}", (last,) if last is not None else ()).fetchall()
        if not rows:
            return
        conn.exec_driver_sql(f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
                             [(convert(value), k) for k, value in rows])
        last = rows[-1][0]


def _audit(value: str) -> Any:
    changes = json.loads(value)
    return encode_audit_changes(changes) if isinstance(changes, dict) else value


def _stamps(value: str) -> Any:
    stamps = FieldStamps()
    plain = stamps.result_processor(None, None)(value)
    return stamps.bind_processor(None)(plain) if isinstance(plain, dict) else value


def upgrade() -> None:
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.create_index('ix_audit_log_login', 'audit_log', ['username', 'at'], unique=False,
                    sqlite_where=sa.text("action = 'login'"))
    op.create_index('ix_audit_log_login_failed', 'audit_log', ['username', 'at'], unique=False,
                    sqlite_where=sa.text("action = 'login_failed'"))
    op.create_index('ix_audit_log_set_password', 'audit_log', ['detail', 'at'], unique=False,
                    sqlite_where=sa.text("action = 'set_password'"))
    # the audit log is append-only: its guard is lifted for this rewrite of the same content
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    _rewrite("audit_log", "id", "changes", _audit)
    op.execute(AUDIT_NO_UPDATE)
    _rewrite("record", "pk", "field_hlc", _stamps)
    # the same tokens, indexed without a stored copy
    op.execute("ALTER TABLE record_search RENAME TO record_search_stored")
    op.execute(SEARCH_CONTENTLESS)
    op.execute("INSERT INTO record_search(rowid, tokens) "
               "SELECT rowid, tokens FROM record_search_stored")
    op.execute("DROP TABLE record_search_stored")
    with op.batch_alter_table('acked_log', recreate='always') as batch_op:
        batch_op.drop_constraint('uq_acked_log_mutation_id', type_='unique')


def downgrade() -> None:
    # packed rows stay packed (an older release cannot read them: restore the backup taken
    # before the upgrade instead); the search index gets its stored tokens back
    from xingan_desk.storage import search

    with op.batch_alter_table('acked_log', recreate='always') as batch_op:
        batch_op.create_unique_constraint('uq_acked_log_mutation_id', ['mutation_id'])
    conn = op.get_bind()
    op.execute("DROP TABLE record_search")
    op.execute(SEARCH_STORED)
    rows = conn.exec_driver_sql("SELECT pk, search_text FROM record").fetchall()
    if rows:
        conn.exec_driver_sql("INSERT INTO record_search(rowid, tokens) VALUES (?, ?)",
                             [(pk, search.tokens_for(t or "")) for pk, t in rows])
    op.drop_index('ix_audit_log_set_password', table_name='audit_log')
    op.drop_index('ix_audit_log_login_failed', table_name='audit_log')
    op.drop_index('ix_audit_log_login', table_name='audit_log')
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
