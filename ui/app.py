"""Start the window application: look, first run, login, main window, drafts."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from xingan_desk.errors import DeskError, NotInitialised, StoreCorrupt
from xingan_desk.logsetup import configure as configure_logging
from xingan_desk.logsetup import describe
from xingan_desk.paths import data_dir as resolve_data_dir

from .theme import apply_theme

log = logging.getLogger(__name__)

# Smaller stores are checked page by page at every start (~5 ms per MB); a larger one is checked
# by the daily backup in the background (a damaged page also shows on the first query that
# reads it).
QUICK_CHECK_MAX_BYTES = 16 * 1024 * 1024


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


def ask_restore(parent: QWidget | None, exc: StoreCorrupt) -> bool:
    """Tell the clerk the store is damaged and, when a good backup exists, offer to restore
    it. True when the clerk chose to restore."""
    if exc.backup is None:
        QMessageBox.critical(parent, "数据文件已损坏", str(exc))
        return False
    box = QMessageBox(QMessageBox.Icon.Warning, "数据文件已损坏",
                      f"{exc}\n\n是否现在从这份备份恢复？损坏的文件会另存到备份目录，"
                      "恢复后回执编号自动换代；备份之后录入、尚未同步的内容需要重新录入。",
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("restore_offer")
    restore = box.addButton("从备份恢复", QMessageBox.ButtonRole.AcceptRole)
    restore.setObjectName("btn_restore")
    box.addButton("退出", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is restore


def restore_newest(parent: QWidget | None, directory: Path) -> bool:
    """Restore the newest good backup (the store must be closed); tell the clerk the outcome."""
    from xingan_desk.recovery import restore_latest

    try:
        done = restore_latest(directory)
    except DeskError as failed:
        QMessageBox.critical(parent, "恢复未完成", str(failed))
        return False
    lines = [f"已从备份 {done.backup.label} 恢复，编号已换代（第{done.generation}代）。"]
    lines += [f"未上传的记录 {old} 已改编号为 {new}。" for old, new in done.renumbered]
    QMessageBox.information(parent, "已恢复", "\n".join(lines))
    return True


def open_store(data_dir: str | None) -> Any:
    """Open the store, or run the first-run dialog when this PC has no window identity; a
    damaged store offers the newest good backup."""
    from xingan_desk.desk import Desk
    from xingan_desk.recovery import corrupt_error, quick_check

    from .dialogs import FirstRunDialog

    if Desk.is_locked(data_dir):
        return None  # the login dialog unlocks it (main)
    try:
        try:
            desk = Desk.open(data_dir)
            _ = desk.identity
            small = desk.path.stat().st_size <= QUICK_CHECK_MAX_BYTES
            if small and not quick_check(desk.path, live=True):
                desk.close()
                raise corrupt_error(desk.path)
            return desk
        except StoreCorrupt as exc:
            if not ask_restore(None, exc) or not restore_newest(None, resolve_data_dir(data_dir)):
                return None
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
    configure_logging(logging.INFO)  # no raw exception text or personal data in the log
    started = time.perf_counter()
    app = make_app()
    _install_excepthooks()
    from xingan_desk.desk import Desk

    from .dialogs import LoginDialog
    from .main_window import MainWindow
    from .tasks import TaskRunner

    locked = Desk.is_locked(data_dir)
    try:
        opened = None if locked else open_store(data_dir)
    except DeskError as exc:
        QMessageBox.critical(None, "无法打开数据", str(exc))
        return 1
    if opened is None and not locked:
        return 0
    login = LoginDialog(opened, locked_dir=data_dir)
    if login.exec() != LoginDialog.DialogCode.Accepted:
        if opened is not None:
            opened.close()
        return 0
    desk = login.desk
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
    QTimer.singleShot(0, window.take_focus)  # a bare X server gives it no focus by itself
    log.info("main window shown in %.0f ms", (time.perf_counter() - started) * 1000)
    QTimer.singleShot(0, window.offer_drafts)
    QTimer.singleShot(0, sync.start)  # background sync when this PC has sync settings

    # The daily backup, in the background (the first start of the day makes one copy). It
    # reads every page, so it is also the day's check that the store is sound.
    def backup_failed(exc: BaseException) -> None:
        log.warning("daily backup failed: %s", exc)
        if isinstance(exc, StoreCorrupt):
            window.statusBar().showMessage(str(exc), 0)
            if ask_restore(window, exc):  # restored once the store is closed, below
                restore_on_exit.append(desk.directory)
                app.quit()
            return
        window.statusBar().showMessage(f"今日自动备份未完成：{describe(exc)}", 30000)

    restore_on_exit: list[Path] = []
    runner.run(desk.auto_backup, lane="io", on_error=backup_failed)
    try:
        return _event_loop(app)
    finally:
        runner.shutdown()
        desk.close()
        for directory in restore_on_exit:
            if restore_newest(None, directory):
                QMessageBox.information(None, "请重新打开程序", "数据已恢复，请重新打开程序。")
