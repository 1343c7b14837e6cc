"""The sync service the window application drives (Qt-free; ui/sync_controller.py runs it).

* `SyncService.run_once()` runs one cycle — `SyncClient.run_once()` (push, pull, verify), then
  the review step (push the supervisor's resolutions, refresh the copy of central's review
  list) — and never raises: the outcome is a `SyncState` (online/offline, pending uploads,
  last successful sync, items needing attention, the last error in Chinese and its kind:
  offline, central busy, upgrade required, refused, stalled, settings, error).
* A stall watchdog: every call to central and every local apply counts as progress; when a
  phase makes none for `stall_after_s` (60 s), the state shows the error at once and the
  connection is shut down, so the cycle ends instead of hanging.
* `RunGate` coalesces requests: while a cycle runs, any number of requests (timer, saves)
  become exactly one follow-up cycle.

The PostgreSQL driver (psycopg) is imported by the first cycle (`sync/watched.py`), not with
this module: a window without sync settings never loads it.

SQLite: the sync thread and the clerk's saves share the store; both write with BEGIN IMMEDIATE
and a busy timeout. The service uses pages and batches of `PAGE` rows so one sync transaction
holds the write lock only briefly (see benchmarks/bench_sync_ui.py for the figures).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..desk import Desk
from ..errors import DeskError, NotFound
from ..timeutil import CST, utcnow
from . import review
from . import settings as sync_settings
from .errors import SyncRefused, SyncUnavailable, failure_trace
from .report import SyncReport

if TYPE_CHECKING:
    import psycopg

    from .client import SyncClient
    from .watched import WatchedClient

log = logging.getLogger(__name__)

STALL_AFTER_S = 60.0
PAGE = 100  # outbox batch and pull page size for the window application (bench_sync_ui.py)
PHASES = (("sync.status", "检查"), ("sync.push", "上传"), ("sync.pull", "下载"),
          ("sync.digest", "核对"), ("sync.review_items", "核查事项"),
          ("sync.resolve_reviews", "核查事项"),
          ("sync.attachment_put", "附件上传"), ("sync.attachment_get", "附件下载"),
          ("sync.attachment_digest", "附件核对"), ("sync.attachment", "附件"))
MB = 1024 * 1024


def transfer_text(direction: str, done: int, total: int) -> str:
    """"附件上传 3/12 MB" (tenths of a MB below 10 MB: "附件下载 0.4/2.5 MB")."""
    word = "附件上传" if direction == "up" else "附件下载"
    done = min(done, total)
    if total < 10 * MB:
        whole = f"{max(total / MB, 0.1):.1f}"
        return f"{word} {whole if done == total else f'{done / MB:.1f}'}/{whole} MB"
    whole = str(-(-total // MB))
    return f"{word} {whole if done == total else done // MB}/{whole} MB"


@dataclass(frozen=True)
class SyncState:
    configured: bool = False
    running: bool = False
    phase: str = ""
    online: bool | None = None  # None: not tried yet
    pending: int = 0
    attention: int = 0
    last_success: dt.datetime | None = None
    last_attempt: dt.datetime | None = None
    error: str = ""
    error_kind: str = ""  # offline busy upgrade refused stalled settings tls error
    summary: str = ""
    warning: str = ""  # the main cycle worked but something secondary did not
    runs: int = 0
    tls_warning: str = ""  # standing: an admin allowed a connection that does not verify central
    transfer: str = ""  # while attachment content moves: "附件上传 3/12 MB"

    @property
    def status_text(self) -> str:
        """The status bar's words: 在线 · 已同步 · 上次同步 14:05, 离线 · 待上传 3 条, …"""
        if not self.configured:
            return f"未设置同步 · 待上传 {self.pending} 条" if self.pending else "未设置同步"
        head = {"busy": "中心繁忙", "upgrade": "需升级程序", "refused": "同步被拒绝",
                "tls": "证书验证失败",
                "stalled": "同步停滞", "settings": "同步设置有误", "error": "同步出错"}.get(
            self.error_kind, "在线" if self.online else "离线")
        parts = [head]
        parts.append("已同步" if self.online and not self.pending and not self.error
                     else f"待上传 {self.pending} 条")
        if self.last_success is not None:
            parts.append(f"上次同步 {self.last_success.astimezone(CST):%H:%M}")
        if self.running:
            parts.append(self.transfer or "同步中…")
        return " · ".join(parts)

    @property
    def attention_text(self) -> str:
        return f"需处理 {self.attention} 项" if self.attention else ""

    @property
    def tooltip(self) -> str:
        lines = []
        if self.error:
            lines.append(self.error)
        if self.warning:
            lines.append(self.warning)
        if self.summary:
            lines.append(f"上次结果：{self.summary}")
        if self.last_success is not None:
            lines.append(f"上次成功同步：{self.last_success.astimezone(CST):%Y-%m-%d %H:%M:%S}")
        if self.running and self.phase:
            lines.append(f"正在同步：{self.phase}")
        return "\n".join(lines) or "尚未同步"


class RunGate:
    """At most one cycle at a time; requests during a cycle merge into one follow-up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = False
        self.follow_up = False
        self.requests = 0
        self.started = 0

    def request(self) -> bool:
        """True: the caller starts a cycle now. False: one will run after the current one."""
        with self._lock:
            self.requests += 1
            if self.running:
                self.follow_up = True
                return False
            self.running = True
            self.started += 1
            return True

    def finish(self) -> bool:
        """Call when a cycle ended. True: the caller starts the follow-up cycle now."""
        with self._lock:
            if self.follow_up:
                self.follow_up = False
                self.started += 1
                return True
            self.running = False
            return False


class Watchdog:
    """Calls `on_stall(phase, seconds)` and shuts the current connection down when nothing
    progressed for `stall_after_s`."""

    def __init__(self, stall_after_s: float, on_stall: Callable[[str, float], None]) -> None:
        self.stall_after_s = stall_after_s
        self.on_stall = on_stall
        self.phase = "准备"
        self.conn: psycopg.Connection[Any] | None = None
        self.stalled: tuple[str, float] | None = None
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sync-watchdog", daemon=True)

    def start(self) -> None:
        self._last = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def progress(self, phase: str | None = None) -> None:
        self._last = time.monotonic()
        if phase:
            self.phase = phase

    def abort(self) -> None:
        conn = self.conn
        if conn is not None:
            from .connection import shutdown_socket

            shutdown_socket(conn)

    def _loop(self) -> None:
        step = max(0.05, min(1.0, self.stall_after_s / 5))
        while not self._stop.wait(step):
            idle = time.monotonic() - self._last
            if idle > self.stall_after_s:
                self.stalled = (self.phase, idle)
                try:
                    self.on_stall(self.phase, idle)
                finally:
                    self.abort()
                return


class SyncService:
    def __init__(self, desk: Desk, *, stall_after_s: float = STALL_AFTER_S,
                 url: str | None = None, client_options: dict[str, Any] | None = None,
                 on_change: Callable[[SyncState], None] | None = None) -> None:
        self.desk = desk
        self.stall_after_s = stall_after_s
        self._url = url
        self.client_options = {"batch_size": PAGE, "page_size": PAGE, "verify_pacing": True,
                               **(client_options or {})}
        self.on_change = on_change
        self.gate = RunGate()
        self._lock = threading.Lock()
        self._client: WatchedClient | None = None
        self._client_url: str | None = None
        self._watch: Watchdog | None = None
        self.last_report: SyncReport | None = None
        self._state = SyncState(configured=self._configured(), tls_warning=self._tls_warning())

    # --- state ---------------------------------------------------------------------------
    @property
    def state(self) -> SyncState:
        with self._lock:
            return self._state

    def _set(self, **changes: Any) -> SyncState:
        with self._lock:
            self._state = replace(self._state, **changes)
            state = self._state
        if self.on_change is not None:
            try:
                self.on_change(state)
            except Exception:  # pragma: no cover - a listener must not break sync
                log.exception("sync state listener failed")
        return state

    def _configured(self) -> bool:
        if self._url:
            return True
        try:
            return sync_settings.load(self.desk) is not None
        except DeskError:
            return False

    def _tls_warning(self) -> str:
        """From the stored settings (a URL given to the service is the caller's business)."""
        return "" if self._url else sync_settings.tls_warning(self.desk) or ""

    def reload_settings(self) -> SyncState:
        """After the settings dialog saved: forget the old connection, re-read the setting."""
        with self._lock:
            self._client = None
            self._client_url = None
        return self._set(configured=self._configured(), error="", error_kind="",
                         tls_warning=self._tls_warning())

    def local_counts(self) -> tuple[int, int]:
        """(pending uploads, items needing attention), from the local store only."""
        return self.desk.pending_outbox(), review.attention_count(self.desk)

    def refresh_counts(self) -> SyncState:
        pending, attention = self.local_counts()
        return self._set(pending=pending, attention=attention)

    def abort(self) -> None:
        """Cut the running cycle short (the window is closing)."""
        w = self._watch
        if w is not None:
            w.abort()

    # --- one cycle -------------------------------------------------------------------------
    def _client_for(self, url: str) -> WatchedClient:
        from .watched import WatchedClient  # imports psycopg: only once sync is used

        with self._lock:
            if self._client is None or self._client_url != url:
                self._client = WatchedClient(self.desk, url, **self.client_options)
                self._client_url = url
            return self._client

    def _on_stall(self, phase: str, idle: float) -> None:
        self._set(error=self._stall_message(phase), error_kind="stalled", online=False)

    def _stall_message(self, phase: str) -> str:
        return (f"同步在“{phase}”阶段{round(self.stall_after_s)}秒没有进展，已中止，"
                "稍后会自动重试（本地数据不受影响）")

    def run_once(self) -> SyncState:
        """One cycle; never raises. Returns the new state."""
        self._set(running=True, phase="准备", last_attempt=utcnow())
        watch = Watchdog(self.stall_after_s, self._on_stall)
        self._watch = watch
        online: bool | None = None
        error, kind, warning = "", "", ""
        report: SyncReport | None = None
        url = ""
        try:
            url = self._url or sync_settings.connection_url(self.desk)
            client = self._client_for(url)
            client.watch = watch
            client.attachments.progress = self._on_transfer
            watch.start()
            report = client.run_once()
            online = True
            warning = self._review_step(client)
        except SyncUnavailable as exc:
            import psycopg  # loaded already: the client raised this

            error, kind = str(exc), "offline"
            online = False
            if isinstance(exc.__cause__, psycopg.errors.LockNotAvailable):
                kind, online = "busy", True
            elif isinstance(exc.__cause__, psycopg.OperationalError):
                tls = sync_settings.explain_tls_error(exc.__cause__, _host_of(url))
                if tls:  # the connection was refused for its certificate, not the network
                    error, kind = tls, "tls"
        except SyncRefused as exc:
            error, online = str(exc), True
            kind = "upgrade" if exc.code == "UPGRADE_REQUIRED" else "refused"
        except (NotFound, sync_settings.SyncSettingsError) as exc:
            error, kind = str(exc), "settings"
        except DeskError as exc:
            error, kind = str(exc), "error"
        except Exception as exc:
            log.error("sync cycle failed: %s", failure_trace(exc))
            error, kind = (f"同步出现意外错误（{type(exc).__name__}），详情已写入日志，稍后会自动重试"
                           "（本地数据不受影响）"), "error"
        finally:
            watch.stop()
            self._watch = None
        if watch.stalled is not None:
            error, kind, online = self._stall_message(watch.stalled[0]), "stalled", False
        if error:
            log.warning("sync: %s", error)
        self.last_report = report
        try:
            pending, attention = self.local_counts()
        except DeskError as exc:
            pending, attention = self.state.pending, self.state.attention
            warning = warning or str(exc)
        prev = self.state
        return self._set(
            tls_warning=self._tls_warning(), running=False, phase="", transfer="",
            online=online, error=error, error_kind=kind,
            warning=warning, pending=pending, attention=attention, runs=prev.runs + 1,
            last_success=utcnow() if report is not None else prev.last_success,
            summary=report.summary if report is not None else prev.summary)

    def _on_transfer(self, direction: str, done: int, total: int) -> None:
        """Attachment content moving (the sync thread): the status line follows, at most once
        per change of its text."""
        text = transfer_text(direction, done, total)
        if text != self.state.transfer:
            self._set(transfer=text, online=True)  # bytes are moving: central is there

    def _review_step(self, client: WatchedClient) -> str:
        return review_step(self.desk, client)


def review_step(desk: Desk, client: SyncClient) -> str:
    """Push the supervisor's resolutions and refresh the copy of central's review list (one
    connection). Returns a Chinese warning, or "" — a central without the review functions
    (older schema) or a failure here does not make the sync itself fail."""
    from psycopg import errors as pgerrors  # the client has loaded it

    try:
        with client.connect() as conn:
            def call(query: str, params: tuple[Any, ...]) -> Any:
                return client.call(conn, query, params)

            review.push_resolutions(desk, call)
            review.refresh_mirror(desk, call)
    except (pgerrors.UndefinedFunction, pgerrors.InvalidSchemaName):
        return "中心数据库版本较旧，核查事项暂不能同步（请中心管理员运行 xingan-desk central init）"
    except (SyncRefused, SyncUnavailable) as exc:
        return f"核查事项未能同步：{exc}"
    return ""


def _host_of(url: str) -> str:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return str(conninfo_to_dict(url).get("host") or "")
    except psycopg.ProgrammingError:
        return ""
