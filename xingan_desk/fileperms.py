"""Owner-only files and folders for everything the app writes that holds personal data.

On POSIX the store, its WAL/SHM files, the key file, backups, exports and restored files are
created 0600 and their folders 0700. Modes are set explicitly with chmod after creation, so the
result does not depend on the process umask. SQLite gives the -wal/-shm files the mode of the
database file, which is why the store file is created here (empty: a valid empty database)
before SQLite ever opens it.

On Windows, folders created for the app get an ACL without inherited entries that grants full
control to the current user, SYSTEM and the local Administrators group only (`icacls`; files
created inside inherit it). Export files the user saves elsewhere keep the ACL of the folder
the user chose. A failure of `icacls` is logged (without paths) and not fatal.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
IS_POSIX = os.name == "posix"
# SYSTEM and BUILTIN\Administrators by SID, so localised Windows (中文版) works too
_WINDOWS_SIDS = ("*S-1-5-18", "*S-1-5-32-544")


def _restrict_windows_acl(path: Path) -> bool:  # pragma: no cover - Windows only
    user = os.environ.get("USERNAME", "")
    domain = os.environ.get("USERDOMAIN", "")
    if not user:
        return False
    who = f"{domain}\\{user}" if domain else user
    args = ["icacls", str(path), "/inheritance:r", "/grant:r", f"{who}:(OI)(CI)F"]
    for sid in _WINDOWS_SIDS:
        args += ["/grant:r", f"{sid}:(OI)(CI)F"]
    try:
        done = subprocess.run(args, capture_output=True, timeout=30, check=False,
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.SubprocessError):
        log.warning("icacls could not be run; folder permissions unchanged")
        return False
    if done.returncode != 0:
        log.warning("icacls failed (exit %s); folder permissions unchanged", done.returncode)
        return False
    return True


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it owner-only. Parents that already exist
    are left alone; the folder itself is restricted whether new or not."""
    new = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    if IS_POSIX:
        if new:
            os.chmod(path, DIR_MODE)
        else:
            _drop_others(path, DIR_MODE)
    elif new and sys.platform == "win32":  # pragma: no cover - Windows only
        _restrict_windows_acl(path)
    return path


def restrict_dir(path: Path) -> None:
    """Make an existing folder owner-only (also on Windows: used once when a store is
    migrated, so older installations get the ACL too)."""
    if IS_POSIX:
        _drop_others(path, DIR_MODE)
    elif sys.platform == "win32":  # pragma: no cover - Windows only
        _restrict_windows_acl(path)


def _drop_others(path: Path, keep: int) -> None:
    """Clear the group/other bits (and any owner bit outside `keep`); never adds a bit, so a
    read-only file stays read-only."""
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return
    if mode & ~keep:
        os.chmod(path, mode & keep)


def private_file(path: Path) -> Path:
    """Make an existing file owner-only (no-op for a missing file; POSIX only)."""
    if IS_POSIX:
        _drop_others(path, FILE_MODE)
    return path


def create_private(path: Path) -> Path:
    """Create `path` empty and owner-only if it does not exist; make it owner-only if it does."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     FILE_MODE)
    except FileExistsError:
        return private_file(path)
    try:
        if IS_POSIX:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


@contextmanager
def open_private(path: Path, mode: str = "wb") -> Iterator[IO[bytes]]:
    """Open `path` for writing bytes, created owner-only (an existing file is truncated and
    made owner-only)."""
    if mode not in ("wb", "ab"):
        raise ValueError(mode)
    create_private(path)
    with open(path, mode) as fh:
        yield fh


def store_companions(db: Path) -> list[Path]:
    """The store and the files SQLite keeps beside it."""
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")]


def secure_store(db: Path, backups: Path | None = None) -> None:
    """Owner-only store folder, store and its WAL/SHM/journal (whichever exist), and the
    backup folder with the backups in it (files written by older versions were 0644)."""
    if not IS_POSIX:
        return
    _drop_others(db.parent, DIR_MODE)
    for p in store_companions(db):
        private_file(p)
    if backups is not None and backups.is_dir():
        _drop_others(backups, DIR_MODE)
        for p in backups.iterdir():
            private_file(p)


__all__ = ["DIR_MODE", "FILE_MODE", "create_private", "open_private", "private_dir",
           "private_file", "restrict_dir", "secure_store", "store_companions"]
