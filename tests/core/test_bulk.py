"""The bulk path (Desk.create_many): the same rows a save writes, history kept, per-row errors,
idempotent re-import by source key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.bulk import BulkAction, BulkRow
from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.timeutil import CST
from xingan_desk.views import Query


def _rows(desk: Desk, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with desk.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(sql), params)]


def _tables(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """What a create leaves in every table, without ids, stamps and times."""
    return {
        "record": _rows(desk, "SELECT kind, receipt_no, status, owner, county_code, created_by,"
                              " row_version, title, search_text, enterprise_uscc, due_date"
                              " FROM record ORDER BY pk"),
        "detail": [r[1:] for r in _rows(desk, "SELECT * FROM consultation_detail ORDER BY rowid")],
        "event": _rows(desk, "SELECT action, from_status, to_status, payload, actor, applied"
                             " FROM record_event ORDER BY rowid"),
        "outbox": [(e, o, _strip(p)) for e, o, p in _rows(
            desk, "SELECT entity, op, payload FROM outbox ORDER BY local_seq")],
        "audit": _rows(desk, "SELECT action, username, kind, receipt_no, changes, detail"
                             " FROM audit_log WHERE action != 'init' ORDER BY id"),
        "search": _rows(desk, "SELECT rowid, tokens FROM record_search ORDER BY rowid"),
    }


def _strip(payload: str) -> str:
    import json

    p = json.loads(payload)
    for k in ("id", "record_id", "hlc", "created_at"):
        p.pop(k, None)
    return json.dumps(p, sort_keys=True, ensure_ascii=False)


def _second_desk(tmp_path: Any, name: str) -> Desk:
    from tests.conftest import ADMIN_PASSWORD

    d = Desk.initialise(tmp_path / name, "152223", "02", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    return d


def test_bulk_rows_are_the_rows_a_save_writes(tmp_path: Any) -> None:
    one, many = _second_desk(tmp_path, "one"), _second_desk(tmp_path, "many")
    rows = [GOOD_CONSULTATION,
            {**GOOD_CONSULTATION, "enterprise_uscc": None, "handling": "referred",
             "referred_to": "盟市场监管局", "visitor_name": "赵敏"}]
    try:
        for row in rows:
            one.create("consultation", row)
        result = many.create_many("consultation", rows)
        assert result.count == 2 and not result.errors
        a, b = _tables(one), _tables(many)
        for table in a:
            assert a[table] == b[table], table
    finally:
        one.close()
        many.close()


def test_historical_rows_keep_their_dates_status_and_note(desk: Desk) -> None:
    registered = dt.datetime(2023, 5, 6, 9, 30)  # China time, as a ledger holds it
    closed = dt.datetime(2023, 5, 9, 15, 0, tzinfo=CST)
    med_day = dt.date(2023, 6, 1)
    result = desk.create_many("consultation", [
        BulkRow({**GOOD_CONSULTATION, "handling": "referred", "referred_to": "盟市场监管局",
                 "started_at": "2023-05-06 09:30", "enterprise_uscc": None},
                created_at=registered, actions=(BulkAction("close", at=closed),),
                source_key="台账2023:17"),
    ], note="从 咨询台账2023.xlsx 导入")
    assert result.count == 1
    rec = desk.get(result.created[0][1])
    assert rec.status == "closed"
    assert rec.created_at == registered.replace(tzinfo=CST).astimezone(dt.UTC)
    events, audit = desk.history(rec.id)
    assert [(e.action, e.created_at) for e in events] == [
        ("refer", registered.replace(tzinfo=CST).astimezone(dt.UTC)),
        ("close", closed.astimezone(dt.UTC))]
    create = [a for a in audit if a.action == "create"]
    assert create and create[0].detail == "从 咨询台账2023.xlsx 导入"
    assert create[0].username == "admin"

    # an accepted mediation keeps its acceptance date and gets its derived deadlines
    med = desk.create_many("mediation", [BulkRow(
        {**GOOD_MEDIATION, "applied_on": med_day},
        created_at=dt.datetime(2023, 6, 1, 10, 0),
        actions=(BulkAction("accept", {"accepted_on": dt.date(2023, 6, 2), "mediator": "赵敏"},
                            at=dt.datetime(2023, 6, 2, 10, 0)),))])
    view = desk.get(med.created[0][1])
    assert view.status == "accepted"
    assert view.values["accepted_on"] == dt.date(2023, 6, 2)
    assert view.values["finish_by"] is not None


def test_reimport_skips_what_is_in_by_source_key(desk: Desk) -> None:
    rows = [BulkRow({**GOOD_CONSULTATION, "visitor_name": name, "enterprise_uscc": None},
                    source_key=f"k{i}") for i, name in enumerate(("王芳", "李强", "赵敏"))]
    first = desk.create_many("consultation", rows[:2])
    assert first.count == 2
    again = desk.create_many("consultation", rows)
    assert again.count == 1 and again.created[0][0] == 3
    assert [(r, why) for r, _, why in again.skipped] == [(1, "source_key"), (2, "source_key")]
    assert desk.imported_sources("consultation", ["k0", "k2", "x"]).keys() == {"k0", "k2"}
    assert desk.count(Query(kind="consultation")) == 3


def test_bad_rows_are_reported_by_number_and_never_half_written(desk: Desk) -> None:
    rows = [
        BulkRow({**GOOD_CONSULTATION, "visitor_name": "王芳"}, row_no=5),
        BulkRow({**GOOD_CONSULTATION, "visitor_phone": "1381234567",  # bad phone
                 "enterprise_uscc": "91152201MA0N1235XJ", "enterprise_name": "不该进库有限公司"},
                row_no=6),
        BulkRow({**GOOD_CONSULTATION, "handling": "answered", "visitor_name": "李强"},
                actions=(BulkAction("follow_up", {}),), row_no=7),  # needs its result
    ]
    result = desk.create_many("consultation", rows, on_error="collect")
    assert [r for r, _, _ in result.created] == [5]
    assert [r for r, _ in result.errors] == [6, 7]
    assert "visitor_phone" in result.errors[0][1]
    assert "followup_result" in result.errors[1][1]
    # the refused row's enterprise did not reach the registry, its number was not used
    assert desk.enterprise_by_uscc("91152201MA0N1235XJ") is None
    assert desk.count(Query(kind="consultation")) == 1

    with pytest.raises(ValidationFailed) as exc:
        desk.create_many("consultation", rows)
    assert any(m.startswith("第6行") for m in exc.value.errors.values())
    assert desk.count(Query(kind="consultation")) == 1  # that batch wrote nothing


def test_duplicates_and_dry_run(desk: Desk) -> None:
    ent = {"uscc": "91152201MA0N12340P", "name": "兴安新材料有限公司", "county_code": "152201"}
    assert desk.create_many("enterprise", [ent]).count == 1
    with pytest.raises(ValidationFailed):
        desk.create_many("enterprise", [ent])
    skipped = desk.create_many("enterprise", [ent], skip_duplicates=True)
    assert skipped.count == 0 and skipped.skipped[0][2] == "duplicate"
    other = {**ent, "uscc": "91152201MA0N1235XJ", "name": "兴安另一家有限公司"}
    dry = desk.create_many("enterprise", [other, other], dry_run=True, on_error="collect")
    assert dry.count == 1 and [r for r, _ in dry.errors] == [2]  # the same code twice
    assert desk.count(Query(kind="enterprise")) == 1


def test_progress_can_cancel_between_batches(desk: Desk) -> None:
    rows = [{**GOOD_CONSULTATION, "enterprise_uscc": None, "visitor_name": "王芳"}] * 5
    seen: list[int] = []
    result = desk.create_many("consultation", rows, batch_rows=2,
                              progress=lambda n: seen.append(n) or n < 4)
    assert seen == [2, 4] and result.cancelled and result.count == 4


def test_field_stamps_are_stored_grouped_and_read_back_per_field(desk: Desk) -> None:
    import json

    from xingan_desk.storage.schema import Record
    from xingan_desk.storage.types import unpack_json

    rec, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    raw = _rows(desk, "SELECT field_hlc, hlc FROM record WHERE id = :i", i=rec.id)[0]
    stored = unpack_json(raw[0])  # packed: deflated JSON
    assert list(stored) == ["~"] and len(stored["~"]) == 1  # one creation stamp
    with desk.reading() as s:
        stamps = s.get(Record, _rows(desk, "SELECT pk FROM record WHERE id = :i",
                                     i=rec.id)[0][0]).field_hlc
    assert stamps["visitor_name"] == stamps["question"] and len(stamps) > 5
    # a row stored before (one stamp per field) reads as it is
    with desk.engine.begin() as c:
        c.execute(text("UPDATE record SET field_hlc = :f WHERE id = :i"),
                  {"f": json.dumps({"question": "x-1"}), "i": rec.id})
    with desk.reading() as s:
        old = s.scalar(Record.__table__.select().with_only_columns(Record.field_hlc)
                       .where(Record.id == rec.id))
    assert old == {"question": "x-1"}
