"""Opening the local SQLite store: pragmas, explicit transactions, migrations, backups.

pysqlite's implicit transactions are switched off: SQLAlchemy emits our own BEGIN (DEFERRED for
reads, IMMEDIATE for writes, so a writer takes the lock up front instead of failing half way
with "database is locked"). Pragmas on every connection: WAL, synchronous=FULL (a printed
receipt must survive a power cut), foreign keys, busy_timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

from ..errors import StoreError
from ..fileperms import create_private, private_dir, private_file, secure_store
from . import keys

log = logging.getLogger(__name__)

SCHEMA_HEAD = "0016"  # must equal the newest revision in migrations/versions (tested)
BUSY_TIMEOUT_MS = 10_000


def _json_dumps(value: Any) -> str:
    # Chinese stays UTF-8 (json's default \\uXXXX escapes double the size of every payload)
    return _JSON.encode(value)


# json.dumps(value, ensure_ascii=False, separators=…) without making an encoder per value
# (a bulk batch encodes several payloads per record)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def __getattr__(name: str) -> Any:
    if name == "DBAPIError":  # SQLCipher's error base class (not sqlite3.Error)
        return _dbapi().Error
    raise AttributeError(name)


def _dbapi() -> Any:
    """SQLCipher's DB-API module (sqlite3's interface, SQLite 3.5x with FTS5 and JSON)."""
    import sqlcipher3.dbapi2  # no stubs (mypy: ignore_missing_imports): sqlite3's interface

    return sqlcipher3.dbapi2


# PRAGMA cache_size in KiB (negative: a size, not a page count), per connection (the GUI
# thread's page reads and the DB lane each hold one; filled only as pages are read). What is read
# again and again — an area's newest records for a search, its count, the deadline counts — sits
# in narrow covering indexes (migration 0015) that fit in 8 MiB. 64 MiB per connection was a
# third of the window's memory (16 MiB: +24 MB after a day's searches). A bulk import pays: at
# 200,000 records ≈12 % fewer records per CPU second than with 64 MiB (16 MiB: ≈4 %).
CACHE_KIB = -8192

# SQLCipher writes its own errors (a failed page HMAC …) to stderr; ours are one Chinese line
QUIET_CIPHER = "PRAGMA cipher_log_level = NONE"


def key_pragma(key: bytes) -> str:
    """PRAGMA key with a raw 256-bit key (no passphrase KDF: the key is random already)."""
    if len(key) != keys.KEY_BYTES:
        raise ValueError("store key must be 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect_file(path: Path, key: bytes | None, *, readonly: bool = False) -> Any:
    """A plain DB-API connection to a store or backup file (encrypted when `key` is given).
    For probes, backups and tests; the app itself goes through `make_engine`."""
    mod = _dbapi()
    target = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = mod.connect(target, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(QUIET_CIPHER)
    if key is not None:
        conn.execute(key_pragma(key))
    return conn


def make_engine(path: Path, key: bytes | None = None) -> Engine:
    """The engine for the store at `path`, encrypted with `key` (SQLCipher) when given. The
    file is created owner-only first when missing (SQLite gives its -wal/-shm files the same
    mode), and an existing store, its companions and its backup folder lose any group/other
    permission bits."""
    create_private(path)
    secure_store(path, path.parent / "backups")
    # hide_parameters: an error never carries the row's values (names, phones) into a message
    # pool_use_lifo: the connection used last (its page cache warm, SQLCipher's pages
    # decrypted) serves the next read, instead of the pool's coldest one
    engine = create_engine(f"sqlite:///{path}", future=True, json_serializer=_json_dumps,
                           module=_dbapi(), hide_parameters=True, pool_use_lifo=True)
    pragma = key_pragma(key) if key is not None else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(QUIET_CIPHER)
        if pragma is not None:
            cur.execute(pragma)  # must come first: nothing is readable before it
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        # SQLCipher decrypts every page it reads that is not in the page cache (filled only
        # as pages are read; see CACHE_KIB)
        cur.execute(f"PRAGMA cache_size={CACHE_KIB}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def current_key(path: Path) -> bytes | None:
    """The key of the store at `path` when it is encrypted and unlocked in this process."""
    return keys.current_key(path)


def keep_password(path: Path, username: str, password: str) -> None:
    """After an account logged in or got a new password: the store key's slot for that
    account opens with it (so the login password unlocks the store where there is no
    keyring, and an admin's opens its backups on another PC)."""
    key = keys.current_key(path)
    if key is not None:
        try:
            keys.set_slot(path, key, username, password)
        except OSError:
            log.warning("could not update the key file")


def drop_password(path: Path, username: str) -> None:
    """A disabled account's slot goes: its password no longer unlocks the store."""
    try:
        keys.drop_slot(path, username)
    except OSError:
        log.warning("could not update the key file")


def remove_backup(backup: Path) -> None:
    backup.unlink()
    keys.keyfile_path(backup).unlink(missing_ok=True)


def backup_key(source: Path, store: Path, password: str | None) -> bytes | None:
    """The key that opens backup `source`: None for an unencrypted one; else from its key file
    (remembered, keyring, or an admin `password`), or the live store's key."""
    if is_plain(source):
        return None
    kf = keys.read_keyfile(source)
    if kf is not None:
        key = keys.key_from(kf, password)
        if key is not None:
            return key
    else:
        key = keys.current_key(store) or (keys.unlock(store, password)
                                          if keys.keyfile_path(store).exists() else None)
        if key is not None:
            return key
    raise keys.StoreLocked("备份文件已加密，本机没有它的密钥：请输入该窗口管理员的密码")


def restored(source: Path, store: Path, backups: Path, key: bytes | None) -> None:
    """After `source` was copied over the store: the store's key file matches it (the backup's
    own, or the store's); an unencrypted backup is encrypted with the store's key."""
    side = keys.keyfile_path(source)
    if key is not None:
        if side.exists():
            copy_keyfile(source, store)
        return
    live = keys.current_key(store)
    if live is not None:
        encrypt_in_place(store, live, backups)
    else:
        keys.keyfile_path(store).unlink(missing_ok=True)  # opens as an older, plain store


# --- encryption at rest ---------------------------------------------------------------------
PLAIN_HEADER = b"SQLite format 3\x00"


def is_plain(path: Path) -> bool:
    """True for an unencrypted SQLite file (SQLCipher files have no readable header)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def _admin_label(path: Path, password: str) -> str | None:
    """The admin account of an unencrypted store whose password `password` is, or None."""
    from ..auth import verify_password

    conn = connect_file(path, None, readonly=True)
    try:
        rows = conn.execute("SELECT username, password_hash FROM user_account "
                            "WHERE role = 'admin' AND active").fetchall()
    except Exception:  # not (yet) a store with accounts
        return None
    finally:
        conn.close()
    for username, pw_hash in rows:
        if verify_password(password, pw_hash):
            return str(username)
    return None


def store_key(path: Path, backups: Path, *, password: str | None = None,
              admin: str = "admin") -> bytes | None:
    """The key to open the store at `path` with, making one where needed:
    - a store with a key file: unlocked (memory, keyring, or an admin `password`);
    - a new store: a new key (keyring and/or slot `admin` wrapped with `password`);
    - an unencrypted store of an older version: a new key and the store encrypted in place
      (after an encrypted backup), when the key can be kept (keyring, or the password of an
      admin account of that store); else None: it stays unencrypted for now.
    Raises keys.StoreLocked when the store is encrypted and cannot be unlocked."""
    if keys.keyfile_path(path).exists():
        return keys.unlock(path, password)
    fresh = not path.exists() or path.stat().st_size == 0
    if fresh:
        return keys.create_key(path, label=admin, password=password)
    if not is_plain(path):
        raise keys.StoreLocked(f"数据文件已加密，但找不到它的密钥文件：{keys.keyfile_path(path)}")
    label = _admin_label(path, password) if password else None
    if label is None and not keys.has_trusted_keyring():
        return None
    key = keys.create_key(path, label=label, password=password if label else None)
    try:
        encrypt_in_place(path, key, backups)
    except BaseException:
        keys.keyfile_path(path).unlink(missing_ok=True)
        raise
    return key


def _export_encrypted(src: Path, dest: Path, key: bytes) -> None:
    """Write an encrypted copy of the unencrypted database `src` to `dest` (sqlcipher_export)."""
    dest.unlink(missing_ok=True)
    create_private(dest)
    conn = connect_file(src, None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute(f"ATTACH DATABASE ? AS enc KEY \"x'{key.hex()}'\"", (str(dest),))
        conn.execute("SELECT sqlcipher_export('enc')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA enc.user_version = {int(version)}")
        conn.execute("DETACH DATABASE enc")
    finally:
        conn.close()
    check = connect_file(dest, key, readonly=True)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()
    finally:
        check.close()
    if not ok or ok[0] != "ok":
        raise StoreError("加密数据文件时校验失败，原文件未改动。请联系管理员。")


def encrypt_in_place(path: Path, key: bytes, backups: Path) -> Path:
    """Encrypt the unencrypted store at `path` (and the unencrypted backups in `backups`).
    The encrypted copy is verified and kept as a backup before it replaces the store; the
    unencrypted file is then removed. Returns that backup."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    tmp = path.with_name(f"{path.name}.encrypting")
    _export_encrypted(path, tmp, key)
    private_dir(backups)
    keep = backups / f"before-encrypt-{stamp}.sqlite3"
    shutil.copyfile(tmp, keep)
    private_file(keep)
    copy_keyfile(path, keep)
    for extra in ("-wal", "-shm", "-journal"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    os.replace(tmp, path)
    for old in sorted(backups.glob("*.sqlite3")):
        if is_plain(old):
            try:
                _export_encrypted(old, old.with_name(old.name + ".encrypting"), key)
                os.replace(old.with_name(old.name + ".encrypting"), old)
                copy_keyfile(path, old)
            except Exception:
                log.warning("an older unencrypted backup could not be encrypted")
    log.info("store encrypted in place")
    return keep


def copy_keyfile(store: Path, copy: Path) -> None:
    """Put the store's key file beside a copy of the store, so the copy can be opened on
    another PC with an admin password (it holds only wrapped keys)."""
    src = keys.keyfile_path(store)
    if src.exists():
        dst = keys.keyfile_path(copy)
        create_private(dst)
        shutil.copyfile(src, dst)


class WriteGate:
    """Writers of this process take turns in arrival order (FIFO), re-entrant per thread.

    SQLite's busy handler polls a locked database with growing sleeps (up to 100 ms), so a
    stream of back-to-back write transactions from the sync thread could keep a clerk's save
    waiting far longer than any single transaction; with the gate a save waits for at most
    the one transaction in progress. Other processes (a scheduled `xingan-desk sync`) still
    meet SQLite's busy timeout."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> WriteGate:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return self
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
            self._owner, self._depth = me, 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()


def writer(engine: Engine) -> Engine:
    """An engine view whose transactions start with BEGIN IMMEDIATE."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def explain_db_error(exc: BaseException, path: Path) -> StoreError:
    """Turn sqlite's English errors into one clear Chinese sentence."""
    msg = str(getattr(exc, "orig", exc)).lower()
    if "readonly" in msg or "read-only" in msg or "read only" in msg:
        return StoreError(f"数据文件是只读的，无法保存：{path}。请检查文件权限或磁盘是否写保护。")
    from ..recovery import corrupt_error, is_corruption

    if is_corruption(exc):
        return corrupt_error(path)  # names the newest good backup
    if "locked" in msg or "busy" in msg:
        return StoreError("数据文件正被其他程序占用，请稍后重试。")
    if "disk" in msg and "full" in msg:
        return StoreError("磁盘空间已满，无法保存。请清理磁盘后重试。")
    if "unable to open" in msg:
        return StoreError(f"无法打开数据文件：{path}。请检查路径和权限。")
    # sqlite's own text only names tables and columns, never values; SQLAlchemy's would add
    # the statement and its parameters
    return StoreError(f"数据库错误：{getattr(exc, 'orig', exc.__class__.__name__)}")


def check_writable(path: Path) -> None:
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"数据文件是只读的，无法保存：{path}。请检查文件权限。")
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"数据目录不可写：{path.parent}。请检查文件夹权限。")


def current_revision(engine: Engine, path: Path) -> str | None:
    try:
        with engine.connect() as conn:
            has = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).first()
            if not has:
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except DatabaseError as exc:
        raise explain_db_error(exc, path) from exc


def backup_file(engine: Engine, dest: Path, key: bytes | None = None) -> Path:
    """A consistent copy of the live database through SQLite's online backup API, encrypted
    with the store's `key` when it has one (the key file is copied beside it). The copy is
    owner-only; a folder created for it too (an existing folder the user chose is left as is)."""
    if not dest.parent.exists():
        private_dir(dest.parent)
    dest.unlink(missing_ok=True)
    create_private(dest)
    raw = engine.raw_connection()
    try:
        src = raw.driver_connection
        target = connect_file(dest, key)
        try:
            src.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    except _dbapi().Error as exc:
        raise StoreError(f"备份失败：{dest}（数据库复制未完成）") from exc
    finally:
        raw.close()
    store = Path(str(engine.url.database))
    if key is not None:
        copy_keyfile(store, dest)
    return dest


def migrate(engine: Engine, path: Path, backups: Path, key: bytes | None = None) -> str | None:
    """Bring the schema to SCHEMA_HEAD. Backs the file up first when it already holds data.

    Returns the backup path (or None when no migration was needed or the store was new).
    Alembic is imported only when a migration actually runs (it costs ~0.5 s to import).
    """
    current = current_revision(engine, path)
    if current == SCHEMA_HEAD:
        return None
    backup: Path | None = None
    if current is not None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = backup_file(engine, backups / f"before-migrate-{current}-{stamp}.sqlite3", key)
        log.info("backed up %s to %s before migrating", path, backup)
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    try:
        with writer(engine).begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise explain_db_error(exc, path) from exc
    return str(backup) if backup else None
