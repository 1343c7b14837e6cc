"""Fixtures for the sync tests (real PostgreSQL): tests/pg_support.py, shared with tests/ui."""

from tests.pg_support import (
    ADMIN_URL,
    Window,
    _no_os_keyring,
    central_url,
    make_window,
    pg_template,
)

__all__ = ["ADMIN_URL", "Window", "_no_os_keyring", "central_url", "make_window", "pg_template"]
