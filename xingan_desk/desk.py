"""Desk: the one facade between the UI (or the command line) and the local store.

One method per user action; each opens its own transaction (BEGIN IMMEDIATE for writes) and
returns frozen views plus a `Changes` set. Every write goes through the write kernel
(`storage.writer.Writer`), which appends the audit entry and the outbox entry for sync in the
same transaction, so a change and its upload request can never be separated by a crash.
Whole areas are parts of their own, reachable as attributes and through the facade's methods:
`accounts` (accounts.py), `settings` (desk_settings.py), `calendars` (calendar_book.py),
`query` (query.py: reading and search), `draftbox` (drafts.py), `maintenance` (maintenance.py:
backup, check, restore). Records (create, handover, update, void, act) stay here. Nothing here
imports Qt.

Thread rules: a Desk may be used from several threads (one SQLAlchemy session per call), but
the UI serialises writes on its single DB lane.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import bulk
from . import record_writes as rules
from .accounts import Accounts
from .attachments.part import Attachments, AttachmentView
from .auth import check_password_strength, hash_password
from .bulk import BulkResult, BulkRow, OnError
from .calendar_book import CalendarBook, CalendarEntry
from .catalogs import COUNTY_CODES
from .desk_settings import Settings
from .drafts import DraftRow, Drafts, discard_draft
from .errors import (
    IllegalTransition,
    NotInitialised,
    PermissionDenied,
    StoreError,
    ValidationFailed,
)
from .maintenance import Backup, Maintenance, restore
from .paths import backups_dir, db_path
from .paths import data_dir as resolve_data_dir
from .query import RecordQuery
from .record_writes import note_handover
from .records import links
from .records.kinds import KINDS
from .records.workflow import Action
from .recovery import is_corruption
from .roster import RosterEntry, roster
from .storage import db as dbmod
from .storage import keys, planner
from .storage.rows import new_id
from .storage.schema import AuditEntry, Installation, Record, UserAccount
from .storage.writer import SYSTEM_USER, Writer
from .supervision import DueCounts, OverdueRow, Supervision
from .timeutil import today_cst, utcnow
from .views import AuditView, Changes, EventView, Identity, Query, RecordView, UserView
from .workdays import Calendar

__all__ = ["Desk", "new_id", "note_handover", "restore"]

BATCH_ROWS = 1000  # rows per transaction in create_many


class _DryRun(Exception):
    """Rolls a dry run's batch back."""


class Desk:
    """Open with `Desk.open(data_dir)`; log in with `login()` or `use_account()`."""

    def __init__(self, directory: Path, engine: Engine) -> None:
        self.directory = directory
        self.path = db_path(directory)
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        # no autoflush: the write paths flush explicitly (fewer round trips per save)
        self._write = sessionmaker(dbmod.writer(engine), expire_on_commit=False,
                                   autoflush=False)
        self._identity: Identity | None = None
        self._write_gate = dbmod.WriteGate()  # saves and background sync take turns
        self.accounts = Accounts(self)
        self.settings = Settings(self)
        self.calendars = CalendarBook(self)
        self.query = RecordQuery(self)
        self.supervision = Supervision(self)
        self.draftbox = Drafts(self)
        self.maintenance = Maintenance(self)
        self.attachments = Attachments(self)

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: str | Path | None = None, *, create: bool = False,
             password: str | None = None) -> Desk:
        """Open (and migrate) the store in `directory`; with create=True make a new one.
        `password` (an admin's) unlocks an encrypted store on a PC without a keyring
        (storage.keys.needs_password tells whether it is needed; else StoreLocked)."""
        d = resolve_data_dir(directory)
        path = db_path(d)
        if not path.exists() and not create:
            raise NotInitialised(
                f"此电脑尚未设置窗口信息（{d}）。请先运行：xingan-desk init --county 县市代码 --window 窗口号"
            )
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"无法创建数据目录：{d}（{exc.strerror}）") from exc
        dbmod.check_writable(path)
        key = dbmod.store_key(path, backups_dir(d), password=password)
        engine = dbmod.make_engine(path, key)
        try:
            dbmod.migrate(engine, path, backups_dir(d), key)
            with engine.connect() as conn:
                # the store opens and its records read (the key is right); not a count, which
                # read a whole index at every start (30 ms of CPU at 200,000 records). Damage is
                # found by the daily backup's check and by the first query reading that page.
                conn.exec_driver_sql("SELECT id FROM record LIMIT 1").first()
            planner.refresh(engine)  # after a migration, a first ANALYZE, a pull's growth
        except (DatabaseError, sqlite3.DatabaseError, dbmod.DBAPIError) as exc:
            engine.dispose()
            raise dbmod.explain_db_error(exc, path) from exc
        except StoreError:
            engine.dispose()
            raise
        Attachments.seal_at_open(d, backups_dir(d), key)  # files of a just-encrypted store
        desk = cls(d, engine)
        failed = keys.take_failed_unlocks(path)
        if failed:
            desk.accounts.record_failed_unlocks(failed)
        return desk

    @staticmethod
    def is_locked(directory: str | Path | None = None) -> bool:
        """True when the store is encrypted and this PC holds no key for it (no keyring): it
        opens only with the password of one of its accounts (`open_with_login`)."""
        path = db_path(resolve_data_dir(directory))
        return path.exists() and keys.needs_password(path)

    @classmethod
    def open_with_login(cls, directory: str | Path | None, username: str,
                        password: str) -> Desk:
        """Open a locked store with an account's password and log that account in. A password
        that opens nothing is noted and counts towards the account's lock once the store is
        open (the audit log lives inside it)."""
        path = db_path(resolve_data_dir(directory))
        try:
            desk = cls.open(directory, password=password)
        except keys.StoreLocked as exc:
            keys.note_failed_unlock(path, username.strip())
            raise PermissionDenied("用户名或密码不正确") from exc
        try:
            desk.login(username, password)
        except BaseException:
            desk.close()
            raise
        return desk

    @classmethod
    def initialise(
        cls,
        directory: str | Path | None,
        county: str,
        window: str,
        *,
        admin_password: str,
        admin_name: str = "系统管理员",
    ) -> Desk:
        """Create the store with its window identity and the first admin account."""
        county = county.strip()
        window = window.strip().zfill(2)
        if county not in COUNTY_CODES:
            known = "、".join(COUNTY_CODES)
            raise ValidationFailed({"county": f"县市代码“{county}”不是兴安盟的代码（可选：{known}）"})
        if not window.isdigit() or len(window) != 2 or window == "00":
            raise ValidationFailed({"window": "窗口号应为01到99的两位数字"})
        problem = check_password_strength(admin_password)
        if problem:
            raise ValidationFailed({"admin_password": problem})
        desk = cls.open(directory, create=True, password=admin_password)
        with desk.writing() as w:
            ident = w.session.get(Installation, 1)
            if ident is not None:
                desk.close()
                raise ValidationFailed(
                    {"window": f"此数据目录已设置为 {ident.county_code}-{ident.window_no} 窗口，不能重复设置"}
                )
            now = utcnow()
            w.session.add(Installation(id=1, installation_id=new_id(), county_code=county,
                                       window_no=window, generation=1, hlc_last="",
                                       created_at=now))
            w.session.add(UserAccount(id=new_id(), username="admin", display_name=admin_name,
                                      role="admin", password_hash=hash_password(admin_password),
                                      active=True, created_at=now))
            w.session.add(AuditEntry(at=now, username=SYSTEM_USER, window_code=f"{county}-{window}",
                                     action="init", changes={}, detail=f"设置窗口 {county}-{window}"))
        return desk

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """One write transaction (BEGIN IMMEDIATE, after the saves and syncs queued before it)
        with the write kernel; commits when the block ends, rolls back on an exception."""
        try:
            with self._write_gate, self._write.begin() as s:
                # deadlines are derived with the holiday table every window shares
                yield Writer(s, lambda: self.identity, self.accounts.current,
                             self.calendars.shared_calendar)
        except DatabaseError as exc:
            if not isinstance(exc, OperationalError) and not is_corruption(exc):
                raise
            raise dbmod.explain_db_error(exc, self.path) from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (no write lock); for core modules that query the store."""
        try:
            with self._read() as s:
                yield s
        except DatabaseError as exc:
            if not isinstance(exc, OperationalError) and not is_corruption(exc):
                raise
            raise dbmod.explain_db_error(exc, self.path) from exc

    # --- identity and accounts (accounts.py) -------------------------------------------------
    @property
    def identity(self) -> Identity:
        if self._identity is None:
            with self.reading() as s:
                row = s.get(Installation, 1)
                if row is None:
                    raise NotInitialised("此电脑尚未设置窗口信息，请先运行 xingan-desk init")
                self._identity = Identity(row.installation_id, row.county_code, row.window_no,
                                          row.generation)
        return self._identity

    def forget_identity(self) -> None:
        """Re-read the window identity (after the generation changed)."""
        self._identity = None

    @property
    def user(self) -> UserView:
        return self.accounts.user

    def require_role(self, *roles: str, what: str) -> None:
        self.accounts.require_role(*roles, what=what)

    def login(self, username: str, password: str) -> UserView:
        return self.accounts.login(username, password)

    def use_account(self, username: str) -> UserView:
        return self.accounts.use_account(username)

    def logout(self) -> None:
        self.accounts.logout()

    def add_user(self, username: str, display_name: str, role: str, password: str) -> UserView:
        return self.accounts.add_user(username, display_name, role, password)

    def set_password(self, username: str, password: str) -> None:
        self.accounts.set_password(username, password)

    def set_user_active(self, username: str, active: bool) -> UserView:
        return self.accounts.set_user_active(username, active)

    def set_user_role(self, username: str, role: str) -> UserView:
        return self.accounts.set_user_role(username, role)

    def change_own_password(self, old: str, new: str) -> None:
        self.accounts.change_own_password(old, new)

    def list_users(self) -> list[UserView]:
        return self.accounts.list_users()

    # --- settings and calendar (desk_settings.py, calendar_book.py) --------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        self.settings.set(key, value)

    def set_settings(self, values: Mapping[str, Any]) -> None:
        """Several settings in one transaction (e.g. the print settings dialog)."""
        self.settings.set_many(values)

    def calendar(self) -> Calendar:
        return self.calendars.calendar()

    # --- deadlines a supervisor can act on (supervision.py) ----------------------------------
    def due_warn_workdays(self) -> int:
        return self.supervision.warn_workdays()

    def set_due_warn_workdays(self, days: int) -> None:
        self.supervision.set_warn_workdays(days)

    def due_stage(self, due: dt.date | None, today: dt.date | None = None) -> str | None:
        return self.supervision.stage(due, today)

    def due_counts(self, today: dt.date | None = None) -> DueCounts:
        return self.supervision.counts(today)

    def overdue_report(self, today: dt.date | None = None) -> tuple[list[OverdueRow],
                                                                   list[OverdueRow]]:
        return self.supervision.overdue_report(today)

    def urge(self, record_id: str, note: str) -> tuple[RecordView, Changes]:
        return self.supervision.urge(record_id, note)

    def extend_deadline(self, record_id: str, until: dt.date,
                        reason: str) -> tuple[RecordView, Changes]:
        return self.supervision.extend(record_id, until, reason)

    def set_calendar_day(self, day: dt.date, kind: str, name: str = "") -> None:
        self.calendars.set_day(day, kind, name)

    def set_calendar_range(self, start: dt.date, end: dt.date, kind: str, name: str) -> int:
        return self.calendars.set_range(start, end, kind, name)

    def clear_calendar_day(self, day: dt.date) -> None:
        self.calendars.clear_day(day)

    def calendar_edits(self, year: int | None = None) -> list[CalendarEntry]:
        return self.calendars.edits(year)

    def league_calendar(self, year: int | None = None) -> list[CalendarEntry]:
        return self.calendars.league(year)

    def calendar_warning(self, today: dt.date | None = None, days_ahead: int = 60) -> str | None:
        return self.calendars.warning(today, days_ahead)

    # --- reading (query.py) ------------------------------------------------------------------
    def get(self, record_id: str) -> RecordView:
        return self.query.get(record_id)

    def get_by_receipt(self, receipt_no: str) -> RecordView:
        return self.query.get_by_receipt(receipt_no)

    def enterprise_by_uscc(self, uscc: str) -> RecordView | None:
        return self.query.enterprise_by_uscc(uscc)

    def find_ids(self, q: Query) -> list[str]:
        return self.query.find_ids(q)

    def count(self, q: Query) -> int:
        return self.query.count(q)

    def rows_for_ids(self, ids: Sequence[str]) -> dict[str, RecordView]:
        return self.query.rows_for_ids(ids)

    def search(self, q: Query) -> list[RecordView]:
        return self.query.search(q)

    def due(self, within_workdays: int = 3) -> list[RecordView]:
        return self.query.due(within_workdays)

    def history(self, record_id: str) -> tuple[list[EventView], list[AuditView]]:
        return self.query.history(record_id)

    def audit_trail(self, limit: int = 200) -> list[AuditView]:
        return self.query.audit_trail(limit)

    def pending_outbox(self) -> int:
        return self.query.pending_outbox()

    def counts_by_kind(self, due_before: dt.date | None = None) -> dict[str, int]:
        return self.query.counts_by_kind(due_before)

    def mediator_roster(self, *, active_only: bool = False) -> list[RosterEntry]:
        """The mediator roster (调解员名册) with each mediator's assigned cases (roster.py)."""
        with self.reading() as s:
            return roster(s, active_only=active_only)

    # --- drafts (drafts.py) ------------------------------------------------------------------
    def save_draft(self, draft_id: str, kind: str, payload: Mapping[str, Any],
                   record_id: str | None = None) -> None:
        self.draftbox.save(draft_id, kind, payload, record_id)

    def drafts(self) -> list[DraftRow]:
        return self.draftbox.mine()

    def discard_draft(self, draft_id: str) -> None:
        self.draftbox.discard(draft_id)

    # --- maintenance (maintenance.py) --------------------------------------------------------
    def backup(self, dest: Path | None = None) -> Path:
        return self.maintenance.backup(dest)

    def backups(self) -> list[Backup]:
        return self.maintenance.backups()

    def auto_backup(self, *, every_hours: float = 20, keep: int | None = None) -> Path | None:
        return self.maintenance.auto_backup(every_hours=every_hours, keep=keep)

    def check(self) -> list[str]:
        return self.maintenance.check()

    def bump_generation(self, reason: str) -> int:
        return self.maintenance.bump_generation(reason)

    # --- attachments (attachments/part.py) ---------------------------------------------------
    def attach(self, record_id: str, data: bytes, name: str, material: str | None = None
               ) -> tuple[AttachmentView, Changes]:
        return self.attachments.add(record_id, data, name, material)

    def attach_file(self, record_id: str, path: Path, material: str | None = None
                    ) -> tuple[AttachmentView, Changes]:
        return self.attachments.add_file(record_id, path, material)

    def list_attachments(self, record_id: str) -> list[AttachmentView]:
        return self.attachments.of(record_id)

    def attachment_content(self, attachment_id: str) -> bytes:
        return self.attachments.content(attachment_id)

    def void_attachment(self, attachment_id: str, reason: str) -> Changes:
        return self.attachments.void(attachment_id, reason)

    def material_types(self, record_id: str) -> list[str]:
        return self.attachments.material_types(record_id)

    def missing_materials(self, record_id: str) -> list[str]:
        return self.attachments.missing_materials(record_id)

    # --- records: create ---------------------------------------------------------------------
    def defaults(self, kind_key: str) -> dict[str, Any]:
        """Values a new form starts with (declared defaults, now/today, the clerk's name)."""
        from .catalogs import active_choices

        kind = KINDS[kind_key]
        values: dict[str, Any] = {f.key: f.default for f in kind.fields if f.default is not None}
        now, today = utcnow(), today_cst()
        for f in kind.fields:
            if f.key in ("started_at", "rated_at"):
                values[f.key] = now
            elif f.key in ("guided_on", "applied_on"):
                values[f.key] = today
        if kind.has_field("first_responder") and self.accounts.current:
            values["first_responder"] = self.accounts.current.display_name
        if kind_key == "preexam_filing":
            values["materials"] = [
                {"item": label, "status": "missing", "note": None}
                for _, label in active_choices("preexam_materials")
            ]
            values["county_code"] = self.identity.county_code if not self.identity.is_league else None
        return values

    def create(
        self,
        kind_key: str,
        raw: Mapping[str, Any],
        *,
        handover_from: str | None = None,
        register_enterprise: bool = True,
        draft_id: str | None = None,
    ) -> tuple[RecordView, Changes]:
        """Validate and save a new record; its receipt number is allocated in the same
        transaction (and the form's draft, if named, is discarded in it). Raises
        ValidationFailed with {field: message} and saves nothing."""
        with self.writing() as w:
            out = rules.create_in(w, kind_key, raw, handover_from=handover_from,
                                  register_enterprise=register_enterprise)
            discard_draft(w.session, draft_id)
            return out

    def create_many(
        self,
        kind_key: str,
        rows: Iterable[Mapping[str, Any] | BulkRow],
        *,
        note: str = "",
        on_error: OnError = "raise",
        skip_duplicates: bool = False,
        register_enterprise: bool = True,
        dry_run: bool = False,
        batch_rows: int = BATCH_ROWS,
        progress: Callable[[int], bool | None] | None = None,
        refresh_statistics: bool = True,
    ) -> BulkResult:
        """Create many records with the rows `create` writes (audit, outbox, numbers, search
        index, events), `batch_rows` per transaction, one executemany per table
        (xingan_desk/bulk.py). A row (plain intake values, or a `BulkRow` with its history
        and source key) is validated completely before anything of it is written.
        `on_error="raise"` stops at the first invalid row (ValidationFailed, messages
        "第N行：…"; its batch writes nothing); "collect" writes the valid rows and lists the
        others in `BulkResult.errors`. `note` is the audit detail of every create (who is
        the acting user). `dry_run` checks everything and writes nothing. `progress(rows
        done)` runs after each batch; returning False stops there (`cancelled`). The planner
        statistics are refreshed at the end unless `refresh_statistics` is False (a caller
        making many calls, the import, refreshes them once itself)."""
        result = bulk.BulkResult()
        state = bulk.BulkState()
        done = 0
        for batch in bulk.batches(rows, batch_rows):
            try:
                with self.writing() as w:
                    bulk.write_batch(w, kind_key, batch, state, result, note=note,
                                     on_error=on_error, skip_duplicates=skip_duplicates,
                                     register_enterprise=register_enterprise)
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
            done += len(batch)
            if progress is not None and progress(done) is False:
                result.cancelled = True
                break
        if result.created and not dry_run and refresh_statistics:
            self.maintenance.optimize()  # the planner sees the new sizes
        return result

    def imported_sources(self, kind_key: str, keys: Iterable[str]) -> dict[str, str]:
        """The source keys (BulkRow.source_key) of `kind_key` already imported, each with the
        receipt number of its record."""
        with self.reading() as s:
            return bulk.known_sources(s, kind_key, list(keys))

    def link_handover(self, consultation_id: str, target_no: str) -> Changes:
        """Note on a consultation that it was handed over to the record `target_no` (the
        `create(…, handover_from=)` path does this itself)."""
        with self.writing() as w:
            return rules.note_handover(w, consultation_id, target_no)

    def handover(self, source_id: str, target_kind: str) -> dict[str, Any]:
        """Prefilled values for a record made from another one by a declared handover
        (records/links.py: 转预审备案, 转调解受理). Nothing is saved; pass `handover_from=`
        to `create`."""
        rec = self.get(source_id)
        targets = links.handover_targets(rec.kind)
        if target_kind not in targets:
            title = KINDS[rec.kind].title
            if not targets:
                raise IllegalTransition(f"{title}不能转入其他办件")
            raise IllegalTransition(f"{title}只能转入" + "或".join(KINDS[t].title for t in targets))
        uscc = links.uscc_of(rec.kind, rec.values)
        enterprise = self.enterprise_by_uscc(uscc) if uscc else None
        values = {**self.defaults(target_kind), **links.handover_values(
            rec.kind, rec.values, target_kind, receipt_no=rec.receipt_no,
            enterprise=enterprise.values if enterprise else None)}
        return {k: v for k, v in values.items() if v is not None}

    # --- records: update, void, act ----------------------------------------------------------
    def update(
        self, record_id: str, raw: Mapping[str, Any], expected_version: int, *,
        draft_id: str | None = None,
    ) -> tuple[RecordView, Changes]:
        """Save edits of intake fields. `expected_version` is the version the form was opened
        with; if the record changed since (another clerk, a sync), Conflict is raised and
        nothing is saved. The form's draft, if named, is discarded in the same transaction."""
        with self.writing() as w:
            out = rules.update_in(w, record_id, raw, expected_version)
            discard_draft(w.session, draft_id)
            return out

    def void(self, record_id: str, reason: str) -> tuple[RecordView, Changes]:
        """Void a record (作废). Records are never deleted; the number stays used."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed({"reason": "请填写作废原因"})
        if len(reason) > 300:
            raise ValidationFailed({"reason": "作废原因不能超过300字"})
        with self.writing() as w:
            return rules.void_in(w, record_id, reason)

    def actions_for(self, record_id: str) -> tuple[Action, ...]:
        """The status actions legal now for this record and the logged-in clerk's role."""
        rec = self.get(record_id)
        wf = KINDS[rec.kind].workflow
        if wf is None or rec.voided:
            return ()
        return wf.legal_actions(rec.status, self.user.role)

    def act(self, record_id: str, action_key: str, raw: Mapping[str, Any] | None = None, *,
            draft_id: str | None = None) -> tuple[RecordView, Changes]:
        """Take a status action (受理, 不予受理, 调解成功, …) with the values it records."""
        with self.writing() as w:
            out = rules.act_in(w, record_id, action_key, dict(raw or {}))
            discard_draft(w.session, draft_id)
            return out

    def can_edit(self, rec: Record | RecordView) -> bool:
        """May this window edit the record's intake fields (record_writes.can_edit)?"""
        return rules.can_edit(self.identity, rec)

    # --- audit of reads that matter (printing, unmasked export) ------------------------------
    def log_print(self, record_id: str, document: str) -> int:
        """Record a print; returns the print count (1 = first print, >1 = 补打)."""
        with self.writing() as w:
            rec = w.load(record_id)
            rec.print_count += 1
            action = "print" if rec.print_count == 1 else "reprint"
            w.audit(action, rec, detail=f"{document} 第{rec.print_count}次打印")
            return rec.print_count

    def log_export(self, kind: str, rows: int, unmasked: bool, target: str) -> None:
        if unmasked:
            self.require_role("admin", what="导出未遮蔽的个人信息")
        with self.writing() as w:
            w.audit("export_unmasked" if unmasked else "export",
                    detail=f"{kind} {rows}条 → {target}")

