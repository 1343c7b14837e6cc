"""Local bookkeeping tables for sync, created on first sync with CREATE TABLE IF NOT EXISTS.

They live on their own MetaData (not storage.schema.Base) until they move into an Alembic
revision of the local store; see the sync report for the migration to write.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..storage.db import writer
from ..storage.types import UTCDateTime

metadata = MetaData()

# Pull position per stream; advanced in the same transaction as the rows it covers.
sync_cursor = Table(
    "sync_cursor", metadata,
    Column("stream", String(40), primary_key=True),
    Column("seq", Integer, nullable=False, default=0),
    Column("epoch", String(36)),
    Column("head", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime()),
)

# Outbox rows central acknowledged (moved here in the ack transaction; kept for central-restore
# safety, pruning after N days is a later step).
acked_log = Table(
    "acked_log", metadata,
    Column("local_seq", Integer, primary_key=True),
    Column("mutation_id", String(36), nullable=False, unique=True),
    Column("entity", String(16), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("op", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("hlc", String(48), nullable=False),
    Column("status", String(12), nullable=False),  # accepted
    Column("acked_at", UTCDateTime(), nullable=False),
)

# Things a clerk or supervisor must look at: rejected mutations, refusals.
sync_issue = Table(
    "sync_issue", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("local_seq", Integer),
    Column("mutation_id", String(36)),
    Column("entity", String(16)),
    Column("entity_id", String(36)),
    Column("code", String(40)),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
)

# A local edit that lost a per-field last-writer-wins merge against a pulled value.
sync_conflict = Table(
    "sync_conflict", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False),
    Column("field", String(64), nullable=False),
    Column("kept_value", JSON),
    Column("kept_hlc", String(48)),
    Column("lost_value", JSON),
    Column("lost_hlc", String(48)),
    Column("created_at", UTCDateTime(), nullable=False),
)


def ensure(engine: Engine) -> None:
    """Create the tables if missing, in a BEGIN IMMEDIATE transaction (a deferred one could
    fail with "database is locked" when the clerk saves at the same moment)."""
    with writer(engine).begin() as conn:
        metadata.create_all(conn, checkfirst=True)
