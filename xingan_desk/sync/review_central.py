"""Central side of the supervisor's review list (kept apart from central.py on purpose).

Two more SECURITY DEFINER functions a window role may EXECUTE, scoped like `sync.pull` (the
caller's county streams and `global`; the League, 152200, sees everything):

* `sync.review_items(limit)` — the open `sync.review_item` rows in scope (for League-wide
  records such as enterprises: the League and the record's county; field conflicts with
  the losing value, status events the fold kept but did not apply, edits and events after a
  void, duplicate receipt numbers, clock skew), with the record's number, kind and owner.
* `sync.resolve_reviews(jsonb)` — a batch of resolutions made by a supervisor at a window
  (idempotent on the resolution's `mutation_id`). Each one is kept in `sync.review_resolution`
  (who, where, what, note) and closes the matching review item. An item counts as open only
  while it has no resolution, so `sync._refold` re-opening a status conflict (it clears
  `resolved_at` whenever it refolds) does not bring a resolved item back.

The SQL is in sql/review.sql (package data). `install(conn)` is run by `central.init_central` (idempotent); `grant(conn, role)` by
`central._grant` for every window role.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from .sqlfiles import load_sql

REVIEW_FUNCTIONS = ("sync.review_items(integer)", "sync.resolve_reviews(jsonb)")

def install(conn: psycopg.Connection[Any]) -> None:
    """Create or replace the review table and functions (called by init_central)."""
    conn.execute(load_sql("review.sql"))


def grant(conn: psycopg.Connection[Any], role: str) -> None:
    for fn in REVIEW_FUNCTIONS:
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
            sql.SQL(fn), sql.Identifier(role)))
