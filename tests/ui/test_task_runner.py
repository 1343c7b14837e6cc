"""The task runner: GUI-thread delivery, the DB lane, delayed progress, friendly errors."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton, QWidget

from ui.tasks import TaskRunner
from xingan_desk.errors import PermissionDenied


def test_results_arrive_on_the_gui_thread_in_order(qtbot: Any, runner: TaskRunner) -> None:
    main = threading.get_ident()
    seen: list[tuple[int, int, int]] = []
    for i in range(5):
        runner.run(lambda i=i: (i, threading.get_ident()),
                   on_done=lambda r: seen.append((r[0], r[1], threading.get_ident())))
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=3000)
    assert [s[0] for s in seen] == list(range(5))  # one DB worker: submission order
    assert all(worker != main and gui == main for _, worker, gui in seen)
    assert len({worker for _, worker, _ in seen}) == 1


def test_progress_only_for_slow_tasks(qtbot: Any, runner: TaskRunner) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    runner.parent = parent
    done: list[int] = []
    runner.run(lambda: 1, on_done=done.append, progress="正在保存…")
    qtbot.waitUntil(lambda: done == [1], timeout=2000)
    qtbot.wait(700)
    assert parent.findChild(QProgressDialog) is None or not parent.findChild(
        QProgressDialog).isVisible()
    runner.run(lambda: time.sleep(1.0) or 2, on_done=done.append, progress="正在保存…")
    qtbot.waitUntil(lambda: any(d.isVisible() for d in parent.findChildren(QProgressDialog)),
                    timeout=2000)
    qtbot.waitUntil(lambda: done == [1, 2], timeout=3000)
    assert not any(d.isVisible() for d in parent.findChildren(QProgressDialog))


def test_error_dialog_is_friendly_and_copyable(qtbot: Any, runner: TaskRunner) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    runner.parent = parent

    def fail() -> None:
        raise PermissionDenied("“受理”需要调解员权限，当前账号无此权限")

    runner.run(fail)
    qtbot.waitUntil(lambda: parent.findChild(QMessageBox, "error_dialog") is not None,
                    timeout=3000)
    box = parent.findChild(QMessageBox, "error_dialog")
    assert "调解员权限" in box.text()
    copy = box.findChild(QPushButton, "btn_copy_error")
    copy.click()
    assert "调解员权限" in QApplication.clipboard().text()
    assert box.isVisible()  # copying does not close the dialog
    box.close()


def test_shutdown_drops_pending_deliveries(qtbot: Any) -> None:
    r = TaskRunner()
    got: list[int] = []
    r.run(lambda: time.sleep(0.2) or 1, on_done=got.append)
    r.run(lambda: 2, on_done=got.append)
    r.shutdown()
    qtbot.wait(50)
    assert got == []
    assert r.closed
