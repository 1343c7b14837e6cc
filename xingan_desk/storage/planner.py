"""Keeping SQLite's planner statistics (`sqlite_stat1`) current.

Without statistics SQLite guesses how selective an index is, and it guesses wrong for the
credit-code lookup: it walks `ix_record_kind_created` (every enterprise) instead of
`ix_record_uscc` (one row). `refresh` runs a first ANALYZE on a store that has never had one
and `PRAGMA optimize` after that (it re-analyzes only the tables that changed a lot since, so it
costs microseconds when there is nothing to do). Desk calls it when a store opens (after any
migration), after bulk creation and with the daily backup.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# 0x10002: analyze every table that needs it, not only those this connection has queried
OPTIMIZE = "PRAGMA optimize=0x10002"


def has_statistics(conn: Connection) -> bool:
    """True when ANALYZE has run on this store and left statistics for `record` (the
    table whose plans matter most; `PRAGMA optimize` judges by what a connection loaded
    when it opened, so a long-lived connection would not notice them gone)."""
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                            "name='sqlite_stat1'").first() is None:
        return False
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_stat1 WHERE tbl = 'record' LIMIT 1").first() is not None


def refresh_in(conn: Connection) -> None:
    """Bring the statistics up to date on `conn` (inside the caller's transaction)."""
    if has_statistics(conn):
        conn.exec_driver_sql(OPTIMIZE).fetchall()
    else:
        conn.exec_driver_sql("ANALYZE")


def refresh(engine: Engine) -> bool:
    """Refresh the statistics in a transaction of its own (when the store opens: no other
    writer of this process runs yet). Statistics only make queries faster, so a store that is
    busy or read-only is left as it is (logged); returns whether the refresh ran."""
    try:
        with engine.begin() as conn:
            refresh_in(conn)
    except DBAPIError:
        log.warning("planner statistics not refreshed (store busy or read-only)")
        return False
    return True
