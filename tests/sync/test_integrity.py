"""S18 (local side): digests per stream match central after sync; a damaged local row is
detected within one cycle and repaired by re-baselining the stream, the outbox untouched."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text, update

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.storage.schema import DETAIL, Record
from xingan_desk.sync.client import jsonb_text

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


@pytest.mark.parametrize("value", [
    None, True, 3, "普通文本", 'quote " and \\ and \n tab\t', [], {},
    [{"name": "张三", "uscc": None, "party_type": "org", "a": 1}], {"bb": 1, "a": [1, "x"]},
])
def test_jsonb_text_matches_postgres(central_url, value) -> None:
    with psycopg.connect(central_url) as conn:
        row = conn.execute("SELECT (%s::jsonb)::text", (psycopg.types.json.Jsonb(value),)
                           ).fetchone()
    assert row is not None and jsonb_text(value) == row[0]


def test_digests_match_after_sync(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION)
    a.desk.create("consultation", GOOD_CONSULTATION)
    a.sync()
    b.sync()
    b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    rb = b.sync()
    ra = a.sync()
    assert ra.verified == ["county:152223", "global"] and not ra.rebaselined
    assert rb.verified and not rb.digest_mismatch


@pytest.mark.parametrize("damage", ["field", "status", "voided"])
def test_damaged_local_row_detected_and_repaired(make_window, central_url, damage) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    a.sync()
    assert b.sync().verified == ["county:152223", "global"]
    with b.desk.writing() as w:
        s = w.session
        if damage == "field":
            s.execute(update(DETAIL["mediation"]).where(
                DETAIL["mediation"].c.record_id == med.id).values(facts="被篡改的事实"))
        elif damage == "status":
            s.execute(update(Record).where(Record.id == med.id).values(status="settled"))
        else:
            s.execute(text("UPDATE record SET voided = 1 WHERE id = :i"), {"i": med.id})
    rep = b.sync()
    assert rep.rebaselined == ["county:152223"] and not rep.digest_mismatch
    assert local_state(b.desk) == central_state(central_url, scope_of("152223"))
    assert outbox_count(b.desk) == 0


def test_paced_digest_check_in_the_window_app(make_window, central_url) -> None:
    """The window app (verify_pacing) checks digests on its first cycle, then not again until
    a minute (or ten times the check's own duration) has passed; a damaged row is then found
    and repaired as before."""
    a = make_window("152223", "02")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    now = [1000.0]
    client = a.client(verify_pacing=True)
    client.clock = lambda: now[0]
    assert client.run_once().verified == ["county:152223", "global"]
    now[0] += 30
    assert client.run_once().verified == []  # paced: not yet
    with a.desk.writing() as w:
        s = w.session
        table = DETAIL["consultation"]
        s.execute(update(table).where(table.c.record_id == rec.id).values(answer="被篡改的答复"))
    assert client.run_once().rebaselined == []  # not checked yet: a minute has not passed
    now[0] += 31
    report = client.run_once()
    assert report.rebaselined == ["county:152223"] and not report.digest_mismatch
    assert local_state(a.desk) == central_state(central_url, scope_of("152223"))
