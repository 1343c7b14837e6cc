"""Background work: one DB lane (a single worker, so writes are serialised) and an I/O lane.

Widgets run their work as operations (`ui/ops.py`), which add
error display, progress, stale-answer dropping and the change bus on top of this runner.

Results and errors are delivered on the GUI thread through a QObject that lives there and a
queued signal; widgets are never touched from a worker. A progress dialog appears only when a
task runs longer than about 600 ms. Failures are logged and shown in a clerk-friendly dialog
with a "复制错误信息" button.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from xingan_desk.errors import DeskError
from xingan_desk.logsetup import safe_traceback
from xingan_desk.views import Changes

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 600
_OPEN_BOXES: set[QMessageBox] = set()


class _GuiThreadBridge(QObject):
    """Created on the GUI thread, so its slot (and every callback it runs) runs there."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()


class ChangeBus(QObject):
    """Where finished write operations announce what they touched (`ui/ops.py` publishes).

    `changed(changes, origin)`: `changes` is the operation's `Changes`, or None when anything
    may have changed (a sync cycle brought records in); `origin` is the widget that ran the
    operation (or None). Views connect once and refresh what they show; a new dialog that
    runs its writes as `DeskOp`s needs no wiring in the main window."""

    changed = Signal(object, object)

    def publish(self, changes: Changes | None, origin: object = None) -> None:
        self.changed.emit(changes, origin)


def error_text(exc: BaseException) -> tuple[str, str]:
    """(message for the clerk, technical details for the copy button)."""
    details = safe_traceback(exc)  # frames and classes only: driver messages quote rows
    if isinstance(exc, DeskError) or type(exc).__name__ == "MissingGlyphError":
        return str(exc), details  # already a Chinese message fit for the clerk
    return (f"操作未能完成，出现意外错误：{exc.__class__.__name__}。"
            "请复制错误信息并联系管理员。", details)


def show_error(parent: QWidget | None, exc: BaseException, title: str = "操作未完成") -> None:
    """Log the failure and tell the clerk in plain Chinese; details can be copied."""
    message, details = error_text(exc)
    if isinstance(exc, DeskError):
        log.warning("%s: %s", type(exc).__name__, exc)
    else:
        log.error("unexpected error\n%s", details)
    box = QMessageBox(parent)
    box.setObjectName("error_dialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(message)
    box.setDetailedText(details)
    copy = box.addButton("复制错误信息", QMessageBox.ButtonRole.ActionRole)
    copy.setObjectName("btn_copy_error")
    box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
    # the copy button must not close the dialog
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(f"{message}\n\n{details}"))
    # non-blocking (never a nested event loop): the dialog is window-modal and deletes itself
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _OPEN_BOXES.add(box)
    box.finished.connect(lambda _r: _OPEN_BOXES.discard(box))
    box.open()


class TaskRunner:
    """Run callables off the GUI thread; deliver `on_done(result)` / `on_error(exc)` on it."""

    def __init__(self, parent: QWidget | None = None, *, io_workers: int = 2) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="io")
        self._bridge = _GuiThreadBridge()
        self.bus = ChangeBus()  # lives on the GUI thread, like the bridge
        self.parent = parent
        self._closed = False
        self._running = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        return self._running > 0

    def run(
        self,
        fn: Callable[[], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        lane: str = "db",
        progress: str | None = None,
    ) -> Future[Any]:
        """Submit `fn` to a lane ("db" or "io"). With `progress`, a busy dialog with that text
        shows if the task is still running after ~600 ms."""
        if self._closed:
            raise RuntimeError("TaskRunner is shut down")
        pool = self._db if lane == "db" else self._io
        dialog: list[QProgressDialog] = []
        timer: QTimer | None = None
        if progress:
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: dialog.append(self._show_progress(progress)))
            timer.start(PROGRESS_DELAY_MS)
        self._running += 1
        future: Future[Any] = pool.submit(fn)

        def deliver() -> None:  # on the GUI thread
            self._running -= 1
            if timer is not None:
                timer.stop()
            for d in dialog:
                d.close()
                d.deleteLater()
            if self._closed:
                return
            exc = future.exception() if not future.cancelled() else None
            if future.cancelled():
                return
            if exc is not None:
                if on_error is not None:
                    on_error(exc)
                else:
                    show_error(self.parent, exc)
            elif on_done is not None:
                on_done(future.result())

        future.add_done_callback(lambda _f: self._emit(deliver))
        return future

    def _emit(self, fn: Callable[[], None]) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # bridge already deleted at shutdown
            self._bridge.call.emit(fn)

    def _show_progress(self, text: str) -> QProgressDialog:
        d = QProgressDialog(text, "", 0, 0, self.parent)
        d.setObjectName("progress_dialog")
        d.setWindowTitle("请稍候")
        d.setCancelButton(None)
        d.setMinimumDuration(0)
        d.setWindowModality(Qt.WindowModality.WindowModal)
        d.show()
        return d

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Process events until every submitted task has been delivered (tests, shutdown)."""
        import time

        end = time.monotonic() + timeout_ms / 1000
        app = QApplication.instance()
        while self._running > 0 and time.monotonic() < end:
            if app is not None:
                app.processEvents()
            time.sleep(0.005)
        return self._running == 0

    def shutdown(self) -> None:
        """Finish running tasks, drop queued ones; nothing is delivered afterwards."""
        if self._closed:
            return
        self._closed = True
        for pool in (self._db, self._io):
            pool.shutdown(wait=True, cancel_futures=True)
        self._running = 0
        self._bridge.deleteLater()
        self.bus.deleteLater()
