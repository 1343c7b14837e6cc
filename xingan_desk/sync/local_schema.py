"""Local bookkeeping tables for sync: pull cursor, acknowledged log, issues, conflicts, and
the quarantine of pulled rows this window could not apply.

The first four are part of the local schema (storage/schema.py, Alembic revision 0002);
`sync_quarantine` lives here only and is created by `ensure` (which also serves stores opened
by an older build before that migration ran). Readers that may run before any sync
(`review.attention_items`) check `has_quarantine` first.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Session

from ..storage.db import writer
from ..storage.schema import Base, acked_log, sync_conflict, sync_cursor, sync_issue
from ..storage.types import UTCDateTime

__all__ = ["acked_log", "ensure", "has_quarantine", "sync_conflict", "sync_cursor",
           "sync_issue", "sync_quarantine"]

SYNC_ONLY = MetaData()

# A pulled row (record snapshot, event, calendar day, or an entity this release does not know)
# that failed this window's checks: kept as received, never applied. `cleared_at`: a later
# change of the same record applied (the owner's correction); `resolved_at`: a supervisor
# acknowledged it in 需处理事项. The stream's digest is not compared while one is uncleared.
sync_quarantine = Table(
    "sync_quarantine", SYNC_ONLY,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(80), nullable=False),
    Column("record_id", String(80)),
    Column("kind", String(40)),
    Column("hlc", String(64), nullable=False, default=""),
    Column("code", String(40), nullable=False),
    Column("field", String(64)),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("cleared_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),
    Column("resolved_by", String(50)),
    Index("ix_sync_quarantine_record", "record_id"),
    Index("ix_sync_quarantine_entity", "entity_id"),
)


def ensure(engine: Engine) -> None:
    """Create the tables if missing, in a BEGIN IMMEDIATE transaction (a deferred one could
    fail with "database is locked" when the clerk saves at the same moment)."""
    with writer(engine).begin() as conn:
        Base.metadata.create_all(
            conn, tables=[sync_cursor, acked_log, sync_issue, sync_conflict], checkfirst=True)
        SYNC_ONLY.create_all(conn, checkfirst=True)


def has_quarantine(s: Session) -> bool:
    """Whether this store has the quarantine table (created by the first sync)."""
    return s.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                          "AND name = 'sync_quarantine'")).first() is not None
