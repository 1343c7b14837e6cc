"""The store at rest: what the app writes to disk is readable by its owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk import export
from xingan_desk.desk import Desk, restore

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a desktop session (files 0644 by default): the app must not rely
    on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@posix_only
def test_store_wal_backups_exports_and_restores_are_owner_only(tmp_path: Path,
                                                               loose_umask: None) -> None:
    d = Desk.initialise(tmp_path / "store", "152223", "02", admin_password=ADMIN_PASSWORD)
    try:
        d.use_account("admin")
        d.create("consultation", GOOD_CONSULTATION)
        store = d.path
        assert mode(store.parent) == 0o700
        for p in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
            assert p.exists() and mode(p) == 0o600, p
        daily = d.auto_backup(every_hours=0)
        assert daily is not None and mode(daily) == 0o600 and mode(daily.parent) == 0o700
        out_dir = tmp_path / "usb"  # `backup --out` into a folder that does not exist yet
        copy = d.backup(out_dir / "copy.sqlite3")
        assert mode(copy) == 0o600 and mode(out_dir) == 0o700
        chosen = tmp_path / "chosen"  # a folder the user already had keeps its mode
        chosen.mkdir(mode=0o755)
        os.chmod(chosen, 0o755)
        assert mode(d.backup(chosen / "b.sqlite3")) == 0o600 and mode(chosen) == 0o755
        for fmt in ("csv", "xlsx"):
            target = chosen / f"out.{fmt}"
            assert export.export(d, "consultation", fmt, target, unmasked=True) == 1
            assert mode(target) == 0o600, fmt
    finally:
        d.close()
    path, _gen = restore(tmp_path / "store", copy)
    assert mode(path) == 0o600
    kept = sorted((tmp_path / "store" / "backups").iterdir())
    assert kept and all(mode(p) == 0o600 for p in kept)


@posix_only
def test_an_older_world_readable_store_is_made_owner_only_when_opened(tmp_path: Path,
                                                                       loose_umask: Any) -> None:
    d = Desk.initialise(tmp_path / "store", "152223", "02", admin_password=ADMIN_PASSWORD)
    backup = d.backup()
    d.close()
    for p in (tmp_path / "store", tmp_path / "store" / "backups"):
        os.chmod(p, 0o755)
    for p in (d.path, backup):
        os.chmod(p, 0o644)
    Desk.open(tmp_path / "store").close()
    assert mode(d.path) == 0o600 and mode(backup) == 0o600
    assert mode(tmp_path / "store") == 0o700 and mode(backup.parent) == 0o700


# --- the sync password without a keyring -------------------------------------------------------
@pytest.fixture
def no_keyring() -> Iterator[None]:
    import keyring
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


def _all_setting_text(d: Desk) -> str:
    from sqlalchemy import select

    from xingan_desk.storage.schema import AuditEntry, Setting

    with d.reading() as s:
        rows = [str(r.value) for r in s.scalars(select(Setting))]
        rows += [str(a.changes) + a.detail for a in s.scalars(select(AuditEntry))]
    return " ".join(rows)


def test_sync_password_without_a_keyring_is_sealed_not_clear(desk: Desk, no_keyring: None
                                                              ) -> None:
    from xingan_desk.storage import keys
    from xingan_desk.sync import settings as ss

    pw = "Sync-Secret-9f3a"
    s = ss.SyncSettings(host="central.example", dbname="xingan", user="w_152223_02",
                        sslmode="verify-full")
    saved, where = ss.save(desk, s, pw)
    assert saved.password_store == "local" and "加密" in where
    assert pw not in _all_setting_text(desk)
    assert ss.read_password(desk, saved) == pw
    assert f"password={pw}" in ss.connection_url(desk)
    # a fresh process on this PC: the store opens with the admin password, and so does
    # the sync password; without it nothing opens
    path = desk.directory
    desk.close()
    keys.forget_all()
    with pytest.raises(keys.StoreLocked, match="请输入管理员密码"):
        Desk.open(path)
    again = Desk.open(path, password=ADMIN_PASSWORD)
    try:
        assert ss.read_password(again, saved) == pw
    finally:
        again.close()


def test_a_clear_text_sync_password_of_an_older_version_is_sealed_at_the_next_sync(
        desk: Desk, no_keyring: None) -> None:
    from xingan_desk.sync import settings as ss

    pw = "Old-Clear-Text-77"
    s = ss.SyncSettings(host="central.example", dbname="xingan", user="w_152223_02",
                        password_store="local")
    desk.set_setting(ss.SETTING_KEY, s.as_setting())
    desk.set_setting(ss.LOCAL_SECRET_KEY, {"user": s.keyring_user, "password": pw})
    assert pw in _all_setting_text(desk)
    assert f"password={pw}" in ss.connection_url(desk)
    assert desk.setting(ss.LOCAL_SECRET_KEY).get("password") is None
    assert pw not in _all_setting_text(desk)
    assert ss.read_password(desk, s) == pw
    legacy = ss.SyncSettings(host="c2.example", dbname="xingan", user="w_152223_02")
    desk.set_setting(ss.SETTING_KEY, {"url": legacy.conninfo("In-The-Url-55")})
    assert "In-The-Url-55" in ss.connection_url(desk)
    assert "In-The-Url-55" not in str(desk.setting(ss.SETTING_KEY))
    assert ss.load(desk).password_store == "local"  # type: ignore[union-attr]
