"""The window side of sync: `SyncClient(desk, url).run_once()`.

One cycle, on one connection (`connection`):
1. Status: central's protocol/app version demands (a window too old stops here with a
   Chinese message: 升级本程序), the clock comparison, and re-queueing changes a restored
   central lost (`acked`).
2. Push the outbox (`push`).
3. Pull every stream the window may read (`pull`, pages read ahead by `prefetch`) and apply
   each batch with its cursor in one local transaction (`apply`); rows this window cannot
   apply are quarantined (`quarantine`) and the stream goes on.
4. Verify the stream digests (`digest`); then drop acknowledged changes older than the
   retention from `acked_log`.

A dead network raises `SyncUnavailable` (Chinese message); nothing local is lost, because the
outbox rows leave only in the ack transaction and the cursor only moves with applied rows.
Named crash points for the tests are in `faults`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from sqlalchemy import insert, select

from .. import __version__
from ..attachments.sync import AttachmentSync
from ..desk import Desk
from ..timeutil import utcnow
from . import PROTOCOL_VERSION, acked, local_schema
from .acked import ACKED_RETENTION_DAYS, ACKED_RETENTION_SETTING
from .apply import PageApplier, parse_time
from .connection import CentralLink, Connection, default_machine_id
from .digest import DigestCheck, calendar_line, jsonb_text, local_digests, record_line
from .errors import SyncError, SyncRefused, SyncUnavailable
from .faults import FAULT_ENV, FAULT_POINTS, REBASELINE_FAULT, FaultPoints, InjectedFault
from .local_schema import sync_issue
from .pull import StreamPuller, read_cursor, set_cursor
from .push import MAX_BATCH, Pusher, record_refusal
from .report import SyncReport

__all__ = [
    "ACKED_RETENTION_DAYS", "ACKED_RETENTION_SETTING", "FAULT_ENV", "FAULT_POINTS",
    "MAX_BATCH", "REBASELINE_FAULT", "InjectedFault", "SyncClient", "SyncError",
    "SyncRefused", "SyncReport", "SyncUnavailable", "calendar_line", "default_machine_id",
    "jsonb_text", "record_line",
]

log = logging.getLogger(__name__)
VERIFY_MIN_INTERVAL_S = 60.0  # paced digest checks (window app): at most once a minute …
VERIFY_COST_FACTOR = 10.0  # … and at most a tenth of the time
CLOCK_SKEW_LIMIT_S = 300
UPGRADE_CODE = "UPGRADE_REQUIRED"


def version_tuple(text: str) -> tuple[int, ...]:
    """'1.4.2' → (1, 4, 2); anything after the numbers is ignored."""
    return tuple(int(n) for n in re.findall(r"\d+", str(text).split("+")[0])[:4])


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
        self.machine_id = machine_id or default_machine_id()
        self.link = CentralLink(
            url, application_name=f"xingan-desk {desk.identity.window_code}",
            connect_timeout=connect_timeout, statement_timeout_ms=statement_timeout_ms,
            network_grace_s=network_grace_s)
        self.faults = FaultPoints(faults)
        self.pusher = Pusher(desk, self.call, self.faults, machine_id=self.machine_id,
                             batch_size=batch_size)
        self.applier = PageApplier(desk, self.faults)
        self.puller = StreamPuller(desk, self.call, self.faults, self.apply_page,
                                   page_size=page_size, apply_batch=apply_batch)
        self.digests = DigestCheck(desk, self.call, lambda stream: read_cursor(desk, stream)[0],
                                   self.rebaseline)
        self.attachments = AttachmentSync(desk, self.call)
        self.verify = verify
        # The window app paces the digest check (it reads every record of the scope: seconds
        # on a League store): at most every VERIFY_MIN_INTERVAL_S, and never more than a tenth
        # of the time. The command line and the tests check after every cycle.
        self.verify_pacing = verify_pacing
        self.clock: Callable[[], float] = time.monotonic
        self.next_verify_at = 0.0
        self.tables_ready = False

    @property
    def batch_size(self) -> int:
        return self.pusher.batch_size

    @property
    def page_size(self) -> int:
        return self.puller.page_size

    # --- plumbing (overridable: the sync service watches every call) ----------------------
    def connect(self) -> AbstractContextManager[Connection]:
        """An open connection to central (Chinese SyncUnavailable/SyncRefused on failure)."""
        return self.link.open()

    def call(self, conn: Connection, query: str, params: tuple[Any, ...] = ()) -> Any:
        """One function call on central (with the network watchdog)."""
        return self.link.call(conn, query, params)

    def fault(self, point: str) -> None:
        """A named crash point (see `faults`)."""
        self.faults.hit(point)

    def ensure_tables(self) -> None:
        if not self.tables_ready:
            local_schema.ensure(self.desk.engine)
            self.tables_ready = True

    # --- the cycle -----------------------------------------------------------------------
    def run_once(self) -> SyncReport:
        """One push-then-pull cycle. Raises SyncUnavailable / SyncRefused; never loses data."""
        self.ensure_tables()
        report = SyncReport()
        with self.connect() as conn:
            status = self.call(conn, "SELECT sync.status()")
            self.check_versions(status)
            self.check_clock(status, report)
            acked.requeue_lost(self.desk, status, report)
            self.push(conn, report)
            self.pull(conn, report)
            checked = False
            if self.verify and (not self.verify_pacing or self.clock() >= self.next_verify_at):
                started = self.clock()
                self.verify_digests(conn, report)
                took = self.clock() - started
                self.next_verify_at = self.clock() + max(VERIFY_MIN_INTERVAL_S,
                                                         VERIFY_COST_FACTOR * took)
                checked = True
            # the attachment digests are compared in the same cycles as the records'
            self.sync_attachments(conn, sorted(status.get("streams") or {}), report,
                                  verify=checked)
        self.prune_acked(report)
        self.desk.calendars.rederive_if_stale()  # deadlines follow the League's holiday table
        return report

    def sync_attachments(self, conn: Connection, streams: list[str],
                         report: SyncReport, *, verify: bool = False) -> None:
        """Attachments after the records (attachments/sync.py): a cut connection or a failure
        here ends only this phase; the records' cycle is already done and committed."""
        try:
            report.attachments = self.attachments.run(conn, streams, verify=verify)
        except (psycopg.Error, SyncError) as exc:
            report.attachment_problem = exc.__class__.__name__
            log.warning("attachment sync stopped: %s", exc.__class__.__name__)

    def push(self, conn: Connection, report: SyncReport) -> None:
        self.pusher.push(conn, report)

    def pull(self, conn: Connection, report: SyncReport) -> None:
        self.puller.pull(conn, report)

    def apply_page(self, stream: str, changes: list[dict[str, Any]], new_cursor: int,
                   epoch: str | None, head: int, report: SyncReport) -> None:
        """Apply one batch of pulled changes with its cursor, in one local transaction."""
        self.applier.apply_page(stream, changes, new_cursor, epoch, head, report)

    def set_cursor(self, stream: str, seq: int, epoch: str | None, head: int) -> None:
        set_cursor(self.desk, stream, seq, epoch, head)

    def verify_digests(self, conn: Connection, report: SyncReport) -> None:
        self.digests.verify(conn, report)

    def rebaseline(self, conn: Connection, stream: str, head: int, report: SyncReport) -> None:
        """Read a stream again from the start, central's values repairing local ones."""
        self.set_cursor(stream, 0, read_cursor(self.desk, stream)[1], head)
        self.fault(REBASELINE_FAULT)
        self.applier.force = True
        try:
            self.puller.pull_stream(conn, stream, report)
        finally:
            self.applier.force = False

    def local_digests(self) -> dict[str, dict[str, Any]]:
        return local_digests(self.desk)

    def status(self) -> dict[str, Any]:
        with self.connect() as conn:
            return dict(self.call(conn, "SELECT sync.status()"))

    # --- the acknowledged log ------------------------------------------------------------
    def acked_retention_days(self) -> int:
        """How long acknowledged changes stay in acked_log (setting, default 30 days)."""
        return acked.retention_days(self.desk)

    def prune_acked(self, report: SyncReport | None = None,
                    now: dt.datetime | None = None) -> int:
        return acked.prune(self.desk, report, now)

    # --- what central's status says ------------------------------------------------------
    def check_versions(self, status: dict[str, Any]) -> None:
        """Stop the cycle when central requires a newer protocol or release of this program
        (sync.status: `protocol.min`, `min_app_version`)."""
        proto = status.get("protocol")
        low = proto.get("min") if isinstance(proto, dict) else None
        need_app = status.get("min_app_version")
        too_old = ""
        try:
            if low is not None and int(low) > PROTOCOL_VERSION:
                too_old = f"中心数据库要求同步协议版本{int(low)}，本程序为{PROTOCOL_VERSION}"
        except (TypeError, ValueError):
            too_old = ""
        if not too_old and need_app and version_tuple(str(need_app)) > version_tuple(__version__):
            too_old = f"中心数据库要求本程序至少为{str(need_app)[:20]}版，本机为{__version__}版"
        if too_old:
            raise record_refusal(self.desk, UPGRADE_CODE, (
                f"本程序版本过旧，暂停同步：{too_old}。请升级本程序后再同步"
                "（本地数据已保存，不受影响；升级后会自动补传）"))

    def check_clock(self, status: dict[str, Any], report: SyncReport) -> None:
        """Compare this PC's clock with central's (reference §7 S15). A skew over 5 minutes
        is listed once for the administrator; ordering itself relies on the HLC, not on it."""
        server = parse_time(status.get("server_time"))
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

