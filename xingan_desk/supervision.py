"""Deadlines a supervisor can act on (a part of the Desk: `desk.supervision`).

Staged warnings (yellow `due_warn_workdays` working days before a deadline, red once it has
passed) for lists, 待办 and the status bar; 催办 and 延期 as workflow actions with a reason
(declared in records/deadlines.py, so they are audited, synced and checked by central like any
action); the overdue view per clerk and per window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from .errors import ValidationFailed
from .records.deadlines import (
    DUE_WARN_DEFAULT,
    DUE_WARN_SETTING,
    EXTEND,
    OVERDUE,
    SOON,
    URGE,
    due_stage,
)
from .records.kinds import KINDS
from .timeutil import today_cst

if TYPE_CHECKING:
    from .desk import Desk
    from .views import Changes, RecordView

__all__ = ["DueCounts", "OverdueRow", "Supervision"]


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    soon: int

    @property
    def text(self) -> str:
        """The status bar's words: "逾期 2 项 · 3 项即将到期" (empty when nothing is due)."""
        parts = ([f"逾期 {self.overdue} 项"] if self.overdue else []) + (
            [f"{self.soon} 项即将到期"] if self.soon else [])
        return " · ".join(parts)


@dataclass(frozen=True)
class OverdueRow:
    """One line of the overdue view: a window or a clerk (window + account)."""

    window: str
    clerk: str  # account name; "" on a per-window line
    overdue: int
    soon: int
    oldest: dt.date | None  # the earliest overdue deadline


class Supervision:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def warn_workdays(self) -> int:
        """How many working days before a deadline it turns yellow (setting, default 3)."""
        value = self._desk.setting(DUE_WARN_SETTING, DUE_WARN_DEFAULT)
        try:
            return max(0, min(30, int(value)))
        except (TypeError, ValueError):
            return DUE_WARN_DEFAULT

    def set_warn_workdays(self, days: int) -> None:
        if not 0 <= days <= 30:
            raise ValidationFailed({DUE_WARN_SETTING: "提前提醒的工作日数应在0到30之间"})
        self._desk.set_setting(DUE_WARN_SETTING, days)

    def stage(self, due: dt.date | None, today: dt.date | None = None,
              warn_workdays: int | None = None) -> str | None:
        """"overdue", "soon" or None for a due date (see records/deadlines.due_stage)."""
        n = self.warn_workdays() if warn_workdays is None else warn_workdays
        return due_stage(due, today or today_cst(), self._desk.calendar(), n)

    def _soon_limit(self, today: dt.date) -> dt.date:
        return self._desk.calendar().add_workdays(today, self.warn_workdays())

    def counts(self, today: dt.date | None = None) -> DueCounts:
        """Overdue and soon-due open records in this window's scope (voided ones never)."""
        from .storage.schema import Record

        day = today or today_cst()
        limit = self._soon_limit(day)
        with self._desk.reading() as s:
            over, soon = s.execute(select(
                func.count().filter(Record.due_date < day),
                func.count().filter(Record.due_date >= day, Record.due_date <= limit))
                .where(Record.voided.is_(False), Record.due_date.is_not(None))).one()
        return DueCounts(int(over or 0), int(soon or 0))

    def overdue_report(self, today: dt.date | None = None) -> tuple[list[OverdueRow],
                                                                   list[OverdueRow]]:
        """(per window, per clerk): open records past their deadline and soon due, counted by
        the window that owns them and the account that registered them; worst first."""
        from .storage.schema import Record

        day = today or today_cst()
        limit = self._soon_limit(day)
        over = func.sum(case((Record.due_date < day, 1), else_=0))
        soon = func.sum(case((Record.due_date >= day, 1), else_=0))
        oldest = func.min(case((Record.due_date < day, Record.due_date), else_=None))
        base = (Record.voided.is_(False), Record.due_date.is_not(None), Record.due_date <= limit)
        with self._desk.reading() as s:
            windows = [OverdueRow(str(w), "", int(o or 0), int(n or 0), d) for w, o, n, d in
                       s.execute(select(Record.owner, over, soon, oldest).where(*base)
                                 .group_by(Record.owner))]
            clerks = [OverdueRow(str(w), str(c), int(o or 0), int(n or 0), d) for w, c, o, n, d
                      in s.execute(select(Record.owner, Record.created_by, over, soon, oldest)
                                   .where(*base).group_by(Record.owner, Record.created_by))]

        def order(r: OverdueRow) -> tuple[int, int, str, str]:
            return (-r.overdue, -r.soon, r.window, r.clerk)

        return sorted(windows, key=order), sorted(clerks, key=order)

    def urge(self, record_id: str, note: str) -> tuple[RecordView, Changes]:
        """催办: recorded with its reason on the record's history (and the audit log)."""
        return self._act(record_id, URGE, {"urge_note": note})

    def extend(self, record_id: str, until: dt.date, reason: str) -> tuple[RecordView, Changes]:
        """延期: the record's nearest deadline becomes `until` while it stays in this state."""
        return self._act(record_id, EXTEND, {"extended_to": until, "extend_reason": reason})

    def _act(self, record_id: str, verb: str,
             raw: Mapping[str, Any]) -> tuple[RecordView, Changes]:
        rec = self._desk.get(record_id)
        wf = KINDS[rec.kind].workflow
        key = f"{verb}_{rec.status}"
        if wf is None or not any(a.key == key for a in wf.actions):
            what = "催办" if verb == URGE else "延期"
            raise ValidationFailed({"status": f"“{rec.status_label}”状态没有期限，不能{what}"})
        return self._desk.act(record_id, key, raw)


STAGE_LABELS = {OVERDUE: "已逾期", SOON: "即将到期"}
