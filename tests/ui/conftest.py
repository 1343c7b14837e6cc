"""Qt fixtures (look, task runner, leak check): tests/qt_support.py."""

from tests.qt_support import _no_leaks, _themed, runner

__all__ = ["_no_leaks", "_themed", "runner"]
