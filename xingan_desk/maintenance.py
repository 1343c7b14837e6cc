"""Backups, the integrity check, number generations and restore (a part of the Desk:
`desk.maintenance`)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from .attachments.files import FileStore, backup_folder
from .errors import NotFound, OutputFileError, StoreError, file_error_reason
from .numbering import parse_receipt_no
from .paths import backups_dir, db_path
from .paths import data_dir as resolve_data_dir
from .records.kinds import KINDS
from .records.workflow import EventLike, fold
from .recovery import is_corruption, quick_check
from .storage import db as dbmod
from .storage import planner
from .storage.schema import DETAIL, Installation, ReceiptCounter, Record, RecordEvent
from .timeutil import utcnow

if TYPE_CHECKING:
    from .desk import Desk

AUTO_BACKUPS_KEPT = 14  # daily copies kept in the backup folder
Backup = tuple[Path, dt.datetime, int]


class Maintenance:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def backup(self, dest: Path | None = None) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = dest or backups_dir(self._desk.directory) / f"xingan-desk-{stamp}.sqlite3"
        if target.exists() and target.is_dir():
            target = target / f"xingan-desk-{stamp}.sqlite3"
        try:
            dbmod.backup_file(self._desk.engine, target, dbmod.current_key(self._desk.path))
        except OSError as exc:
            raise OutputFileError(f"备份失败：无法写入 {target}（{file_error_reason(exc)}）") from exc
        except (sqlite3.Error, dbmod.DBAPIError) as exc:
            if is_corruption(exc):
                raise dbmod.explain_db_error(exc, self._desk.path) from exc
            raise StoreError(f"备份失败：{target}") from exc
        if not quick_check(target):  # a copy of a damaged store must not push out good ones
            with suppress(OSError):
                dbmod.remove_backup(target)
            raise dbmod.explain_db_error(sqlite3.DatabaseError("malformed"), self._desk.path)
        try:  # the attachment files go beside the copy (hard links where possible)
            files = self._desk.attachments.backup_files(target)
        except OSError as exc:
            raise OutputFileError(f"备份附件文件失败：无法写入 {target}（{file_error_reason(exc)}）") from exc
        with self._desk.writing() as w:
            w.audit("backup", detail=f"{target}（附件文件{files}个）" if files else str(target))
        return target

    def backups(self) -> list[Backup]:
        """Backups in this window's backup folder, newest first: (file, time, bytes)."""
        folder = backups_dir(self._desk.directory)
        found = []
        for p in folder.glob("xingan-desk-*.sqlite3") if folder.is_dir() else ():
            st = p.stat()
            found.append((p, dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC), st.st_size))
        return sorted(found, key=lambda t: t[1], reverse=True)

    def auto_backup(self, *, every_hours: float = 20, keep: int | None = None) -> Path | None:
        """The daily backup: one copy when the newest is older than `every_hours`, and only
        the newest `keep` automatic copies are kept (and the planner statistics are brought up
        to date, `optimize`). Returns the new file, or None."""
        self.optimize()
        existing = self.backups()
        if existing and utcnow() - existing[0][1] < dt.timedelta(hours=every_hours):
            return None
        target = self.backup()
        for old, _, _ in self.backups()[keep or AUTO_BACKUPS_KEPT:]:
            with suppress(OSError):
                dbmod.remove_backup(old)
            shutil.rmtree(backup_folder(old), ignore_errors=True)
        return target

    def optimize(self) -> None:
        """Bring SQLite's planner statistics up to date (storage/planner.py): after bulk work
        and with the daily backup; microseconds when nothing changed much."""
        with self._desk.writing() as w:
            planner.refresh_in(w.session.connection())

    def shrink(self) -> tuple[int, int]:
        """Give the pages that compaction freed (acknowledged sync payloads dropped by
        sync/acked.compact, old rows packed by migration 0012) back to the disk: VACUUM, then a
        WAL checkpoint. SQLite reuses free pages anyway, so this only matters once, after an
        upgrade; it rewrites the whole file (up to a minute on a League store) and waits for
        other writers. Returns the store's bytes before and after (the command `shrink`)."""
        def size() -> int:
            return sum(p.stat().st_size for p in (self._desk.path,
                                                   Path(f"{self._desk.path}-wal"))
                       if p.exists())

        raw = self._desk.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            before = size()
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()
        after = size()
        with self._desk.writing() as w:
            w.audit("shrink", detail=f"{before // 1024} KB → {after // 1024} KB")
        return before, after

    def check(self) -> list[str]:
        """Integrity check: SQLite's own plus the store's invariants. [] means healthy; a
        damaged file raises StoreCorrupt naming the newest good backup."""
        try:
            return self._check()
        except (DatabaseError, sqlite3.DatabaseError, dbmod.DBAPIError) as exc:
            if not is_corruption(exc):
                raise
            raise dbmod.explain_db_error(exc, self._desk.path) from exc

    def _check(self) -> list[str]:
        problems: list[str] = []
        with self._desk.engine.connect() as conn:
            res = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            if res != ["ok"]:
                problems.extend(f"SQLite：{r}" for r in res[:20])
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                problems.append(f"外键不一致：{len(fk)}处")
        with self._desk.reading() as s:
            for kind_key, table in DETAIL.items():
                missing = s.scalar(select(func.count()).select_from(Record).where(
                    Record.kind == kind_key,
                    ~Record.id.in_(select(table.c.record_id))))
                if missing:
                    problems.append(f"{KINDS[kind_key].title}：{missing}条记录缺少明细")
            dup = s.execute(select(Record.receipt_no, func.count()).group_by(Record.receipt_no)
                            .having(func.count() > 1)).all()
            problems.extend(f"编号重复：{no}" for no, _ in dup)
            ident = self._desk.identity
            top = s.scalar(select(func.max(ReceiptCounter.last_no)).where(
                ReceiptCounter.generation == ident.generation)) or 0
            mine = s.scalars(select(Record.receipt_no).where(Record.owner == ident.window_code))

            for no in mine:
                p = parse_receipt_no(no)
                if p is None:
                    problems.append(f"编号校验位错误：{no}")
                elif p.generation == ident.generation and p.seq > top:
                    problems.append(f"编号 {no} 超出计数器（{top}），可能是从旧备份恢复后未换代")
            for kind_key, kind in KINDS.items():
                if kind.workflow is None:
                    continue
                for rec in s.scalars(select(Record).where(Record.kind == kind_key)):
                    events = s.scalars(select(RecordEvent).where(RecordEvent.record_id == rec.id))
                    folded = fold(kind.workflow, [EventLike(e.id, e.hlc, e.action,
                                                            e.from_status, e.payload)
                                                  for e in events])
                    if folded.status != rec.status:
                        problems.append(f"{rec.receipt_no}：状态“{rec.status}”与事件推导的"
                                        f"“{folded.status}”不一致")
            indexed = s.scalar(text("SELECT count(*) FROM record_search"))
            total = s.scalar(select(func.count()).select_from(Record))
            if indexed != total:
                problems.append(f"搜索索引不完整：{indexed}/{total}")
        problems.extend(self._desk.attachments.check())
        return problems

    def bump_generation(self, reason: str) -> int:
        """Start a new receipt-number generation (after a restore or when cloning is
        suspected), so numbers issued from now on cannot repeat earlier ones."""
        with self._desk.writing() as w:
            inst = w.session.get(Installation, 1)
            assert inst is not None
            old = inst.generation
            inst.generation += 1
            w.audit("generation", changes={"generation": [old, inst.generation]}, detail=reason)
            new = inst.generation
        self._desk.forget_identity()
        return new


def restore(directory: str | Path | None, source: Path, *, password: str | None = None
            ) -> tuple[Path, int]:
    """Replace the store with a backup file. The current file is kept as a backup first, and
    the restored store gets a new number generation (higher than both files'), because the
    backup's counters are behind numbers already printed. `password` (an admin's) opens an
    encrypted backup whose key is not on this PC."""
    d = resolve_data_dir(directory)
    path = db_path(d)
    if not source.is_file():
        raise NotFound(f"找不到备份文件：{source}")
    src_key = dbmod.backup_key(source, path, password)
    try:
        probe = dbmod.connect_file(source, src_key, readonly=True)
        try:
            ok = probe.execute("PRAGMA integrity_check").fetchone()
            gen_row = probe.execute("SELECT generation FROM installation WHERE id = 1").fetchone()
        finally:
            probe.close()
    except (sqlite3.DatabaseError, dbmod.DBAPIError) as exc:
        raise StoreError(f"备份文件无法读取或已损坏：{source}") from exc
    if not ok or ok[0] != "ok" or gen_row is None:
        raise StoreError(f"备份文件已损坏或不是本系统的备份：{source}")
    current_gen = 0
    if path.exists():
        try:
            live = dbmod.connect_file(path, dbmod.current_key(path), readonly=True)
            try:
                row = live.execute("SELECT generation FROM installation WHERE id = 1").fetchone()
                current_gen = row[0] if row else 0
            finally:
                live.close()
        except (sqlite3.DatabaseError, dbmod.DBAPIError):
            current_gen = 0  # a corrupt live store is exactly why one restores
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        keep = backups_dir(d) / f"before-restore-{stamp}.sqlite3"
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, keep)
        dbmod.copy_keyfile(path, keep)
        for suffix in ("-wal", "-shm"):
            extra = Path(str(path) + suffix)
            if extra.exists():
                shutil.copy2(extra, Path(str(keep) + suffix))
                extra.unlink()
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".restoring")
    shutil.copy2(source, tmp)
    tmp.replace(path)
    dbmod.restored(source, path, backups_dir(d), src_key)
    FileStore.beside(d, None).copy_from(backup_folder(source))  # names are kept as they are
    new_gen = max(current_gen, gen_row[0]) + 1
    from .desk import Desk

    desk = Desk.open(d)
    try:
        with desk.writing() as w:
            inst = w.session.get(Installation, 1)
            assert inst is not None
            inst.generation = new_gen
            w.audit("restore", detail=f"从 {source} 恢复，编号换代为第{new_gen}代")
    finally:
        desk.close()
    return path, new_gen


