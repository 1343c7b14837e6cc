"""Pull: for each stream the window may read, pages of `seq > cursor` until central's head.

Up to `apply_batch` changes (several pages) are applied in one local transaction together
with the new cursor, while the next pages are already being read (`prefetch`). A changed
epoch (central restored or re-initialised) re-reads the stream from the start; apply is
idempotent and the outbox is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ..desk import Desk
from .apply import write_cursor
from .connection import Call, Connection
from .errors import SyncError
from .faults import FaultPoints
from .local_schema import sync_cursor
from .prefetch import Prefetch
from .report import SyncReport

# (stream, changes, new cursor, epoch, head, report): apply one batch with its cursor
ApplyPage = Callable[[str, list[dict[str, Any]], int, str | None, int, SyncReport], None]


def read_cursor(desk: Desk, stream: str) -> tuple[int, str | None]:
    """(seq, epoch) this window has applied of a stream."""
    with desk.reading() as s:
        row = s.execute(select(sync_cursor.c.seq, sync_cursor.c.epoch)
                        .where(sync_cursor.c.stream == stream)).first()
    return (0, None) if row is None else (int(row[0]), row[1])


def set_cursor(desk: Desk, stream: str, seq: int, epoch: str | None, head: int) -> None:
    """Move a stream's cursor on its own (re-baselines only; pulls move it with the rows)."""
    with desk.writing() as w:
        write_cursor(w.session, stream, seq, epoch, head)


class StreamPuller:
    def __init__(self, desk: Desk, call: Call, faults: FaultPoints, apply_page: ApplyPage, *,
                 page_size: int = 500, apply_batch: int | None = None) -> None:
        self.desk = desk
        self.call = call
        self.faults = faults
        self.apply_page = apply_page
        self.page_size = max(1, min(page_size, 1000))
        # changes per local transaction: one page by default (a clerk's save waits for at
        # most one such transaction); an initial sync may take several pages at once
        self.apply_batch = max(1, apply_batch) if apply_batch else self.page_size

    def pull(self, conn: Connection, report: SyncReport) -> None:
        status = self.call(conn, "SELECT sync.status()", ())
        for stream in sorted(status["streams"]):
            self.pull_stream(conn, stream, report)

    def pull_stream(self, conn: Connection, stream: str, report: SyncReport) -> None:
        # read ahead as many pages as one local transaction takes (at least two): the next
        # batch is there when the apply ends, and no more pages wait in memory than that
        depth = max(2, -(-self.apply_batch // self.page_size))
        pages = Prefetch(self.call, conn, stream, self.page_size, depth)
        try:
            self._pull_pages(pages, stream, report)
        finally:
            pages.close()

    def _pull_pages(self, pages: Prefetch, stream: str, report: SyncReport) -> None:
        rebaselined = False
        cursor, epoch = read_cursor(self.desk, stream)
        while True:
            page = pages.get(cursor)
            head = int(page["head"])
            if (epoch and page["epoch"] and epoch != page["epoch"]) or cursor > head:
                if rebaselined:
                    raise SyncError("中心数据库的数据批次在同步过程中再次变化，请稍后重试")
                # central was restored / re-initialised: read the stream again from the start
                # (apply is idempotent; the outbox is untouched)
                set_cursor(self.desk, stream, 0, page["epoch"], head)
                rebaselined = True
                cursor, epoch = 0, page["epoch"]
                continue
            page_epoch = page["epoch"]
            changes: list[dict[str, Any]] = []
            at = cursor
            while True:
                seqs = [int(c["seq"]) for c in page["changes"]]
                if seqs != list(range(at + 1, at + 1 + len(seqs))):
                    raise SyncError(f"从中心数据库收到的变更序号不连续（{stream}），同步已停止，请联系管理员")
                changes.extend(page["changes"])
                at = seqs[-1] if seqs else at
                if not seqs or at >= head or len(changes) >= self.apply_batch:
                    break
                page = pages.get(at)
                if page["epoch"] != page_epoch:
                    break  # apply what came before; the next round sees the new epoch
                head = max(head, int(page["head"]))
            self.faults.hit("before_apply")
            if changes or not epoch:
                self.apply_page(stream, changes, at, page_epoch, head, report)
            report.streams[stream] = (at, head)
            if not changes or at >= head:
                return
            cursor, epoch = at, page_epoch
