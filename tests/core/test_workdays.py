"""Working-day and roll-over deadline arithmetic with the 调休 calendar (domain.md §2.2–2.3)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

try:
    import xingan_desk  # noqa: F401
except ModuleNotFoundError:  # not installed: run from the checkout (tests/core has no __init__)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from xingan_desk.paths import resource_path
from xingan_desk.workdays import HOLIDAY, WORKDAY, Calendar

D = date.fromisoformat
CAL = Calendar.default()


# --------------------------------------------------------------------------- worked examples (§2.3)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-09-27", 3, "2024-10-08"),  # Sun 9-29 was a 调休 workday; 10-01..07 off
        ("2025-01-24", 3, "2025-02-05"),  # Sun 1-26 workday; 1-28..2-04 Spring Festival
        ("2025-04-30", 15, "2025-05-26"),  # May Day 5-01..05
        ("2025-09-26", 3, "2025-09-30"),  # Sun 9-28 is a 调休 workday
        ("2025-09-26", 4, "2025-10-09"),  # then National Day 10-01..08
        ("2026-02-13", 1, "2026-02-14"),  # Sat 2-14 is a 2026 调休 workday
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-10-09", 1, "2026-10-10"),  # Sat 10-10 adjusted workday
    ],
)
def test_add_workdays_examples(start: str, n: int, expected: str) -> None:
    assert CAL.add_workdays(D(start), n) == D(expected)
    assert CAL.workdays_between(D(start), D(expected)) == n


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-09-05", 30, "2025-10-09"),  # 司法确认: day 30 = 10-05 in the holiday → roll
        ("2024-12-31", 30, "2025-02-05"),  # 1-30 is in the Spring Festival → roll
        ("2025-09-11", 30, "2025-10-11"),  # Sat 10-11 is a 调休 workday → no roll
        ("2025-03-01", 30, "2025-03-31"),  # Monday, nothing to roll
        ("2025-03-03", 5, "2025-03-10"),  # Sat 3-08 → Mon 3-10
    ],
)
def test_add_days_with_rollover_examples(start: str, n: int, expected: str) -> None:
    assert CAL.add_days_with_rollover(D(start), n) == D(expected)


# --------------------------------------------------------------------------- edge cases


def test_zero_workdays_returns_start_even_on_a_holiday() -> None:
    assert CAL.add_workdays(D("2025-10-03"), 0) == D("2025-10-03")
    assert CAL.add_workdays(D("2025-03-04"), 0) == D("2025-03-04")


def test_start_on_a_holiday() -> None:
    # start day is not counted, holidays are skipped: first workday after 10-03 is 10-09
    assert CAL.add_workdays(D("2025-10-03"), 1) == D("2025-10-09")
    assert CAL.add_workdays(D("2025-02-01"), 1) == D("2025-02-05")


def test_rollover_zero_days_on_holiday_rolls() -> None:
    assert CAL.add_days_with_rollover(D("2025-10-03"), 0) == D("2025-10-09")
    assert CAL.add_days_with_rollover(D("2025-10-09"), 0) == D("2025-10-09")


def test_negative_values() -> None:
    assert CAL.add_workdays(D("2024-10-08"), -3) == D("2024-09-27")
    assert CAL.workdays_between(D("2024-10-08"), D("2024-09-27")) == -3
    with pytest.raises(ValueError, match="负数"):
        CAL.add_days_with_rollover(D("2025-01-01"), -1)


def test_is_workday_classification() -> None:
    assert CAL.is_workday(D("2024-09-29"))  # Sunday, adjusted workday
    assert CAL.is_workday(D("2025-10-11"))  # Saturday, adjusted workday
    assert not CAL.is_workday(D("2025-10-08"))  # Wednesday, holiday
    assert not CAL.is_workday(D("2025-03-08"))  # plain Saturday
    assert CAL.is_workday(D("2025-03-07"))  # plain Friday
    assert CAL.is_holiday(D("2025-01-28"))
    assert not CAL.is_holiday(D("2025-03-08"))  # a weekend is not a statutory holiday
    assert CAL.name_of(D("2025-01-28")) == "春节"
    assert CAL.name_of(D("2025-01-26")) == "春节调休上班"
    assert CAL.kind_of(D("2025-01-26")) == WORKDAY
    assert CAL.kind_of(D("2025-03-07")) is None


def test_workdays_between_same_day_and_weekend() -> None:
    assert CAL.workdays_between(D("2025-03-03"), D("2025-03-03")) == 0
    assert CAL.workdays_between(D("2025-03-07"), D("2025-03-10")) == 1


def test_roll_forward() -> None:
    assert CAL.roll_forward(D("2025-10-01")) == D("2025-10-09")
    assert CAL.roll_forward(D("2025-10-11")) == D("2025-10-11")


# --------------------------------------------------------------------------- coverage


def test_covered_years_and_warning() -> None:
    assert CAL.covered_years() == frozenset({2024, 2025, 2026})
    assert CAL.is_covered(D("2026-12-31"))
    assert not CAL.is_covered(D("2027-01-04"))
    assert CAL.coverage_warning(D("2026-05-01")) is None
    assert CAL.coverage_warning(D("2027-02-10")) == "2027年节假日安排尚未录入"
    assert (
        CAL.coverage_warning(D("2026-12-20"), D("2028-01-05")) == "2027、2028年节假日安排尚未录入"
    )


def test_uncovered_year_still_computes_weekends_only() -> None:
    # Fri 2027-01-01 would be 元旦 once published; for now it counts as a plain Friday
    assert CAL.add_workdays(D("2026-12-31"), 1) == D("2027-01-01")
    assert CAL.add_workdays(D("2027-03-05"), 1) == D("2027-03-08")
    assert CAL.add_days_with_rollover(D("2027-03-01"), 5) == D("2027-03-08")  # Sat → Mon


# --------------------------------------------------------------------------- overrides


def test_overrides_add_a_year_and_fix_a_day() -> None:
    edits = [
        (D("2027-01-01"), "holiday", "元旦"),
        ("2027-01-02", "放假", "元旦"),
        {"day": D("2026-03-07"), "kind": "调休上班", "name": "本地调整"},
        (D("2025-10-11"), "normal", ""),  # drop the adjusted workday → plain Saturday again
    ]
    cal = CAL.with_overrides(edits)
    assert cal.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.is_covered(D("2027-06-01"))
    assert cal.is_workday(D("2026-03-07"))
    assert not cal.is_workday(D("2025-10-11"))
    assert cal.add_days_with_rollover(D("2025-09-11"), 30) == D("2025-10-13")
    # the original is untouched
    assert CAL.is_workday(D("2025-10-11"))
    assert not CAL.is_covered(D("2027-06-01"))


def test_override_replaces_kind_and_explicit_years() -> None:
    cal = CAL.with_overrides([(D("2025-10-08"), "workday", "改为上班")], covered_years=[2028])
    assert cal.is_workday(D("2025-10-08"))
    assert cal.is_covered(D("2028-01-01"))
    assert not cal.is_covered(D("2027-01-01"))


def test_bad_rows_rejected() -> None:
    with pytest.raises(ValueError, match="类型"):
        Calendar([(D("2025-01-01"), "vacation", "x")])
    with pytest.raises(ValueError, match="同时"):
        Calendar([(D("2025-01-01"), HOLIDAY, "a"), (D("2025-01-01"), WORKDAY, "b")])
    with pytest.raises(ValueError, match="日期"):
        Calendar([("2025/01/01", HOLIDAY, "a")])
    with pytest.raises(ValueError, match="本地修改"):
        Calendar([(D("2025-01-01"), "normal", "a")])


def test_constructor_and_from_toml(tmp_path: Path) -> None:
    cal = Calendar([(D("2030-01-01"), "holiday", "元旦")])
    assert cal.covered_years() == frozenset({2030})
    assert not cal.is_workday(D("2030-01-01"))
    assert Calendar().covered_years() == frozenset()
    toml = tmp_path / "h.toml"
    toml.write_text(
        '[[year]]\nyear = 2031\n[[year.holiday]]\nname = "春节"\nstart = 2031-01-22\n'
        "end = 2031-01-28\nworkdays = [2031-01-19]\n",
        encoding="utf-8",
    )
    cal = Calendar.from_toml(toml)
    assert cal.covered_years() == frozenset({2031})
    assert cal.is_workday(D("2031-01-19"))
    assert cal.add_workdays(D("2031-01-21"), 1) == D("2031-01-29")


# --------------------------------------------------------------------------- the shipped table


def test_shipped_table_is_sane() -> None:
    assert resource_path("catalogs", "holidays.toml").is_file()
    head = resource_path("catalogs", "holidays.toml").read_text(encoding="utf-8")[:400]
    assert "2027" in head
    holidays = [s for s in CAL.special_days() if s.kind == HOLIDAY]
    workdays = [s for s in CAL.special_days() if s.kind == WORKDAY]
    assert all(s.day.weekday() >= 5 for s in workdays), "调休上班 must fall on a weekend"
    assert all(s.day.year in CAL.covered_years() for s in CAL.special_days())
    # weekday holidays minus 调休 workdays = statutory days off: 11 until 2024, 13 from 2025
    # (全国年节及纪念日放假办法 as amended in 2024: one more day each for 春节 and 劳动节)
    for year, statutory in ((2024, 11), (2025, 13), (2026, 13)):
        off = sum(1 for s in holidays if s.day.year == year and s.day.weekday() < 5)
        on = sum(1 for s in workdays if s.day.year == year)
        assert off - on == statutory, year


@pytest.mark.parametrize(
    ("name", "start", "end", "workdays"),
    [
        ("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
        ("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
        ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
        ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
        ("清明节", "2026-04-04", "2026-04-06", []),
        ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
        ("端午节", "2026-06-19", "2026-06-21", []),
        ("中秋节", "2026-09-25", "2026-09-27", []),
        ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
    ],
)
def test_schedule_entries(name: str, start: str, end: str, workdays: list[str]) -> None:
    d = D(start)
    while d <= D(end):
        assert CAL.is_holiday(d) and CAL.name_of(d) == name, d
        d += timedelta(days=1)
    assert not CAL.is_holiday(D(start) - timedelta(days=1))
    assert not CAL.is_holiday(D(end) + timedelta(days=1))
    for w in workdays:
        assert CAL.kind_of(D(w)) == WORKDAY and CAL.is_workday(D(w))


# --------------------------------------------------------------------------- properties


@given(st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 6, 1)), st.integers(0, 60))
def test_property_add_workdays_inverse(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    if n > 0:
        assert CAL.is_workday(end)
        assert CAL.add_workdays(end, -n) <= start or not CAL.is_workday(start)


@given(st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 6, 1)), st.integers(0, 90))
def test_property_rollover_lands_on_first_workday(start: date, n: int) -> None:
    end = CAL.add_days_with_rollover(start, n)
    assert CAL.is_workday(end)
    assert end >= start + timedelta(days=n)
    d = start + timedelta(days=n)
    while d < end:
        assert not CAL.is_workday(d)
        d += timedelta(days=1)


# --------------------------------------------------------------------------- issue 11 §8: deadlines
# a supervisor can act on (staged warnings, 催办/延期, the overdue view, re-derivation)

from xingan_desk.records.deadlines import OVERDUE, SOON, due_stage  # noqa: E402


def test_due_stage_yellow_n_working_days_before_red_when_overdue() -> None:
    today = D("2026-09-29")  # a Tuesday before the 国庆 break (10-01..10-08)
    assert due_stage(D("2026-09-28"), today, CAL, 3) == OVERDUE
    assert due_stage(today, today, CAL, 3) == SOON  # due today: still in time, yellow
    assert due_stage(D("2026-09-30"), today, CAL, 3) == SOON
    # 3 working days after 09-29 is 10-10 (a 调休 Saturday) because of the holiday
    assert due_stage(D("2026-10-09"), today, CAL, 3) == SOON
    assert due_stage(D("2026-10-12"), today, CAL, 3) is None
    assert due_stage(D("2026-10-12"), today, CAL, 5) == SOON
    assert due_stage(D("2026-09-30"), today, CAL, 0) is None  # no yellow stage
    assert due_stage(None, today, CAL, 3) is None


@pytest.fixture
def mediation(tmp_path: Path) -> object:
    from tests.conftest import ADMIN_PASSWORD, GOOD_MEDIATION
    from xingan_desk.desk import Desk

    desk = Desk.initialise(tmp_path / "w", "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    yield desk, rec
    desk.close()


def test_urge_and_extend_are_actions_with_reasons_audited(mediation: object) -> None:
    from xingan_desk.errors import PermissionDenied, ValidationFailed

    desk, rec = mediation  # type: ignore[misc]
    assert rec.status == "registered" and rec.due_label == "受理审查期限"
    due = rec.due_date  # 3 working days after 2026-03-02
    assert due == D("2026-03-05")
    assert desk.due_stage(due, D("2026-03-06")) == OVERDUE
    assert desk.due_counts(D("2026-03-06")).text == "逾期 1 项"
    assert desk.due_counts(D("2026-03-03")).text == "1 项即将到期"
    desk.set_due_warn_workdays(1)
    assert desk.due_warn_workdays() == 1 and desk.due_counts(D("2026-03-03")).text == ""

    urged, _ = desk.urge(rec.id, "请于本周内完成受理审查")
    assert urged.status == "registered" and urged.due_date == due
    extended, _ = desk.extend_deadline(rec.id, D("2026-03-12"), "申请人补充证据")
    assert extended.status == "registered"
    assert extended.due_date == D("2026-03-12") and extended.due_label == "受理审查期限（已延期）"
    events, audit = desk.history(rec.id)
    assert [(e.action_label, e.payload.get("urge_note") or e.payload.get("extend_reason"))
            for e in events] == [("催办", "请于本周内完成受理审查"), ("延期", "申请人补充证据")]
    assert len([a for a in audit if "催办" in a.detail or "延期" in a.detail]) == 2, audit
    with pytest.raises(ValidationFailed) as refused:
        desk.extend_deadline(rec.id, D("2026-03-20"), "")
    assert "延期理由" in str(refused.value.errors)

    # once the record moves on, the extension no longer holds; a clerk may not urge
    accepted, _ = desk.act(rec.id, "accept", {"accepted_on": "2026-03-06", "mediator": "赵调解"})
    assert accepted.due_label == "开始调解期限" and accepted.due_date == D("2026-03-17")
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.use_account("lina")
    with pytest.raises(PermissionDenied):
        desk.urge(rec.id, "快点")


def test_overdue_view_per_window_and_per_clerk(mediation: object) -> None:
    from tests.conftest import GOOD_MEDIATION

    desk, _rec = mediation  # type: ignore[misc]
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.use_account("lina")
    desk.create("mediation", {**GOOD_MEDIATION, "applied_on": "2026-03-04"})  # due 03-09
    desk.create("mediation", {**GOOD_MEDIATION, "applied_on": "2026-03-09"})  # due 03-12
    windows, clerks = desk.overdue_report(D("2026-03-10"))
    assert [(r.window, r.overdue, r.soon, r.oldest) for r in windows] == [
        ("152223-02", 2, 1, D("2026-03-05"))]
    assert [(r.clerk, r.overdue, r.soon, r.oldest) for r in clerks] == [
        ("lina", 1, 1, D("2026-03-09")), ("admin", 1, 0, D("2026-03-05"))]  # worst first


def test_open_deadlines_move_when_the_league_enters_next_years_holidays(tmp_path: Path) -> None:
    from tests.conftest import ADMIN_PASSWORD, GOOD_MEDIATION
    from xingan_desk.desk import Desk

    league = Desk.initialise(tmp_path / "l", "152200", "01", admin_password=ADMIN_PASSWORD)
    league.use_account("admin")
    open_rec, _ = league.create("mediation", {**GOOD_MEDIATION, "applied_on": "2026-12-01"})
    closed, _ = league.create("mediation", {**GOOD_MEDIATION, "applied_on": "2026-12-01"})
    accept = {"accepted_on": "2026-12-28", "mediator": "赵调解"}
    open_rec, _ = league.act(open_rec.id, "accept", accept)
    league.act(closed.id, "accept", accept)
    closed, _ = league.act(closed.id, "terminate", {"termination_reason": "no_agreement",
                                                     "closed_on": "2026-12-29"})
    # without 2027's table 1 January counts as a working day: 7 working days end on 01-06
    assert open_rec.values["start_by"] == D("2027-01-06") and open_rec.due_date == D("2027-01-06")
    assert league.set_calendar_range(D("2027-01-01"), D("2027-01-03"), "holiday", "元旦") == 3
    moved = league.get(open_rec.id)
    assert moved.values["start_by"] == D("2027-01-07") and moved.due_date == D("2027-01-07")
    assert league.get(closed.id).values["start_by"] == D("2027-01-06")  # closed: as it was
    league.close()


def test_a_refold_missed_after_a_pulled_holiday_change_is_caught_up(mediation: object) -> None:
    """As if the program stopped between a pulled calendar page and its refold: the check
    sync runs after every cycle refolds once, then finds nothing to do."""
    from xingan_desk.storage.schema import LeagueCalendarDay
    from xingan_desk.timeutil import utcnow

    desk, rec = mediation  # type: ignore[misc]
    rec, _ = desk.act(rec.id, "accept", {"accepted_on": "2026-12-28", "mediator": "赵调解"})
    assert rec.due_date == D("2027-01-06")
    assert desk.calendars.rederive_if_stale() == 0  # no League entries, nothing to catch up
    with desk.writing() as w:
        for day in (1, 2, 3):
            w.session.add(LeagueCalendarDay(day=date(2027, 1, day), kind="holiday", name="元旦",
                                            hlc=f"1790000000000-0000{day}-152200-01",
                                            updated_by="admin", origin="152200-01",
                                            updated_at=utcnow()))
    assert desk.get(rec.id).due_date == D("2027-01-06")  # not refolded yet
    assert desk.calendars.rederive_if_stale() == 1
    assert desk.get(rec.id).due_date == D("2027-01-07")
    assert desk.calendars.rederive_if_stale() == 0
