"""Sync between a window's local SQLite store and the central PostgreSQL.

* `central`: the central schema (schema `sync`) and the SECURITY DEFINER functions windows call.
* `client`: `SyncClient(desk, url).run_once()` pushes the outbox and pulls the change streams.
* `local_schema`: the local bookkeeping tables (cursor, acked log, issues, conflicts).
* `cli`: functions the command line calls.

Nothing here imports Qt.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
