"""integer log times, 16-byte ids in the audit log, the events and compacted acknowledged creates

audit_log.at and acked_log.acked_at become integers (microseconds since 1970-01-01 UTC,
storage/types.UTCMicros: 8 bytes instead of 26 characters), audit_log.record_id,
record_event.id and the ids of compacted acknowledged creates become 16 bytes
(storage/types.IdBytes, sync/acked.compact), their stamps about 18 (stamp_bytes); a compacted
row's status (always `accepted`, read
by nothing) is left empty. The indexes of the due date, the credit code and
the audit log's record id leave out NULLs (no query looks one up).
Rows written before are rewritten here, in SQL (exact: the seconds by strftime, the
microseconds as written); a value that does not have the expected form stays as it is and
still reads right (the types read both forms). The column declarations do not change.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from xingan_desk.storage.types import stamp_bytes, stamp_text

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Frozen copy (a migration must not change when the live schema module does)
AUDIT_NO_UPDATE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)


def _micros(col: str) -> tuple[str, str]:
    """(the integer expression, the condition) for a DATETIME text 'YYYY-MM-DD HH:MM:SS[.ffffff]'."""
    value = (f"CAST(strftime('%s', substr({col}, 1, 19)) AS INTEGER) * 1000000 + "
             f"CASE WHEN length({col}) = 26 THEN CAST(substr({col}, 21, 6) AS INTEGER) ELSE 0 END")
    where = (f"typeof({col}) = 'text' AND strftime('%s', substr({col}, 1, 19)) IS NOT NULL AND "
             f"(length({col}) = 19 OR (length({col}) = 26 AND substr({col}, 20, 1) = '.' "
             f"AND substr({col}, 21, 6) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]'))")
    return value, where


def _text_time(col: str) -> str:
    return (f"strftime('%Y-%m-%d %H:%M:%S', {col} / 1000000, 'unixepoch') || '.' || "
            f"printf('%06d', {col} % 1000000)")


def _canonical(col: str) -> str:
    """A lower-case hyphenated UUID text (what storage/types.id_bytes turns into bytes)."""
    return (f"typeof({col}) = 'text' AND length({col}) = 36 AND {col} = lower({col}) AND "
            + " AND ".join(f"substr({col}, {i}, 1) = '-'" for i in (9, 14, 19, 24))
            + f" AND length(unhex(replace({col}, '-', ''))) = 16")


def _bytes(col: str) -> str:
    return f"unhex(replace({col}, '-', ''))"


def _uuid_text(col: str) -> str:
    return (f"lower(substr(hex({col}), 1, 8) || '-' || substr(hex({col}), 9, 4) || '-' || "
            f"substr(hex({col}), 13, 4) || '-' || substr(hex({col}), 17, 4) || '-' || "
            f"substr(hex({col}), 21, 12))")


# (index, table, columns): made partial, WHERE the first column IS NOT NULL (a NULL is never
# looked up); ix_record_due's columns as 0015 left them
PARTIAL = (("ix_record_due", "record", ["due_date", "voided", "kind"]),
           ("ix_record_uscc", "record", ["enterprise_uscc"]),
           ("ix_audit_log_record_id", "audit_log", ["record_id"]))


def _restamp(convert: Callable[[Any], Any], kind: str) -> None:
    """Compacted creates' stamps rewritten by `convert` (storage/types.stamp_bytes or
    stamp_text), those stored as `kind`."""
    conn = op.get_bind()
    rows = conn.exec_driver_sql(
        "SELECT local_seq, hlc FROM acked_log WHERE entity = 'record' AND op = 'create' AND "
        f"payload = 'null' AND typeof(hlc) = '{kind}'").fetchall()
    changed = [(convert(hlc), seq) for seq, hlc in rows if convert(hlc) != hlc]
    if changed:
        conn.exec_driver_sql("UPDATE acked_log SET hlc = ? WHERE local_seq = ?", changed)


def upgrade() -> None:
    for name, table, columns in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False,
                        sqlite_where=sa.text(f"{columns[0]} IS NOT NULL"))
    at, at_ok = _micros("at")
    acked, acked_ok = _micros("acked_at")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute(f"UPDATE audit_log SET at = {at} WHERE {at_ok}")
    op.execute(f"UPDATE audit_log SET record_id = {_bytes('record_id')} "
               f"WHERE {_canonical('record_id')}")
    op.execute(AUDIT_NO_UPDATE)
    op.execute(f"UPDATE record_event SET id = {_bytes('id')} WHERE {_canonical('id')}")
    op.execute(f"UPDATE acked_log SET acked_at = {acked} WHERE {acked_ok}")
    op.execute("UPDATE acked_log SET status = '' WHERE payload = 'null'")
    _restamp(stamp_bytes, "text")
    op.execute(f"UPDATE acked_log SET mutation_id = {_bytes('mutation_id')} WHERE "
               f"payload = 'null' AND entity = 'record' AND op = 'create' AND "
               f"{_canonical('mutation_id')}")
    op.execute(f"UPDATE acked_log SET entity_id = {_bytes('entity_id')} WHERE "
               f"payload = 'null' AND entity = 'record' AND op = 'create' AND "
               f"{_canonical('entity_id')}")


def downgrade() -> None:
    op.execute("UPDATE acked_log SET status = 'accepted' WHERE status = ''")
    _restamp(stamp_text, "blob")
    op.execute(f"UPDATE acked_log SET entity_id = {_uuid_text('entity_id')} WHERE "
               "entity = 'record' AND op = 'create' AND typeof(entity_id) = 'blob'")
    op.execute(f"UPDATE acked_log SET mutation_id = {_uuid_text('mutation_id')} WHERE "
               "entity = 'record' AND op = 'create' AND typeof(mutation_id) = 'blob'")
    op.execute(f"UPDATE record_event SET id = {_uuid_text('id')} WHERE typeof(id) = 'blob'")
    op.execute(f"UPDATE acked_log SET acked_at = {_text_time('acked_at')} "
               "WHERE typeof(acked_at) = 'integer'")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute(f"UPDATE audit_log SET record_id = {_uuid_text('record_id')} "
               "WHERE typeof(record_id) = 'blob'")
    op.execute(f"UPDATE audit_log SET at = {_text_time('at')} WHERE typeof(at) = 'integer'")
    op.execute(AUDIT_NO_UPDATE)
    for name, table, columns in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
