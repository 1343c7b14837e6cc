"""Local bookkeeping tables for sync: pull cursor, acknowledged log, issues, conflicts.

They are part of the local schema (storage/schema.py, Alembic revision 0002); `ensure` remains
for stores opened by an older build before that migration ran.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ..storage.db import writer
from ..storage.schema import Base, acked_log, sync_conflict, sync_cursor, sync_issue

__all__ = ["acked_log", "ensure", "sync_conflict", "sync_cursor", "sync_issue"]


def ensure(engine: Engine) -> None:
    """Create the tables if missing, in a BEGIN IMMEDIATE transaction (a deferred one could
    fail with "database is locked" when the clerk saves at the same moment)."""
    with writer(engine).begin() as conn:
        Base.metadata.create_all(
            conn, tables=[sync_cursor, acked_log, sync_issue, sync_conflict], checkfirst=True)
