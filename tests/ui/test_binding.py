"""The Qt binding must not corrupt the interpreter.

PySide6 6.12.0 on CPython 3.11 drops one reference to None on every call of a Qt method that
returns void; a clerk's day of such calls ends with the interpreter aborting ("none_dealloc").
pyproject.toml therefore installs 6.11 on Python 3.11; this test fails if the bad pairing comes
back (e.g. someone widens the pins).
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QLabel


def test_void_and_bool_qt_calls_keep_refcounts(qtbot: Any) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("咨询登记")  # returns void
        label.setEnabled(True)  # returns void, takes a bool
        label.isEnabled()  # returns a bool
    # Other threads may take or drop a few references meanwhile; a leak is one per call.
    assert abs(sys.getrefcount(None) - none_before) < 100
    assert abs(sys.getrefcount(True) - true_before) < 100
