"""S15 (short): skewed PC clocks are flagged, never trusted for anything but HLC order."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION
from xingan_desk import hlc as hlc_mod
from xingan_desk.storage.schema import Installation
from xingan_desk.sync import client as client_mod
from xingan_desk.sync.local_schema import sync_issue

pytestmark = pytest.mark.pg


def test_s15_window_clock_three_hours_ahead(make_window, central_url, monkeypatch) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    ahead = hlc_mod.now_millis() + 3 * 3600 * 1000
    with a.desk.writing() as w:
        s = w.session  # a's HLC was advanced by a PC clock 3 h fast
        inst = s.get(Installation, 1)
        assert inst is not None
        inst.hlc_last = str(hlc_mod.HLC(ahead, 0, "152223-02"))
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    real = client_mod.utcnow
    monkeypatch.setattr(client_mod, "utcnow", lambda: real() + dt.timedelta(hours=3))
    rep = a.sync()
    monkeypatch.setattr(client_mod, "utcnow", real)
    assert rep.clock_skew_s > 3 * 3600 - 60
    with a.desk.reading() as s:
        issues = [r[0] for r in s.execute(select(sync_issue.c.reason)
                                          .where(sync_issue.c.code == "CLOCK_SKEW"))]
    assert len(issues) == 1 and "本机时钟" in issues[0]
    a.sync()
    with psycopg.connect(central_url) as conn:
        items = conn.execute("SELECT item_kind, detail->>'window' FROM sync.review_item"
                             ).fetchall()
    assert items == [("clock_skew", "152223-02")]  # once, not per push
    # b's later edit still orders after a's (HLC merge on pull), whatever b's wall clock says
    b.sync()
    with b.desk.reading() as s:
        inst = s.get(Installation, 1)
        assert inst is not None and hlc_mod.HLC.parse(inst.hlc_last).millis >= ahead
    assert b.desk.get(rec.id).receipt_no == rec.receipt_no
