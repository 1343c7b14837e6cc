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
