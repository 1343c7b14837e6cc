"""S20 head-lock hygiene and S19 tombstones (short versions)."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.sync.client import SyncUnavailable

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def test_s20_held_head_row_fails_fast_and_other_counties_continue(make_window,
                                                                   central_url) -> None:
    a = make_window("152223", "02")
    c = make_window("152224", "01")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    c.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    n = outbox_count(a.desk)
    admin = psycopg.connect(central_url)
    try:
        admin.execute("SELECT * FROM sync.stream_head WHERE stream = 'county:152223' "
                      "FOR UPDATE")  # an admin transaction sits on the county's head row
        t0 = time.perf_counter()
        with pytest.raises(SyncUnavailable, match="中心数据库繁忙"):
            a.sync()
        assert time.perf_counter() - t0 < 5  # lock_timeout 2 s, not a hang
        assert outbox_count(a.desk) == n  # nothing lost, nothing half-acked
        assert c.sync().accepted > 0  # another county is not affected
    finally:
        admin.rollback()
        admin.close()
    assert a.sync().accepted == n
    assert local_state(a.desk) == central_state(central_url, scope_of("152223"))


def test_s19_action_on_a_record_voided_offline_is_kept_and_reviewed(make_window,
                                                                    central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.sync()
    b.sync()
    a.desk.void(med.id, "重复登记")  # offline at a
    b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})  # at b
    for w in (a, b, a, b):
        w.sync()
    va, vb = a.desk.get(med.id), b.desk.get(med.id)
    assert va.voided and vb.voided  # the tombstone wins, never resurrects
    assert va.status == vb.status
    with psycopg.connect(central_url) as conn:
        items = conn.execute("SELECT item_kind FROM sync.review_item").fetchall()
    assert items == [("event_after_void",)]
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)
