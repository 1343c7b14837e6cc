"""Runs sync in the background for the main window (the logic is xingan_desk/sync/service.py).

* A cycle runs on the task runner's I/O lane on a timer (30 s) and after each save; requests
  that arrive while a cycle runs merge into exactly one follow-up cycle (`RunGate`).
* The GUI thread never waits: state changes made on the worker (including a stall the
  watchdog reports while the worker is still stuck) reach the GUI through a queued signal.
* `state_changed(SyncState)` feeds the status bar; a cycle that brought in records, events or
  holidays announces it on the runner's change bus (`Changes` None: anything may have
  changed), so lists, counts and the detail panel refresh.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from xingan_desk.desk import Desk
from xingan_desk.sync.service import SyncService, SyncState

from .ops import QueryOp
from .tasks import TaskRunner

log = logging.getLogger(__name__)

INTERVAL_MS = 30_000


class SyncController(QObject):
    state_changed = Signal(object)  # SyncState
    _from_worker = Signal(object)

    def __init__(self, desk: Desk, runner: TaskRunner, *, service: SyncService | None = None,
                 interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sync_controller")
        self.desk = desk
        self.runner = runner
        self.service = service or SyncService(desk)
        self.service.on_change = self._emit_from_worker
        self._from_worker.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setObjectName("sync_timer")
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.request)
        self._stopped = False
        self.cycles = 0

    # --- state ----------------------------------------------------------------------------
    @property
    def state(self) -> SyncState:
        return self.service.state

    @property
    def configured(self) -> bool:
        return self.service.state.configured

    def _emit_from_worker(self, state: SyncState) -> None:
        if self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the controller is being deleted
            self._from_worker.emit(state)

    @Slot(object)
    def _deliver(self, state: SyncState) -> None:
        if not self._stopped:
            self.state_changed.emit(state)

    # --- running ----------------------------------------------------------------------------
    def start(self) -> None:
        """Begin background sync if this PC has sync settings (else only show the state)."""
        self.state_changed.emit(self.state)
        self.refresh_counts()
        if self.configured and not self._stopped:
            self.timer.start()
            self.request()

    def request(self) -> None:
        """Ask for a cycle soon: now if idle, else once after the current one."""
        if self._stopped or self.runner.closed or not self.configured:
            return
        if self.service.gate.request():
            self._launch()

    def _launch(self) -> None:
        if self._stopped or self.runner.closed:
            self.service.gate.finish()
            return
        QueryOp(None, self.runner, self.service.run_once).on_io().success(self._cycle_done) \
            .failure(self._cycle_failed).run()

    def _cycle_done(self, state: SyncState) -> None:
        self.cycles += 1
        report = self.service.last_report
        attached = report.attachments if report is not None else None
        if report is not None and (report.records_applied or report.events_applied
                                   or report.calendar_applied
                                   or (attached is not None
                                       and (attached.pulled or attached.fetched))):
            self.runner.bus.publish(None, self)  # every view: records may have changed
        self.state_changed.emit(state)
        if self.service.gate.finish():
            self._launch()

    def _cycle_failed(self, exc: BaseException) -> None:  # pragma: no cover - run_once catches
        log.error("sync cycle raised", exc_info=exc)
        if self.service.gate.finish():
            self._launch()

    def refresh_counts(self) -> None:
        """Pending uploads and items needing attention from the local store (DB lane)."""
        if self._stopped or self.runner.closed:
            return
        QueryOp(None, self.runner, self.service.refresh_counts) \
            .success(self.state_changed.emit) \
            .failure(lambda exc: log.warning("sync counts: %s", type(exc).__name__)).run()

    def reload_settings(self) -> None:
        """The settings dialog saved: use the new connection from the next cycle on."""
        state = self.service.reload_settings()
        self.state_changed.emit(state)
        if state.configured and not self._stopped:
            self.timer.start()
            self.request()

    def stop(self) -> None:
        """The window is closing: no more cycles; a running one is cut short."""
        self._stopped = True
        self.timer.stop()
        self.service.abort()

    def resume(self) -> None:
        """Closing was cancelled: carry on."""
        self._stopped = False
        if self.configured:
            self.timer.start()
