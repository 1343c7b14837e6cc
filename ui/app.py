"""Start the window application: look, first run, login, main window, drafts."""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from xingan_desk.errors import DeskError, NotInitialised

from .theme import apply_theme

log = logging.getLogger(__name__)


def _install_excepthooks() -> None:
    """Unhandled errors are logged and shown to the clerk, never a silent crash."""
    from .tasks import show_error

    def hook(etype: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unhandled error", exc_info=(etype, exc, tb))
        if QApplication.instance() is not None and threading.current_thread() is \
                threading.main_thread():
            show_error(QApplication.activeWindow(), exc, "程序出错")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error("unhandled error in thread %s", args.thread,
                  exc_info=args.exc_value or True)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("xingan-desk")
    app.setApplicationDisplayName("兴安盟知识产权服务窗口系统")
    apply_theme(app)
    return app


def open_store(data_dir: str | None) -> Any:
    """Open the store, or run the first-run dialog when this PC has no window identity."""
    from xingan_desk.desk import Desk

    from .dialogs import FirstRunDialog

    try:
        desk = Desk.open(data_dir)
        _ = desk.identity
        return desk
    except NotInitialised:
        pass
    dlg = FirstRunDialog(data_dir)
    if dlg.exec() != FirstRunDialog.DialogCode.Accepted:
        return None
    return dlg.desk


def _event_loop(app: QApplication) -> int:
    return int(app.exec())


def main(data_dir: str | None = None) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    started = time.perf_counter()
    app = make_app()
    _install_excepthooks()
    try:
        desk = open_store(data_dir)
    except DeskError as exc:
        QMessageBox.critical(None, "无法打开数据", str(exc))
        return 1
    if desk is None:
        return 0

    from .dialogs import LoginDialog
    from .main_window import MainWindow
    from .tasks import TaskRunner

    login = LoginDialog(desk)
    if login.exec() != LoginDialog.DialogCode.Accepted:
        desk.close()
        return 0
    runner = TaskRunner()
    window = MainWindow(desk, runner)
    from .sync_controller import SyncController

    sync = SyncController(desk, runner, parent=window)
    window.attach_sync(sync)
    screen = app.primaryScreen()
    avail = screen.availableGeometry() if screen is not None else None
    if avail is not None and (avail.width() < 1366 or avail.height() < 768):
        window.resize(avail.size())
    window.show()
    if avail is not None and avail.width() >= 1366 and avail.height() >= 768:
        window.showMaximized()
    log.info("main window shown in %.0f ms", (time.perf_counter() - started) * 1000)
    QTimer.singleShot(0, window.offer_drafts)
    QTimer.singleShot(0, sync.start)  # background sync when this PC has sync settings

    # The daily backup, in the background (the first start of the day makes one copy).
    def backup_failed(exc: BaseException) -> None:
        log.warning("daily backup failed: %s", exc)
        window.statusBar().showMessage(f"今日自动备份未完成：{exc}", 30000)

    runner.run(desk.auto_backup, lane="io", on_error=backup_failed)
    try:
        return _event_loop(app)
    finally:
        runner.shutdown()
        desk.close()
