"""The sync client the window application runs (`SyncService`): each call to central and its
connection are reported to the service's stall watchdog.

Kept apart from sync/service.py because it imports the PostgreSQL driver (through
sync/client.py): the service imports this module at its first cycle, so a window without
sync settings starts without psycopg.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import psycopg

from .client import SyncClient
from .service import PHASES

if TYPE_CHECKING:
    from .service import Watchdog


class WatchedClient(SyncClient):
    """SyncClient reporting each call to central (and its connection) to the watchdog."""

    watch: Watchdog | None = None

    @contextmanager
    def _watched(self) -> Iterator[psycopg.Connection[Any]]:
        if self.watch is not None:
            self.watch.progress("连接中心数据库")
        with super().connect() as conn:
            if self.watch is not None:
                self.watch.conn = conn
                self.watch.progress()
            try:
                yield conn
            finally:
                if self.watch is not None:
                    self.watch.conn = None

    def connect(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._watched()

    def call(self, conn: psycopg.Connection[Any], query: str,
             params: tuple[Any, ...] = ()) -> Any:
        w = self.watch
        if w is not None:
            w.progress(next((p for fn, p in PHASES if fn in query), None))
        result = super().call(conn, query, params)
        if w is not None:
            w.progress()
        return result
