"""Attachments with central (sql/attachments.sql), after the records in each sync cycle.

Push: for each attachment of this window not yet on central (`sync_state` pending), the content
is uploaded in chunks (each chunk its own call and transaction: a cut connection loses at most
the chunk in flight, and the next cycle asks central which chunks it has and sends the rest;
content central already holds from this window is not sent again), then the metadata (or its
voiding). Metadata whose record has not reached central yet stays pending.
Pull: the metadata of every stream the window reads, with its own cursor per stream
(`attachment_cursor`), in one local transaction per page; then, within a byte budget per cycle,
the content of files not here yet (chunks kept sealed under `attachments/.partial` until the
file is whole, so a download resumes too). `progress` hears the bytes moved after each
chunk (the window's status bar: 附件上传 3/12 MB). A file can also be fetched on first open
(`fetch_now`). Record sync never waits for any of this: it runs after the records, and a
failure here leaves the records' cycle done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from ..storage.schema import attachment_cursor, attachment_table
from ..timeutil import utcnow
from .files import AttachmentFileError, FileStore, sha256_of

if TYPE_CHECKING:
    from ..desk import Desk
    from ..sync.connection import Connection

log = logging.getLogger(__name__)
A = attachment_table
PAGE = 500
FETCH_BUDGET = 64 * 1024 * 1024  # bytes of content downloaded per cycle (the rest next cycle)
UPLOAD_BUDGET = 64 * 1024 * 1024
# seconds of file transfer per cycle: the next cycle (a clerk's new record) never waits longer
# behind a large file on a slow line; the transfer resumes where it stopped
TIME_BUDGET_S = 20.0

Call = Callable[["Connection", str, tuple[Any, ...]], Any]
# transfer progress: ("up" | "down", bytes done, bytes in all) after each chunk of a phase
Progress = Callable[[str, int, int], None]


@dataclass
class AttachmentReport:
    uploaded_chunks: int = 0
    pushed: int = 0  # metadata rows central accepted
    refused: int = 0
    waiting: int = 0  # metadata waiting for its record (or content) on central
    pulled: int = 0
    fetched: int = 0  # files downloaded whole
    fetched_chunks: int = 0
    unfinished: bool = False  # the cycle's time budget ran out; the next cycle goes on
    # attachment digests (`verify`): streams that agree with central, read again, still differ
    verified: list[str] = field(default_factory=list)
    rebaselined: list[str] = field(default_factory=list)
    mismatch: list[str] = field(default_factory=list)


class _OutOfTime(Exception):
    pass


class AttachmentSync:
    def __init__(self, desk: Desk, call: Call, *, fetch_budget: int = FETCH_BUDGET,
                 upload_budget: int = UPLOAD_BUDGET, time_budget_s: float = TIME_BUDGET_S,
                 on_chunk: Callable[[str, int], None] | None = None) -> None:
        self.desk = desk
        self.call = call
        self.time_budget_s = time_budget_s
        self.clock: Callable[[], float] = time.monotonic
        self._deadline = float("inf")  # outside `run` (a file opened now): no budget
        self.fetch_budget = fetch_budget
        self.upload_budget = upload_budget
        self.on_chunk = on_chunk  # tests: called after each chunk sent/received ("put"/"get")
        self.progress: Progress | None = None  # the sync service's status line
        self._moved = [0, 0]  # bytes (done, in all) of the phase under way

    def _tell(self, direction: str) -> None:
        if self.progress is not None:
            self.progress(direction, *self._moved)

    def files(self) -> FileStore:
        return self.desk.attachments.files()

    def run(self, conn: Connection, streams: list[str], *, verify: bool = False
            ) -> AttachmentReport:
        """Push, pull the metadata, (with `verify`: compare the attachment digests with
        central's), then fetch content within the cycle's budget."""
        report = AttachmentReport()
        self._deadline = self.clock() + self.time_budget_s
        try:
            self.push(conn, report)
            for stream in sorted(streams):
                self.pull_stream(conn, stream, report)
            if verify:
                self.verify(conn, sorted(streams), report)
            self.fetch_missing(conn, report)
        except _OutOfTime:
            report.unfinished = True
        finally:
            self._deadline = float("inf")
        return report

    def _check_time(self) -> None:
        """Before each chunk: stop the phase once the cycle's transfer time is used up."""
        if self.clock() >= self._deadline:
            raise _OutOfTime()

    # --- push ----------------------------------------------------------------------------
    def push(self, conn: Connection, report: AttachmentReport) -> None:
        me = self.desk.identity.window_code
        with self.desk.reading() as s:
            rows = s.execute(select(A).where(A.c.sync_state == "pending", A.c.owner == me)
                             .order_by(A.c.created_at, A.c.id)).all()
        budget = self.upload_budget
        self._moved = [0, sum({r.sha256: r.size for r in rows}.values())]
        for row in rows:
            if budget <= 0:
                break
            try:
                sent = self.upload(conn, row.sha256, row.size, report)
            except AttachmentFileError:  # `check` names it; the other files go on
                log.warning("attachment file unreadable; not uploaded")
                continue
            if isinstance(sent, str):
                self._refused(row, sent)
                report.refused += 1
                continue
            budget -= sent
            meta = {"id": row.id, "record_id": row.record_id, "sha256": row.sha256,
                    "name": row.name, "material": row.material or "", "mime": row.mime,
                    "pages": row.pages, "size": row.size, "created_by": row.created_by,
                    "created_at": row.created_at.isoformat(), "hlc": row.hlc,
                    "voided": bool(row.voided), "void_reason": row.void_reason,
                    "voided_by": row.voided_by,
                    "voided_at": row.voided_at.isoformat() if row.voided_at else None}
            from psycopg.types.json import Jsonb

            res = self.call(conn, "SELECT sync.attachment_meta(%s)", (Jsonb(meta),))
            status = res.get("status")
            if status == "ok":
                report.pushed += 1
                self._set_state(row.id, row.hlc, "synced")
            elif status == "refused":
                report.refused += 1
                self._refused(row, str(res.get("reason") or ""))
                log.warning("attachment refused by central: %s", res.get("code"))
            else:
                report.waiting += 1

    def upload(self, conn: Connection, sha: str, size: int, report: AttachmentReport
               ) -> int | str:
        """Make sure central holds `sha` from this window: the bytes sent, or central's
        reason (Chinese) when it refuses the file."""
        res = self.call(conn, "SELECT sync.attachment_begin(%s, %s)", (sha, size))
        if res.get("status") == "done":
            self._moved[0] += size
            return 0
        if res.get("status") != "upload":
            return str(res.get("reason") or "中心拒绝接收该附件")
        chunk = int(res["chunk_size"])
        have = {int(i) for i in res.get("have") or []}
        data = self.files().get(sha)
        self._moved[0] += sum(len(data[i * chunk:(i + 1) * chunk]) for i in have)
        sent = 0
        for idx in range((size + chunk - 1) // chunk):
            if idx in have:
                continue
            self._check_time()
            self._tell("up")
            part = data[idx * chunk:(idx + 1) * chunk]
            out = self.call(conn, "SELECT sync.attachment_put(%s, %s, %s, %s, %s)",
                            (sha, size, chunk, idx, part))
            sent += len(part)
            self._moved[0] += len(part)
            self._tell("up")
            report.uploaded_chunks += 1
            if self.on_chunk:
                self.on_chunk("put", idx)
            if out.get("status") == "refused":
                return str(out.get("reason") or "中心拒绝接收该附件")
        return sent

    def _refused(self, row: Any, reason: str) -> None:
        """Central will not take this attachment: it stops being sent, and the refusal is
        listed in 需处理事项 (a window-level sync issue)."""
        from ..storage.schema import Record, sync_issue

        with self.desk.writing() as w:
            no = w.session.scalar(select(Record.receipt_no).where(Record.id == row.record_id))
            w.session.execute(update(A).where(A.c.id == row.id, A.c.hlc == row.hlc)
                              .values(sync_state="refused"))
            w.session.execute(insert(sync_issue).values(
                entity="attachment", entity_id=row.id, code="ATTACHMENT_REFUSED",
                reason=f"附件“{row.name}”（{no or '未知记录'}）未能上传到中心：{reason}",
                created_at=utcnow()))

    def _set_state(self, att_id: str, hlc: str, state: str) -> None:
        with self.desk.writing() as w:  # only if nothing changed it meanwhile (a void)
            w.session.execute(update(A).where(A.c.id == att_id, A.c.hlc == hlc)
                              .values(sync_state=state))

    # --- pull ----------------------------------------------------------------------------
    def cursor(self, stream: str) -> int:
        with self.desk.reading() as s:
            return int(s.scalar(select(attachment_cursor.c.seq)
                                .where(attachment_cursor.c.stream == stream)) or 0)

    def pull_stream(self, conn: Connection, stream: str, report: AttachmentReport, *,
                    start: int | None = None) -> None:
        """Pull a stream's metadata from the cursor on (from `start`, central winning: a
        re-read after a digest mismatch)."""
        at = self.cursor(stream) if start is None else start
        while True:
            page = self.call(conn, "SELECT sync.attachment_pull(%s, %s, %s)", (stream, at, PAGE))
            rows = page.get("rows") or []
            if not rows:
                return
            at = max(int(r["seq"]) for r in rows)
            self.apply(stream, rows, at, force=start is not None)
            report.pulled += len(rows)
            if len(rows) < PAGE:
                return

    # --- digests -------------------------------------------------------------------------
    def verify(self, conn: Connection, streams: list[str], report: AttachmentReport) -> None:
        """Compare each stream's attachments with central's digest (sync/digest.py). A stream
        that differs is read again from the start with central's metadata winning; one that
        still differs is listed in 需处理事项. Streams with attachments still to send, or whose
        metadata is not at central's head yet, are compared in a later cycle."""
        from ..sync.digest import EMPTY, local_attachment_digests, same_attachments

        locals_, waiting = local_attachment_digests(self.desk)
        for stream in streams:
            if stream in waiting:
                continue
            central = self.call(conn, "SELECT sync.attachment_digest(%s)", (stream,))
            head = int(central.get("head") or 0)
            if self.cursor(stream) != head:
                continue  # others attached meanwhile; check next time
            if same_attachments(locals_.get(stream, EMPTY), central):
                report.verified.append(stream)
                continue
            report.rebaselined.append(stream)
            self.pull_stream(conn, stream, report, start=0)
            central = self.call(conn, "SELECT sync.attachment_digest(%s)", (stream,))
            local = local_attachment_digests(self.desk)[0].get(stream, EMPTY)
            if same_attachments(local, central):
                report.verified.append(stream)
                continue
            report.mismatch.append(stream)
            from ..storage.schema import sync_issue

            with self.desk.writing() as w:
                w.session.execute(insert(sync_issue).values(
                    entity="attachment", code="ATTACHMENT_DIGEST_MISMATCH",
                    created_at=utcnow(), reason=(
                        f"本机附件与中心数据库核对不一致（{stream}：本机"
                        f"{local.get('attachments', 0)}个附件，中心{central.get('attachments', 0)}"
                        "个），请联系管理员核查")))

    def apply(self, stream: str, rows: list[dict[str, Any]], cursor: int, *,
              force: bool = False) -> None:
        """Pulled metadata in one local transaction with the stream's cursor. `force` (a
        re-read after a digest mismatch): central's file, record and voided state replace
        what a local row says."""
        files = self.files()
        with self.desk.writing() as w:
            s = w.session
            for r in rows:
                doc, void = r.get("doc") or {}, r.get("void_doc") or {}
                local = s.execute(select(A.c.id, A.c.voided, A.c.sync_state)
                                  .where(A.c.id == r["id"])).first()
                voided = bool(r.get("voided"))
                void_values = {"voided": True, "void_reason": void.get("void_reason"),
                               "voided_by": void.get("voided_by"),
                               "voided_at": _time(void.get("voided_at"))} if voided else {}
                if local is None:
                    s.execute(insert(A).values(
                        id=r["id"], record_id=r["record_id"], sha256=r["sha256"],
                        name=str(doc.get("name") or "附件")[:200],
                        material=str(doc.get("material") or "")[:100] or None,
                        mime=str(doc.get("mime") or ""), pages=int(doc.get("pages") or 1),
                        size=int(doc.get("size") or 0), owner=r["owner"],
                        created_by=str(doc.get("created_by") or "")[:50],
                        created_at=_time(doc.get("created_at")) or utcnow(),
                        hlc=str(void.get("hlc") or doc.get("hlc") or "")[:48],
                        voided=voided, **{k: v for k, v in void_values.items() if k != "voided"},
                        have_content=files.has(r["sha256"]), sync_state="synced"))
                elif force:
                    s.execute(update(A).where(A.c.id == r["id"]).values(
                        record_id=r["record_id"], sha256=r["sha256"], sync_state="synced",
                        have_content=files.has(r["sha256"]),
                        **(void_values or {"voided": False, "void_reason": None,
                                           "voided_by": None, "voided_at": None})))
                elif voided and not local.voided:
                    s.execute(update(A).where(A.c.id == r["id"]).values(**void_values))
            row = s.execute(select(attachment_cursor.c.seq)
                            .where(attachment_cursor.c.stream == stream)).first()
            if row is None:
                s.execute(insert(attachment_cursor).values(stream=stream, seq=cursor))
            else:
                s.execute(update(attachment_cursor).where(attachment_cursor.c.stream == stream)
                          .values(seq=cursor))

    # --- content -------------------------------------------------------------------------
    def fetch_missing(self, conn: Connection, report: AttachmentReport) -> None:
        with self.desk.reading() as s:
            rows = s.execute(select(A.c.sha256, A.c.size).where(A.c.have_content.is_(False))
                             .group_by(A.c.sha256, A.c.size)
                             .order_by(A.c.size)).all()
        budget = self.fetch_budget
        planned = []
        for sha, size in rows:
            if budget <= 0:
                break
            planned.append((sha, size))
            budget -= size
        self._moved = [0, sum(size for _, size in planned)]
        for sha, size in planned:
            self.fetch(conn, sha, size, report)

    def fetch(self, conn: Connection, sha: str, size: int,
              report: AttachmentReport | None = None) -> bool:
        """Download one file (resuming from the chunks kept), store it, mark its rows."""
        report = report or AttachmentReport()
        files = self.files()
        if not files.has(sha):
            chunk = files.partial_chunk_size(sha) or self._chunk_size(conn, sha)
            n = (size + chunk - 1) // chunk
            for idx in range(n):
                if files.has_partial(sha, idx):
                    self._moved[0] += min(chunk, size - idx * chunk)
                    continue
                self._check_time()
                self._tell("down")
                part = bytes(self.call(conn, "SELECT sync.attachment_get(%s, %s)", (sha, idx)))
                files.put_partial(sha, idx, chunk, part)
                self._moved[0] += len(part)
                self._tell("down")
                report.fetched_chunks += 1
                if self.on_chunk:
                    self.on_chunk("get", idx)
            data = b"".join(files.get_partial(sha, idx) for idx in range(n))
            files.drop_partial(sha)
            if sha256_of(data) != sha:
                log.warning("attachment content did not match its hash; fetched again later")
                return False
            files.put(data)
            report.fetched += 1
        with self.desk.writing() as w:
            w.session.execute(update(A).where(A.c.sha256 == sha).values(have_content=True))
        return True

    def _chunk_size(self, conn: Connection, sha: str) -> int:
        info = self.call(conn, "SELECT sync.attachment_info(%s)", (sha,))
        return int(info["chunk_size"])


def fetch_now(desk: Desk, attachment_id: str, url: str | None = None) -> bytes:
    """An attachment's content, downloaded from central first when it is not here yet (a
    file opened before the background download reached it). Raises the sync errors
    (SyncUnavailable …, Chinese) when central cannot be reached."""
    att = desk.attachments.get(attachment_id)
    if not att.have_content:
        from ..sync.client import SyncClient
        from ..sync.errors import SyncUnavailable
        from ..sync.settings import connection_url

        client = SyncClient(desk, url or connection_url(desk))
        with client.connect() as conn:
            if not client.attachments.fetch(conn, att.sha256, att.size):
                raise SyncUnavailable(f"附件“{att.name}”下载后校验不一致，请稍后重试")
    return desk.attachments.content(attachment_id)


def _time(text: Any) -> Any:
    if not text:
        return None
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


__all__ = ["AttachmentReport", "AttachmentSync", "Progress", "fetch_now"]
