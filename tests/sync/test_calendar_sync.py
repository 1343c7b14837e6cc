"""The holiday table as League-wide reference data: what an admin at a League window (152200)
enters in 节假日安排 reaches every window through the `global` stream; a county window's own
edits stay local and win there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from sqlalchemy import insert, update

from xingan_desk.desk import new_id
from xingan_desk.storage.schema import LeagueCalendarDay, OutboxEntry
from xingan_desk.sync.review import attention_items
from xingan_desk.timeutil import utcnow

from .helpers import outbox_count

pytestmark = pytest.mark.pg

D = dt.date
TODAY = D(2026, 12, 2)  # the State Council has published 2027; the table does not have it


def _rows(url: str, q: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(q).fetchall()


def _next_workday(w: Any) -> D:
    return w.desk.calendar().add_workdays(D(2026, 12, 31), 1)


def test_league_holidays_reach_every_window_county_edits_stay_local(make_window: Any,
                                                                   central_url: str) -> None:
    hall = make_window("152200", "01")
    hall2 = make_window("152200", "02")
    county = make_window("152223", "02")
    for w in (hall, hall2, county):
        w.sync()
    assert county.desk.calendar_warning(TODAY) == "2027年节假日安排尚未录入"
    assert _next_workday(county) == D(2027, 1, 1)  # only weekends known

    # the League enters 2027 元旦; a county window syncs and computes with it
    assert hall.desk.set_calendar_range(D(2027, 1, 1), D(2027, 1, 3), "holiday", "元旦") == 3
    assert hall.sync().accepted == 3
    rep = county.sync()
    assert rep.pulled == 3 and "global" in rep.verified
    assert _next_workday(county) == D(2027, 1, 4)
    assert county.desk.calendar_warning(TODAY) is None
    assert county.desk.league_calendar(2027) == [
        (D(2027, 1, d), "holiday", "元旦", "152200-01") for d in (1, 2, 3)]
    assert county.desk.calendar_edits(2027) == []  # not the county's to remove

    # a county admin's own entry stays in that window and wins there
    county.desk.set_calendar_day(D(2027, 1, 4), "holiday", "旗县调整")
    assert outbox_count(county.desk) == 0
    assert _next_workday(county) == D(2027, 1, 5)
    county.sync()
    hall.sync()
    assert _next_workday(hall) == D(2027, 1, 4)
    assert _rows(central_url, "SELECT count(*) FROM sync.calendar_day")[0][0] == 3

    # another League window withdraws 1 January; two League windows set 11 February while
    # neither has seen the other's entry: the later one wins at central and everywhere
    hall2.sync()
    hall2.desk.clear_calendar_day(D(2027, 1, 1))
    hall.desk.set_calendar_day(D(2027, 2, 11), "holiday", "春节")
    hall2.desk.set_calendar_day(D(2027, 2, 11), "workday", "春节调休")  # later HLC
    hall2.sync()
    hall.sync()  # its older entry arrives second and changes nothing
    hall2.sync()
    county.sync()
    for w in (hall, hall2, county):
        cal = w.desk.calendar()
        assert cal.kind_of(D(2027, 1, 1)) is None and cal.is_workday(D(2027, 1, 1))
        assert cal.kind_of(D(2027, 2, 11)) == "workday"
        assert w.desk.league_calendar(2027) == [
            (D(2027, 1, 2), "holiday", "元旦", "152200-01"),
            (D(2027, 1, 3), "holiday", "元旦", "152200-01"),
            (D(2027, 2, 11), "workday", "春节调休", "152200-02")]
    assert county.desk.calendar().kind_of(D(2027, 1, 4)) == "holiday"  # its own, still
    assert _rows(central_url, "SELECT to_char(day, 'MM-DD'), kind FROM sync.calendar_day "
                              "ORDER BY day") == [
        ("01-01", None), ("01-02", "holiday"), ("01-03", "holiday"), ("02-11", "workday")]

    # a damaged local entry is found by the digest of `global` and repaired from central
    with county.desk.writing() as w:
        s = w.session
        s.execute(update(LeagueCalendarDay).where(LeagueCalendarDay.day == D(2027, 1, 2))
                  .values(kind="workday"))
    county.desk.calendars.invalidate()
    rep = county.sync()
    assert rep.rebaselined == ["global"] and "global" in rep.verified
    assert county.desk.calendar().kind_of(D(2027, 1, 2)) == "holiday"


def test_a_county_windows_calendar_change_is_refused_at_central(make_window: Any,
                                                                central_url: str) -> None:
    county = make_window("152223", "02")
    stamp = "1790000000000-00000-152223-02"
    with county.desk.writing() as w:
        s = w.session  # as an older or modified program would send it
        s.execute(insert(OutboxEntry.__table__).values(
            mutation_id=new_id(), entity="calendar", entity_id="2027-01-01", op="calendar",
            payload={"day": "2027-01-01", "kind": "holiday", "name": "元旦", "hlc": stamp},
            hlc=stamp, created_at=utcnow(), state="pending", attempts=0))
    rep = county.sync()
    assert rep.rejected == 1 and "只有盟本级窗口" in rep.rejections[0][1]
    assert _rows(central_url, "SELECT count(*) FROM sync.calendar_day")[0][0] == 0
    (item,) = attention_items(county.desk)
    assert item.title == "上传被中心拒绝：节假日安排"
    assert dict(item.lines)["记录"] == "节假日安排 2027-01-01"
