"""Issue 11 §8 with real PostgreSQL: deadlines of open records move when the League enters
next year's holidays, to the same date at every window; 催办 and 延期 are workflow actions
central accepts from a window in scope and every window sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import GOOD_MEDIATION

pytestmark = pytest.mark.pg

D = dt.date.fromisoformat


def test_open_deadlines_move_alike_everywhere_and_supervision_syncs(make_window: Any) -> None:
    hall = make_window("152200", "01")  # the League window: it enters the holiday table
    county = make_window("152223", "02")  # owns the case
    rec, _ = county.desk.create("mediation", {**GOOD_MEDIATION, "applied_on": "2026-12-01"})
    rec, _ = county.desk.act(rec.id, "accept", {"accepted_on": "2026-12-28",
                                                "mediator": "赵调解"})
    # 7 working days after 12-28 without 2027's table (1 January counts as a working day)
    assert rec.values["start_by"] == D("2027-01-06") and rec.due_date == D("2027-01-06")
    # a county window's own holiday entry does not move a deadline other windows show too
    county.desk.set_calendar_day(D("2027-01-04"), "holiday", "旗县调整")
    assert county.desk.get(rec.id).due_date == D("2027-01-06")
    for w in (county, hall, county):
        w.sync()
    assert hall.desk.get(rec.id).due_date == D("2027-01-06")

    # the League enters 元旦 2027; after sync every window shows the moved date
    hall.desk.set_calendar_range(D("2027-01-01"), D("2027-01-03"), "holiday", "元旦")
    assert hall.desk.get(rec.id).values["start_by"] == D("2027-01-07")
    for w in (hall, county, hall):
        w.sync()
    for w in (hall, county):
        seen = w.desk.get(rec.id)
        assert seen.values["start_by"] == D("2027-01-07"), w.desk.identity.window_code
        assert seen.due_date == D("2027-01-07") and seen.due_label == "开始调解期限"
        assert not seen.needs_review

    # the League's supervisor urges and extends the county's case: central accepts both
    # (declared actions), the county window sees them with their reasons
    hall.desk.urge(rec.id, "请尽快开始调解")
    hall.desk.extend_deadline(rec.id, D("2027-01-15"), "当事人在外地，约定1月中旬调解")
    report = hall.sync()
    assert report.accepted >= 2 and report.rejected == 0, report
    county.sync()
    seen = county.desk.get(rec.id)
    assert seen.status == "accepted" and seen.due_date == D("2027-01-15")
    assert seen.due_label == "开始调解期限（已延期）"
    events, _ = county.desk.history(rec.id)
    assert [(e.action_label, e.actor) for e in events][-2:] == [("催办", "admin"),
                                                               ("延期", "admin")]
    assert events[-1].payload["extend_reason"] == "当事人在外地，约定1月中旬调解"
    windows, _clerks = county.desk.overdue_report(D("2027-01-20"))
    assert [(r.window, r.overdue) for r in windows] == [("152223-02", 1)]
