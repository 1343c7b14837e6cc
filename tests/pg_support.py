"""Fixtures for tests against a real PostgreSQL, shared by tests/sync and tests/ui: a database
per test (cloned from a template initialised once per run) and helpers that make window desks
registered at central. Import them in a folder's conftest.py."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.conftest import ADMIN_PASSWORD

ADMIN_URL = os.environ.get("XINGAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)


def _drop(dbname: str) -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dbname)))
        suffix = dbname.lower()
        for (role,) in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE 'xw\\_%%' AND rolname LIKE %s",
                ("%" + suffix,)).fetchall():
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


_TEMPLATE: dict[str, Any] = {"name": None, "users": 0}


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """One initialised central template per test run (several conftests import this
    fixture; they share the database)."""
    try:
        with _admin():
            pass
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    from xingan_desk.sync.central import init_central

    if _TEMPLATE["name"] is None:
        name = f"xingan_test_{secrets.token_hex(4)}_tpl"
        with _admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            init_central(make_conninfo(ADMIN_URL, dbname=name))
        except BaseException:
            _drop(name)
            raise
        _TEMPLATE["name"] = name
    _TEMPLATE["users"] += 1
    try:
        yield str(_TEMPLATE["name"])
    finally:
        _TEMPLATE["users"] -= 1
        if _TEMPLATE["users"] == 0:
            _drop(str(_TEMPLATE["name"]))
            _TEMPLATE["name"] = None


@pytest.fixture
def central_url(pg_template: str) -> Iterator[str]:
    name = f"xingan_test_{secrets.token_hex(5)}"
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(pg_template)))
    try:
        yield make_conninfo(ADMIN_URL, dbname=name)
    finally:
        _drop(name)


@dataclass
class Window:
    desk: Any
    creds: Any
    machine_id: str

    def client(self, **kw: Any) -> Any:
        from xingan_desk.sync.client import SyncClient

        kw.setdefault("machine_id", self.machine_id)
        return SyncClient(self.desk, self.creds.url, **kw)

    def sync(self, **kw: Any) -> Any:
        return self.client(**kw).run_once()


@pytest.fixture
def make_window(central_url: str, tmp_path: Path) -> Iterator[Callable[..., Window]]:
    from xingan_desk.desk import Desk
    from xingan_desk.sync.central import add_window

    made: list[Window] = []

    def make(county: str, window: str, role: str = "admin") -> Window:
        d = Desk.initialise(tmp_path / f"w{county}{window}", county, window,
                            admin_password=ADMIN_PASSWORD)
        d.use_account("admin")
        if role != "admin":
            d.add_user(role + window, f"用户{window}", role, ADMIN_PASSWORD)
        w = Window(d, add_window(central_url, county, window), f"pc-{county}-{window}")
        made.append(w)
        return w

    yield make
    for w in made:
        w.desk.close()


@pytest.fixture(autouse=True)
def _no_os_keyring() -> Iterator[None]:
    """Tests never touch a developer's real keyring: `keyring` gets its always-failing backend,
    so sync settings keep the password in the store (as on a PC without a keyring); tests of
    the keyring path install their own in-memory backend."""
    import keyring
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)
