"""Recovery from a damaged store: recognise the damage, name the newest good backup, restore it.

A store whose pages were overwritten (a failing disk, a bad copy) makes SQLite raise
"database disk image is malformed" on whichever query first touches a damaged page. Every
such error is turned into one `StoreCorrupt` whose message names the newest backup that passes
SQLite's own check, so the clerk or admin knows what `xingan-desk restore --latest` (or the
window application's offer) will bring back. Imports nothing heavy and never Qt.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import NotFound, StoreCorrupt
from .paths import backups_dir, db_path
from .paths import data_dir as resolve_data_dir

_CORRUPT_MARKERS = ("malformed", "not a database", "corrupt", "file is encrypted")
BACKUP_PATTERN = "*.sqlite3"

_probe_cache: dict[tuple[str, int, int], bool] = {}
_probe_lock = threading.Lock()


def is_corruption(exc: BaseException) -> bool:
    """True when `exc` (SQLAlchemy's wrapper or sqlite3's own error) says the file is damaged."""
    orig = getattr(exc, "orig", None) or exc
    # sqlite3's errors, or SQLCipher's (same DB-API names, another module)
    if not any(c.__name__ == "DatabaseError" for c in type(orig).__mro__):
        return False
    msg = str(orig).lower()
    return any(m in msg for m in _CORRUPT_MARKERS)


def quick_check(path: Path, *, live: bool = False, password: str | None = None) -> bool:
    """SQLite's quick_check over the whole file (read-only): True when the file is sound and
    holds a window identity. Reads every page; ~5 ms per MB. A backup is opened immutable (no
    -wal/-shm files are left next to it); `live` for the store itself, which others may use."""
    from .storage import db as dbmod

    mode = "mode=ro" if live else "mode=ro&immutable=1"
    try:
        if dbmod.is_plain(path) or not path.is_file():
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
        else:  # encrypted: the key from the backup's key file, or this store's own
            store = path if live else db_path(path.parent.parent)
            conn = dbmod.connect_file(path, dbmod.backup_key(path, store, password),
                                      readonly=True)
    except Exception:  # unreadable, or no key to open it with: not a good backup here
        return False
    try:
        row = conn.execute("PRAGMA quick_check(1)").fetchone()
        if not row or row[0] != "ok":
            return False
        ident = conn.execute("SELECT 1 FROM installation WHERE id = 1").fetchone()
        return ident is not None
    except Exception:  # sqlite3's or SQLCipher's error: damaged
        return False
    finally:
        conn.close()


def _probe(path: Path, password: str | None = None) -> bool:
    """quick_check, remembered per (file, size, mtime): backups do not change once written."""
    try:
        st = path.stat()
    except OSError:
        return False
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _probe_lock:
        known = _probe_cache.get(key)
    if known is None:
        known = quick_check(path, password=password)
        if known:  # a failure may only mean no key yet: asked again next time
            with _probe_lock:
                _probe_cache[key] = known
    return known


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: dt.datetime  # the file's modification time, local time of this PC

    @property
    def label(self) -> str:
        return f"{self.path.name}（{self.taken_at:%Y-%m-%d %H:%M}）"


def backup_files(directory: str | Path | None) -> list[Backup]:
    """Every backup in the window's backup folder (daily copies, copies made before a
    migration or a restore), newest first. Not checked."""
    folder = backups_dir(resolve_data_dir(directory))
    found: list[Backup] = []
    if folder.is_dir():
        for p in folder.glob(BACKUP_PATTERN):
            try:
                mtime = p.stat().st_mtime
            except OSError:
                continue
            found.append(Backup(p, dt.datetime.fromtimestamp(mtime)))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def newest_good_backup(directory: str | Path | None, *, password: str | None = None
                       ) -> Backup | None:
    """The newest backup that passes SQLite's check, or None (`password` opens encrypted
    backups whose key this process does not hold yet)."""
    for b in backup_files(directory):
        if _probe(b.path, password):
            return b
    return None


def corrupt_error(path: Path) -> StoreCorrupt:
    """The one Chinese message for a damaged store, naming the newest good backup."""
    good = newest_good_backup(path.parent)
    if good is None:
        return StoreCorrupt(f"数据文件已损坏：{path}。备份目录中没有完好的备份，请联系管理员。")
    return StoreCorrupt(
        f"数据文件已损坏：{path}。最近一份完好的备份是 {good.label}，"
        "可运行“xingan-desk restore --latest”或在窗口程序中按提示恢复。", good.path)


@dataclass(frozen=True)
class Restored:
    backup: Backup
    path: Path
    generation: int
    renumbered: tuple[tuple[str, str], ...]  # (old receipt number, new) of unpushed records


def restore_latest(directory: str | Path | None, *, password: str | None = None) -> Restored:
    """Restore the newest good backup (the `restore` rules: the damaged file is kept, the
    number generation is bumped). `password` (an admin's) opens an encrypted backup whose key
    this PC does not hold."""
    from .desk import restore

    good = newest_good_backup(directory, password=password)
    if good is None:
        raise NotFound("备份目录中没有完好的备份，无法自动恢复。请联系管理员。")
    path, generation = restore(directory, good.path, password=password)
    return Restored(good, path, generation, ())
