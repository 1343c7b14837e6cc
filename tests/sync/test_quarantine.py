"""Defensive pull (issue 9 item 3): a row a window cannot apply is quarantined and listed in
需处理事项 while the rest of the stream goes on; the owner's correction clears it. Version
negotiation: a window older than central requires stops with a Chinese message. A NUL in a
value is refused before upload. The bad rows are written into central as the superuser,
as a hostile or buggy peer that got past central would leave them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, get_type_hints

import psycopg
import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION
from xingan_desk import hlc as hlc_mod
from xingan_desk.storage.rows import ENVELOPE_COLUMNS, PendingRecord
from xingan_desk.storage.schema import OutboxEntry, Record, record_table
from xingan_desk.sync import review
from xingan_desk.sync.client import SyncRefused
from xingan_desk.sync.local_schema import sync_issue
from xingan_desk.sync.service import SyncService

pytestmark = pytest.mark.pg

STREAM = "county:152223"


def _snapshot(url: str, rid: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT sync._snapshot(%s)", (rid,)).fetchone()
    assert row is not None
    return dict(row[0])


def _inject(url: str, entity: str, entity_id: str, payload: dict[str, Any],
            event_row: bool = False) -> None:
    """Append a change to the stream as the superuser (and, for an event, its central row)."""
    with psycopg.connect(url, autocommit=True) as conn:
        seq = conn.execute("UPDATE sync.stream_head SET last_seq = last_seq + 1 "
                           "WHERE stream = %s RETURNING last_seq", (STREAM,)).fetchone()[0]
        conn.execute("INSERT INTO sync.change_log (stream, seq, entity, entity_id, op, payload) "
                     "VALUES (%s, %s, %s, %s, 'upsert', %s)",
                     (STREAM, seq, entity, entity_id, Jsonb(payload)))
        if event_row:
            conn.execute(
                "INSERT INTO sync.event (id, record_id, action, from_status, to_status, "
                "payload, hlc, actor, owner, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, "
                "%s, %s, %s)",
                (payload["id"], payload["record_id"], payload["action"], payload["from_status"],
                 payload["to_status"], Jsonb(payload["payload"]), payload["hlc"],
                 payload["actor"], payload["owner"], payload["created_at"]))


def _stamp() -> str:
    return str(hlc_mod.HLC(hlc_mod.now_millis(), 0, "152223-02"))


def _quarantine_items(desk: Any) -> list[review.AttentionItem]:
    return [i for i in review.attention_items(desk) if i.category == "quarantine"]


def _record(desk: Any, rid: str) -> dict[str, Any]:
    with desk.reading() as s:
        found = s.scalar(select(Record.id).where(Record.id == rid))
    return {} if found is None else dict(desk.get(rid).values)


def test_bad_rows_are_quarantined_the_rest_syncs_and_a_correction_clears(
        make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    x, _ = a.desk.create("consultation", {**GOOD_CONSULTATION, "followup_date": "2026-03-09"},
                         register_enterprise=False)
    y, _ = a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "赵敏"},
                         register_enterprise=False)
    a.sync()
    b.sync()
    assert _record(b.desk, x.id)["followup_date"] == dt.date(2026, 3, 9)

    # an impossible date in a's record (issue 9, attack 2)
    bad = _snapshot(central_url, x.id)
    stamp = _stamp()
    bad["values"]["followup_date"] = "2023-02-30"
    bad["field_hlc"]["followup_date"] = stamp
    bad["hlc"] = stamp
    _inject(central_url, "record", x.id, bad)
    # a field a newer release declares
    newer = _snapshot(central_url, y.id)
    newer["values"]["shoe_size"] = 42
    newer["field_hlc"]["shoe_size"] = _stamp()
    _inject(central_url, "record", y.id, newer)
    # a kind this release does not know
    unknown = {**_snapshot(central_url, y.id), "kind": "patent_pool",
               "id": "01900000-0000-7000-8000-000000000001", "receipt_no": "XX-1"}
    _inject(central_url, "record", unknown["id"], unknown)
    # a status event whose payload carries form fields (attack 3), in central's table too
    event = {"id": "01900000-0000-7000-8000-000000000002", "record_id": x.id,
             "action": "follow_up", "from_status": x.status, "to_status": x.status,
             "payload": {"followup_result": "已回访", "visitor_name": "冒名顶替"},
             "hlc": _stamp(), "actor": "intruder", "owner": "152223-02",
             "created_at": dt.datetime.now(dt.UTC).isoformat(), "kind": "consultation"}
    _inject(central_url, "event", event["id"], event, event_row=True)
    # an entity this release does not know
    _inject(central_url, "attachment", "a1", {"id": "a1", "hlc": _stamp()})
    # … and a good record after them all
    z, _ = a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "钱伟"},
                         register_enterprise=False)
    a.sync()

    rep = b.sync()  # no exception: the League's sync goes on
    assert rep.quarantined == 5
    assert _record(b.desk, z.id)["visitor_name"] == "钱伟"
    cursor, head = rep.streams[STREAM]
    assert cursor == head
    assert _record(b.desk, x.id)["followup_date"] == dt.date(2026, 3, 9)  # not applied
    assert _record(b.desk, x.id)["visitor_name"] == GOOD_CONSULTATION["visitor_name"]
    items = _quarantine_items(b.desk)
    assert len(items) == 5
    assert all(i.title.startswith("收到无法接收的数据") and i.actions == ("confirm",)
               for i in items)
    reasons = " ".join(i.summary for i in items)
    assert "回访日期" in reasons or "followup" not in reasons
    assert "2023-02-30" not in reasons and "冒名顶替" not in reasons  # no values repeated
    assert "请升级本程序" in reasons
    assert b.sync().quarantined == 0  # kept once, not per run
    assert len(_quarantine_items(b.desk)) == 5

    # a supervisor acknowledges one
    b.desk.add_user("zhuguan", "主管", "supervisor", "Zhuguan#2026")
    b.desk.use_account("zhuguan")
    other = next(i for i in items if "不认识的变更类型" in i.summary)
    review.resolve(b.desk, other, "confirm")
    assert len(_quarantine_items(b.desk)) == 4
    b.desk.use_account("admin")

    # the owner's correction clears what it supersedes
    a.desk.update(x.id, {"followup_date": "2026-03-20"}, a.desk.get(x.id).version)
    a.sync()
    b.sync()
    assert _record(b.desk, x.id)["followup_date"] == dt.date(2026, 3, 20)
    left = _quarantine_items(b.desk)
    assert len(left) == 3
    assert not any(i.record_id == x.id and "回访日期" in i.summary for i in left)


def test_too_old_window_stops_with_upgrade_message(make_window, central_url) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    with psycopg.connect(central_url, autocommit=True) as conn:
        conn.execute("""UPDATE sync.config SET value = '{"min": 99, "max": 99}'
                        WHERE key = 'protocol'""")
    with pytest.raises(SyncRefused, match="升级本程序") as info:
        a.sync()
    assert info.value.code == "UPGRADE_REQUIRED"
    assert a.desk.pending_outbox() > 0  # nothing sent, nothing lost
    state = SyncService(a.desk, url=a.creds.url,
                        client_options={"machine_id": a.machine_id}).run_once()
    assert state.error_kind == "upgrade" and "升级本程序" in state.error
    with a.desk.reading() as s:
        codes = [r[0] for r in s.execute(select(sync_issue.c.code))]
    assert codes == ["UPGRADE_REQUIRED"]  # listed once
    assert any(i.title == "需要升级本程序" for i in review.attention_items(a.desk))


def test_nul_in_a_value_is_refused_before_upload(make_window, central_url) -> None:
    a = make_window("152223", "02")
    # the form refuses a NUL; an outbox row written by an older release may still hold one
    held, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    with a.desk.writing() as w:
        row = w.session.scalar(select(OutboxEntry).where(OutboxEntry.entity_id == held.id))
        assert row is not None
        row.payload = {**row.payload, "values": {**row.payload["values"],
                                                 "answer": "可\x00以"}}
    good, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    rep = a.sync()
    assert rep.accepted >= 1
    assert sum("空字符" in reason for _, reason in rep.rejections) == 1
    with psycopg.connect(central_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM sync.record")]
    assert ids == [good.id]
    item = next(i for i in review.attention_items(a.desk) if i.category == "refused")
    assert "空字符" in item.summary and "\x00" not in item.summary


def test_one_definition_of_the_record_envelope() -> None:
    columns = tuple(c.name for c in record_table.columns if c.name != "pk")
    assert set(ENVELOPE_COLUMNS) == set(columns)
    assert set(get_type_hints(PendingRecord)) == set(columns)
    assert [f.name for f in dataclasses.fields(PendingRecord)] == list(ENVELOPE_COLUMNS)
