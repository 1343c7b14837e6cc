"""The window side of sync: push the outbox, pull the change streams.

`SyncClient(desk, url).run_once()`:
1. Push: pending outbox rows in ascending local_seq, batches of at most 500, through
   `sync.push`. In one local transaction per batch, accepted rows move from the outbox to
   `acked_log`; rejected rows stay in the outbox with state='rejected' and the Chinese reason
   (and a `sync_issue` row), and never block the others.
2. Pull: for each stream the window may read, pages of `seq > cursor`; each page is applied in
   one local transaction together with the new cursor (and the HLC merge). Records merge per
   field by HLC (a losing pending local edit is kept in `sync_conflict`); events are a union;
   status is refolded with `Desk._refold` and the search index rebuilt with `Desk._index`.
3. Verify the stream digests; then drop acknowledged changes older than the retention
   (`acked_log_retention_days`, default 30) from `acked_log`.

A dead network raises `SyncUnavailable` (Chinese message); nothing local is lost, because the
outbox rows leave only in the ack transaction and the cursor only moves with applied rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg.types.json import Jsonb
from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from .. import __version__
from .. import hlc as hlc_mod
from ..desk import Desk
from ..errors import DeskError
from ..records.fields import Field, GroupField
from ..records.kinds import KINDS
from ..records.workflow import EventLike
from ..storage import search
from ..storage.rows import from_db, to_db, uscc_of
from ..storage.schema import (
    DETAIL,
    Installation,
    LeagueCalendarDay,
    OutboxEntry,
    Record,
    RecordEvent,
    event_table,
    record_table,
)
from ..storage.types import UTCDateTime
from ..storage.writer import Writer, search_text
from ..timeutil import utcnow
from . import PROTOCOL_VERSION, local_schema
from .local_schema import acked_log, sync_conflict, sync_cursor, sync_issue

MAX_BATCH = 500
VERIFY_MIN_INTERVAL_S = 60.0  # paced digest checks (window app): at most once a minute …
VERIFY_COST_FACTOR = 10.0  # … and at most a tenth of the time
# Acknowledged changes are kept this many days (desk setting ACKED_RETENTION_SETTING), so they
# can be pushed again if central is restored from an older backup (reference §7 S14).
ACKED_RETENTION_DAYS = 30
ACKED_RETENTION_SETTING = "acked_log_retention_days"

# How the desk stores detail values (repeating groups as JSON). Private to desk.py; the
# fallback keeps working with a desk that stores Python values as they are.
FAULT_ENV = "XINGAN_SYNC_FAULT"
CLOCK_SKEW_LIMIT_S = 300
FAULT_POINTS = ("before_push", "after_push_before_ack", "mid_ack", "before_apply",
                "mid_apply", "after_apply")
# only reached when a stream's digest differs from central's (a damaged local row)
REBASELINE_FAULT = "mid_rebaseline"


class SyncError(DeskError):
    """Sync failed; `str(exc)` is a Chinese sentence for the clerk. Nothing local is lost."""

    english = "sync failed"


class SyncUnavailable(SyncError):
    english = "central database unreachable"


class SyncRefused(SyncError):
    """Central refused this window as a whole (cloned installation, upgrade required, …)."""

    english = "central refused the window"

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        super().__init__(reason)


class InjectedFault(Exception):
    """Raised at a named fault point (tests only)."""


@dataclass
class SyncReport:
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    replayed: int = 0
    pulled: int = 0
    records_applied: int = 0
    events_applied: int = 0
    calendar_applied: int = 0  # days of the League's holiday table that changed here
    conflicts: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)
    streams: dict[str, tuple[int, int]] = field(default_factory=dict)  # stream: (cursor, head)
    verified: list[str] = field(default_factory=list)  # streams whose digest matched central
    rebaselined: list[str] = field(default_factory=list)
    clock_skew_s: float = 0.0  # this PC's clock minus central's
    requeued: int = 0  # acknowledged changes central lost (restore) and that were re-sent
    pruned: int = 0  # acknowledged changes older than the retention, dropped from acked_log
    digest_mismatch: list[str] = field(default_factory=list)  # still different after repair

    @property
    def summary(self) -> str:
        return (f"上传{self.accepted}条，被拒绝{self.rejected}条，下载{self.pulled}条变更"
                + (f"，{self.conflicts}处字段冲突待核查" if self.conflicts else ""))


def default_machine_id() -> str:
    """A stable id of this PC (host name + MAC); a copied data directory keeps the
    installation id but not this."""
    raw = f"{socket.gethostname()}|{uuid.getnode():012x}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class SyncClient:
    def __init__(
        self,
        desk: Desk,
        url: str,
        *,
        batch_size: int = MAX_BATCH,
        page_size: int = 500,
        apply_batch: int | None = None,
        connect_timeout: int = 5,
        statement_timeout_ms: int = 30_000,
        machine_id: str | None = None,
        faults: Collection[str] = (),
        network_grace_s: float = 5.0,
        verify: bool = True,
        verify_pacing: bool = False,
    ) -> None:
        self.desk = desk
        self.url = url
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.page_size = max(1, min(page_size, 1000))
        # changes per local transaction: one page by default (a clerk's save waits for at
        # most one such transaction); an initial sync may take several pages at once
        self.apply_batch = max(1, apply_batch) if apply_batch else self.page_size
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self.machine_id = machine_id or default_machine_id()
        self.faults = set(faults)
        self.network_grace_s = network_grace_s
        self._fault_hits: dict[str, int] = {}
        self.verify = verify
        # The window app paces the digest check (it reads every record of the scope: seconds
        # on a League store): at most every VERIFY_MIN_INTERVAL_S, and never more than a tenth
        # of the time. The command line and the tests check after every cycle.
        self.verify_pacing = verify_pacing
        self._clock = time.monotonic
        self._next_verify_at = 0.0
        self._force = False
        self._page_recs: dict[str, Record] = {}
        self._page_events: set[str] = set()
        self._page_values: dict[str, dict[str, Any]] = {}
        self._page_new: set[str] = set()
        self._page_event_rows: list[dict[str, Any]] = []
        self._tables_ready = False

    # --- plumbing ------------------------------------------------------------------------
    def _fault(self, point: str) -> None:
        """Named crash points for the fault tests: `faults` raises InjectedFault there; the
        environment variable XINGAN_SYNC_FAULT=<point> kills the process (exit code 137), as
        a power cut or kill -9 would."""
        wanted = os.environ.get(FAULT_ENV, "")
        if wanted:
            name, _, nth = wanted.partition("@")  # "mid_ack@3": die the third time
            if name == point:
                self._fault_hits[point] = self._fault_hits.get(point, 0) + 1
                if self._fault_hits[point] >= int(nth or 1):
                    os._exit(137)
        if point in self.faults:
            raise InjectedFault(point)

    @contextmanager
    def _central(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=self.connect_timeout,
                options=f"-c statement_timeout={self.statement_timeout_ms}",
                application_name=f"xingan-desk {self.desk.identity.window_code}",
            )
        except psycopg.OperationalError as exc:
            raise SyncUnavailable(
                f"无法连接中心数据库，请检查网络后重试（本地数据已保存，稍后会自动上传）。详情：{exc}"
            ) from exc
        try:
            yield conn
        except pgerrors.QueryCanceled as exc:
            raise SyncUnavailable("中心数据库响应超时，本次同步已中止（本地数据不受影响），稍后会自动重试") from exc
        except pgerrors.LockNotAvailable as exc:
            raise SyncUnavailable("中心数据库繁忙，本次同步已中止（本地数据不受影响），稍后会自动重试") from exc
        except pgerrors.InsufficientPrivilege as exc:
            raise SyncRefused("ACCESS_DENIED", f"中心数据库拒绝了本窗口的访问：{exc.diag.message_primary}") from exc
        except psycopg.OperationalError as exc:
            raise SyncUnavailable(
                f"与中心数据库的连接中断，本次同步已中止（本地数据不受影响），稍后会自动重试。详情：{exc}"
            ) from exc
        finally:
            conn.close()

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            local_schema.ensure(self.desk.engine)
            self._tables_ready = True

    # --- the cycle -----------------------------------------------------------------------
    def run_once(self) -> SyncReport:
        """One push-then-pull cycle. Raises SyncUnavailable / SyncRefused; never loses data."""
        self._ensure_tables()
        report = SyncReport()
        with self._central() as conn:
            self.requeue_lost_acks(conn, report)
            self.push(conn, report)
            self.pull(conn, report)
            if self.verify and (not self.verify_pacing or self._clock() >= self._next_verify_at):
                started = self._clock()
                self.verify_digests(conn, report)
                took = self._clock() - started
                self._next_verify_at = self._clock() + max(VERIFY_MIN_INTERVAL_S,
                                                           VERIFY_COST_FACTOR * took)
        self.prune_acked(report)
        return report

    def acked_retention_days(self) -> int:
        """How long acknowledged changes stay in acked_log (setting, default 30 days)."""
        try:
            days = int(self.desk.setting(ACKED_RETENTION_SETTING, ACKED_RETENTION_DAYS))
        except (TypeError, ValueError):
            return ACKED_RETENTION_DAYS
        return max(1, days)

    def prune_acked(self, report: SyncReport | None = None,
                    now: dt.datetime | None = None) -> int:
        """After a successful cycle: drop acknowledged changes older than the retention. A
        central restored from a backup younger than that loses nothing (they are re-pushed by
        `requeue_lost_acks`); older backups are outside the promise. Only the oldest row is
        read on a normal cycle (by primary key), so this costs nothing until rows age out."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.acked_retention_days())
        with self.desk.reading() as s:
            oldest = s.scalar(select(acked_log.c.acked_at).order_by(acked_log.c.local_seq)
                              .limit(1))
        if oldest is None or oldest >= cutoff:
            return 0
        with self.desk.writing() as w:
            s = w.session
            n = int(s.execute(delete(acked_log).where(acked_log.c.acked_at < cutoff))
                    .rowcount or 0)  # type: ignore[attr-defined]
        if report is not None:
            report.pruned += n
        return n

    def status(self) -> dict[str, Any]:
        with self._central() as conn:
            return dict(self._call(conn, "SELECT sync.status()"))

    def _call(self, conn: psycopg.Connection[Any], query: str,
              params: tuple[Any, ...] = ()) -> Any:
        """One function call. statement_timeout bounds the server side; a watchdog bounds the
        network side (a blackholed or half-open connection would otherwise wait forever): it
        shuts the socket down, which surfaces as OperationalError → SyncUnavailable."""
        timer = threading.Timer(self.statement_timeout_ms / 1000 + self.network_grace_s,
                                _shutdown_socket, (conn,))
        timer.daemon = True
        timer.start()
        try:
            row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
        finally:
            timer.cancel()
        assert row is not None
        return row[0]

    # --- central restored from a backup ---------------------------------------------------
    def requeue_lost_acks(self, conn: psycopg.Connection[Any], report: SyncReport) -> None:
        """If central's high-water mark for this window is below changes it once acknowledged
        (central was restored from a backup), put those changes back into the outbox with
        their original local_seq and mutation id, so they are pushed again (reference §7 S14).
        """
        status = self._call(conn, "SELECT sync.status()")
        self._check_clock(status, report)
        high = int(status.get("last_local_seq") or 0)
        self._after_local_restore(status, high)
        with self.desk.writing() as w:
            s = w.session
            lost = list(s.execute(select(acked_log).where(acked_log.c.local_seq > high)
                                  .order_by(acked_log.c.local_seq)).mappings())
            if not lost:
                return
            now = utcnow()
            for row in lost:
                s.execute(insert(OutboxEntry).values(
                    local_seq=row["local_seq"], mutation_id=row["mutation_id"],
                    entity=row["entity"], entity_id=row["entity_id"], op=row["op"],
                    payload=row["payload"], hlc=row["hlc"], created_at=now, state="pending",
                    attempts=0))
            s.execute(delete(acked_log).where(acked_log.c.local_seq > high))
            s.execute(insert(sync_issue).values(
                code="CENTRAL_RESTORED", created_at=now, resolved_at=now, reason=(
                    f"中心数据库缺少本窗口已确认的{len(lost)}条变更（中心可能从备份恢复），"
                    "已自动重新上传")))
        report.requeued += len(lost)

    def _check_clock(self, status: dict[str, Any], report: SyncReport) -> None:
        """Compare this PC's clock with central's (reference §7 S15). A skew over 5 minutes is
        listed once for the administrator; ordering itself relies on the HLC, not on it."""
        server = _parse_time(status.get("server_time"))
        report.clock_skew_s = (utcnow() - server).total_seconds()
        if abs(report.clock_skew_s) <= CLOCK_SKEW_LIMIT_S:
            return
        minutes = round(report.clock_skew_s / 60)
        reason = (f"本机时钟与中心数据库相差约{abs(minutes)}分钟（本机{'快' if minutes > 0 else '慢'}），"
                  "请校准电脑时间")
        with self.desk.writing() as w:
            s = w.session
            open_one = s.execute(select(sync_issue.c.id).where(
                sync_issue.c.code == "CLOCK_SKEW", sync_issue.c.resolved_at.is_(None))).first()
            if open_one is None:
                s.execute(insert(sync_issue).values(code="CLOCK_SKEW", reason=reason,
                                                    created_at=utcnow()))

    def _after_local_restore(self, status: dict[str, Any], high: int) -> None:
        """This store was restored from a backup (its generation is above the one central
        knows) and its outbox counter is behind central's high-water mark for the window:
        renumber the waiting rows after that mark and move the counter, so the restore is not
        mistaken for a cloned store (reference §7 S12). Without a generation bump nothing is
        renumbered, and central's divergence check still catches a copied store."""
        central_gen = status.get("generation")
        if central_gen is None or self.desk.identity.generation <= int(central_gen):
            return
        with self.desk.writing() as w:
            s = w.session
            low = s.scalar(select(func.min(OutboxEntry.local_seq)))
            seq_row = s.execute(text(
                "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).first()
            counter = int(seq_row[0]) if seq_row else 0
            if (low is None or low > high) and counter >= high:
                return
            if low is not None and low <= high:
                offset = high - int(low) + 1
                # two steps, so no intermediate value collides with another row's key
                s.execute(text("UPDATE outbox SET local_seq = -(local_seq + :o)"),
                          {"o": offset})
                s.execute(text("UPDATE outbox SET local_seq = -local_seq"))
            top = s.scalar(select(func.max(OutboxEntry.local_seq))) or 0
            new_counter = max(counter, high, int(top))
            if seq_row:
                s.execute(text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'outbox'"),
                          {"n": new_counter})
            else:
                s.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', :n)"),
                          {"n": new_counter})
            w.audit("sync_renumber", detail=(
                f"本机从备份恢复：待上传变更的序号已排在中心记录（{high}）之后"))

    # --- push ----------------------------------------------------------------------------
    def push(self, conn: psycopg.Connection[Any], report: SyncReport) -> None:
        ident = self.desk.identity
        while True:
            with self.desk.reading() as s:
                rows = list(s.scalars(
                    select(OutboxEntry).where(OutboxEntry.state == "pending")
                    .order_by(OutboxEntry.local_seq).limit(self.batch_size)))
            if not rows:
                return
            req = {
                "protocol": PROTOCOL_VERSION, "app_version": __version__,
                "window_code": ident.window_code, "installation_id": ident.installation_id,
                "machine_id": self.machine_id, "generation": ident.generation,
                "mutations": [
                    {"local_seq": r.local_seq, "mutation_id": r.mutation_id, "entity": r.entity,
                     "entity_id": r.entity_id, "op": r.op, "payload": r.payload, "hlc": r.hlc}
                    for r in rows
                ],
            }
            self._fault("before_push")
            resp = self._call(conn, "SELECT sync.push(%s)", (Jsonb(req),))
            if resp.get("status") != "ok":
                self._refused(resp)
            self._fault("after_push_before_ack")
            done = self._ack(rows, resp["results"], report)
            if done == 0:
                raise SyncError("中心数据库没有确认任何上传的变更，同步已停止，请联系管理员")
            if len(rows) < self.batch_size:
                return

    def _refused(self, resp: dict[str, Any]) -> None:
        code = str(resp.get("code") or "REFUSED")
        reason = str(resp.get("reason") or "中心数据库拒绝了本窗口的同步请求")
        with self.desk.writing() as w:
            s = w.session
            open_same = s.execute(select(sync_issue.c.id).where(
                sync_issue.c.code == code, sync_issue.c.resolved_at.is_(None),
                sync_issue.c.local_seq.is_(None))).first()
            if open_same is None:
                s.execute(insert(sync_issue).values(code=code, reason=reason,
                                                    created_at=utcnow()))
        raise SyncRefused(code, reason)

    def _ack(self, rows: list[OutboxEntry], results: list[dict[str, Any]],
             report: SyncReport) -> int:
        """One local transaction: accepted rows move from the outbox to acked_log (two set
        statements per batch), rejected rows are marked with their reason."""
        by_seq = {int(r["local_seq"]): r for r in results}
        now = utcnow()
        accepted: list[int] = []
        rejected: list[tuple[OutboxEntry, dict[str, Any]]] = []
        for row in rows:
            res = by_seq.get(row.local_seq)
            if res is None:
                continue
            report.pushed += 1
            if res.get("replay"):
                report.replayed += 1
            if res["status"] == "accepted":
                accepted.append(row.local_seq)
            else:
                rejected.append((row, res))
        with self.desk.writing() as w:
            s = w.session
            for chunk in _chunks(accepted, 500):
                o = OutboxEntry
                s.execute(insert(acked_log).prefix_with("OR IGNORE").from_select(
                    ["local_seq", "mutation_id", "entity", "entity_id", "op", "payload", "hlc",
                     "status", "acked_at"],
                    select(o.local_seq, o.mutation_id, o.entity, o.entity_id, o.op, o.payload,
                           o.hlc, literal("accepted"), literal(now, UTCDateTime()))
                    .where(o.local_seq.in_(chunk))))
                s.execute(delete(OutboxEntry).where(OutboxEntry.local_seq.in_(chunk)))
            for row, res in rejected:
                reason = str(res.get("reason") or "中心数据库拒绝了该变更")
                report.rejections.append((row.local_seq, reason))
                s.execute(update(OutboxEntry).where(OutboxEntry.local_seq == row.local_seq)
                          .values(state="rejected", last_error=reason,
                                  attempts=OutboxEntry.attempts + 1))
                s.execute(insert(sync_issue).values(
                    local_seq=row.local_seq, mutation_id=row.mutation_id, entity=row.entity,
                    entity_id=row.entity_id, code=res.get("code"), reason=reason,
                    created_at=now))
            self._fault("mid_ack")
        report.accepted += len(accepted)
        report.rejected += len(rejected)
        return len(accepted) + len(rejected)

    # --- pull ----------------------------------------------------------------------------
    def pull(self, conn: psycopg.Connection[Any], report: SyncReport) -> None:
        status = self._call(conn, "SELECT sync.status()")
        for stream in sorted(status["streams"]):
            self._pull_stream(conn, stream, report)

    def _cursor(self, stream: str) -> tuple[int, str | None]:
        with self.desk.reading() as s:
            row = s.execute(select(sync_cursor.c.seq, sync_cursor.c.epoch)
                            .where(sync_cursor.c.stream == stream)).first()
        return (0, None) if row is None else (int(row[0]), row[1])

    def _pull_stream(self, conn: psycopg.Connection[Any], stream: str,
                     report: SyncReport) -> None:
        """Pages of `seq > cursor` until the head. Up to `apply_batch` changes (several
        pages) are applied in one local transaction with their cursor, while the next pages
        are already being read (central's time overlaps the local apply)."""
        pages = _Prefetch(self, conn, stream)
        try:
            self._pull_pages(pages, stream, report)
        finally:
            pages.close()

    def _pull_pages(self, pages: _Prefetch, stream: str, report: SyncReport) -> None:
        rebaselined = False
        cursor, epoch = self._cursor(stream)
        while True:
            page = pages.get(cursor)
            head = int(page["head"])
            if (epoch and page["epoch"] and epoch != page["epoch"]) or cursor > head:
                if rebaselined:
                    raise SyncError("中心数据库的数据批次在同步过程中再次变化，请稍后重试")
                # central was restored / re-initialised: read the stream again from the start
                # (apply is idempotent; the outbox is untouched)
                self._set_cursor_only(stream, 0, page["epoch"], head)
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
            self._fault("before_apply")
            if changes or not epoch:
                self._apply_page(stream, changes, at, page_epoch, head, report)
            report.streams[stream] = (at, head)
            if not changes or at >= head:
                return
            cursor, epoch = at, page_epoch

    def _set_cursor_only(self, stream: str, seq: int, epoch: str | None, head: int) -> None:
        with self.desk.writing() as w:
            s = w.session
            self._write_cursor(s, stream, seq, epoch, head)

    @staticmethod
    def _write_cursor(s: Session, stream: str, seq: int, epoch: str | None, head: int) -> None:
        values = {"seq": seq, "epoch": epoch, "head": head, "updated_at": utcnow()}
        done = s.execute(update(sync_cursor).where(sync_cursor.c.stream == stream)
                         .values(**values))
        if not done.rowcount:  # type: ignore[attr-defined]
            s.execute(insert(sync_cursor).values(stream=stream, **values))

    def _apply_page(self, stream: str, changes: list[dict[str, Any]], new_cursor: int,
                    epoch: str | None, head: int, report: SyncReport) -> None:
        desk = self.desk
        ident = desk.identity
        calendar_changed = False
        with desk.writing() as w:
            s = w.session
            touched: dict[str, None] = {}
            top_hlc = ""
            # one query each for the records and events this page already has locally
            rec_ids = {c["payload"]["id"] if c["entity"] == "record"
                       else c["payload"].get("record_id") for c in changes
                       if c["entity"] in ("record", "event")}
            ev_ids = [c["payload"]["id"] for c in changes if c["entity"] == "event"]
            self._page_recs = {r.id: r for r in s.scalars(
                select(Record).where(Record.id.in_(rec_ids)))} if rec_ids else {}
            self._page_events = set(s.scalars(select(RecordEvent.id).where(
                RecordEvent.id.in_(ev_ids)))) if ev_ids else set()
            self._page_new = set()
            self._page_event_rows = []
            self._page_values = self._load_values(s, self._page_recs.values())
            for ch in changes:
                p = ch["payload"]
                if ch["entity"] == "record":
                    self._apply_record(w, p, touched, report)
                elif ch["entity"] == "event":
                    self._apply_event(s, p, touched, report)
                elif ch["entity"] == "calendar":
                    if self._apply_calendar(w, p):
                        calendar_changed = True
                        report.calendar_applied += 1
                else:
                    raise SyncError(f"无法识别的变更类型“{ch['entity']}”，请升级本程序")
                top_hlc = max(top_hlc, str(p.get("hlc") or ""))
            # records new to this window: folded, indexed and inserted in bulk (with the
            # page's events); then what changed in records it had: refolded and re-indexed
            # with their values and events loaded for the whole page at once
            self._insert_new(w)
            existing = [rid for rid in touched if rid not in self._page_new]
            events: dict[str, list[EventLike]] = {}
            applied: dict[str, bool] = {}
            for i in range(0, len(existing), 500):
                for e in s.execute(select(
                        RecordEvent.record_id, RecordEvent.id, RecordEvent.hlc,
                        RecordEvent.action, RecordEvent.from_status, RecordEvent.payload,
                        RecordEvent.applied).where(
                            RecordEvent.record_id.in_(existing[i:i + 500]))):
                    events.setdefault(e.record_id, []).append(
                        EventLike(e.id, e.hlc, e.action, e.from_status, e.payload))
                    applied[e.id] = bool(e.applied)
            for rid in existing:
                rec = self._page_recs.get(rid) or w.load(rid)
                kind = KINDS[rec.kind]
                values = self._page_values.get(rid)
                if values is None:
                    values = w.values(kind, rid)
                after = w.refold(kind, rec, values, events.get(rid, []), applied)
                w.index(kind, rec, after)
            if top_hlc:
                inst = s.get(Installation, 1)
                assert inst is not None
                inst.hlc_last = hlc_mod.receive(inst.hlc_last or None, top_hlc,
                                                ident.window_code)
            if changes:
                self._fault("mid_apply")
            self._write_cursor(s, stream, new_cursor, epoch, head)
            if changes:
                w.audit("sync_pull", detail=(
                    f"同步：从{stream}接收{len(changes)}条变更（至{new_cursor}）"))
        if calendar_changed:
            desk.calendars.invalidate()  # deadlines from now on use the new holiday table
        report.pulled += len(changes)
        if changes:
            self._fault("after_apply")

    def _apply_calendar(self, w: Writer, p: dict[str, Any]) -> bool:
        """One day of the League's holiday table: the entry with the later HLC wins (a
        League window's own newer edit, still waiting to be pushed, stays); on a
        re-baseline central's entry repairs the local one. Returns whether it changed."""
        day = dt.date.fromisoformat(str(p["day"]))
        kind, name, stamp = p.get("kind"), str(p.get("name") or ""), str(p["hlc"])
        s = w.session
        entry = s.get(LeagueCalendarDay, day)
        if entry is not None:
            same = (entry.kind, entry.name, entry.hlc) == (kind, name, stamp)
            if same or (entry.hlc >= stamp and not self._force):
                return False
        old = None if entry is None else entry.kind
        if entry is None:
            entry = LeagueCalendarDay(day=day)
            s.add(entry)
        entry.kind, entry.name, entry.hlc = kind, name, stamp
        entry.updated_by = str(p.get("updated_by") or "")[:50]
        entry.origin = str(p.get("origin") or "")[:20]
        entry.updated_at = utcnow()
        w.audit(
            "calendar", changes={day.isoformat(): [old, kind]},
            detail=f"全盟统一安排（{entry.origin} 窗口录入）" + (f"：{name}" if name else ""))
        return True

    @staticmethod
    def _load_values(s: Session, recs: Collection[Record]) -> dict[str, dict[str, Any]]:
        """The detail values of these local records (one query per kind)."""
        by_kind: dict[str, list[str]] = {}
        for r in recs:
            by_kind.setdefault(r.kind, []).append(r.id)
        out: dict[str, dict[str, Any]] = {}
        for kind_key, ids in by_kind.items():
            kind, table = KINDS[kind_key], DETAIL[kind_key]
            for i in range(0, len(ids), 500):
                for row in s.execute(select(table).where(
                        table.c.record_id.in_(ids[i:i + 500]))).mappings():
                    out[row["record_id"]] = from_db(kind, row)
        return out

    def _insert_new(self, w: Writer) -> None:
        """Insert the records this page created (not yet in the session), each folded over
        its events with Writer.fold_into, with their detail rows, search tokens and the page's
        events: one executemany per table."""
        s = w.session
        new = [self._page_recs[rid] for rid in self._page_new]
        page_events: dict[str, list[dict[str, Any]]] = {}
        for row in self._page_event_rows:
            page_events.setdefault(row["record_id"], []).append(row)
        pk = s.scalar(select(func.max(Record.pk))) or 0
        rec_rows, tokens = [], []
        details: dict[str, list[dict[str, Any]]] = {}
        for rec in new:
            kind = KINDS[rec.kind]
            values = self._page_values[rec.id]
            rows = page_events.get(rec.id, [])
            applied, _ = w.fold_into(kind, rec, values, [
                EventLike(e["id"], e["hlc"], e["action"], e["from_status"], e["payload"])
                for e in rows])
            for e in rows:
                e["applied"] = e["id"] in applied
            rec.search_text = search_text(kind, rec, values)
            pk += 1
            rec_rows.append({"pk": pk, **{c: getattr(rec, c) for c in _NEW_COLS}})
            details.setdefault(kind.key, []).append({"record_id": rec.id,
                                                     **to_db(kind, values)})
            tokens.append({"pk": pk, "t": search.tokens_for(rec.search_text)})
        if rec_rows:
            s.execute(insert(record_table), rec_rows)
        for kind_key, rows in details.items():
            s.execute(insert(DETAIL[kind_key]), rows)
        if self._page_event_rows:
            s.execute(insert(event_table), self._page_event_rows)
        if tokens:
            s.execute(text("INSERT INTO record_search(rowid, tokens) VALUES (:pk, :t)"), tokens)
        for rec in new:
            self._page_recs.pop(rec.id, None)  # transient copies: not to be flushed
        self._page_event_rows = []

    @staticmethod
    def _pending_fields(s: Session, record_id: str) -> set[str]:
        keys: set[str] = set()
        for payload in s.scalars(select(OutboxEntry.payload).where(
                OutboxEntry.entity_id == record_id, OutboxEntry.entity == "record",
                OutboxEntry.state == "pending")):
            keys.update((payload or {}).get("values", {}))
        return keys

    def _apply_record(self, w: Writer, snap: dict[str, Any], touched: dict[str, None],
                      report: SyncReport) -> None:
        s = w.session
        kind = KINDS.get(snap["kind"])
        if kind is None:
            raise SyncError(f"收到本程序不认识的记录类型“{snap['kind']}”，请升级本程序")
        rid = snap["id"]
        rvals: dict[str, Any] = snap.get("values") or {}
        rfh: dict[str, str] = snap.get("field_hlc") or {}
        rec = self._page_recs.get(rid)
        now = utcnow()
        if rec is None:
            full = {f.key: None for f in kind.fields}
            full.update(kind.from_json({k: v for k, v in rvals.items() if kind.has_field(k)}))
            rec = _NewRecord(  # type: ignore[assignment]  # inserted at the end of the page
                id=rid, kind=kind.key, receipt_no=snap["receipt_no"], status="",
                needs_review=False, owner=snap["owner"], county_code=snap["county_code"],
                created_by=snap["created_by"], created_at=_parse_time(snap["created_at"]),
                updated_at=now, updated_by=snap["created_by"], hlc=snap["hlc"],
                field_hlc=dict(rfh), row_version=int(snap.get("row_version") or 1),
                voided=bool(snap.get("voided")), void_reason=snap.get("void_reason"),
                title=kind.title_of(full), enterprise_uscc=uscc_of(full))
            self._page_recs[rid] = rec
            self._page_values[rid] = full
            self._page_new.add(rid)
            touched[rid] = None
            report.records_applied += 1
            return
        local = self._page_values.get(rid)
        if local is None:
            local = w.values(kind, rid)
        local_json = kind.to_json(local)
        lfh = dict(rec.field_hlc or {})
        is_new = rid in self._page_new  # created earlier in this page, still in memory
        pending = set() if is_new else self._pending_fields(s, rid)
        changed: dict[str, Any] = {}
        force = self._force and not is_new and not pending and not self._has_pending(s, rid)
        for k, rh in rfh.items():
            if not kind.has_field(k):
                continue
            lh = lfh.get(k)
            rv, lv = rvals.get(k), local_json.get(k)
            if force and (rv != lv or rh != lh):
                changed[k] = rv  # re-baseline: central's value repairs a damaged local one
                lfh[k] = rh
                continue
            if lh is not None and rh <= lh:
                continue  # local value is as new or newer (it reaches central with its HLC)
            if rv != lv:
                changed[k] = rv
                if k in pending:
                    s.execute(insert(sync_conflict).values(
                        record_id=rid, field=k, kept_value=rv, kept_hlc=rh, lost_value=lv,
                        lost_hlc=lh, created_at=now))
                    report.conflicts += 1
            lfh[k] = rh
        dirty = bool(changed)
        if changed:
            if not is_new:
                table = DETAIL[kind.key]
                s.execute(update(table).where(table.c.record_id == rid)
                          .values(**to_db(kind, kind.from_json(changed))))
            full = {**local, **kind.from_json(changed)}
            self._page_values[rid] = full
            rec.title = kind.title_of(full)
            rec.enterprise_uscc = uscc_of(full)
            if kind.key == "enterprise" and full.get("county_code"):
                rec.county_code = full["county_code"]
        if lfh != rec.field_hlc:
            rec.field_hlc = lfh
        if snap.get("voided") and not rec.voided:
            rec.voided, rec.void_reason = True, snap.get("void_reason")
            dirty = True
        if force:
            if bool(snap.get("voided")) != rec.voided:
                rec.voided, rec.void_reason = bool(snap.get("voided")), snap.get("void_reason")
                dirty = True
            touched[rid] = None  # refold: the status is recomputed from the events
        elif snap["hlc"] > rec.hlc:
            rec.hlc = snap["hlc"]
        if dirty:
            rec.row_version = max(rec.row_version + 1, int(snap.get("row_version") or 1))
            rec.updated_at = now
            touched[rid] = None
            report.records_applied += 1

    @staticmethod
    def _has_pending(s: Session, record_id: str) -> bool:
        """Pending outbox rows for the record itself or one of its events."""
        if s.scalar(select(OutboxEntry.local_seq).where(
                OutboxEntry.entity_id == record_id, OutboxEntry.state == "pending").limit(1)):
            return True
        ev_ids = select(RecordEvent.id).where(RecordEvent.record_id == record_id)
        return s.scalar(select(OutboxEntry.local_seq).where(
            OutboxEntry.entity_id.in_(ev_ids), OutboxEntry.state == "pending").limit(1)
        ) is not None

    # --- integrity -----------------------------------------------------------------------
    def local_digest(self, stream: str) -> dict[str, Any]:
        """The same count + additive hash central's sync.digest computes, over the local rows
        of one stream."""
        return self.local_digests().get(stream, {"records": 0, "events": 0, "hash": "0"})

    def local_digests(self) -> dict[str, dict[str, Any]]:
        """`local_digest` for every stream in one pass: one query per kind (record envelope
        joined to its detail row) and one over the events, streamed, so a 200,000-record
        store is checked in seconds and without holding its rows in memory."""
        sums: dict[str, list[int]] = {}  # stream: [records, events, hash]
        stream_of: dict[str, str] = {}
        with self.desk.reading() as s:
            for kind in KINDS.values():
                table = DETAIL[kind.key]
                q = (select(Record.id.label("_rid"), Record.county_code.label("_county"),
                            Record.voided.label("_voided"), Record.status.label("_status"),
                            Record.field_hlc.label("_fh"), table)
                     .join(table, table.c.record_id == Record.id)
                     .where(Record.kind == kind.key))
                res = s.execute(q.execution_options(yield_per=2000))
                at = {k: i for i, k in enumerate(res.keys())}
                for row in res:
                    rid = row[0]
                    stream = "global" if kind.key == "enterprise" else f"county:{row[1]}"
                    stream_of[rid] = stream
                    acc = sums.setdefault(stream, [0, 0, 0])
                    acc[0] += 1
                    acc[2] += _h60(_line(rid, bool(row[2]), row[3], row[4] or {}, kind,
                                         row, at))
            for rid, eid, ehlc in s.execute(select(RecordEvent.record_id, RecordEvent.id,
                                                   RecordEvent.hlc)
                                            .execution_options(yield_per=5000)):
                stream = stream_of.get(rid)
                if stream is None:
                    continue
                acc = sums[stream]
                acc[1] += 1
                acc[2] += _h60(f"{eid}|{rid}|{ehlc}")
            for day, kind, ehlc in s.execute(select(LeagueCalendarDay.day,
                                                    LeagueCalendarDay.kind,
                                                    LeagueCalendarDay.hlc)):
                acc = sums.setdefault("global", [0, 0, 0])
                acc[2] += _h60(calendar_line(day, kind, ehlc))
        return {k: {"records": v[0], "events": v[1], "hash": str(v[2])} for k, v in sums.items()}

    def verify_digests(self, conn: psycopg.Connection[Any], report: SyncReport) -> None:
        """After a pull, compare each stream's digest with central (only when the outbox is
        empty and the cursor is at central's head). A mismatch re-baselines the stream: read
        it again from the start, letting central's values repair damaged local ones (the
        outbox is never touched). Still different → a sync_issue for the administrator."""
        with self.desk.reading() as s:
            # pending rows: not comparable yet; rejected rows: the local copy differs on
            # purpose and is already listed for the clerk (re-baselining would loop)
            waiting = s.scalar(select(OutboxEntry.local_seq).limit(1))
        if waiting is not None:
            return
        streams = sorted(report.streams)
        # central computes its digests while this window computes its own
        centrals: dict[str, Any] = {}
        failed: list[BaseException] = []

        def ask() -> None:
            try:
                for stream in streams:
                    centrals[stream] = self._call(conn, "SELECT sync.digest(%s)", (stream,))
            except BaseException as exc:  # re-raised below, in this thread
                failed.append(exc)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        try:
            locals_ = self.local_digests()
        finally:
            asking.join()
        if failed:
            raise failed[0]
        for stream in streams:
            central = centrals[stream]
            if self._cursor(stream)[0] != int(central["head"]):
                continue  # others pushed meanwhile; check next time
            local = locals_.get(stream, {"records": 0, "events": 0, "hash": "0"})
            same = all(str(local[k]) == str(central[k]) for k in ("records", "events", "hash"))
            if same:
                report.verified.append(stream)
                continue
            report.rebaselined.append(stream)
            self._set_cursor_only(stream, 0, self._cursor(stream)[1], int(central["head"]))
            self._fault(REBASELINE_FAULT)
            self._force = True
            try:
                self._pull_stream(conn, stream, report)
            finally:
                self._force = False
            central = self._call(conn, "SELECT sync.digest(%s)", (stream,))
            local = self.local_digest(stream)
            if all(str(local[k]) == str(central[k]) for k in ("records", "events", "hash")):
                report.verified.append(stream)
                continue
            report.digest_mismatch.append(stream)
            with self.desk.writing() as w:
                s = w.session
                s.execute(insert(sync_issue).values(
                    code="DIGEST_MISMATCH", created_at=utcnow(), reason=(
                        f"本机数据与中心数据库核对不一致（{stream}：本机{local['records']}条登记、"
                        f"{local['events']}条办理记录，中心{central['records']}条、"
                        f"{central['events']}条），请联系管理员核查")))

    def _apply_event(self, s: Session, p: dict[str, Any], touched: dict[str, None],
                     report: SyncReport) -> None:
        if p["id"] in self._page_events:
            return
        self._page_events.add(p["id"])
        rec = self._page_recs.get(p["record_id"])
        if rec is None:
            raise SyncError("收到的办理记录找不到对应的登记（数据顺序异常），同步已停止，请联系管理员")
        self._page_event_rows.append(dict(
            id=p["id"], record_id=p["record_id"], action=p["action"],
            from_status=p["from_status"], to_status=p["to_status"], payload=p.get("payload") or {},
            hlc=p["hlc"], actor=p.get("actor") or "", owner=p.get("owner") or "",
            created_at=_parse_time(p.get("created_at")), applied=True,
        ))  # inserted with the page's new records (_insert_new), one executemany
        rec.row_version += 1
        if p["hlc"] > rec.hlc:
            rec.hlc = p["hlc"]
        touched[rec.id] = None
        report.events_applied += 1


@dataclass(slots=True)
class _NewRecord:
    """A record arriving in a pull page, held until the page is inserted (the columns of
    storage.schema.Record but pk; Desk._fold_into and _search_text work on it as on one)."""

    id: str
    kind: str
    receipt_no: str
    status: str
    needs_review: bool
    owner: str
    county_code: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str
    hlc: str
    field_hlc: dict[str, Any]
    row_version: int
    voided: bool
    void_reason: str | None
    title: str
    enterprise_uscc: str | None
    search_text: str = ""
    due_date: dt.date | None = None
    due_label: str | None = None
    print_count: int = 0


_NEW_COLS = tuple(f.name for f in dataclasses.fields(_NewRecord))


class _Prefetch:
    """Reads sync.pull pages ahead in a background thread (up to `depth` pages), so central's
    time overlaps the local apply. While that reader runs, only it uses the connection; `get`
    returns the page for a cursor (restarting the reader if it was reading elsewhere) and
    `close` stops it before anything else is sent."""

    def __init__(self, client: SyncClient, conn: psycopg.Connection[Any], stream: str,
                 depth: int = 6) -> None:
        self.client, self.conn, self.stream, self.depth = client, conn, stream, depth
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._queue: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(depth)
        self._next = -1  # the cursor the next queued page starts from

    def _read(self, cursor: int, q: queue.Queue[tuple[Any, BaseException | None]],
              stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                page = self.client._call(self.conn, "SELECT sync.pull(%s, %s, %s)",
                                         (self.stream, cursor, self.client.page_size))
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


def _stream_of(rec: Record) -> str:
    return "global" if rec.kind == "enterprise" else f"county:{rec.county_code}"


_json_str = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (as jsonb prints)


def jsonb_text(value: Any) -> str:
    """PostgreSQL's jsonb output for a JSON value (keys ordered by length, then bytes)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{jsonb_text(k)}: {jsonb_text(value[k])}" for k in keys) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def record_line(rec: Record, values_json: dict[str, Any]) -> str:
    """Canonical text of a record for the digest (mirrors sync._record_line)."""
    fh = rec.field_hlc or {}
    fields = ";".join(
        f"{k}={fh[k]}={hashlib.md5(jsonb_text(values_json.get(k)).encode()).hexdigest()}"
        for k in sorted(fh))
    return f"{rec.id}|{'t' if rec.voided else 'f'}|{rec.status}|{fields}"


def calendar_line(day: dt.date, kind: str | None, stamp: str) -> str:
    """Canonical text of a League holiday-table entry for the `global` digest (mirrors
    sync.digest)."""
    return f"cal|{day.isoformat()}|{kind or '-'}|{stamp}"


def _line(rid: str, voided: bool, status: str, fh: dict[str, str], kind: Any,
          row: Any, at: dict[str, int]) -> str:
    """record_line from a detail row as stored (`at`: column positions in the row; only the
    fields with an HLC are converted)."""
    conv = _converters(kind)
    md5 = hashlib.md5
    parts = []
    for k in sorted(fh):
        v = row[at[k]] if k in conv else None
        if v is not None:
            f = conv[k]
            if f is not None:
                v = f(v)
            text_ = _json_str(v) if type(v) is str else jsonb_text(v)
        else:
            text_ = "null"
        parts.append(f"{k}={fh[k]}={md5(text_.encode()).hexdigest()}")
    return f"{rid}|{'t' if voided else 'f'}|{status}|{';'.join(parts)}"


_CONVERTERS: dict[str, dict[str, Any]] = {}


def _converters(kind: Any) -> dict[str, Any]:
    """Per field of a kind: how a stored value becomes its JSON form (None: as it is)."""
    conv = _CONVERTERS.get(kind.key)
    if conv is None:
        conv = {}
        for f in kind.fields:
            if isinstance(f, GroupField):
                conv[f.key] = (lambda v, f=f: f.to_json(f.from_json(
                    json.loads(v) if isinstance(v, str) else v)))
            elif type(f).to_json is not Field.to_json:
                conv[f.key] = f.to_json
            else:
                conv[f.key] = None
        _CONVERTERS[kind.key] = conv
    return conv


def _h60(line: str) -> int:
    return int(hashlib.md5(line.encode()).hexdigest()[:15], 16)


def _shutdown_socket(conn: psycopg.Connection[Any]) -> None:
    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
    except OSError:
        pass


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _parse_time(value: Any) -> dt.datetime:
    if not value:
        return utcnow()
    t = dt.datetime.fromisoformat(str(value))
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
