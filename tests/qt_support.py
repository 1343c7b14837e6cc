"""Fixtures shared by the Qt test folders (tests/ui, tests/e2e).

Every Qt test gets the application's look (fonts, translations, style), a task runner that is
always shut down, and a leak check: whatever top-level widget or worker thread a test leaves
behind is closed and deleted, and the test fails, so one test's windows never leak into the
next one's `QApplication.topLevelWidgets()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _themed(qapp: Any) -> None:
    from ui.theme import apply_theme

    apply_theme(qapp)


def _flush_deletes(qapp: Any) -> None:
    # Only processEvents: forcing DeferredDelete with sendPostedEvents makes PySide 6.12 abort
    # at interpreter exit (a refcount error while garbage-collecting wrappers).
    for _ in range(3):
        qapp.processEvents()


@pytest.fixture(autouse=True)
def _no_leaks(qapp: Any) -> Iterator[None]:
    from PySide6.QtWidgets import QApplication

    _flush_deletes(qapp)
    before_widgets = {id(w) for w in QApplication.topLevelWidgets()}
    before_threads = {t.ident for t in threading.enumerate()}
    yield
    _flush_deletes(qapp)
    leaked = [w for w in QApplication.topLevelWidgets()
              if id(w) not in before_widgets and w.isVisible() and w.parent() is None]
    for w in leaked:
        w.close()
        w.deleteLater()
    _flush_deletes(qapp)
    # Hidden top-level widgets (menus, tool tips, popups Qt keeps) and dialogs whose parent is
    # being deleted are not a test's leak; a visible parentless window that outlives its test is.
    names = [f"{type(w).__name__}({w.objectName()})" for w in leaked]
    threads = [t for t in threading.enumerate()
               if t.ident not in before_threads and t.is_alive() and not t.daemon]
    assert not names, f"test left windows open: {names}"
    assert not threads, f"test left threads running: {[t.name for t in threads]}"


@pytest.fixture
def runner(qapp: Any) -> Iterator[Any]:
    from ui.tasks import TaskRunner

    r = TaskRunner()
    yield r
    r.shutdown()
    qapp.processEvents()
