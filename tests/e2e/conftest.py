"""Qt fixtures (look, task runner, leak check): tests/qt_support.py; a real central
PostgreSQL for the scenarios that sync: tests/pg_support.py."""

from tests.pg_support import _no_os_keyring, central_url, make_window, pg_template
from tests.qt_support import _no_leaks, _themed, runner

__all__ = ["_no_leaks", "_no_os_keyring", "_themed", "central_url", "make_window", "pg_template",
           "runner"]
