"""Issue 10, store size once synced: acknowledged creates and events keep no payload (it is
rebuilt from the record, its events and its create audit when central needs it again), and
audit entries are stored compactly — without losing anything the audit shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.audit_text import describe
from xingan_desk.bulk import BulkAction, BulkRow
from xingan_desk.desk import Desk
from xingan_desk.records.kinds import KINDS
from xingan_desk.storage.schema import AUDIT_GUARDS, AuditEntry, OutboxEntry, acked_log
from xingan_desk.storage.types import decode_audit_changes, encode_audit_changes
from xingan_desk.sync import acked
from xingan_desk.sync.report import SyncReport
from xingan_desk.timeutil import CST
from xingan_desk.views import Query


def _outbox(desk: Desk) -> list[tuple[Any, ...]]:
    with desk.reading() as s:
        return [(o.local_seq, o.mutation_id, o.entity, o.entity_id, o.op, o.payload, o.hlc)
                for o in s.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq))]


def _ack_all(desk: Desk) -> None:
    """Every outbox row acknowledged, as sync.push's ack moves them."""
    with desk.engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO acked_log(local_seq, mutation_id, entity, entity_id, op, payload, hlc, "
            "status, acked_at) SELECT local_seq, mutation_id, entity, entity_id, op, payload, "
            "hlc, 'accepted', datetime('now') FROM outbox")
        c.exec_driver_sql("DELETE FROM outbox")


def _audit_lines(desk: Desk) -> list[str]:
    """Every audit entry as the record history and the audit screen show it."""
    lines = []
    for a in sorted(desk.audit_trail(10_000), key=lambda a: a.id):
        kind = next((k for k in KINDS.values()
                     if a.receipt_no and a.receipt_no.startswith(k.number_prefix)), None)
        lines.append(describe(a, kind) + repr(dict(a.changes)))
    return lines


def _fill(desk: Desk) -> None:
    """Creates (one registering an enterprise), events, an update, a void, a historical
    import whose times carry China time."""
    desk.create("consultation", GOOD_CONSULTATION)  # registers the enterprise on the way
    med, _ = desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"})
    other, _ = desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "赵敏",
                                            "enterprise_uscc": None}, register_enterprise=False)
    desk.update(other.id, {"visitor_phone": "0482-6012345"}, other.version)
    gone, _ = desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "钱红"},
                          register_enterprise=False)
    desk.void(gone.id, "重复登记")
    at = dt.datetime(2023, 5, 9, 15, 0, tzinfo=CST)
    result = desk.create_many("mediation", [BulkRow(
        {**GOOD_MEDIATION, "applied_on": "2023-05-06"}, created_at=at,
        actions=(BulkAction("accept", {"accepted_on": "2023-05-09", "mediator": "赵敏"},
                            at=at),))], register_enterprise=False)
    assert result.count == 1 and not result.errors


def test_acknowledged_payloads_are_compacted_and_pushed_again_unchanged(desk: Desk) -> None:
    _fill(desk)
    pushed = _outbox(desk)
    shown = _audit_lines(desk)
    _ack_all(desk)

    n = acked.compact(desk)

    with desk.reading() as s:
        kept = {r[0]: r[1] for r in s.execute(select(acked_log.c.local_seq, acked_log.c.payload))}
    compacted = {seq for seq, p in kept.items() if p is None}
    creates_events = {row[0] for row in pushed if row[4] in ("create", "event")}
    registered = {row[0] for row in pushed
                  if row[4] == "create" and row[5]["kind"] == "enterprise"}
    assert compacted == creates_events - registered  # its audit lists no values: kept
    assert n == len(compacted) and n >= 6
    assert all(kept[row[0]] == row[5] for row in pushed if row[0] not in compacted)
    assert acked.compact(desk) == 0  # nothing new: nothing read again
    assert _audit_lines(desk) == shown

    # central restored from a backup that has none of it: everything goes back, as it was
    report = SyncReport()
    acked.requeue_lost(desk, {"last_local_seq": 0}, report)
    assert report.requeued == len(pushed)
    again = _outbox(desk)
    assert [(*r[:5], r[6]) for r in again] == [(*r[:5], r[6]) for r in pushed]
    for (_, _, _, _, _, new, _), (_, _, _, _, _, old, _) in zip(again, pushed, strict=True):
        if new != old:  # the historical event's time, given back in UTC: the same instant
            assert dt.datetime.fromisoformat(new.pop("created_at")) == \
                dt.datetime.fromisoformat(old.pop("created_at"))
        assert new == old


def test_a_changed_source_keeps_the_payload(desk: Desk) -> None:
    """Compaction compares first: a payload the store could not give back is kept."""
    med, _ = desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    _ack_all(desk)
    with desk.engine.begin() as c:  # e.g. a row written by an older release
        c.exec_driver_sql("UPDATE record SET created_by = 'someone' WHERE id = ?", (med.id,))
    assert acked.compact(desk) == 0
    with desk.reading() as s:
        assert s.scalar(select(acked_log.c.payload)) is not None


def test_audit_changes_round_trip_and_old_rows_read_as_before(desk: Desk) -> None:
    for changes in ({}, {"status": ["已登记", "已受理"], "mediator": [None, "赵敏"]},
                    {"=odd": [None, 1], "x": [None, None], "y": 5, "z": [1], "w": [None, [{}]]},
                    {"note": [None, "长" * 2000]}):
        stored = encode_audit_changes(changes)
        back = decode_audit_changes(stored)
        assert back == changes and list(back or {}) == list(changes)
    _fill(desk)
    shown = _audit_lines(desk)
    with desk.reading() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_log WHERE typeof(changes) = 'blob'"))
    # the same entries as an older release stored them (plain JSON text) read the same
    with desk.reading() as s:
        rows = [(a.id, a.changes) for a in s.scalars(select(AuditEntry))]
    with desk.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        for id_, changes in rows:
            c.exec_driver_sql("UPDATE audit_log SET changes = ? WHERE id = ?",
                              (__import__("json").dumps(changes, ensure_ascii=False), id_))
    assert _audit_lines(desk) == shown


def test_migration_0012_packs_an_old_stores_rows_and_shows_the_same(desk: Desk) -> None:
    import json

    from alembic import command
    from alembic.config import Config

    from xingan_desk.storage import db as dbmod
    from xingan_desk.storage.schema import Record

    _fill(desk)
    _ack_all(desk)
    with desk.reading() as s:
        acked_rows = list(s.execute(select(acked_log)))
        stamps = {r.id: r.field_hlc for r in s.scalars(select(Record))}
        # as release 0011 wrote them: a create's entry left empty values out
        audit = [(a.id, {k: v for k, v in a.changes.items()
                         if a.action != "create" or v[1] not in ("", [])})
                 for a in s.scalars(select(AuditEntry))]
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(dbmod.__file__).parent / "migrations"))
    with dbmod.writer(desk.engine).begin() as conn:  # the store as the release before left it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")  # the release before 0012
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        for id_, changes in audit:
            conn.exec_driver_sql("UPDATE audit_log SET changes = ? WHERE id = ?",
                                 (json.dumps(changes, ensure_ascii=False), id_))
        for rid, fh in stamps.items():
            conn.exec_driver_sql("UPDATE record SET field_hlc = ? WHERE id = ?",
                                 (json.dumps(fh), rid))
        conn.exec_driver_sql(AUDIT_GUARDS[0])
    shown = _audit_lines(desk)  # the old store's entries, as its screens show them

    dbmod.migrate(desk.engine, desk.path, desk.path.parent / "backups",
                  dbmod.current_key(desk.path))

    with desk.reading() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_log WHERE typeof(changes) = 'text' "
                             "AND changes != '{}'")) == 0
        assert s.scalar(text("SELECT count(*) FROM record WHERE typeof(field_hlc) = 'text'")) == 0
        assert {r.id: r.field_hlc for r in s.scalars(select(Record))} == stamps
        assert list(s.execute(select(acked_log))) == acked_rows
    # the next sync cycle compacts what was acknowledged (all but the enterprise registered
    # on the way, whose entry lists no values)
    assert acked.compact(desk) == sum(
        1 for r in acked_rows if r.op == "event"
        or (r.op == "create" and r.payload["kind"] != "enterprise"))
    assert _audit_lines(desk) == shown
    # the search index, now without a stored copy of its tokens, finds what it found
    ids = set(desk.find_ids(Query(kind="consultation", text="赵敏")))
    assert len(ids) == 1
    rid = next(iter(ids))
    rec = desk.get(rid)
    desk.update(rid, {"visitor_name": "周洋"}, rec.version)  # the old row is deleted by rowid
    assert desk.find_ids(Query(kind="consultation", text="赵敏")) == []
    assert desk.find_ids(Query(kind="consultation", text="周洋")) == [rid]
    with desk.engine.begin() as c:
        c.exec_driver_sql("INSERT INTO record_search(record_search) VALUES ('integrity-check')")
        assert c.exec_driver_sql("SELECT count(*) FROM record_search").scalar() == \
            c.exec_driver_sql("SELECT count(*) FROM record").scalar()
    with desk.engine.begin() as c, pytest.raises(Exception, match="append-only"):
        c.exec_driver_sql("UPDATE audit_log SET detail = 'x'")
    assert desk.accounts.recent_login_failures("admin") == 0  # the lock-out's lookups work


def test_migration_0016_turns_old_times_and_ids_compact_and_shows_the_same(desk: Desk) -> None:
    from alembic import command
    from alembic.config import Config

    from xingan_desk.storage import db as dbmod
    from xingan_desk.storage.schema import Record

    _fill(desk)
    pushed = _outbox(desk)
    _ack_all(desk)
    assert acked.compact(desk) >= 6
    with desk.reading() as s:
        acked_rows = list(s.execute(select(acked_log).order_by(acked_log.c.local_seq)))
        ids = list(s.scalars(select(Record.id)))
        counts = s.execute(text(
            "SELECT typeof(at), typeof(record_id), count(*) FROM audit_log GROUP BY 1, 2")).all()
    # new entries: integer times, 16-byte record ids (none left as text but the unset ones)
    assert {(t, r) for t, r, _ in counts} <= {("integer", "blob"), ("integer", "null")}
    histories = {rid: desk.history(rid) for rid in ids}  # events and audit entries
    assert all(audit for _, audit in histories.values())
    assert any(events for events, _ in histories.values())
    shown = _audit_lines(desk)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(dbmod.__file__).parent / "migrations"))
    with dbmod.writer(desk.engine).begin() as conn:  # the store as the release before left it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")  # the release before 0016
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE typeof(at) != 'text' OR "
            "typeof(record_id) = 'blob'").scalar() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM acked_log WHERE typeof(acked_at) != 'text' OR "
            "(op = 'create' AND typeof(entity_id) = 'blob')").scalar() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM record_event WHERE typeof(id) != 'text'").scalar() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM acked_log WHERE typeof(hlc) = 'blob'").scalar() == 0
    assert _audit_lines(desk) == shown  # the older form reads the same
    assert {rid: desk.history(rid)[0] for rid in ids} == {
        rid: events for rid, (events, _) in histories.items()}

    dbmod.migrate(desk.engine, desk.path, desk.path.parent / "backups",
                  dbmod.current_key(desk.path))

    with desk.reading() as s:
        assert s.execute(text(
            "SELECT typeof(at), typeof(record_id), count(*) FROM audit_log GROUP BY 1, 2")
        ).all() == counts
        assert s.scalar(text("SELECT count(*) FROM acked_log WHERE typeof(acked_at) != "
                             "'integer' OR (payload = 'null' AND typeof(entity_id) != 'blob')")) == 0
        assert list(s.execute(select(acked_log).order_by(acked_log.c.local_seq))) == acked_rows
        assert s.scalar(text("SELECT count(*) FROM record_event WHERE typeof(id) != 'blob'")) == 0
        assert s.execute(text("SELECT DISTINCT typeof(hlc) FROM acked_log WHERE op = 'create' "
                              "AND payload = 'null'")).all() == [("blob",)]
    assert _audit_lines(desk) == shown
    assert {rid: desk.history(rid) for rid in ids} == histories  # found by record id
    with desk.engine.begin() as c, pytest.raises(Exception, match="append-only"):
        c.exec_driver_sql("UPDATE audit_log SET detail = 'x'")
    assert desk.accounts.recent_login_failures("admin") == 0  # the lock-out's lookups work
    # central restored from a backup without any of it: everything goes back, as it was
    report = SyncReport()
    acked.requeue_lost(desk, {"last_local_seq": 0}, report)
    assert report.requeued == len(pushed)
    assert [(*r[:5], r[6]) for r in _outbox(desk)] == [(*r[:5], r[6]) for r in pushed]


def test_shrink_gives_the_freed_pages_back(desk: Desk) -> None:
    desk.create_many("mediation", [{**GOOD_MEDIATION, "facts": f"第{i}号纠纷。" + "事实" * 60}
                                   for i in range(300)], register_enterprise=False)
    _ack_all(desk)
    assert acked.compact(desk) == 300
    before, after = desk.maintenance.shrink()
    assert after < before
    assert _audit_lines(desk)[-1].split("　")[2].startswith("压缩数据文件")


def test_a_create_is_rebuilt_as_it_was_after_the_record_moved_county(tmp_path: Path) -> None:
    from tests.conftest import ADMIN_PASSWORD

    league = Desk.initialise(tmp_path / "league", "152200", "01", admin_password=ADMIN_PASSWORD)
    league.use_account("admin")
    try:
        rec, _ = league.create("enterprise", {"uscc": "93152223MA0R5K6L3R",
                                              "name": "扎赉特旗合作社", "county_code": "152221"})
        pushed = _outbox(league)
        _ack_all(league)
        assert acked.compact(league) == 1
        moved, _ = league.update(rec.id, {"county_code": "152222"}, rec.version)
        assert moved.county_code == "152222"
        report = SyncReport()
        acked.requeue_lost(league, {"last_local_seq": 0}, report)
        assert _outbox(league)[0] == pushed[0]  # the create as pushed: in 152221
    finally:
        league.close()
