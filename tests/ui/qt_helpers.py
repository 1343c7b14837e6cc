"""Helpers for driving the UI like a clerk in pytest-qt (offscreen)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_chinese(widget: QWidget, text: str) -> None:
    """Type CJK text the way an input method delivers it (qtbot.keyClicks with non-ASCII text
    aborts the interpreter: reference/setup-probe.md §2)."""
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def child(parent: QWidget, cls: type[Any], name: str) -> Any:
    w = parent.findChild(cls, name)
    assert w is not None, f"no {cls.__name__} named {name!r}"
    return w


def leave(widget: QWidget) -> None:
    """The clerk leaves the field (Tab): editingFinished for line edits, focus-out else."""
    sig = getattr(widget, "editingFinished", None)
    if sig is not None:
        sig.emit()
    else:
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QFocusEvent

        QApplication.sendEvent(widget, QFocusEvent(QEvent.Type.FocusOut,
                                                   Qt.FocusReason.TabFocusReason))


def open_main_window(qtbot: Any, desk: Any, runner: Any) -> Any:
    """The clerk's main window at the hall monitor's size, shown, its first list loaded."""
    from ui.main_window import MainWindow

    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.started and not runner.busy, timeout=5000)
    return win
