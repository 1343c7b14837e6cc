"""sync.push takes a plain batch (creates and status events central accepts whole) in a few set
statements, sync._push_batch, and goes row by row through sync._apply otherwise. The set path
must leave central exactly as the row path does: the same records, events, change rows, review
items and results. Each test pushes the same requests, as the window's own role, to a central
as built and to one whose sync.push never takes the set path, and compares everything.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from tests.pg_support import ADMIN_URL, _drop
from xingan_desk.demo import generate
from xingan_desk.errors import DeskError
from xingan_desk.storage.schema import Record
from xingan_desk.sync.central import add_window
from xingan_desk.sync.push import pending_rows
from xingan_desk.sync.sqlfiles import load_sql

from .headline_worker import action_values

pytestmark = pytest.mark.pg
SET_PATH = "    IF known = '{}'::jsonb THEN"


def row_by_row_push() -> str:
    """sync.push without its set path (every batch through sync._apply, as before it)."""
    src = load_sql("api.sql")
    fn = src[src.index("CREATE OR REPLACE FUNCTION sync.push(req jsonb)"):
             src.index("CREATE OR REPLACE FUNCTION sync.push(req json)")]
    assert SET_PATH in fn, "sync.push changed: update this test"
    return fn.replace(SET_PATH, "    IF false THEN")


@pytest.fixture
def row_central(pg_template: str) -> Iterator[str]:
    name = f"xingan_test_{secrets.token_hex(5)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(pg_template)))
    url = make_conninfo(ADMIN_URL, dbname=name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(row_by_row_push())
        yield url
    finally:
        _drop(name)


def dump(url: str) -> dict[str, Any]:
    """What central holds, without wall-clock times and client ids."""
    q = {
        "record": "SELECT id, kind, receipt_no, county_code, stream, owner, created_by, "
                  "created_at, hlc, field_hlc, doc, status, needs_review, voided, void_reason, "
                  "void_hlc, row_version FROM sync.record ORDER BY id",
        "event": "SELECT id, record_id, action, from_status, to_status, payload, hlc, actor, "
                 "owner, created_at, applied FROM sync.event ORDER BY id",
        "change_log": "SELECT stream, seq, entity, entity_id, op, payload, origin_local_seq "
                      "FROM sync.change_log ORDER BY stream, seq",
        "applied": "SELECT local_seq, mutation_id, status, code, reason "
                   "FROM sync.applied_mutation ORDER BY local_seq",
        "review": "SELECT record_id, item_kind, item_key, detail, resolved_at IS NULL "
                  "FROM sync.review_item ORDER BY item_kind, item_key",
        "conflict": "SELECT record_id, field, kept_value, kept_hlc, lost_value, lost_hlc, "
                    "lost_origin FROM sync.conflict_log ORDER BY id",
        "heads": "SELECT stream, last_seq FROM sync.stream_head ORDER BY stream",
        "client": "SELECT window_code, last_local_seq, generation FROM sync.client "
                  "ORDER BY window_code",
    }
    with psycopg.connect(url) as conn:
        return {k: conn.execute(v).fetchall() for k, v in q.items()}


def push_both(w: Any, others: list[Any], after: int) -> tuple[int, list[dict[str, Any]]]:
    """The window's pending outbox rows after local_seq `after`, as one request, pushed (as
    each central's window role) to both centrals; returns the last local_seq and the replies."""
    with w.desk.reading() as s:
        rows = [r for r in pending_rows(s, 10_000) if r.local_seq > after]
    assert rows
    text = w.client().pusher.request(rows)
    replies = []
    for url in [o.creds.url for o in others]:
        with psycopg.connect(url, autocommit=True) as conn:
            reply = conn.execute("SELECT sync.push(%s::jsonb)", (text,)).fetchone()[0]
        assert reply["status"] == "ok", reply
        reply.pop("server_time")
        replies.append(reply)
    return rows[-1].local_seq, replies


def takes_whole(admin_url: str, window_code: str, text: str) -> bool:
    """Whether sync._push_batch takes this request whole (rolled back)."""
    with psycopg.connect(admin_url) as conn:
        try:
            conn.execute("SELECT sync._push_batch(c, (%s::jsonb)->'mutations') "
                         "FROM sync.client c WHERE c.window_code = %s", (text, window_code))
        except psycopg.Error as exc:
            assert exc.sqlstate == "XS002"
            return False
        finally:
            conn.rollback()
    return True


class _W:
    def __init__(self, creds: Any) -> None:
        self.creds = creds


def test_set_path_leaves_central_as_the_row_path(make_window, central_url, row_central) -> None:
    w = make_window("152223", "02")
    twin = _W(add_window(row_central, "152223", "02"))
    # a realistic backlog: every kind, records taken through their workflows (several status
    # events per record), enterprises registered with credit codes
    generate(w.desk, 60, seed=11)
    with w.desk.reading() as s:
        text = w.client().pusher.request(pending_rows(s, 10_000))
    assert takes_whole(central_url, "152223-02", text)  # the set path is what this test compares
    seq, (got, want) = push_both(w, [w, twin], 0)
    assert got == want
    assert all(r["status"] == "accepted" for r in got["results"])
    # then events on records central already holds, new records, and an edit (whose batch
    # goes row by row on both)
    rng = random.Random(4)
    with w.desk.reading() as s:
        ids = list(s.scalars(select(Record.id).where(
            Record.kind.in_(("consultation", "mediation"))).order_by(Record.receipt_no)))
    acted = 0
    for rid in ids:
        actions = w.desk.actions_for(rid)
        if actions and acted < 8:
            a = rng.choice(actions)
            try:
                w.desk.act(rid, a.key, action_values(w.desk.get(rid).kind, a, rng))
            except DeskError:
                continue  # refused like a clerk would be (values the action does not take)
            acted += 1
    assert acted
    w.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "赵敏"},
                  register_enterprise=False)
    w.desk.create("mediation", GOOD_MEDIATION)
    with w.desk.reading() as s:
        text = w.client().pusher.request([r for r in pending_rows(s, 10_000)
                                          if r.local_seq > seq])
    assert takes_whole(central_url, "152223-02", text)
    seq, (got, want) = push_both(w, [w, twin], seq)
    assert got == want
    edit = next(r for r in ids if w.desk.get(r).kind == "consultation")
    w.desk.update(edit, {"question": "改过的问题：专利预审的流程是什么？"},
                  w.desk.get(edit).version)
    w.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "钱进"},
                  register_enterprise=False)
    seq, (got, want) = push_both(w, [w, twin], seq)
    assert got == want
    assert dump(central_url) == dump(row_central)


def test_a_batch_with_a_conflict_goes_row_by_row(make_window, central_url,
                                                 row_central) -> None:
    """Two windows act on the same record offline: the second batch's event does not fold
    in line (a status conflict for the supervisor), which the row path records."""
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    twin_a = _W(add_window(row_central, "152223", "02"))
    twin_b = _W(add_window(row_central, "152223", "03"))
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    seq_a, (got, want) = push_both(a, [a, twin_a], 0)
    assert got == want
    b.sync()  # b pulls the record from the central as built (same ids at both)
    actions_a = a.desk.actions_for(rec.id)
    actions_b = b.desk.actions_for(rec.id)
    rng = random.Random(1)
    a.desk.act(rec.id, actions_a[0].key, action_values(rec.kind, actions_a[0], rng))
    b.desk.act(rec.id, actions_b[-1].key, action_values(rec.kind, actions_b[-1], rng))
    _, (got, want) = push_both(a, [a, twin_a], seq_a)
    assert got == want
    with b.desk.reading() as s:
        text = b.client().pusher.request(pending_rows(s, 10_000))
    # b's event starts from the status a's event has left: not in line
    assert not takes_whole(central_url, "152223-03", text)
    _, (got, want) = push_both(b, [b, twin_b], 0)
    assert got == want
    review = dump(central_url)["review"]
    assert any(item[1] == "status_conflict" for item in review), review
    assert dump(central_url) == dump(row_central)


def test_request_carries_the_stored_payloads_as_they_are(make_window) -> None:
    """The window splices each outbox row's stored JSON into the request: parsed, the request
    is what the outbox holds (also for a value JSON must escape)."""
    import json

    from xingan_desk.storage.schema import OutboxEntry

    w = make_window("152223", "02")
    question = "引号\"、反斜杠\\、换行\n都在吗？"
    w.desk.create("consultation", {**GOOD_CONSULTATION, "question": question},
                  register_enterprise=False)
    with w.desk.reading() as s:
        text = w.client().pusher.request(pending_rows(s, 10))
        rows = list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq)))
    req = json.loads(text)
    assert req["window_code"] == "152223-02"
    assert req["mutations"] == [
        {"local_seq": r.local_seq, "mutation_id": r.mutation_id, "entity": r.entity,
         "entity_id": r.entity_id, "op": r.op, "payload": r.payload, "hlc": r.hlc}
        for r in rows]
    assert req["mutations"][0]["payload"]["values"]["question"] == question
    # a field the store never writes with quotes still goes up as valid JSON
    with w.desk.reading() as s:
        odd = pending_rows(s, 1)[0]._replace(hlc='1-2-"3"\\')
    assert json.loads(odd.mutation_json())["hlc"] == '1-2-"3"\\'


def test_an_action_checked_over_earlier_events_goes_row_by_row(central_url) -> None:
    """申请司法确认 is checked against the date the settle event recorded (not in the record's
    form): a lone late application in an otherwise plain batch is refused as row by row."""
    from .test_central_validation import _create, _mediation, _push
    from .test_mediation_file_sync import _event

    w = add_window(central_url, "152201", "07")
    code = w.window_code
    rid = f"r-{code}-1"
    assert _push(w.url, code, [_create(code, 1, "mediation", _mediation())])[1]["status"] \
        == "accepted"
    steps = [_event(code, 10 + n, rid, action, source, target, payload)
             for n, (action, source, target, payload) in enumerate((
                 ("accept", "registered", "accepted",
                  {"accepted_on": "2026-03-03", "mediator": "李娜"}),
                 ("start", "accepted", "mediating", {"consent": "agreed",
                                                     "started_on": "2026-03-04"}),
                 ("settle", "mediating", "settled",
                  {"outcome": "written", "agreement": "双方同意",
                   "agreement_effective_on": "2026-03-05"})))]
    res = _push(w.url, code, steps)
    assert all(r["status"] == "accepted" for r in res.values()), res
    late = _event(code, 20, rid, "apply_confirmation", "settled", "confirmation_applied",
                  {"confirmation_applied_on": "2026-04-05", "confirmation_court": "某法院"})
    res = _push(w.url, code, [late])
    assert res[20]["status"] == "rejected" and "已超过申请司法确认期限" in res[20]["reason"], res
