"""Sync between a window's local SQLite store and the central PostgreSQL.

* `central`: the central schema (schema `sync`) and the SECURITY DEFINER functions windows call.
* `client`: `SyncClient(desk, url).run_once()`, composing the parts below:
  `connection` (open, call, Chinese failures), `push` (outbox → sync.push), `acked` (the
  acknowledged log: retention, central or local restore), `pull` (pages per stream, cursors),
  `prefetch` (pages read ahead), `apply` (a page into the store in one transaction),
  `quarantine` (checks of pulled rows; the rows a window cannot apply), `digest` (integrity
  check), `faults` (crash points for tests), `errors`, `report`.
* `review`: the items needing attention (需处理事项) and their resolution.
* `local_schema`: the local bookkeeping tables (cursor, acked log, issues, conflicts,
  quarantine).
* `cli`: functions the command line calls.

Nothing here imports Qt.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
