"""S6 lost response, S10 poison mutation, S11 cloned installation, S17 authorization."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import select, update

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.desk import Desk
from xingan_desk.storage.schema import OutboxEntry
from xingan_desk.sync.client import InjectedFault, SyncClient, SyncRefused, SyncUnavailable
from xingan_desk.sync.local_schema import acked_log, sync_issue

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def _central_rows(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


# --- S6 ---------------------------------------------------------------------------------
def test_s6_lost_response_is_applied_exactly_once(make_window, central_url) -> None:
    a = make_window("152223", "02")
    for i in range(5):
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客" + "甲乙丙丁戊"[i]},
                      register_enterprise=False)
    n = outbox_count(a.desk)
    # central commits the push, the reply never reaches the local ack
    with pytest.raises(InjectedFault):
        a.client(faults={"after_push_before_ack"}).run_once()
    assert outbox_count(a.desk) == n  # nothing acked locally, nothing lost
    assert len(_central_rows(central_url, "SELECT id FROM sync.record")) == 5
    rep = a.sync()  # retry: central answers from applied_mutation
    assert rep.replayed == n and rep.accepted == n and rep.rejected == 0
    assert outbox_count(a.desk) == 0
    assert len(_central_rows(central_url, "SELECT id FROM sync.record")) == 5
    assert _central_rows(central_url, "SELECT count(*) FROM sync.applied_mutation")[0][0] == n
    changes = _central_rows(central_url, "SELECT count(*), count(DISTINCT entity_id) "
                                         "FROM sync.change_log")[0]
    assert changes == (n, n)  # one change row per mutation, none duplicated
    with a.desk.reading() as s:
        assert len(list(s.execute(select(acked_log.c.local_seq)))) == n
    assert local_state(a.desk) == central_state(central_url, scope_of("152223"))


def test_dead_network_raises_chinese_error_and_keeps_outbox(make_window) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    n = outbox_count(a.desk)
    dead = SyncClient(a.desk, "postgresql://nobody@127.0.0.1:1/x", connect_timeout=2)
    with pytest.raises(SyncUnavailable, match="无法连接中心数据库"):
        dead.run_once()
    assert outbox_count(a.desk) == n


# --- S10 --------------------------------------------------------------------------------
def test_s10_poison_mutation_rejected_and_others_applied(make_window, central_url) -> None:
    a = make_window("152223", "02")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    later, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    with a.desk.writing() as w:
        s = w.session
        ev = s.scalar(select(OutboxEntry).where(OutboxEntry.op == "event"))
        assert ev is not None
        poison_seq = ev.local_seq
        bad = {**ev.payload, "action": "settle", "to_status": "settled"}
        s.execute(update(OutboxEntry).where(OutboxEntry.local_seq == poison_seq)
                  .values(payload=bad))
    rep = a.sync()
    assert rep.rejected == 1 and rep.accepted >= 2
    assert rep.rejections[0][0] == poison_seq
    assert "非法的状态变更" in rep.rejections[0][1]
    with a.desk.reading() as s:
        row = s.get(OutboxEntry, poison_seq)
        assert row is not None and row.state == "rejected" and "调解成功" in (row.last_error or "")
        issues = list(s.execute(select(sync_issue.c.code, sync_issue.c.reason)))
    assert [i[0] for i in issues] == ["ILLEGAL_TRANSITION"]
    ids = {r[0] for r in _central_rows(central_url, "SELECT id FROM sync.record")}
    assert {med.id, later.id} <= ids
    assert _central_rows(central_url, "SELECT count(*) FROM sync.event "
                                      "WHERE record_id = %s", (med.id,))[0][0] == 0
    # no retry storm: the rejected row is not sent again
    again = a.sync()
    assert again.pushed == 0
    assert outbox_count(a.desk, "rejected") == 1


# --- S11 --------------------------------------------------------------------------------
def _clone(window, tmp_path, name: str) -> Desk:
    src = window.desk.directory
    window.desk.close()
    dst = tmp_path / name
    shutil.copytree(src, dst)
    window.desk = Desk.open(src)
    window.desk.use_account("admin")
    clone = Desk.open(dst)
    clone.use_account("admin")
    return clone


def test_s11_cloned_installation_rejected_on_other_pc(make_window, central_url,
                                                       tmp_path) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    clone = _clone(a, tmp_path, "clone")
    try:
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "原机"},
                      register_enterprise=False)
        before = outbox_count(clone)
        cloned, _ = clone.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "克隆"},
                                 register_enterprise=False)
        with pytest.raises(SyncRefused) as info:
            SyncClient(clone, a.creds.url, machine_id="another-pc").run_once()
        assert info.value.code == "CLONED_INSTALLATION"
        assert "已绑定另一台电脑" in str(info.value)
        assert a.sync().rejected == 0
        receipts = [r[0] for r in _central_rows(central_url, "SELECT receipt_no FROM sync.record")]
        assert cloned.receipt_no in receipts  # the original issued the same number …
        assert len(receipts) == len(set(receipts)) == 2  # … but only once reaches central
        rows = _central_rows(central_url, "SELECT record_id FROM sync.review_item")
        assert rows == []
        assert _central_rows(central_url, "SELECT code FROM sync.alert") == [
            ("CLONED_INSTALLATION",)]
        with clone.reading() as s:
            assert [r[0] for r in s.execute(select(sync_issue.c.code))] == [
                "CLONED_INSTALLATION"]
        assert outbox_count(clone) > before  # kept: nothing lost, an admin decides
    finally:
        clone.close()


def test_s11_clone_on_same_pc_caught_by_diverged_history(make_window, central_url,
                                                          tmp_path) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    clone = _clone(a, tmp_path, "clone2")
    try:
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "原机"},
                      register_enterprise=False)
        a.sync()
        clone.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "克隆"},
                     register_enterprise=False)
        with pytest.raises(SyncRefused) as info:
            SyncClient(clone, a.creds.url, machine_id=a.machine_id).run_once()
        assert info.value.code == "CLONED_INSTALLATION"
        assert len(_central_rows(central_url, "SELECT id FROM sync.record")) == 2
    finally:
        clone.close()


def test_stale_generation_refused(make_window, central_url) -> None:
    a = make_window("152223", "02")
    a.desk.bump_generation("测试")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    with a.desk.writing() as w:
        s = w.session
        from xingan_desk.storage.schema import Installation

        inst = s.get(Installation, 1)
        assert inst is not None
        inst.generation = 1
    a.desk.forget_identity()
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    with pytest.raises(SyncRefused) as info:
        a.sync()
    assert info.value.code == "GENERATION_STALE"


# --- S17 --------------------------------------------------------------------------------
def _forged_push(url: str, window_code: str, mutations: list[dict]) -> dict:
    req = {"protocol": 1, "window_code": window_code, "installation_id": "inst-x",
           "machine_id": "pc-x", "generation": 1, "mutations": mutations}
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT sync.push(%s)", (Jsonb(req),)).fetchone()
        assert row is not None
        return row[0]


def _create(seq: int, county: str, window: str, owner: str, rid: str) -> dict:
    hlc = f"{1780000000000 + seq:013d}-00000-{owner}"
    return {"local_seq": seq, "mutation_id": f"m-{rid}", "entity": "record", "entity_id": rid,
            "op": "create", "hlc": hlc, "payload": {
                "kind": "consultation", "id": rid, "owner": owner, "county_code": county,
                "receipt_no": f"ZX-{county}-{window}-2026-{seq:06d}-X", "created_by": "x",
                "created_at": "2026-03-02T01:00:00+00:00", "hlc": hlc,
                "values": {"started_at": "2026-03-02T01:10:00+00:00", "channel": "onsite",
                           "first_responder": "李娜", "visitor_type": "person",
                           "topics": ["policy"], "question": "如何申请专利？",
                           "handling": "answered", "visitor_name": "伪造"}}}


def test_s17_window_role_cannot_touch_tables(make_window, central_url) -> None:
    a = make_window("152223", "02")
    with psycopg.connect(a.creds.url, autocommit=True) as conn:
        for stmt in ("SELECT * FROM sync.record", "SELECT * FROM sync.client",
                     "INSERT INTO sync.change_log (stream, seq, entity, entity_id, op, payload) "
                     "VALUES ('county:152223', 999, 'record', 'x', 'upsert', '{}')",
                     "UPDATE sync.stream_head SET last_seq = 0",
                     "SELECT sync._refold('x')",
                     "SELECT sync._apply(NULL::sync.client, '{}'::jsonb)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="无权读取"):
            conn.execute("SELECT sync.pull('county:152224', 0, 10)")
        assert conn.execute("SELECT sync.pull('county:152223', 0, 10)").fetchone()


def test_s17_forged_pushes_rejected(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    other = make_window("152224", "01")
    theirs, _ = other.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    mine, _ = b.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    other.sync()
    b.sync()
    hlc = "1790000000000-00000-152223-02"
    resp = _forged_push(a.creds.url, "152223-02", [
        _create(1, "152224", "01", "152223-02", "f1"),  # other county
        _create(2, "152223", "03", "152223-03", "f2"),  # other window as owner
        _create(3, "152223", "03", "152223-02", "f3"),  # other window's receipt numbers
        {"local_seq": 4, "mutation_id": "m4", "entity": "event", "entity_id": "e4",
         "op": "event", "hlc": hlc, "payload": {
             "record_id": theirs.id, "id": "e4", "action": "accept", "from_status": "registered",
             "to_status": "accepted", "owner": "152223-02", "hlc": hlc}},  # other county's case
        {"local_seq": 5, "mutation_id": "m5", "entity": "record", "entity_id": mine.id,
         "op": "update", "hlc": hlc, "payload": {"values": {"answer": "改写"}, "hlc": hlc}},
        {"local_seq": 6, "mutation_id": "m6", "entity": "record", "entity_id": mine.id,
         "op": "void", "hlc": hlc, "payload": {"reason": "x", "hlc": hlc}},
        _create(7, "152223", "02", "152223-02", "ok7"),  # legitimate
    ])
    assert resp["status"] == "ok"
    codes = [(r["local_seq"], r["status"], r["code"]) for r in resp["results"]]
    assert codes == [
        (1, "rejected", "OUT_OF_COUNTY"), (2, "rejected", "NOT_OWNER"),
        (3, "rejected", "BAD_RECEIPT_NO"), (4, "rejected", "OUT_OF_COUNTY"),
        (5, "rejected", "NOT_OWNER"), (6, "rejected", "NOT_OWNER"), (7, "accepted", None)]
    assert all(r["reason"] for r in resp["results"][:6])
    # the forged push did not change anybody else's data
    b.sync()
    other.sync()
    assert local_state(b.desk) == central_state(central_url, scope_of("152223"))
    assert local_state(other.desk) == central_state(central_url, scope_of("152224"))
    assert b.desk.get(mine.id).values["answer"] == GOOD_CONSULTATION["answer"]
    # window_code in the request must match the role
    resp = _forged_push(a.creds.url, "152223-03", [])
    assert resp["code"] == "WRONG_WINDOW"


def test_upgrade_required_keeps_outbox(make_window, central_url) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    with psycopg.connect(central_url) as conn:
        conn.execute("UPDATE sync.config SET value = '{\"min\": 2, \"max\": 2}' "
                     "WHERE key = 'protocol'")
    n = outbox_count(a.desk)
    with pytest.raises(SyncRefused) as info:
        a.sync()
    assert info.value.code == "UPGRADE_REQUIRED" and "升级" in str(info.value)
    assert outbox_count(a.desk) == n
