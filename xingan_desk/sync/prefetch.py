"""Reads sync.pull pages ahead in a background thread, so central's time overlaps the local
apply."""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

from .connection import Call, Connection

_Item = tuple[Any, BaseException | None]


class Prefetch:
    """Reads up to `depth` pages of one stream ahead. While that reader runs, only it uses
    the connection; `get` returns the page for a cursor (restarting the reader if it was
    reading elsewhere) and `close` stops it before anything else is sent."""

    def __init__(self, call: Call, conn: Connection, stream: str, page_size: int,
                 depth: int = 6) -> None:
        self.call, self.conn, self.stream = call, conn, stream
        self.page_size, self.depth = page_size, depth
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._queue: queue.Queue[_Item] = queue.Queue(depth)
        self._next = -1  # the cursor the next queued page starts from

    def _read(self, cursor: int, q: queue.Queue[_Item], stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                page = self.call(self.conn, "SELECT sync.pull(%s, %s, %s)",
                                 (self.stream, cursor, self.page_size))
                while not stop.is_set():
                    try:
                        q.put((page, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                changes = page["changes"]
                if not changes or int(changes[-1]["seq"]) >= int(page["head"]):
                    return
                cursor = int(changes[-1]["seq"])
        except BaseException as exc:  # handed to the main thread by get()
            q.put((None, exc))

    def get(self, cursor: int) -> Any:
        if self._thread is None or self._next != cursor:
            self.close()
            self._stop = threading.Event()
            self._queue = queue.Queue(self.depth)
            self._thread = threading.Thread(target=self._read, daemon=True,
                                            args=(cursor, self._queue, self._stop))
            self._thread.start()
        page, error = self._queue.get()
        if error is not None:
            self.close()
            raise error
        changes = page["changes"]
        self._next = int(changes[-1]["seq"]) if changes else -1
        return page

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            while self._thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=0.05)  # unblock a reader waiting to put
            self._thread = None
        self._next = -1
