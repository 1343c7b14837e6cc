"""The supervisor's review list (xingan_desk/sync/review.py) against a real central: field and
status conflicts between two windows, refused changes; every resolution audited and synced."""

from __future__ import annotations

import time

import psycopg
import psycopg.types.json
import pytest
from sqlalchemy import select, update

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.errors import PermissionDenied, ValidationFailed
from xingan_desk.storage.schema import AuditEntry, OutboxEntry
from xingan_desk.sync import review
from xingan_desk.sync.central import init_central
from xingan_desk.sync.client import SyncReport
from xingan_desk.sync.service import SyncService

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def _rows(url: str, q: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(q, params).fetchall()


def _cycle(w) -> SyncService:
    svc = SyncService(w.desk, url=w.creds.url, client_options={"machine_id": w.machine_id})
    state = svc.run_once()
    assert state.error == "" and state.warning == "", state
    return svc


def _link(w, record_id: str, target: str) -> None:
    w.desk.link_handover(record_id, target)


def _audit(desk, action: str) -> list[str]:
    with desk.reading() as s:
        return list(s.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))


def test_field_conflict_listed_at_both_windows_and_reapply_syncs(make_window,
                                                                 central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    _cycle(a)
    _cycle(b)
    _link(a, rec.id, "YS-A")  # earlier
    time.sleep(0.01)
    _link(b, rec.id, "YS-B")  # later: wins
    _cycle(b)
    _cycle(a)  # a's value loses at central → review item
    _cycle(b)
    items_a = review.attention_items(a.desk)
    items_b = review.attention_items(b.desk)
    assert [i.category for i in items_a] == ["field_conflict"] == [i.category for i in items_b]
    item = items_a[0]
    assert dict(item.lines)["现值"] == "YS-B" and dict(item.lines)["落选值"] == "YS-A"
    assert dict(item.lines)["字段"] == "已转入办件"
    assert "152223-02 窗口" in dict(item.lines)["落选的修改"]
    assert item.actions == ("keep", "reapply")
    # a clerk may look but not resolve
    a.desk.add_user("clerk02", "李娜", "clerk", "Clerk2026x")
    a.desk.use_account("clerk02")
    with pytest.raises(PermissionDenied):
        review.resolve(a.desk, item, "reapply")
    a.desk.use_account("admin")
    changes = review.resolve(a.desk, item, "reapply", "核实后以本窗口为准")
    assert changes.records == {rec.id} and changes.needs_sync
    assert a.desk.get(rec.id).values["handed_over_to"] == "YS-A"
    assert review.attention_items(a.desk) == []
    _cycle(a)
    _cycle(b)
    assert b.desk.get(rec.id).values["handed_over_to"] == "YS-A"
    assert review.attention_items(b.desk) == []  # closed at central for the whole county
    assert _rows(central_url, "SELECT action, note, resolved_by FROM sync.review_resolution"
                 ) == [("reapply", "核实后以本窗口为准", "admin")]
    assert _rows(central_url, "SELECT count(*) FROM sync.review_item "
                              "WHERE resolved_at IS NULL") == [(0,)]
    assert any("恢复落选值" in d for d in _audit(a.desk, "review_reapply"))
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_local_losing_edit_is_one_item_and_keep_closes_it_everywhere(make_window,
                                                                   central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    _cycle(a)
    _cycle(b)
    _link(a, rec.id, "YS-A")
    time.sleep(0.01)
    _link(b, rec.id, "YS-B")
    _cycle(b)
    client = a.client()
    client.ensure_tables()
    with client.connect() as conn:
        client.pull(conn, SyncReport())  # a pulls b's value while its own edit still waits
    items = review.attention_items(a.desk)
    assert len(items) == 1 and items[0].conflict_id is not None
    assert dict(items[0].lines)["现值"] == "YS-B" and items[0].central_id is None
    _cycle(a)  # a's edit reaches central, loses there too: the same conflict, listed once
    items = review.attention_items(a.desk)
    assert len(items) == 1 and items[0].conflict_id is not None
    assert items[0].central_id is not None
    review.resolve(a.desk, items[0], "keep")
    _cycle(a)
    assert review.attention_items(a.desk) == []
    _cycle(b)
    assert review.attention_items(b.desk) == []
    assert a.desk.get(rec.id).values["handed_over_to"] == "YS-B"


def test_status_conflict_confirmed_stays_closed_after_refold(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    _cycle(a)
    _cycle(b)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    time.sleep(0.01)
    b.desk.act(med.id, "refuse", {"refusal_reason": "out_of_scope"})
    # offline at b: its own fold has no conflict yet; a's list is empty too
    for w in (b, a, b):
        _cycle(w)
    items = review.attention_items(b.desk)
    assert [i.category for i in items] == ["status_conflict"]
    assert "不予受理" in items[0].title and dict(items[0].lines)["当前状态"] == "已受理"
    assert set(items[0].actions) == {"confirm", "act"}
    review.resolve(b.desk, items[0], "confirm", "已电话核实，维持受理")
    _cycle(b)
    _cycle(a)
    assert review.attention_items(a.desk) == []
    # a later action refolds the record at central; the resolved item stays closed
    a.desk.act(med.id, "assign", {"mediator": "王五"})
    _cycle(a)
    _cycle(b)
    assert b.desk.get(med.id).needs_review  # the fold still keeps the refusal unapplied
    assert _rows(central_url, "SELECT count(*) FROM sync.review_item "
                              "WHERE resolved_at IS NULL") == [(1,)]  # refold re-opened it
    assert review.attention_items(b.desk) == []  # but its resolution keeps it off the list
    assert _rows(central_url, "SELECT item_kind, action FROM sync.review_resolution") == [
        ("status_conflict", "confirm")]


def test_refused_change_retried_after_central_fixed_and_poison_discarded(
        make_window, central_url) -> None:
    a = make_window("152223", "02")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    # central's workflow table lags behind the program: it does not know "accept" yet
    with psycopg.connect(central_url) as conn:
        conn.execute("DELETE FROM sync.workflow_action WHERE kind = 'mediation' "
                     "AND action = 'accept'")
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    svc = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
    state = svc.run_once()
    assert state.attention == 1 and state.pending == 0
    item = review.attention_items(a.desk)[0]
    assert item.category == "refused" and item.actions == ("retry", "discard")
    assert "受理" in item.title and "不是该类记录的办理操作" in item.summary
    with pytest.raises(ValidationFailed, match="原因"):
        review.resolve(a.desk, item, "discard", "")
    init_central(central_url)  # the fix: central upgraded
    review.resolve(a.desk, item, "retry", "中心已升级")
    assert outbox_count(a.desk, "rejected") == 0 and outbox_count(a.desk) == 1
    state = svc.run_once()
    assert state.attention == 0 and state.pending == 0 and state.online
    assert _rows(central_url, "SELECT status FROM sync.record WHERE id = %s",
                 (med.id,)) == [("accepted",)]
    # a change central will never take (an illegal transition) is given up with a reason
    med2, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.desk.act(med2.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    with a.desk.writing() as w:
        s = w.session
        ev = s.scalar(select(OutboxEntry).where(OutboxEntry.op == "event"))
        s.execute(update(OutboxEntry).where(OutboxEntry.local_seq == ev.local_seq).values(
            payload={**ev.payload, "action": "settle", "to_status": "settled"}))
    state = svc.run_once()
    assert state.attention == 1
    item = review.attention_items(a.desk)[0]
    review.resolve(a.desk, item, "discard", "数据错误，已线下核实")
    assert outbox_count(a.desk, "rejected") == 0
    assert a.desk.get(med2.id).status == "registered"  # the given-up action is undone here
    state = svc.run_once()
    assert state.attention == 0  # and the integrity check finds this window equal to central
    assert local_state(a.desk) == central_state(central_url, scope_of("152223"))
    rows = _rows(central_url, "SELECT action, note, detail->'change'->>'op' "
                              "FROM sync.review_resolution ORDER BY id")
    assert rows == [("retry", "中心已升级", "event"), ("discard", "数据错误，已线下核实", "event")]
    assert _audit(a.desk, "review_discard")


def test_review_items_and_resolutions_are_scoped_like_the_pull(make_window,
                                                              central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    c = make_window("152224", "01")  # another county
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    _cycle(a)
    _cycle(b)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    time.sleep(0.01)
    b.desk.act(med.id, "refuse", {"refusal_reason": "out_of_scope"})
    for w in (a, b, a, c):
        _cycle(w)
    assert [i.category for i in review.attention_items(a.desk)] == ["status_conflict"]
    assert review.attention_items(c.desk) == []  # not c's county: not even listed
    (key,) = _rows(central_url, "SELECT item_key FROM sync.review_item")[0]
    with psycopg.connect(c.creds.url, autocommit=True) as conn:
        resp = conn.execute("SELECT sync.resolve_reviews(%s)", (psycopg.types.json.Jsonb({
            "resolutions": [{"mutation_id": "forged-1", "item_kind": "status_conflict",
                             "item_key": key, "record_id": med.id, "action": "confirm",
                             "note": "越权处理"}]}),)).fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM sync.review_resolution")
    assert resp["results"][0]["status"] == "rejected"
    assert "不在本窗口的数据范围内" in resp["results"][0]["reason"]
    _cycle(a)
    assert [i.category for i in review.attention_items(a.desk)] == ["status_conflict"]
