"""The mediator roster (调解员名册) as the mediation forms and documents use it.

The roster is a record kind of its own (records/mediation_file.MEDIATOR, League-wide stream):
entered like any record, synced to every window. This module reads it: the entries with the
cases each mediator has been assigned (the 调解员 chosen at 受理/指派, and the sessions
they mediated), and the active names the mediator fields pick from. `Desk.mediator_roster`
is the facade's entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .storage.schema import DETAIL, Record

__all__ = ["OPEN_STATUSES", "RosterEntry", "roster", "split_names"]

_R = Record.__table__
OPEN_STATUSES = frozenset({"accepted", "mediating"})


@dataclass(frozen=True)
class RosterEntry:
    record_id: str
    receipt_no: str
    name: str
    post: str
    specialty: str
    qualification: str
    active: bool
    cases: int  # mediation cases the mediator was assigned to (受理/指派) or mediated a session of
    open_cases: int  # of them, still being mediated (已受理, 调解中)


def split_names(text: str | None) -> list[str]:
    """"赵敏、包银山" → ["赵敏", "包银山"] (顿号, commas, semicolons, spaces)."""
    return [n for n in re.split(r"[、，,；;\s]+", text or "") if n]


def roster(s: Session, *, active_only: bool = False) -> list[RosterEntry]:
    """The roster's live entries (active first, then by name) with their case counts."""
    m = DETAIL["mediator"]
    rows = s.execute(
        select(_R.c.id, _R.c.receipt_no, m.c.name, m.c.post, m.c.specialty, m.c.qualification,
               m.c.active)
        .select_from(_R.join(m, m.c.record_id == _R.c.id))
        .where(_R.c.kind == "mediator", _R.c.voided.is_(False))).all()
    d = DETAIL["mediation"]
    cases: Counter[str] = Counter()
    open_cases: Counter[str] = Counter()
    for mediator, sessions, status in s.execute(
            select(d.c.mediator, d.c.sessions, _R.c.status)
            .select_from(_R.join(d, d.c.record_id == _R.c.id))
            .where(_R.c.kind == "mediation", _R.c.voided.is_(False),
                   (d.c.mediator.is_not(None)) | (d.c.sessions.is_not(None)))):
        names = set(split_names(mediator))
        for row in sessions or []:
            names.update(split_names(str(row.get("mediators") or "")))
        for name in names:
            cases[name] += 1
            if status in OPEN_STATUSES:
                open_cases[name] += 1
    out = [RosterEntry(r.id, r.receipt_no, r.name or "", r.post or "", r.specialty or "",
                       r.qualification or "", r.active is not False, cases[r.name or ""],
                       open_cases[r.name or ""]) for r in rows]
    if active_only:
        out = [e for e in out if e.active]
    return sorted(out, key=lambda e: (not e.active, e.name))
