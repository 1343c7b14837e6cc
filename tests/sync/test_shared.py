"""Shared reference data (RecordKind.shared_edit): the enterprise registry is kept up to date
by the League hall and the company's county alike (SCENARIOS.md §4); another county may not
edit it, locally or at central."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from xingan_desk.errors import PermissionDenied, ValidationFailed
from xingan_desk.sync.review import attention_items
from xingan_desk.sync.service import review_step

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg

COMPANY = {"uscc": "93152223MA0R5K6L3R", "name": "扎赉特旗丰收农机制造有限公司",
           "county_code": "152223", "contact_name": "王芳", "contact_phone": "0482-6012345"}
OLD_PHONE, HALL_PHONE, COUNTY_PHONE = "0482-6012345", "13904821234", "13604827788"
NOTE = "2026-03-02 电话回访：计划申请两件发明专利，需要预审备案指导"


def _rows(url: str, q: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(q, params).fetchall()


def _edit(w: Any, rid: str, values: dict[str, Any]) -> None:
    rec = w.desk.get(rid)
    w.desk.update(rid, values, rec.version)


def _setup(make_window: Any, owner: str) -> tuple[Any, Any, str]:
    """The League hall (152200-01) and 扎赉特旗 (152223-02) both hold the company, registered
    by `owner` ("county" or "hall")."""
    hall = make_window("152200", "01", role="supervisor")
    county = make_window("152223", "02", role="supervisor")
    reg = county if owner == "county" else hall
    ent, _ = reg.desk.create("enterprise", COMPANY)
    reg.sync()
    (hall if reg is county else county).sync()
    return hall, county, ent.id


def _converged(central_url: str, *windows: Any) -> None:
    for w in windows:
        assert outbox_count(w.desk) == 0
        assert local_state(w.desk) == central_state(
            central_url, scope_of(w.desk.identity.county_code))


@pytest.mark.parametrize("owner", ["county", "hall"])
def test_scenario_4_phone_at_the_hall_and_note_offline_at_the_county_both_kept(
        make_window: Any, central_url: str, owner: str) -> None:
    hall, county, rid = _setup(make_window, owner)
    assert hall.desk.can_edit(hall.desk.get(rid)) and county.desk.can_edit(county.desk.get(rid))
    _edit(hall, rid, {"contact_phone": HALL_PHONE})
    hall.sync()
    _edit(county, rid, {"notes": NOTE})  # offline: it has not seen the new phone
    assert county.desk.get(rid).values["contact_phone"] == OLD_PHONE
    rep = county.sync()
    assert rep.rejected == 0 and rep.conflicts == 0
    hall.sync()
    for w in (hall, county):
        values = w.desk.get(rid).values
        assert (values["contact_phone"], values["notes"]) == (HALL_PHONE, NOTE)
    doc = _rows(central_url, "SELECT doc FROM sync.record WHERE id = %s", (rid,))[0][0]
    assert (doc["contact_phone"], doc["notes"]) == (HALL_PHONE, NOTE)
    assert _rows(central_url, "SELECT count(*) FROM sync.review_item")[0][0] == 0
    _converged(central_url, hall, county)


@pytest.mark.parametrize("later", ["county", "hall"])
def test_same_field_later_edit_wins_everywhere_and_the_other_is_listed_once(
        make_window: Any, central_url: str, later: str) -> None:
    hall, county, rid = _setup(make_window, "county")
    first, second = (hall, county) if later == "county" else (county, hall)
    first_phone, second_phone = ((HALL_PHONE, COUNTY_PHONE) if later == "county"
                                 else (COUNTY_PHONE, HALL_PHONE))
    _edit(first, rid, {"contact_phone": first_phone})
    time.sleep(0.01)
    _edit(second, rid, {"contact_phone": second_phone})  # neither has seen the other's edit
    hall.sync()  # the hall is online first; 扎赉特旗 comes back later
    county.sync()
    hall.sync()
    for _ in range(2):  # more cycles change nothing and list nothing twice
        county.sync()
        hall.sync()
    for w in (hall, county):
        assert w.desk.get(rid).values["contact_phone"] == second_phone
    assert _rows(central_url, "SELECT doc->>'contact_phone' FROM sync.record WHERE id = %s",
                 (rid,)) == [(second_phone,)]
    log = _rows(central_url, "SELECT field, kept_value, lost_value FROM sync.conflict_log")
    assert log == [("contact_phone", second_phone, first_phone)]
    _converged(central_url, hall, county)
    # a supervisor at either window sees the losing value once, and can keep or restore it
    for w in (hall, county):
        w.desk.use_account("supervisor" + w.desk.identity.window_no)
        assert review_step(w.desk, w.client()) == ""
        items = [i for i in attention_items(w.desk) if i.category == "field_conflict"]
        assert len(items) == 1, items
        item = items[0]
        assert item.record_id == rid and item.field == "contact_phone"
        assert item.lost_value == first_phone
        assert dict(item.lines)["现值"] == second_phone
        assert item.actions == ("keep", "reapply")  # both windows may edit the company
    other = make_window("152224", "01")  # another county reads the registry, not its reviews
    other.sync()
    assert review_step(other.desk, other.client()) == ""
    assert attention_items(other.desk) == []


def _forged_update(url: str, window_code: str, rid: str, op: str,
                   payload: dict[str, Any], seq: int = 1) -> dict[str, Any]:
    hlc = f"{int(time.time() * 1000):013d}-00000-{window_code}"
    req = {"protocol": 1, "window_code": window_code, "installation_id": "inst-x",
           "machine_id": "pc-x", "generation": 1, "mutations": [
               {"local_seq": seq, "mutation_id": f"forged-{op}-{window_code}", "entity": "record",
                "entity_id": rid, "op": op, "hlc": hlc, "payload": {**payload, "hlc": hlc}}]}
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT sync.push(%s)", (Jsonb(req),)).fetchone()
        assert row is not None
        return row[0]["results"][0]


def test_another_county_may_not_edit_and_only_the_owner_may_void(make_window: Any,
                                                                  central_url: str) -> None:
    hall, county, rid = _setup(make_window, "hall")  # registered at the hall, in 扎赉特旗
    other = make_window("152224", "02")  # 突泉县: reads the registry, may not change it
    other.sync()
    rec = other.desk.get(rid)
    assert not other.desk.can_edit(rec)
    with pytest.raises(PermissionDenied, match="属于扎赉特旗"):
        other.desk.update(rid, {"contact_phone": COUNTY_PHONE}, rec.version)
    # a county window may not move the company out of its county, nor void it
    rec = county.desk.get(rid)
    with pytest.raises(ValidationFailed) as info:
        county.desk.update(rid, {"county_code": "152224"}, rec.version)
    assert "不能改到其他旗县市" in info.value.errors["county_code"]
    with pytest.raises(PermissionDenied, match="不能作废"):
        county.desk.void(rid, "重复登记")
    assert outbox_count(other.desk) == outbox_count(county.desk) == 0
    # forged pushes (window credentials, hand-made payloads) are refused the same way
    forger = make_window("152224", "01")
    res = _forged_update(forger.creds.url, "152224-01", rid, "update",
                         {"kind": "enterprise", "id": rid,
                          "values": {"contact_phone": COUNTY_PHONE}})
    assert (res["status"], res["code"]) == ("rejected", "NOT_OWNER")
    sneaky = make_window("152223", "03")  # 扎赉特旗, but not the owner
    res = _forged_update(sneaky.creds.url, "152223-03", rid, "update",
                         {"kind": "enterprise", "id": rid, "values": {"county_code": "152224"}})
    assert (res["status"], res["code"]) == ("rejected", "OUT_OF_COUNTY")
    res = _forged_update(sneaky.creds.url, "152223-03", rid, "void",
                         {"kind": "enterprise", "id": rid, "reason": "伪造"}, seq=2)
    assert (res["status"], res["code"]) == ("rejected", "NOT_OWNER")
    doc = _rows(central_url, "SELECT doc, voided FROM sync.record WHERE id = %s", (rid,))[0]
    assert doc[0]["contact_phone"] == OLD_PHONE and doc[0]["county_code"] == "152223"
    assert doc[1] is False
    # the League hall owns it here; it may move it to another county (central follows)
    _edit(hall, rid, {"county_code": "152224"})
    hall.sync()
    assert _rows(central_url, "SELECT county_code FROM sync.record WHERE id = %s",
                 (rid,)) == [("152224",)]
    other.sync()
    county.sync()
    assert other.desk.can_edit(other.desk.get(rid))  # now 突泉县's company
    assert not county.desk.can_edit(county.desk.get(rid))
    late = make_window("152201", "01")  # a window pulling it for the first time
    late.sync()
    assert late.desk.get(rid).county_code == "152224"
    _converged(central_url, hall, county, other, late)


def test_same_company_registered_offline_at_two_windows_is_listed_for_a_supervisor(
        make_window: Any, central_url: str) -> None:
    county = make_window("152223", "02", role="supervisor")
    hall = make_window("152200", "01", role="supervisor")
    other = make_window("152224", "01")
    first, _ = county.desk.create("enterprise", COMPANY)  # neither has heard of the other's
    second, _ = hall.desk.create("enterprise", {**COMPANY, "name": "丰收农机制造有限公司"})
    assert county.sync().accepted == 1  # both are accepted: each has its number already
    assert hall.sync().accepted == 1
    for w in (county, hall, other):
        w.sync()
    items = _rows(central_url, "SELECT item_kind, record_id, detail->>'other_receipt_no' "
                               "FROM sync.review_item")
    assert items == [("duplicate_enterprise", second.id, first.receipt_no)]
    for w in (county, hall):
        assert review_step(w.desk, w.client()) == ""
        (item,) = attention_items(w.desk)
        assert item.category_label == "企业重复登记"
        assert first.receipt_no in item.summary and second.receipt_no in item.summary
        assert COMPANY["uscc"] in item.summary
        assert dict(item.lines)["后登记"].startswith(f"{second.receipt_no}（丰收农机制造有限公司")
    assert review_step(other.desk, other.client()) == ""
    assert attention_items(other.desk) == []  # another county's company
    # replays and more cycles list it once; the hall voids its copy and the item closes
    for w in (county, hall):
        w.sync()
    hall.desk.void(second.id, f"重复登记，保留 {first.receipt_no}")
    hall.sync()
    county.sync()
    assert _rows(central_url, "SELECT count(*) FROM sync.review_item "
                              "WHERE resolved_at IS NULL")[0][0] == 0
    for w in (county, hall):
        assert review_step(w.desk, w.client()) == ""
        assert attention_items(w.desk) == []
        assert w.desk.enterprise_by_uscc(COMPANY["uscc"]).id == first.id
    _converged(central_url, county, hall)
