"""Per-field last-writer-wins by HLC with a conflict log, and concurrent status decisions."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.sync.client import SyncReport
from xingan_desk.sync.local_schema import sync_conflict

from .helpers import central_state, local_state, scope_of

pytestmark = pytest.mark.pg


def _rows(url: str, q: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(q).fetchall()


def _link(w, record_id: str, target: str) -> None:
    w.desk.link_handover(record_id, target)


def test_field_lww_conflict_logged_once_and_replicas_converge(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    b.sync()
    _link(a, rec.id, "YS-A")  # earlier HLC
    time.sleep(0.01)
    _link(b, rec.id, "YS-B")  # later HLC: wins
    b.sync()
    a.sync()  # a's older value loses at central
    b.sync()
    assert a.desk.get(rec.id).values["handed_over_to"] == "YS-B"
    assert b.desk.get(rec.id).values["handed_over_to"] == "YS-B"
    log = _rows(central_url, "SELECT field, kept_value, lost_value, lost_origin "
                             "FROM sync.conflict_log")
    assert log == [("handed_over_to", "YS-B", "YS-A", "152223-02")]
    items = _rows(central_url, "SELECT item_kind FROM sync.review_item")
    assert items == [("field_conflict",)]
    a.sync()
    b.sync()
    assert len(_rows(central_url, "SELECT id FROM sync.review_item")) == 1
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_pending_local_edit_losing_on_pull_goes_to_local_conflict_log(make_window,
                                                                      central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    b.sync()
    _link(a, rec.id, "YS-A")  # pending in a's outbox
    time.sleep(0.01)
    _link(b, rec.id, "YS-B")
    b.sync()
    client = a.client()
    client.ensure_tables()
    with client.connect() as conn:
        client.pull(conn, SyncReport())  # pull only: a's edit is still pending
    assert a.desk.get(rec.id).values["handed_over_to"] == "YS-B"
    with a.desk.reading() as s:
        rows = list(s.execute(select(sync_conflict.c.field, sync_conflict.c.kept_value,
                                     sync_conflict.c.lost_value)))
    assert rows == [("handed_over_to", "YS-B", "YS-A")]
    a.sync()
    b.sync()
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_two_windows_decide_offline_conflict_kept_and_listed_once(make_window,
                                                                 central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.sync()
    b.sync()
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    time.sleep(0.01)
    b.desk.act(med.id, "refuse", {"refusal_reason": "out_of_scope"})
    for w in (b, a, b, a):
        w.sync()
    va, vb = a.desk.get(med.id), b.desk.get(med.id)
    assert va.status == vb.status == "accepted"  # earlier HLC applies, the later one is kept
    items = _rows(central_url, "SELECT item_kind, detail->>'action' FROM sync.review_item "
                               "WHERE resolved_at IS NULL")
    assert items == [("status_conflict", "refuse")]
    assert _rows(central_url, "SELECT status, needs_review FROM sync.record WHERE kind = "
                              "'mediation'") == [("accepted", True)]
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_concurrent_write_arriving_second_with_newer_hlc_is_listed(make_window,
                                                                   central_url) -> None:
    """Two windows link the same consultation offline; the older write reaches central first
    and is then overwritten by the newer one, whose writer had never seen it: the overwritten
    value is logged and listed once, exactly as in the opposite arrival order."""
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    b.sync()
    _link(a, rec.id, "YS-A")  # earlier HLC, pushed first
    time.sleep(0.01)
    _link(b, rec.id, "YS-B")  # later HLC, made without seeing YS-A
    a.sync()
    b.sync()
    a.sync()
    assert a.desk.get(rec.id).values["handed_over_to"] == "YS-B"
    log = _rows(central_url, "SELECT field, kept_value, lost_value, lost_origin "
                             "FROM sync.conflict_log")
    assert log == [("handed_over_to", "YS-B", "YS-A", "152223-02")]
    items = _rows(central_url, "SELECT item_kind, detail->>'lost' FROM sync.review_item")
    assert items == [("field_conflict", "YS-A")]
    # a write made after seeing the current value is an ordinary edit, not a conflict
    _link(a, rec.id, "YS-C")
    a.sync()
    b.sync()
    assert len(_rows(central_url, "SELECT id FROM sync.review_item")) == 1
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_action_reaching_central_before_an_unaware_void_is_listed(make_window,
                                                                  central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.sync()
    b.sync()
    _, _ = b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    b.sync()  # the action reaches central first …
    a.desk.void(med.id, "重复登记")  # … the owner voids without having seen it
    a.sync()
    b.sync()
    items = _rows(central_url, "SELECT item_kind, detail->>'origin' FROM sync.review_item")
    assert items == [("event_after_void", "152223-03")]
    a.sync()  # the owner now has the action: a later void would not be listed again
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_void_after_seeing_the_action_is_not_a_conflict(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.sync()
    b.sync()
    b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    b.sync()
    a.sync()  # seen
    a.desk.void(med.id, "重复登记")
    a.sync()
    assert _rows(central_url, "SELECT item_kind FROM sync.review_item") == []


def test_edit_reaching_central_before_an_unaware_void_is_listed(make_window,
                                                                central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    b.sync()
    _link(b, rec.id, "YS-B")  # another window's edit reaches central first
    b.sync()
    a.desk.void(rec.id, "登记有误")  # made without having seen it
    a.sync()
    items = _rows(central_url, "SELECT item_kind, item_key, detail->>'origin' "
                               "FROM sync.review_item")
    assert [(k, key.endswith(":handed_over_to"), o) for k, key, o in items] == [
        ("edit_after_void", True, "152223-03")]
    b.sync()
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)
