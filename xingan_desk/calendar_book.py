"""The holiday table (a part of the Desk: `desk.calendars`).

The working-day calendar is the shipped table, then the League's entries (entered at a League
window, synced to every window), then this window's own edits (a county window's edits stay
local and win there).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .desk_settings import put_setting
from .errors import ValidationFailed
from .storage.schema import CalendarDay, LeagueCalendarDay, Setting
from .timeutil import today_cst, utcnow
from .workdays import Calendar

if TYPE_CHECKING:
    from .desk import Desk
    from .storage.writer import Writer

CalendarEntry = tuple[dt.date, str, str, str]
_EDIT = "编辑节假日"


class CalendarBook:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._calendar: Calendar | None = None
        self._shared: Calendar | None = None

    def shared_calendar(self) -> Calendar:
        """The table every window has alike: the shipped one and the League's entries (synced).
        Deadlines are derived with it, so every window shows the same date; a county window's
        own entries do not move them."""
        if self._shared is None:
            with self._desk.reading() as s:
                league = [(r.day, str(r.kind), r.name) for r in s.scalars(
                    select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None)))]
            cal = Calendar.default()
            if league:
                cal = cal.with_overrides(league, covered_years={d.year for d, _, _ in league})
            self._shared = cal
        return self._shared

    def calendar(self) -> Calendar:
        """The working-day calendar of this window: the shared one and this window's own
        edits (cached until the holiday table changes)."""
        if self._calendar is None:
            with self._desk.reading() as s:
                rows = [(r.day, r.kind, r.name) for r in s.scalars(select(CalendarDay))]
            self._calendar = self.shared_calendar().with_overrides(
                rows, covered_years={d.year for d, _, _ in rows})
        return self._calendar

    def invalidate(self) -> None:
        """Forget the cached calendar (after sync or a review brought holiday entries)."""
        self._calendar = self._shared = None

    def rederive_open(self) -> int:
        """After the League's holiday entries changed: fold every open record whose kind
        derives deadlines again, so its deadlines and due date follow the new table (the same
        at every window: the events and the shared table are synced). Local only: nothing is
        pushed. Returns the number of records folded."""
        from .records.deadlines import derived_date_keys
        from .records.kinds import KINDS
        from .storage.schema import Record

        kinds = [k for k in KINDS.values() if k.workflow is not None and derived_date_keys(k)]
        done = 0
        with self._desk.writing() as w:
            put_setting(w, DEADLINE_STAMP, league_stamp(w.session), audit=False)
            for kind in kinds:
                assert kind.workflow is not None
                recs = w.session.scalars(select(Record).where(
                    Record.kind == kind.key, Record.voided.is_(False),
                    Record.status.not_in(sorted(kind.workflow.terminal)))).all()
                for rec in recs:
                    w.refold(kind, rec)
                    done += 1
        return done

    def set_day(self, day: dt.date, kind: str, name: str = "") -> None:
        self._desk.require_role("admin", what=_EDIT)
        if kind not in ("holiday", "workday", "normal"):
            raise ValidationFailed({"kind": "类型应为 holiday（放假）、workday（调休上班）或 normal"})
        with self._desk.writing() as w:
            old = put_calendar_day(w, day, kind, name[:50])
            w.audit("calendar", changes={day.isoformat(): [old, kind]}, detail=name)
        self._changed()

    def set_range(self, start: dt.date, end: dt.date, kind: str, name: str) -> int:
        """Mark start..end (inclusive, at most 31 days) as holiday or 调休 workday in one
        transaction, e.g. a whole 春节 break; returns the number of days. At a League window
        the entries are League-wide (they sync to every window)."""
        self._desk.require_role("admin", what=_EDIT)
        if end < start:
            raise ValidationFailed({"end": "结束日期不能早于开始日期"})
        if (end - start).days > 30:
            raise ValidationFailed({"end": "一次最多录入31天"})
        if kind not in ("holiday", "workday"):
            raise ValidationFailed({"kind": "类型应为放假或调休上班"})
        if not name.strip():
            raise ValidationFailed({"name": "请填写节日名称，如 春节"})
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        with self._desk.writing() as w:
            for day in days:
                old = put_calendar_day(w, day, kind, name.strip()[:50])
                w.audit("calendar", changes={day.isoformat(): [old, kind]}, detail=name.strip())
        self._changed()
        return len(days)

    def clear_day(self, day: dt.date) -> None:
        """Drop this window's edit of one day (a League window: the League's entry, for every
        window); the shipped table (or, at a county window, the League's entry) applies
        again."""
        self._desk.require_role("admin", what=_EDIT)
        with self._desk.writing() as w:
            local = w.session.get(CalendarDay, day)
            entry = (w.session.get(LeagueCalendarDay, day) if self._desk.identity.is_league
                     else None)
            name = local.name if local is not None else entry.name if entry is not None else ""
            old = put_calendar_day(w, day, None, "")
            if old is None:
                return
            w.audit("calendar", changes={day.isoformat(): [old, None]}, detail=f"删除 {name}")
        self._changed()

    def rederive_if_stale(self) -> int:
        """`rederive_open` unless it already ran for the League entries this store holds (a
        crash between a pulled calendar change and its refold is caught up here; sync calls
        this after every cycle)."""
        with self._desk.reading() as s:
            stamp = league_stamp(s)
            saved = s.get(Setting, DEADLINE_STAMP)
        if (saved.value if saved is not None else league_stamp(None)) == stamp:
            return 0
        self.invalidate()
        return self.rederive_open()

    def _changed(self) -> None:
        """After an edit here: a League window's entries are the shared table, so the
        deadlines of open records move (a county window's own edits do not move them)."""
        self.invalidate()
        if self._desk.identity.is_league:
            self.rederive_open()

    def edits(self, year: int | None = None) -> list[CalendarEntry]:
        """The holiday-table entries this window may change or remove: (day, kind, name,
        edited by). A county window: its own edits; a League window: the League's entries
        (synced to every window)."""
        league_window = self._desk.identity.is_league
        with self._desk.reading() as s:
            rows: dict[dt.date, CalendarEntry] = {}
            if league_window:
                q = select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None))
                if year is not None:
                    q = q.where(LeagueCalendarDay.day >= dt.date(year, 1, 1),
                                LeagueCalendarDay.day <= dt.date(year, 12, 31))
                for e in s.scalars(q.order_by(LeagueCalendarDay.day)):
                    rows[e.day] = (e.day, str(e.kind), e.name, e.updated_by)
            # a county window's own edits; at a League window, local edits from before the
            # League's were synced
            for r in s.scalars(select(CalendarDay).order_by(CalendarDay.day)):
                if year is None or r.day.year == year:
                    rows[r.day] = (r.day, r.kind, r.name, r.updated_by)
            return [rows[d] for d in sorted(rows)]

    def league(self, year: int | None = None) -> list[CalendarEntry]:
        """The League's holiday-table entries as synced here: (day, kind, name, window)."""
        with self._desk.reading() as s:
            q = select(LeagueCalendarDay).where(LeagueCalendarDay.kind.is_not(None))
            if year is not None:
                q = q.where(LeagueCalendarDay.day >= dt.date(year, 1, 1),
                            LeagueCalendarDay.day <= dt.date(year, 12, 31))
            return [(r.day, str(r.kind), r.name, r.origin)
                    for r in s.scalars(q.order_by(LeagueCalendarDay.day))]

    def warning(self, today: dt.date | None = None, days_ahead: int = 60) -> str | None:
        """"2027年节假日安排尚未录入" when deadlines set in the next `days_ahead` days can fall
        in a year the holiday table does not cover (deadlines there only skip weekends)."""
        start = today or today_cst()
        return self.calendar().coverage_warning(start, start + dt.timedelta(days=days_ahead))


DEADLINE_STAMP = "deadline_calendar_stamp"  # the League entries the deadlines were derived with


def league_stamp(s: Session | None) -> str:
    """Count and newest HLC of the League's holiday entries ("0:" without any)."""
    if s is None:
        return "0:"
    n, top = s.execute(select(func.count(), func.max(LeagueCalendarDay.hlc))).one()
    return f"{int(n or 0)}:{top or ''}"


def put_calendar_day(w: Writer, day: dt.date, kind: str | None, name: str) -> str | None:
    """Write one day of the holiday table (kind None: drop the entry); returns the kind it
    had. A League window's entry is League-wide: it goes to `league_calendar_day` with an
    HLC and an outbox row (sync pushes it, central keeps the latest per day, every window
    pulls it); a county window's stays in its own `calendar_day`."""
    s, is_league = w.session, w.identity.is_league
    local = s.get(CalendarDay, day)
    old = None if local is None else local.kind
    if local is not None and (kind is None or is_league):
        s.delete(local)  # a League window's edit replaces its older local-only one
    if not is_league:
        if kind is not None:
            if local is None:
                s.add(CalendarDay(day=day, kind=kind, name=name, updated_by=w.username,
                                  updated_at=utcnow()))
            else:
                local.kind, local.name = kind, name
                local.updated_by, local.updated_at = w.username, utcnow()
        return old
    entry = s.get(LeagueCalendarDay, day)
    if old is None and entry is not None:
        old = entry.kind
    if kind is None and (entry is None or entry.kind is None):
        return old
    stamp, now, window = w.tick(), utcnow(), w.identity.window_code
    if entry is None:
        entry = LeagueCalendarDay(day=day)
        s.add(entry)
    entry.kind, entry.name, entry.hlc = kind, name if kind else "", stamp
    entry.updated_by, entry.origin, entry.updated_at = w.username, window, now
    w.outbox("calendar", day.isoformat(), "calendar", {
        "day": day.isoformat(), "kind": kind, "name": entry.name, "hlc": stamp,
        "updated_by": w.username, "origin": window}, stamp)
    return old
