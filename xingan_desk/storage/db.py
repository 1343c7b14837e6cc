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
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

from ..errors import StoreError

log = logging.getLogger(__name__)

SCHEMA_HEAD = "0005"  # must equal the newest revision in migrations/versions (tested)
BUSY_TIMEOUT_MS = 10_000


def _json_dumps(value: Any) -> str:
    # Chinese stays UTF-8 (json's default \\uXXXX escapes double the size of every payload)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(path: Path) -> Engine:
    # hide_parameters: an error never carries the row's values (names, phones) into a message
    engine = create_engine(f"sqlite:///{path}", future=True, json_serializer=_json_dumps,
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


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


def backup_file(engine: Engine, dest: Path) -> Path:
    """A consistent copy of the live database through SQLite's online backup API."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:
        src = raw.driver_connection
        assert isinstance(src, sqlite3.Connection)
        target = sqlite3.connect(dest)
        try:
            src.backup(target)
        finally:
            target.close()
    finally:
        raw.close()
    return dest


def migrate(engine: Engine, path: Path, backups: Path) -> str | None:
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
        backup = backup_file(engine, backups / f"before-migrate-{current}-{stamp}.sqlite3")
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
