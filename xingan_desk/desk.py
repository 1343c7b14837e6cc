"""Desk: the one facade between the UI (or the command line) and the local store.

One method per user action; each opens its own transaction (BEGIN IMMEDIATE for writes) and
returns frozen views plus a `Changes` set. Every write also appends the audit entry and the
outbox entry for sync in the same transaction, so a change and its upload request can never be
separated by a crash. Nothing here imports Qt.

Thread rules: a Desk may be used from several threads (one SQLAlchemy session per call), but
the UI serialises writes on its single DB lane.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import uuid6
from sqlalchemy import Engine, and_, delete, func, insert, literal_column, or_, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import hlc as hlc_mod
from .auth import check_password_strength, hash_password, verify_password
from .catalogs import COUNTY_CODES, LEAGUE_CODE, county_name
from .errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    NotInitialised,
    OutputFileError,
    PermissionDenied,
    StoreError,
    ValidationFailed,
    file_error_reason,
)
from .numbering import format_receipt_no, normalize_receipt_no, parse_receipt_no
from .paths import backups_dir, db_path
from .paths import data_dir as resolve_data_dir
from .records.fields import GroupField, RefField
from .records.kind import RecordKind
from .records.kinds import KINDS
from .records.workflow import ROLES, Action, EventLike, fold
from .recovery import is_corruption, quick_check
from .storage import db as dbmod
from .storage import search
from .storage.schema import (
    DETAIL,
    AuditEntry,
    CalendarDay,
    Draft,
    Installation,
    LeagueCalendarDay,
    OutboxEntry,
    ReceiptCounter,
    Record,
    RecordEvent,
    Setting,
    UserAccount,
)
from .timeutil import CST, today_cst, utcnow
from .views import (
    AuditView,
    Changes,
    EventView,
    Identity,
    Query,
    RecordView,
    UserView,
)

log = logging.getLogger(__name__)

SYSTEM_USER = "system"
AUTO_BACKUPS_KEPT = 14  # daily copies kept in the backup folder
LOGIN_MAX_FAILURES = 5  # wrong passwords in a row before the account waits
LOGIN_LOCK_MINUTES = 15
DENSE_SEARCH_WINDOW = 2_000  # newest records scanned before the search index is used
DENSE_SEARCH_MAX_WINDOW = 60_000  # … or more when the needle looks common (~30 ms of scanning)
USCC_FIELDS = ("uscc", "enterprise_uscc", "applicant_uscc")
ENVELOPE_ORDER = {
    "created_at": Record.created_at,
    "updated_at": Record.updated_at,
    "receipt_no": Record.receipt_no,
    "status": Record.status,
    "title": Record.title,
    "due_date": Record.due_date,
    "county_code": Record.county_code,
    "created_by": Record.created_by,
}


def new_id() -> str:
    return str(uuid6.uuid7())


def _label_map(kind: RecordKind) -> dict[str, str]:
    return {f.key: f.label for f in kind.fields}


class Desk:
    """Open with `Desk.open(data_dir)`; log in with `login()` or `use_account()`."""

    def __init__(self, directory: Path, engine: Engine) -> None:
        self.directory = directory
        self.path = db_path(directory)
        self._engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        # no autoflush: the write paths flush explicitly (fewer round trips per save)
        self._write = sessionmaker(dbmod.writer(engine), expire_on_commit=False,
                                   autoflush=False)
        self._user: UserView | None = None
        self._identity: Identity | None = None
        self._calendar: Any = None
        self._write_gate = dbmod.WriteGate()  # saves and background sync take turns

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: str | Path | None = None, *, create: bool = False) -> Desk:
        """Open (and migrate) the store in `directory`; with create=True make a new one."""
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
        engine = dbmod.make_engine(path)
        try:
            dbmod.migrate(engine, path, backups_dir(d))
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM record").first()
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            engine.dispose()
            raise dbmod.explain_db_error(exc, path) from exc
        except StoreError:
            engine.dispose()
            raise
        return cls(d, engine)

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
        desk = cls.open(directory, create=True)
        with desk._tx() as s:
            if s.get(Installation, 1) is not None:
                ident = s.get(Installation, 1)
                assert ident is not None
                desk.close()
                raise ValidationFailed(
                    {"window": f"此数据目录已设置为 {ident.county_code}-{ident.window_no} 窗口，不能重复设置"}
                )
            now = utcnow()
            s.add(Installation(id=1, installation_id=new_id(), county_code=county,
                               window_no=window, generation=1, hlc_last="", created_at=now))
            s.add(UserAccount(id=new_id(), username="admin", display_name=admin_name,
                              role="admin", password_hash=hash_password(admin_password),
                              active=True, created_at=now))
            s.add(AuditEntry(at=now, username=SYSTEM_USER, window_code=f"{county}-{window}",
                             action="init", changes={}, detail=f"设置窗口 {county}-{window}"))
        return desk

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[Session]:
        try:
            with self._write_gate, self._write.begin() as s:
                yield s
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

    # --- identity and accounts ---------------------------------------------------------------
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

    @property
    def user(self) -> UserView:
        if self._user is None:
            raise PermissionDenied("请先登录")
        return self._user

    def _recent_login_failures(self, username: str) -> int:
        """Wrong passwords for `username` within LOGIN_LOCK_MINUTES, since its last good login
        (the audit log is the counter: nothing to reset, nothing to tamper with)."""
        name = username[:50]
        with self.reading() as s:
            since = utcnow() - dt.timedelta(minutes=LOGIN_LOCK_MINUTES)
            last_ok = s.scalar(select(func.max(AuditEntry.at)).where(
                or_(and_(AuditEntry.action == "login", AuditEntry.username == name),
                    and_(AuditEntry.action == "set_password", AuditEntry.detail == name)),
                AuditEntry.at >= since))
            return s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "login_failed", AuditEntry.username == name,
                AuditEntry.at > (last_ok or since))) or 0

    def login(self, username: str, password: str) -> UserView:
        if self._recent_login_failures(username.strip()) >= LOGIN_MAX_FAILURES:
            raise PermissionDenied(f"密码连续输错{LOGIN_MAX_FAILURES}次，请{LOGIN_LOCK_MINUTES}分钟后再试，"
                                   "或请管理员重置密码")
        with self._tx() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username.strip()))
            if acc is None or not acc.active or not verify_password(password, acc.password_hash):
                s.add(self._audit_row("login_failed", detail=f"用户名 {username.strip()}",
                                      username=username.strip()[:50]))
                ok = False
            else:
                acc.last_login_at = utcnow()
                self._user = _user_view(acc)
                s.add(self._audit_row("login"))
                ok = True
        if not ok:
            raise PermissionDenied("用户名或密码不正确")
        return self.user

    def use_account(self, username: str) -> UserView:
        """Act as an existing account without a password (command line run by an admin of the
        PC, demo data, tests). Privileged actions still check the account's role."""
        with self.reading() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
            if acc is None or not acc.active:
                raise NotFound(f"没有名为“{username}”的有效账号")
            self._user = _user_view(acc)
        return self._user

    def logout(self) -> None:
        self._user = None

    def _require_role(self, *roles: str, what: str) -> None:
        if self.user.role not in roles:
            names = "、".join({"clerk": "窗口人员", "mediator": "调解员", "supervisor": "主管",
                               "admin": "管理员"}[r] for r in roles)
            raise PermissionDenied(f"“{what}”需要{names}权限，当前账号无此权限")

    def add_user(self, username: str, display_name: str, role: str, password: str) -> UserView:
        self._require_role("admin", what="新建账号")
        errors: dict[str, str] = {}
        username = username.strip()
        if not username or len(username) > 50 or not username.isascii() or " " in username:
            errors["username"] = "用户名应为50位以内的字母、数字，不含空格"
        if not display_name.strip() or len(display_name) > 50:
            errors["display_name"] = "请填写姓名（50字以内）"
        if role not in ROLES:
            errors["role"] = "角色应为 clerk、mediator、supervisor 或 admin"
        problem = check_password_strength(password)
        if problem:
            errors["password"] = problem
        if errors:
            raise ValidationFailed(errors)
        with self._tx() as s:
            if s.scalar(select(UserAccount.id).where(UserAccount.username == username)):
                raise ValidationFailed({"username": f"用户名“{username}”已存在"})
            acc = UserAccount(id=new_id(), username=username, display_name=display_name.strip(),
                              role=role, password_hash=hash_password(password), active=True,
                              created_at=utcnow())
            s.add(acc)
            s.add(self._audit_row("add_user", detail=f"{username}（{display_name}，{role}）"))
            return _user_view(acc)

    def set_password(self, username: str, password: str) -> None:
        if username != self.user.username:
            self._require_role("admin", what="重置他人密码")
        problem = check_password_strength(password)
        if problem:
            raise ValidationFailed({"password": problem})
        with self._tx() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
            if acc is None:
                raise NotFound(f"没有名为“{username}”的账号")
            acc.password_hash = hash_password(password)
            s.add(self._audit_row("set_password", detail=username))

    def set_user_active(self, username: str, active: bool) -> UserView:
        """Disable (or re-enable) an account; its past work keeps its name. An admin cannot
        disable their own account or the last active admin."""
        self._require_role("admin", what="停用或启用账号")
        with self._tx() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
            if acc is None:
                raise NotFound(f"没有名为“{username}”的账号")
            if not active and acc.username == self.user.username:
                raise ValidationFailed({"active": "不能停用当前登录的账号"})
            if not active and acc.role == "admin" and self._active_admins(s) <= 1:
                raise ValidationFailed({"active": "这是最后一个管理员账号，不能停用"})
            if acc.active != active:
                acc.active = active
                s.add(self._audit_row("set_user_active", changes={username: [not active, active]},
                                      detail=f"{'启用' if active else '停用'}账号 {username}"))
            return _user_view(acc)

    def set_user_role(self, username: str, role: str) -> UserView:
        self._require_role("admin", what="修改账号角色")
        if role not in ROLES:
            raise ValidationFailed({"role": "角色应为 clerk、mediator、supervisor 或 admin"})
        with self._tx() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
            if acc is None:
                raise NotFound(f"没有名为“{username}”的账号")
            if acc.role == "admin" and role != "admin" and self._active_admins(s) <= 1:
                raise ValidationFailed({"role": "这是最后一个管理员账号，不能改为其他角色"})
            if acc.role != role:
                s.add(self._audit_row("set_user_role", changes={username: [acc.role, role]},
                                      detail=f"{username} 角色 {acc.role} → {role}"))
                acc.role = role
            return _user_view(acc)

    @staticmethod
    def _active_admins(s: Session) -> int:
        return s.scalar(select(func.count()).select_from(UserAccount).where(
            UserAccount.role == "admin", UserAccount.active.is_(True))) or 0

    def change_own_password(self, old: str, new: str) -> None:
        """The logged-in clerk changes their password (the old one is checked)."""
        me = self.user.username
        with self.reading() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == me))
            ok = acc is not None and verify_password(old, acc.password_hash)
        if not ok:
            raise ValidationFailed({"old_password": "原密码不正确"})
        if new == old:
            raise ValidationFailed({"password": "新密码不能与原密码相同"})
        self.set_password(me, new)

    def list_users(self) -> list[UserView]:
        with self.reading() as s:
            return [_user_view(a) for a in s.scalars(select(UserAccount).order_by(UserAccount.username))]

    # --- settings and calendar ---------------------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        with self.reading() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        self._require_role("admin", "supervisor", what="修改设置")
        with self._tx() as s:
            row = s.get(Setting, key)
            old = None if row is None else row.value
            if row is None:
                s.add(Setting(key=key, value=value, updated_at=utcnow(),
                              updated_by=self.user.username))
            else:
                row.value, row.updated_at, row.updated_by = value, utcnow(), self.user.username
            s.add(self._audit_row("setting", changes={key: [_redact(old), _redact(value)]}))

    def calendar(self) -> Any:
        """The working-day calendar: the shipped holiday table, then the League's entries
        (entered at a League window and synced to every window), then this window's own
        edits (a county window's edits stay local and win for that window)."""
        if self._calendar is None:
            from .workdays import Calendar

            with self.reading() as s:
                league = [(r.day, r.kind, r.name) for r in s.scalars(
                    select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None)))]
                rows = [(r.day, r.kind, r.name) for r in s.scalars(select(CalendarDay))]
            cal = Calendar.default()
            if league:
                cal = cal.with_overrides(league, covered_years={d.year for d, _, _ in league})
            self._calendar = cal.with_overrides(rows, covered_years={d.year for d, _, _ in rows})
        return self._calendar

    def _put_calendar_day(self, s: Session, day: dt.date, kind: str | None, name: str) -> str | None:
        """Write one day of the holiday table (kind None: drop the entry); returns the kind it
        had. A League window's entry is League-wide: it goes to `league_calendar_day` with an
        HLC and an outbox row (sync pushes it, central keeps the latest per day, every window
        pulls it); a county window's stays in its own `calendar_day`."""
        local = s.get(CalendarDay, day)
        old = None if local is None else local.kind
        if local is not None and (kind is None or self.identity.is_league):
            s.delete(local)  # a League window's edit replaces its older local-only one
        if not self.identity.is_league:
            if kind is not None:
                if local is None:
                    s.add(CalendarDay(day=day, kind=kind, name=name,
                                      updated_by=self.user.username, updated_at=utcnow()))
                else:
                    local.kind, local.name = kind, name
                    local.updated_by, local.updated_at = self.user.username, utcnow()
            return old
        entry = s.get(LeagueCalendarDay, day)
        if old is None and entry is not None:
            old = entry.kind
        if kind is None and (entry is None or entry.kind is None):
            return old
        stamp, now, window = self._tick(s), utcnow(), self.identity.window_code
        if entry is None:
            entry = LeagueCalendarDay(day=day)
            s.add(entry)
        entry.kind, entry.name, entry.hlc = kind, name if kind else "", stamp
        entry.updated_by, entry.origin, entry.updated_at = self.user.username, window, now
        self._outbox(s, "calendar", day.isoformat(), "calendar", {
            "day": day.isoformat(), "kind": kind, "name": entry.name, "hlc": stamp,
            "updated_by": self.user.username, "origin": window}, stamp)
        return old

    def set_calendar_day(self, day: dt.date, kind: str, name: str = "") -> None:
        self._require_role("admin", what="编辑节假日")
        if kind not in ("holiday", "workday", "normal"):
            raise ValidationFailed({"kind": "类型应为 holiday（放假）、workday（调休上班）或 normal"})
        with self._tx() as s:
            old = self._put_calendar_day(s, day, kind, name[:50])
            s.add(self._audit_row("calendar", changes={day.isoformat(): [old, kind]},
                                  detail=name))
        self._calendar = None

    def calendar_edits(self, year: int | None = None) -> list[tuple[dt.date, str, str, str]]:
        """The holiday-table entries this window may change or remove: (day, kind, name,
        edited by). A county window: its own edits; a League window: the League's entries
        (synced to every window)."""
        with self.reading() as s:
            if self.identity.is_league:
                q = select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None))
                col = LeagueCalendarDay.day
            else:
                q, col = select(CalendarDay), CalendarDay.day
            if year is not None:
                q = q.where(col >= dt.date(year, 1, 1), col <= dt.date(year, 12, 31))
            rows = {r.day: (r.day, str(r.kind), r.name, r.updated_by)
                    for r in s.scalars(q.order_by(col))}
            if self.identity.is_league:  # local edits from before the League's were synced
                for r in s.scalars(select(CalendarDay)):
                    if year is None or r.day.year == year:
                        rows[r.day] = (r.day, r.kind, r.name, r.updated_by)
            return [rows[d] for d in sorted(rows)]

    def league_calendar(self, year: int | None = None) -> list[tuple[dt.date, str, str, str]]:
        """The League's holiday-table entries as synced here: (day, kind, name, window)."""
        with self.reading() as s:
            q = select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None))
            if year is not None:
                q = q.where(LeagueCalendarDay.day >= dt.date(year, 1, 1),
                            LeagueCalendarDay.day <= dt.date(year, 12, 31))
            return [(r.day, str(r.kind), r.name, r.origin)
                    for r in s.scalars(q.order_by(LeagueCalendarDay.day))]

    def set_calendar_range(self, start: dt.date, end: dt.date, kind: str, name: str) -> int:
        """Mark start..end (inclusive, at most 31 days) as holiday or 调休 workday in one
        transaction, e.g. a whole 春节 break; returns the number of days. At a League window
        the entries are League-wide (they sync to every window)."""
        self._require_role("admin", what="编辑节假日")
        if end < start:
            raise ValidationFailed({"end": "结束日期不能早于开始日期"})
        if (end - start).days > 30:
            raise ValidationFailed({"end": "一次最多录入31天"})
        if kind not in ("holiday", "workday"):
            raise ValidationFailed({"kind": "类型应为放假或调休上班"})
        if not name.strip():
            raise ValidationFailed({"name": "请填写节日名称，如 春节"})
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        with self._tx() as s:
            for day in days:
                old = self._put_calendar_day(s, day, kind, name.strip()[:50])
                s.add(self._audit_row("calendar", changes={day.isoformat(): [old, kind]},
                                      detail=name.strip()))
        self._calendar = None
        return len(days)

    def clear_calendar_day(self, day: dt.date) -> None:
        """Drop this window's edit of one day (a League window: the League's entry, for every
        window); the shipped table (or, at a county window, the League's entry) applies
        again."""
        self._require_role("admin", what="编辑节假日")
        with self._tx() as s:
            local = s.get(CalendarDay, day)
            entry = s.get(LeagueCalendarDay, day) if self.identity.is_league else None
            name = local.name if local is not None else entry.name if entry is not None else ""
            old = self._put_calendar_day(s, day, None, "")
            if old is None:
                return
            s.add(self._audit_row("calendar", changes={day.isoformat(): [old, None]},
                                  detail=f"删除 {name}"))
        self._calendar = None

    def calendar_warning(self, today: dt.date | None = None, days_ahead: int = 60) -> str | None:
        """"2027年节假日安排尚未录入" when deadlines set in the next `days_ahead` days can fall
        in a year the holiday table does not cover (deadlines there only skip weekends)."""
        start = today or today_cst()
        return self.calendar().coverage_warning(start, start + dt.timedelta(days=days_ahead))

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
        if kind.has_field("first_responder") and self._user:
            values["first_responder"] = self._user.display_name
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
    ) -> tuple[RecordView, Changes]:
        """Validate and save a new record; its receipt number is allocated in the same
        transaction. Raises ValidationFailed with {field: message} and saves nothing."""
        with self._tx() as s:
            return self._create_in(s, kind_key, raw, handover_from=handover_from,
                                   register_enterprise=register_enterprise)

    def _create_in(
        self,
        s: Session,
        kind_key: str,
        raw: Mapping[str, Any],
        *,
        handover_from: str | None = None,
        register_enterprise: bool = True,
    ) -> tuple[RecordView, Changes]:
        kind = KINDS[kind_key]
        user = self.user
        ident = self.identity
        intake = tuple(f.key for f in kind.intake_fields)
        # declared defaults fill fields the caller did not mention (not ones it emptied)
        raw = {**{f.key: f.default for f in kind.intake_fields
                  if f.default is not None and f.key not in raw}, **raw}
        locked = [k for k in raw if kind.has_field(k) and k not in intake
                  and raw[k] not in (None, "", [])]
        values, errors = kind.clean({k: v for k, v in raw.items() if k not in locked and
                                     (k in intake or not kind.has_field(k))}, keys=intake)
        for k in locked:
            errors[k] = f"{kind.field(k).label}只能通过办理操作填写"
        self._check_refs(s, kind, values, errors)
        if kind.key == "enterprise" and values.get("uscc") and "uscc" not in errors:
            dup = s.scalar(select(Record.receipt_no).where(
                Record.kind == "enterprise", Record.enterprise_uscc == values["uscc"],
                Record.voided.is_(False)))
            if dup:
                errors["uscc"] = f"该统一社会信用代码已在企业库中（{dup}），请直接修改原记录"
        if errors:
            raise ValidationFailed(errors, _label_map(kind))
        now = utcnow()
        stamp = self._tick(s)
        rec_id = new_id()
        receipt_no = self._allocate_number(s, kind, now)
        county = ident.county_code
        if kind.key == "enterprise" and values.get("county_code"):
            county = values["county_code"]
        full = {f.key: values.get(f.key) for f in kind.fields}
        rec = Record(
            id=rec_id, kind=kind.key, receipt_no=receipt_no, status="", owner=ident.window_code,
            county_code=county, created_by=user.username, created_at=now, updated_at=now,
            updated_by=user.username, hlc=stamp,
            field_hlc={k: stamp for k, v in full.items() if v is not None},
            row_version=1, voided=False, title=kind.title_of(full),
            enterprise_uscc=_uscc_of(full), print_count=0, needs_review=False,
        )
        s.add(rec)
        s.flush()
        s.execute(insert(DETAIL[kind.key]), {"record_id": rec_id, **_to_db(kind, full)})
        changes = Changes(frozenset({rec_id}), frozenset({kind.key}))
        self._outbox(s, "record", rec_id, "create", {
            "kind": kind.key, "id": rec_id, "receipt_no": receipt_no, "owner": rec.owner,
            "county_code": county, "created_by": user.username,
            "created_at": now.isoformat(), "hlc": stamp, "values": kind.to_json(full),
        }, stamp)
        self._audit(s, "create", rec, changes={
            k: [None, v] for k, v in kind.to_json(full).items() if v not in (None, [], "")
        })
        n_out = 1
        wf = kind.workflow
        events: list[EventLike] = []
        if wf is not None:
            status = wf.initial
            for action_key in kind.auto_actions(full):
                action = wf.action(action_key)
                events.append(self._append_event(s, kind, rec, status, action, {}, full))
                status = action.target
                n_out += 1
        full = self._refold(s, kind, rec, full, events)
        if handover_from:
            changes |= self._link_handover(s, handover_from, receipt_no)
            n_out += 1
        if register_enterprise and kind.key != "enterprise":
            changes |= self._register_enterprise(s, full, county)
        self._index(s, kind, rec, full, new=True)
        s.flush()
        return _record_view(rec, full), changes | Changes(outbox=n_out)

    def _register_enterprise(self, s: Session, values: Mapping[str, Any], county: str) -> Changes:
        """A consultation or filing naming an enterprise not yet in the registry adds it."""
        uscc = _uscc_of(values)
        name = values.get("enterprise_name") or values.get("applicant_name")
        if not uscc or not name:
            return Changes()
        exists = s.scalar(select(Record.id).where(Record.kind == "enterprise",
                                                  Record.enterprise_uscc == uscc))
        if exists:
            return Changes()
        region = uscc[2:8]
        raw = {
            "uscc": uscc, "name": name,
            "county_code": region if region in COUNTY_CODES else county,
            "contact_name": values.get("contact_name") or values.get("visitor_name"),
            "contact_phone": values.get("contact_phone") or values.get("visitor_phone"),
        }
        kind = KINDS["enterprise"]
        ent_values, errors = kind.clean({k: v for k, v in raw.items() if v})
        if errors:
            return Changes()  # incomplete data: the clerk can add the enterprise by hand
        now, stamp = utcnow(), self._tick(s)
        rec_id = new_id()
        full = {f.key: ent_values.get(f.key) for f in kind.fields}
        rec = Record(
            id=rec_id, kind="enterprise", receipt_no=self._allocate_number(s, kind, now),
            status="", owner=self.identity.window_code, county_code=full["county_code"],
            created_by=self.user.username, created_at=now, updated_at=now,
            updated_by=self.user.username, hlc=stamp,
            field_hlc={k: stamp for k, v in full.items() if v is not None}, row_version=1,
            title=kind.title_of(full), enterprise_uscc=uscc, print_count=0, voided=False,
        )
        s.add(rec)
        s.flush()
        s.execute(insert(DETAIL["enterprise"]), {"record_id": rec_id, **_to_db(kind, full)})
        self._outbox(s, "record", rec_id, "create", {
            "kind": "enterprise", "id": rec_id, "receipt_no": rec.receipt_no, "owner": rec.owner,
            "county_code": rec.county_code, "created_by": rec.created_by,
            "created_at": now.isoformat(), "hlc": stamp, "values": kind.to_json(full),
        }, stamp)
        s.add(self._audit_row("create", rec, detail="由登记自动加入企业库"))
        self._index(s, kind, rec)
        return Changes(frozenset({rec_id}), frozenset({"enterprise"}), 1)

    def _link_handover(self, s: Session, source_id: str, target_no: str) -> Changes:
        src = s.scalar(select(Record).where(Record.id == source_id))
        if src is None or src.kind != "consultation":
            raise NotFound("找不到要转入的咨询登记")
        table = DETAIL["consultation"]
        old = s.execute(select(table.c.handed_over_to).where(table.c.record_id == source_id)).scalar()
        new = ", ".join(x for x in (old, target_no) if x)
        stamp = self._tick(s)
        s.execute(update(table).where(table.c.record_id == source_id).values(handed_over_to=new))
        src.row_version += 1
        src.updated_at, src.updated_by, src.hlc = utcnow(), self.user.username, stamp
        base = {"handed_over_to": (src.field_hlc or {}).get("handed_over_to")}
        src.field_hlc = {**src.field_hlc, "handed_over_to": stamp}
        self._outbox(s, "record", source_id, "update", {
            "kind": "consultation", "id": source_id, "hlc": stamp,
            "values": {"handed_over_to": new}, "row_version": src.row_version, "base_hlc": base,
        }, stamp)
        s.add(self._audit_row("handover", src, changes={"handed_over_to": [old, new]}))
        return Changes(frozenset({source_id}), frozenset({"consultation"}))

    def handover(self, consultation_id: str, target_kind: str) -> dict[str, Any]:
        """Prefilled values for a pre-examination filing or mediation intake made from a
        consultation (nothing is saved; pass `handover_from=` to `create`)."""
        rec = self.get(consultation_id)
        if rec.kind != "consultation":
            raise IllegalTransition("只有咨询登记可以转入预审备案或调解")
        v = rec.values
        values = self.defaults(target_kind)
        enterprise = self.enterprise_by_uscc(v["enterprise_uscc"]) if v.get("enterprise_uscc") else None
        ent = enterprise.values if enterprise else {}
        if target_kind == "preexam_filing":
            industry = ent.get("industry")
            values.update({
                "enterprise_uscc": v.get("enterprise_uscc"),
                "enterprise_name": v.get("enterprise_name") or ent.get("name"),
                "county_code": ent.get("county_code") or v.get("visitor_region")
                or values.get("county_code"),
                "field": industry if industry in ("bio", "new_materials") else None,
                "contact_name": v.get("visitor_name"),
                "contact_phone": v.get("visitor_phone"),
                "source_consultation": rec.receipt_no,
                "invention_patents": ent.get("invention_patents"),
                "utility_patents": ent.get("utility_patents"),
                "design_patents": ent.get("design_patents"),
                "has_ip_rules": ent.get("has_ip_rules"),
                "gb29490_certified": ent.get("gb29490_certified"),
                "key_support": ent.get("key_support"),
            })
        elif target_kind == "mediation":
            is_org = bool(v.get("enterprise_name"))
            values["applicants"] = [{
                "party_type": "org" if is_org else "person",
                "name": v.get("enterprise_name") or v.get("visitor_name"),
                "uscc": v.get("enterprise_uscc"),
                "legal_rep": ent.get("legal_rep"),
                "phone": v.get("visitor_phone") or ent.get("contact_phone"),
                "address": ent.get("address"),
            }]
            values["facts"] = v.get("question")
        else:
            raise IllegalTransition("咨询登记只能转入预审备案或调解受理")
        return {k: val for k, val in values.items() if val is not None}

    # --- records: update, void, act ----------------------------------------------------------
    def update(
        self, record_id: str, raw: Mapping[str, Any], expected_version: int
    ) -> tuple[RecordView, Changes]:
        """Save edits of intake fields. `expected_version` is the version the form was opened
        with; if the record changed since (another clerk, a sync), Conflict is raised and
        nothing is saved."""
        with self._tx() as s:
            rec = self._load(s, record_id)
            kind = KINDS[rec.kind]
            self._check_editor(rec)
            if rec.voided:
                raise IllegalTransition("该记录已作废，不能修改")
            if rec.row_version != expected_version:
                raise Conflict("该记录在您打开后已被修改（可能来自其他窗口的同步），请重新打开后再修改")
            locked = [k for k in raw if kind.has_field(k) and kind.field(k).stage != "intake"]
            if locked:
                names = "、".join(kind.field(k).label for k in locked)
                raise ValidationFailed({locked[0]: f"{names}只能通过办理操作修改"}, _label_map(kind))
            current = self._values(s, kind, record_id)
            values, errors = kind.clean(raw, keys=tuple(k for k in raw if kind.has_field(k)),
                                        existing=current)
            unknown = {k for k in raw if not kind.has_field(k)}
            if unknown:
                errors["_unknown"] = "未知字段：" + "、".join(sorted(unknown))
            self._check_refs(s, kind, values, errors)
            if kind.key == "enterprise" and values.get("uscc") not in (None, current.get("uscc")):
                errors["uscc"] = "统一社会信用代码是企业库的主键，不能修改；如有误请作废后重新登记"
            ident = self.identity
            if (rec.owner != ident.window_code and not ident.is_league
                    and values.get("county_code") not in (None, current.get("county_code"),
                                                          ident.county_code)):
                errors["county_code"] = (f"本窗口只能维护{ident.county_name}的记录，不能改到其他旗县市"
                                         "（可由盟本级窗口或登记窗口修改）")
            if errors:
                raise ValidationFailed(errors, _label_map(kind))
            changed = {k: v for k, v in values.items() if v != current.get(k)}
            if not changed:
                return self._view(s, rec), Changes()
            stamp = self._tick(s)
            s.execute(update(DETAIL[kind.key]).where(DETAIL[kind.key].c.record_id == record_id)
                      .values(**_to_db(kind, changed)))
            full = {**current, **changed}
            rec.row_version += 1
            rec.updated_at, rec.updated_by, rec.hlc = utcnow(), self.user.username, stamp
            # base_hlc: the versions this edit was made on, so central can tell an edit that
            # overwrites a value its writer never saw (a conflict) from an ordinary one
            base = {k: (rec.field_hlc or {}).get(k) for k in changed}
            rec.field_hlc = {**rec.field_hlc, **{k: stamp for k in changed}}
            rec.title = kind.title_of(full)
            rec.enterprise_uscc = _uscc_of(full)
            if kind.key == "enterprise" and "county_code" in changed:
                rec.county_code = full["county_code"]
            self._outbox(s, "record", record_id, "update", {
                "kind": kind.key, "id": record_id, "hlc": stamp,
                "values": kind.to_json(changed), "row_version": rec.row_version,
                "base_hlc": base,
            }, stamp)
            before = kind.to_json({k: current.get(k) for k in changed})
            after = kind.to_json(changed)
            s.add(self._audit_row("update", rec, changes={k: [before[k], after[k]] for k in changed}))
            full = self._refold(s, kind, rec, full)
            self._index(s, kind, rec, full)
            view = _record_view(rec, full)
        return view, Changes(frozenset({record_id}), frozenset({kind.key}), 1)

    def void(self, record_id: str, reason: str) -> tuple[RecordView, Changes]:
        """Void a record (作废). Records are never deleted; the number stays used."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed({"reason": "请填写作废原因"})
        if len(reason) > 300:
            raise ValidationFailed({"reason": "作废原因不能超过300字"})
        with self._tx() as s:
            rec = self._load(s, record_id)
            if rec.voided:
                raise IllegalTransition("该记录已经作废")
            if rec.created_by != self.user.username and self.user.role not in ("supervisor", "admin"):
                raise PermissionDenied("只有登记人本人或主管、管理员可以作废该记录")
            self._check_owner(rec, "作废")
            stamp = self._tick(s)
            rec.voided, rec.void_reason = True, reason
            rec.row_version += 1
            rec.updated_at, rec.updated_by, rec.hlc = utcnow(), self.user.username, stamp
            rec.due_date = rec.due_label = None
            # what this void was decided on: central lists actions and edits it had not seen
            seen = sorted(s.scalars(select(RecordEvent.id)
                                    .where(RecordEvent.record_id == record_id)))
            self._outbox(s, "record", record_id, "void",
                         {"kind": rec.kind, "id": record_id, "hlc": stamp, "reason": reason,
                          "seen_events": seen, "base_hlc": dict(rec.field_hlc or {})}, stamp)
            s.add(self._audit_row("void", rec, changes={"voided": [False, True]}, detail=reason))
            view = self._view(s, rec)
        return view, Changes(frozenset({record_id}), frozenset({rec.kind}), 1)

    def actions_for(self, record_id: str) -> tuple[Action, ...]:
        """The status actions legal now for this record and the logged-in clerk's role."""
        rec = self.get(record_id)
        wf = KINDS[rec.kind].workflow
        if wf is None or rec.voided:
            return ()
        return wf.legal_actions(rec.status, self.user.role)

    def act(self, record_id: str, action_key: str, raw: Mapping[str, Any] | None = None
            ) -> tuple[RecordView, Changes]:
        """Take a status action (受理, 不予受理, 调解成功, …) with the values it records."""
        raw = dict(raw or {})
        with self._tx() as s:
            rec = self._load(s, record_id)
            kind = KINDS[rec.kind]
            wf = kind.workflow
            if wf is None:
                raise IllegalTransition(f"{kind.title}没有办理状态")
            if rec.voided:
                raise IllegalTransition("该记录已作废，不能办理")
            refusal = wf.refusal(rec.status, action_key)
            if refusal:
                raise IllegalTransition(refusal)
            action = wf.action(action_key)
            if self.user.role not in action.roles:
                self._require_role(*action.roles, what=action.label)
            current = self._values(s, kind, record_id)
            stray = set(raw) - set(action.fields)
            if stray:
                names = "、".join(sorted(stray))
                raise ValidationFailed({"_unknown": f"“{action.label}”不记录这些字段：{names}"})
            values, errors = kind.clean(raw, keys=action.fields, existing=current)
            for k in action.required:
                if values.get(k) in (None, [], "") and k not in errors:
                    errors[k] = f"请填写{kind.field(k).label}"
            self._check_refs(s, kind, values, errors)
            if errors:
                raise ValidationFailed(errors, _label_map(kind))
            given = {k: v for k, v in values.items() if v is not None or k in raw}
            self._append_event(s, kind, rec, rec.status, action, given, current)
            values_after = self._refold(s, kind, rec, current)
            self._index(s, kind, rec, values_after)
            view = _record_view(rec, values_after)
        return view, Changes(frozenset({record_id}), frozenset({kind.key}), 1)

    def _append_event(self, s: Session, kind: RecordKind, rec: Record, status: str,
                      action: Action, values: Mapping[str, Any], current: Mapping[str, Any]
                      ) -> EventLike:
        derived = kind.derive(action.key, {**current, **values}, self.calendar())
        payload = kind.to_json({**values, **derived})
        stamp = self._tick(s)
        ev_id, now = new_id(), utcnow()
        actor, owner = self.user.username, self.identity.window_code
        s.execute(insert(RecordEvent.__table__), dict(
            id=ev_id, record_id=rec.id, action=action.key, from_status=status,
            to_status=action.target, payload=payload, hlc=stamp, actor=actor, owner=owner,
            created_at=now, applied=True))
        rec.row_version += 1
        rec.updated_at, rec.updated_by, rec.hlc = now, actor, stamp
        self._outbox(s, "event", ev_id, "event", {
            "kind": kind.key, "record_id": rec.id, "id": ev_id, "action": action.key,
            "from_status": status, "to_status": action.target, "payload": payload, "hlc": stamp,
            "actor": actor, "owner": owner, "created_at": now.isoformat(),
        }, stamp)
        label = kind.workflow.state_label if kind.workflow else str
        self._audit(s, "transition", rec, changes={
            "status": [label(status), label(action.target)],
            **{k: [None, v] for k, v in payload.items()},
        }, detail=action.label)
        return EventLike(ev_id, stamp, action.key, status, payload)

    def _refold(self, s: Session, kind: RecordKind, rec: Record,
                values: Mapping[str, Any] | None = None,
                events: list[EventLike] | None = None,
                was_applied: Mapping[str, bool] | None = None) -> dict[str, Any]:
        """Recompute status (and the values events recorded) from the event list.

        `values` (the record's current values) and `events` (all of its events, with their
        stored `was_applied` flags; new events count as applied) may be given when the caller
        already has them, to save the round trips. Returns the values after the fold."""
        current = dict(values) if values is not None else self._values(s, kind, rec.id)
        if kind.workflow is None:
            self._fold_into(kind, rec, current, [])
            return current
        if events is None:
            rows = list(s.execute(select(RecordEvent.id, RecordEvent.hlc, RecordEvent.action,
                                         RecordEvent.from_status, RecordEvent.payload,
                                         RecordEvent.applied)
                                  .where(RecordEvent.record_id == rec.id)))
            events = [EventLike(r.id, r.hlc, r.action, r.from_status, r.payload) for r in rows]
            was_applied = {r.id: r.applied for r in rows}
        elif was_applied is None:
            was_applied = {e.id: True for e in events}
        applied, changes = self._fold_into(kind, rec, current, events)
        flips = [e.id for e in events if (e.id in applied) != was_applied.get(e.id, True)]
        for ev_id in flips:
            s.execute(update(RecordEvent.__table__).where(RecordEvent.id == ev_id)
                      .values(applied=ev_id in applied))
        if changes:
            table = DETAIL[kind.key]
            s.execute(update(table).where(table.c.record_id == rec.id)
                      .values(**_to_db(kind, changes)))
        return current

    def _fold_into(self, kind: RecordKind, rec: Record, current: dict[str, Any],
                   events: Sequence[EventLike]) -> tuple[set[str], dict[str, Any]]:
        """The part of _refold that touches no table (bulk pulls use it before inserting):
        sets rec.status, needs_review and the due date from the events, updates `current`
        with the values the applied events recorded, and returns (ids of the applied events,
        the detail values that changed)."""
        wf = kind.workflow
        if wf is None:
            self._set_due(None, kind, rec, "", current)
            return set(), {}
        result = fold(wf, events)
        rec.status = result.status
        rec.needs_review = bool(result.conflicts)
        # Project what the applied events recorded onto the detail columns; action-stage
        # fields that no applied event mentions are cleared (an event may have been un-applied).
        resettable = {f.key for f in kind.fields if f.stage in ("action", "derived")}
        mentioned = {k for k in result.values if kind.has_field(k)}
        projected = kind.from_json({k: result.values[k] for k in mentioned})
        changes = {k: None for k in resettable - mentioned}
        changes.update(projected)
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
        current.update(changes)
        self._set_due(None, kind, rec, rec.status, current)
        return set(result.applied), changes

    def _set_due(self, s: Session | None, kind: RecordKind, rec: Record, status: str,
                 values: Mapping[str, Any]) -> None:
        deadlines = [] if rec.voided else kind.deadlines(status, values, self.calendar())
        if deadlines:
            first = min(deadlines, key=lambda d: d.due)
            rec.due_date, rec.due_label = first.due, first.label
        else:
            rec.due_date = rec.due_label = None

    # --- helpers used by the write paths ----------------------------------------------------
    def _tick(self, s: Session) -> str:
        inst = s.get(Installation, 1)
        if inst is None:
            raise NotInitialised("此电脑尚未设置窗口信息，请先运行 xingan-desk init")
        inst.hlc_last = hlc_mod.tick(inst.hlc_last or None, self.identity.window_code)
        return inst.hlc_last

    def _allocate_number(self, s: Session, kind: RecordKind, now: dt.datetime) -> str:
        ident = self.identity
        year = now.astimezone(CST).year
        counter = s.get(ReceiptCounter, (year, ident.generation))
        if counter is None:
            counter = ReceiptCounter(year=year, generation=ident.generation, last_no=0)
            s.add(counter)
        counter.last_no += 1
        return format_receipt_no(kind.number_prefix, ident.county_code, ident.window_no,
                                 ident.generation, year, counter.last_no)

    def _outbox(self, s: Session, entity: str, entity_id: str, op: str,
                payload: dict[str, Any], stamp: str) -> None:
        s.execute(insert(OutboxEntry.__table__), dict(
            mutation_id=new_id(), entity=entity, entity_id=entity_id, op=op, payload=payload,
            hlc=stamp, created_at=utcnow(), state="pending", attempts=0))

    def _audit(self, s: Session, action: str, rec: Record | None = None, *,
               changes: dict[str, Any] | None = None, detail: str = "") -> None:
        row = self._audit_row(action, rec, changes=changes, detail=detail)
        s.execute(insert(AuditEntry.__table__), dict(
            at=row.at, username=row.username, window_code=row.window_code, action=row.action,
            record_id=row.record_id, kind=row.kind, receipt_no=row.receipt_no,
            changes=row.changes, detail=row.detail))

    def _audit_row(self, action: str, rec: Record | None = None, *,
                   changes: dict[str, Any] | None = None, detail: str = "",
                   username: str | None = None) -> AuditEntry:
        try:
            window = self.identity.window_code
        except NotInitialised:
            window = ""
        who = username or (self._user.username if self._user else SYSTEM_USER)
        return AuditEntry(at=utcnow(), username=who, window_code=window, action=action,
                          record_id=rec.id if rec else None, kind=rec.kind if rec else None,
                          receipt_no=rec.receipt_no if rec else None,
                          changes=_jsonable(changes or {}), detail=detail)

    def _check_refs(self, s: Session, kind: RecordKind, values: Mapping[str, Any],
                    errors: dict[str, str]) -> None:
        for f in kind.fields:
            if not isinstance(f, RefField) or f.stage == "system" or not values.get(f.key):
                continue
            if f.key in errors:
                continue
            no = normalize_receipt_no(values[f.key])
            target = s.scalar(select(Record).where(Record.receipt_no == no))
            if target is None:
                errors[f.key] = f"找不到编号为“{no}”的登记，请核对"
            elif f.target_kinds and target.kind not in f.target_kinds:
                want = "、".join(KINDS[k].title for k in f.target_kinds)
                errors[f.key] = f"“{no}”是{KINDS[target.kind].title}，这里需要{want}的编号"
            elif target.voided:
                errors[f.key] = f"“{no}”已作废"

    def _check_owner(self, rec: Record, what: str) -> None:
        if rec.owner != self.identity.window_code:
            raise PermissionDenied(
                f"该记录由 {rec.owner} 窗口登记，本窗口不能{what}（可以办理状态操作或联系登记窗口）"
            )

    def can_edit(self, rec: Record | RecordView) -> bool:
        """May this window edit the record's intake fields? Its owner window may; a kind
        declared `shared_edit` (the enterprise registry) may also be edited by any window
        whose scope covers the record's county: a League window (152200) every county, a
        county window its own. Central checks the same on push."""
        ident = self.identity
        if rec.owner == ident.window_code:
            return True
        return KINDS[rec.kind].shared_edit and (ident.is_league
                                                or rec.county_code == ident.county_code)

    def _check_editor(self, rec: Record) -> None:
        if self.can_edit(rec):
            return
        if KINDS[rec.kind].shared_edit:
            raise PermissionDenied(
                f"该{KINDS[rec.kind].title}记录属于{county_name(rec.county_code)}，本窗口不能修改"
                "（可由盟本级窗口或所在旗县市的窗口修改）")
        self._check_owner(rec, "修改")

    def _index(self, s: Session, kind: RecordKind, rec: Record,
               values: Mapping[str, Any] | None = None, *, new: bool = False) -> None:
        if values is None:
            values = self._values(s, kind, rec.id)
        text_ = self._search_text(kind, rec, values)
        rec.search_text = text_
        if not new:
            s.execute(text("DELETE FROM record_search WHERE rowid = :pk"), {"pk": rec.pk})
        s.execute(text("INSERT INTO record_search(rowid, tokens) VALUES (:pk, :t)"),
                  {"pk": rec.pk, "t": search.tokens_for(text_)})

    @staticmethod
    def _search_text(kind: RecordKind, rec: Record, values: Mapping[str, Any]) -> str:
        """The text a record is found by (its tokens go into record_search)."""
        parts = [rec.receipt_no, rec.title]
        for f in kind.fields:
            v = values.get(f.key)
            if v is None:
                continue
            if isinstance(f, GroupField):
                for row in v:
                    parts.extend(str(row.get(sub.key) or "") for sub in f.fields if sub.searchable)
            elif f.searchable:
                parts.append(str(v))
        return " ".join(p for p in parts if p)

    # --- reading -----------------------------------------------------------------------------
    def _load(self, s: Session, record_id: str) -> Record:
        rec = s.scalar(select(Record).where(Record.id == record_id))
        if rec is None:
            raise NotFound("找不到该记录（可能已被删除或编号有误）")
        return rec

    def _values(self, s: Session, kind: RecordKind, record_id: str) -> dict[str, Any]:
        table = DETAIL[kind.key]
        row = s.execute(select(table).where(table.c.record_id == record_id)).mappings().first()
        return _from_db(kind, row or {})

    def _view(self, s: Session, rec: Record, values: Mapping[str, Any] | None = None) -> RecordView:
        kind = KINDS[rec.kind]
        vals = values if values is not None else self._values(s, kind, rec.id)
        return _record_view(rec, vals)

    def get(self, record_id: str) -> RecordView:
        with self.reading() as s:
            return self._view(s, self._load(s, record_id))

    def get_by_receipt(self, receipt_no: str) -> RecordView:
        no = normalize_receipt_no(receipt_no)
        with self.reading() as s:
            rec = s.scalar(select(Record).where(Record.receipt_no == no))
            if rec is None:
                raise NotFound(f"找不到编号为“{no}”的登记")
            return self._view(s, rec)

    def enterprise_by_uscc(self, uscc: str) -> RecordView | None:
        from .validation import normalize_uscc

        code = normalize_uscc(uscc)
        with self.reading() as s:
            rec = s.scalar(select(Record).where(Record.kind == "enterprise",
                                                Record.enterprise_uscc == code,
                                                Record.voided.is_(False)))
            return None if rec is None else self._view(s, rec)

    def _filtered(self, q: Query) -> Any:
        stmt = select(Record.id)
        conds: list[Any] = []
        needle = q.text.strip()
        if q.kind and needle:
            # With search text the search index drives (few candidates, sorted afterwards);
            # "+kind" keeps SQLite from walking the whole kind index instead.
            conds.append(literal_column("+record.kind") == q.kind)
        elif q.kind:
            conds.append(Record.kind == q.kind)
        if not q.include_voided:
            conds.append(Record.voided.is_(False))
        if q.status:
            conds.append(Record.status == q.status)
        if q.county:
            conds.append(Record.county_code == q.county)
        if q.created_by:
            conds.append(Record.created_by == q.created_by)
        if q.needs_review is not None:
            conds.append(Record.needs_review.is_(q.needs_review))
        if q.due_before:
            conds.append(and_(Record.due_date.is_not(None), Record.due_date <= q.due_before))
        if q.date_from:
            start = dt.datetime.combine(q.date_from, dt.time(), CST)
            conds.append(Record.created_at >= start)
        if q.date_to:
            end = dt.datetime.combine(q.date_to + dt.timedelta(days=1), dt.time(), CST)
            conds.append(Record.created_at < end)
        if needle:
            conds.append(self._text_condition(needle))
        if q.extra and q.kind:
            table = DETAIL[q.kind]
            stmt = stmt.join(table, table.c.record_id == Record.id)
            conds.extend(table.c[k] == v for k, v in q.extra.items())
        return stmt.where(*conds)

    def _text_condition(self, needle: str) -> Any:
        no = normalize_receipt_no(needle)
        if parse_receipt_no(no) is not None:
            return Record.receipt_no == no  # a whole receipt number: the unique index
        match = search.match_query(needle)
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        if match is None:
            return Record.search_text.like(like)
        fts = Record.pk.in_(
            select(text("rowid")).select_from(text("record_search"))
            .where(text("record_search MATCH :m")).params(m=match)
        )
        if search.needs_confirmation(needle):
            return and_(fts, Record.search_text.like(like))
        return fts

    def _dense_text_ids(self, q: Query) -> list[str] | None:
        """Search text that matches many records (a credit-code prefix, a common surname):
        walk the newest records in list order and keep the first `q.limit` whose text contains
        the needle, instead of collecting tens of thousands of index hits and sorting them.
        None when the needle is not dense enough; the caller then uses the search index."""
        needle = q.text.strip()
        if (not q.limit or q.order_by != "created_at" or q.extra or " " in needle
                or parse_receipt_no(normalize_receipt_no(needle)) is not None
                or search.match_query(needle) is None):
            return None
        order = (Record.created_at.desc(), Record.id.desc()) if q.descending else (
            Record.created_at.asc(), Record.id.asc())
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        base = self._filtered(dataclasses.replace(q, text="")).add_columns(Record.search_text)

        def probe(window: int) -> list[str]:
            newest = base.order_by(*order).limit(window).subquery()
            stmt = select(newest.c.id).where(newest.c.search_text.like(like)).limit(q.limit)
            with self.reading() as s:
                return list(s.scalars(stmt))

        window = DENSE_SEARCH_WINDOW
        ids = probe(window)
        if 0 < len(ids) < q.limit:  # some density: a wider window may be enough
            wider = math.ceil(window * q.limit / len(ids) * 1.25)
            if wider <= DENSE_SEARCH_MAX_WINDOW:
                ids = probe(wider)
        elif not ids and needle.isascii():
            # Codes and numbers: a prefix shared by many records is the index's slowest case
            # (it merges one list per distinct code), so look further before using it.
            ids = probe(DENSE_SEARCH_MAX_WINDOW)
        return ids if len(ids) == q.limit else None

    def find_ids(self, q: Query) -> list[str]:
        """Record ids matching the query, sorted in SQL (for the lazy table model)."""
        dense = self._dense_text_ids(q) if q.text.strip() else None
        if dense is not None:
            return dense
        stmt = self._filtered(q)
        order_col: Any
        if q.order_by in ENVELOPE_ORDER:
            order_col = ENVELOPE_ORDER[q.order_by]
        elif q.kind and KINDS[q.kind].has_field(q.order_by):
            table = DETAIL[q.kind]
            if not q.extra:
                stmt = stmt.join(table, table.c.record_id == Record.id)
            order_col = table.c[q.order_by]
        else:
            raise ValueError(f"cannot order by {q.order_by!r}")
        stmt = stmt.order_by(order_col.desc() if q.descending else order_col.asc(),
                             # ties by id (UUIDv7, time-ordered): the covering indexes'
                             # order, so a plain list is read from the index alone
                             Record.id.desc() if q.descending else Record.id.asc())
        if q.limit:
            stmt = stmt.limit(q.limit)
        with self.reading() as s:
            return list(s.scalars(stmt))

    def count(self, q: Query) -> int:
        with self.reading() as s:
            return s.scalar(select(func.count()).select_from(self._filtered(q).subquery())) or 0

    def rows_for_ids(self, ids: Sequence[str]) -> dict[str, RecordView]:
        """Views for a page of ids (one query per kind present)."""
        out: dict[str, RecordView] = {}
        if not ids:
            return out
        with self.reading() as s:
            recs = list(s.scalars(select(Record).where(Record.id.in_(list(ids)))))
            by_kind: dict[str, list[Record]] = {}
            for r in recs:
                by_kind.setdefault(r.kind, []).append(r)
            for kind_key, group in by_kind.items():
                table = DETAIL[kind_key]
                kind = KINDS[kind_key]
                rows = {row["record_id"]: row for row in s.execute(
                    select(table).where(table.c.record_id.in_([r.id for r in group]))).mappings()}
                for r in group:
                    out[r.id] = _record_view(r, _from_db(kind, rows.get(r.id) or {}))
        return out

    def search(self, q: Query) -> list[RecordView]:
        ids = self.find_ids(q)
        rows = self.rows_for_ids(ids)
        return [rows[i] for i in ids if i in rows]

    def due(self, within_workdays: int = 3) -> list[RecordView]:
        """Everything with a deadline in the next N working days, or overdue (待办/到期)."""
        limit = self.calendar().add_workdays(today_cst(), within_workdays)
        return self.search(Query(due_before=limit, order_by="due_date", descending=False))

    def history(self, record_id: str) -> tuple[list[EventView], list[AuditView]]:
        with self.reading() as s:
            rec = self._load(s, record_id)
            kind = KINDS[rec.kind]
            wf = kind.workflow
            events = [
                EventView(e.id, e.action, wf.action(e.action).label if wf else e.action,
                          e.from_status, e.to_status, e.payload, e.actor, e.owner, e.created_at,
                          e.applied)
                for e in s.scalars(select(RecordEvent).where(RecordEvent.record_id == record_id)
                                   .order_by(RecordEvent.hlc, RecordEvent.id))
            ]
            audit = [_audit_view(a) for a in s.scalars(
                select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.id))]
        return events, audit

    def audit_trail(self, limit: int = 200) -> list[AuditView]:
        self._require_role("supervisor", "admin", what="查看审计日志")
        with self.reading() as s:
            return [_audit_view(a) for a in s.scalars(
                select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))]

    def pending_outbox(self) -> int:
        with self.reading() as s:
            return s.scalar(select(func.count()).select_from(OutboxEntry)
                            .where(OutboxEntry.state == "pending")) or 0

    def counts_by_kind(self) -> dict[str, int]:
        with self.reading() as s:
            rows = s.execute(select(Record.kind, func.count()).where(Record.voided.is_(False))
                             .group_by(Record.kind))
            return {k: n for k, n in rows}

    # --- audit of reads that matter (printing, unmasked export) ------------------------------
    def log_print(self, record_id: str, document: str) -> int:
        """Record a print; returns the print count (1 = first print, >1 = 补打)."""
        with self._tx() as s:
            rec = self._load(s, record_id)
            rec.print_count += 1
            action = "print" if rec.print_count == 1 else "reprint"
            s.add(self._audit_row(action, rec, detail=f"{document} 第{rec.print_count}次打印"))
            return rec.print_count

    def log_export(self, kind: str, rows: int, unmasked: bool, target: str) -> None:
        if unmasked:
            self._require_role("admin", what="导出未遮蔽的个人信息")
        with self._tx() as s:
            s.add(self._audit_row("export_unmasked" if unmasked else "export",
                                  detail=f"{kind} {rows}条 → {target}"))

    # --- drafts ----------------------------------------------------------------------------
    def save_draft(self, draft_id: str, kind: str, payload: Mapping[str, Any],
                   record_id: str | None = None) -> None:
        with self._tx() as s:
            row = s.get(Draft, draft_id)
            data = _jsonable(dict(payload))
            if row is None:
                s.add(Draft(id=draft_id, kind=kind, record_id=record_id,
                            username=self.user.username, payload=data, updated_at=utcnow()))
            else:
                row.payload, row.updated_at = data, utcnow()

    def drafts(self) -> list[tuple[str, str, str | None, dict[str, Any], dt.datetime]]:
        with self.reading() as s:
            return [(d.id, d.kind, d.record_id, d.payload, d.updated_at) for d in s.scalars(
                select(Draft).where(Draft.username == self.user.username)
                .order_by(Draft.updated_at.desc()))]

    def discard_draft(self, draft_id: str) -> None:
        with self._tx() as s:
            s.execute(delete(Draft).where(Draft.id == draft_id))

    # --- bulk (demo data, imports) -----------------------------------------------------------
    def create_many(self, kind_key: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Create many records through the same path as `create`, in batches of 500 per
        transaction. Stops at the first invalid row (raising ValidationFailed with its number)."""
        n = 0
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 500:
                n += self._create_batch(kind_key, batch, n)
                batch = []
        if batch:
            n += self._create_batch(kind_key, batch, n)
        return n

    def _create_batch(self, kind_key: str, batch: list[Mapping[str, Any]], offset: int) -> int:
        with self._tx() as s:
            for i, row in enumerate(batch):
                try:
                    self._create_in(s, kind_key, row)
                except ValidationFailed as exc:
                    raise ValidationFailed(
                        {k: f"第{offset + i + 1}行：{m}" for k, m in exc.errors.items()}
                    ) from exc
        return len(batch)

    # --- maintenance -------------------------------------------------------------------------
    def backup(self, dest: Path | None = None) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = dest or backups_dir(self.directory) / f"xingan-desk-{stamp}.sqlite3"
        if target.exists() and target.is_dir():
            target = target / f"xingan-desk-{stamp}.sqlite3"
        try:
            dbmod.backup_file(self._engine, target)
        except OSError as exc:
            raise OutputFileError(f"备份失败：无法写入 {target}（{file_error_reason(exc)}）") from exc
        except sqlite3.Error as exc:
            if is_corruption(exc):
                raise dbmod.explain_db_error(exc, self.path) from exc
            raise StoreError(f"备份失败：{target}（{exc}）") from exc
        if not quick_check(target):  # a copy of a damaged store must not push out good ones
            with suppress(OSError):
                target.unlink()
            raise dbmod.explain_db_error(sqlite3.DatabaseError("malformed"), self.path)
        with self._tx() as s:
            s.add(self._audit_row("backup", detail=str(target)))
        return target

    def backups(self) -> list[tuple[Path, dt.datetime, int]]:
        """Backups in this window's backup folder, newest first: (file, time, bytes)."""
        folder = backups_dir(self.directory)
        found = []
        for p in folder.glob("xingan-desk-*.sqlite3") if folder.is_dir() else ():
            st = p.stat()
            found.append((p, dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC), st.st_size))
        return sorted(found, key=lambda t: t[1], reverse=True)

    def auto_backup(self, *, every_hours: float = 20, keep: int = AUTO_BACKUPS_KEPT
                    ) -> Path | None:
        """The daily backup: one copy when the newest is older than `every_hours`, and only
        the newest `keep` automatic copies are kept. Returns the new file, or None."""
        existing = self.backups()
        if existing and utcnow() - existing[0][1] < dt.timedelta(hours=every_hours):
            return None
        target = self.backup()
        for old, _, _ in self.backups()[keep:]:
            with suppress(OSError):
                old.unlink()
        return target

    def check(self) -> list[str]:
        """Integrity check: SQLite's own plus the store's invariants. [] means healthy."""
        try:
            return self._check()
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            if not is_corruption(exc):
                raise
            raise dbmod.explain_db_error(exc, self.path) from exc

    def _check(self) -> list[str]:
        problems: list[str] = []
        with self._engine.connect() as conn:
            res = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            if res != ["ok"]:
                problems.extend(f"SQLite：{r}" for r in res[:20])
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                problems.append(f"外键不一致：{len(fk)}处")
        with self.reading() as s:
            for kind_key, table in DETAIL.items():
                missing = s.scalar(select(func.count()).select_from(Record).where(
                    Record.kind == kind_key,
                    ~Record.id.in_(select(table.c.record_id))))
                if missing:
                    problems.append(f"{KINDS[kind_key].title}：{missing}条记录缺少明细")
            dup = s.execute(select(Record.receipt_no, func.count()).group_by(Record.receipt_no)
                            .having(func.count() > 1)).all()
            problems.extend(f"编号重复：{no}" for no, _ in dup)
            ident = self.identity
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
        return problems

    def bump_generation(self, reason: str) -> int:
        """Start a new receipt-number generation (after a restore or when cloning is
        suspected), so numbers issued from now on cannot repeat earlier ones."""
        with self._tx() as s:
            inst = s.get(Installation, 1)
            assert inst is not None
            old = inst.generation
            inst.generation += 1
            s.add(self._audit_row("generation", changes={"generation": [old, inst.generation]},
                                  detail=reason))
            new = inst.generation
        self._identity = None
        return new


def restore(directory: str | Path | None, source: Path) -> tuple[Path, int]:
    """Replace the store with a backup file. The current file is kept as a backup first, and
    the restored store gets a new number generation (higher than both files'), because the
    backup's counters are behind numbers already printed."""
    d = resolve_data_dir(directory)
    path = db_path(d)
    if not source.is_file():
        raise NotFound(f"找不到备份文件：{source}")
    try:
        probe = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = probe.execute("PRAGMA integrity_check").fetchone()
            gen_row = probe.execute("SELECT generation FROM installation WHERE id = 1").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"备份文件无法读取或已损坏：{source}（{exc}）") from exc
    if not ok or ok[0] != "ok" or gen_row is None:
        raise StoreError(f"备份文件已损坏或不是本系统的备份：{source}")
    current_gen = 0
    if path.exists():
        try:
            live = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                row = live.execute("SELECT generation FROM installation WHERE id = 1").fetchone()
                current_gen = row[0] if row else 0
            finally:
                live.close()
        except sqlite3.DatabaseError:
            current_gen = 0  # a corrupt live store is exactly why one restores
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        keep = backups_dir(d) / f"before-restore-{stamp}.sqlite3"
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, keep)
        for suffix in ("-wal", "-shm"):
            extra = Path(str(path) + suffix)
            if extra.exists():
                shutil.copy2(extra, Path(str(keep) + suffix))
                extra.unlink()
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".restoring")
    shutil.copy2(source, tmp)
    tmp.replace(path)
    new_gen = max(current_gen, gen_row[0]) + 1
    desk = Desk.open(d)
    try:
        with desk._tx() as s:
            inst = s.get(Installation, 1)
            assert inst is not None
            inst.generation = new_gen
            s.add(desk._audit_row("restore", detail=f"从 {source} 恢复，编号换代为第{new_gen}代"))
    finally:
        desk.close()
    return path, new_gen


# --- conversions --------------------------------------------------------------------------------


def _redact(value: Any) -> Any:
    """Settings as the audit log keeps them: passwords and other secrets blanked."""
    if isinstance(value, Mapping):
        return {k: ("******" if any(w in str(k).lower() for w in ("password", "secret"))
                    and v else _redact(v)) for k, v in value.items()}
    if isinstance(value, str) and "://" in value and "@" in value:
        return re.sub(r"(://[^:/@\s]+):[^@\s]+@", r"\1:******@", value)  # URL passwords
    return value


def _to_db(kind: RecordKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Repeating groups are stored in JSON columns in their JSON form (dates as text)."""
    return {k: kind.field(k).to_json(v) if isinstance(kind.field(k), GroupField) else v
            for k, v in values.items()}


def _from_db(kind: RecordKind, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in kind.fields:
        v = row.get(f.key)
        out[f.key] = f.from_json(v) if isinstance(f, GroupField) and v is not None else v
    return out


def _uscc_of(values: Mapping[str, Any]) -> str | None:
    for k in USCC_FIELDS:
        if values.get(k):
            return str(values[k])
    return None


def _user_view(acc: UserAccount) -> UserView:
    return UserView(acc.id, acc.username, acc.display_name, acc.role, acc.active)


def _record_view(rec: Record, values: Mapping[str, Any]) -> RecordView:
    return RecordView(
        id=rec.id, kind=rec.kind, receipt_no=rec.receipt_no, status=rec.status, owner=rec.owner,
        county_code=rec.county_code, created_by=rec.created_by, created_at=rec.created_at,
        updated_at=rec.updated_at, updated_by=rec.updated_by, version=rec.row_version,
        title=rec.title, values=dict(values), voided=rec.voided, void_reason=rec.void_reason,
        needs_review=rec.needs_review, due_date=rec.due_date, due_label=rec.due_label,
        print_count=rec.print_count,
    )


def _audit_view(a: AuditEntry) -> AuditView:
    return AuditView(a.id, a.at, a.username, a.window_code, a.action, a.receipt_no,
                     a.changes or {}, a.detail)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


__all__ = ["LEAGUE_CODE", "Desk", "IntegrityError", "new_id", "restore"]
