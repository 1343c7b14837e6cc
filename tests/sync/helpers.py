"""Checkers shared by the sync tests: compare replicas with central."""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import select

from xingan_desk.records.kinds import KINDS
from xingan_desk.storage.rows import from_db
from xingan_desk.storage.schema import DETAIL, OutboxEntry, Record, RecordEvent


def central_state(url: str, streams: list[str] | None = None) -> dict[str, Any]:
    """{record_id: (receipt_no, voided, status, field_hlc, values-on-field_hlc, event ids)}."""
    with psycopg.connect(url) as conn:
        q = "SELECT id, receipt_no, voided, status, field_hlc, doc, stream FROM sync.record"
        rows = conn.execute(q).fetchall()
        events: dict[str, set[str]] = {}
        for rid, eid in conn.execute("SELECT record_id, id FROM sync.event"):
            events.setdefault(rid, set()).add(eid)
    out = {}
    for rid, receipt, voided, status, fh, doc, stream in rows:
        if streams is not None and stream not in streams:
            continue
        out[rid] = (receipt, voided, status, fh, {k: doc.get(k) for k in fh},
                    frozenset(events.get(rid, set())))
    return out


def local_state(desk: Any) -> dict[str, Any]:
    out = {}
    with desk.reading() as s:
        recs = list(s.scalars(select(Record)))
        events: dict[str, set[str]] = {}
        for rid, eid in s.execute(select(RecordEvent.record_id, RecordEvent.id)):
            events.setdefault(rid, set()).add(eid)
        for r in recs:
            kind = KINDS[r.kind]
            table = DETAIL[kind.key]
            row = s.execute(select(table).where(table.c.record_id == r.id)).mappings().one()
            vals = kind.to_json(from_db(kind, row))  # groups' dates as dates
            fh = dict(r.field_hlc or {})
            out[r.id] = (r.receipt_no, r.voided, r.status, fh, {k: vals.get(k) for k in fh},
                         frozenset(events.get(r.id, set())))
    return out


def outbox_count(desk: Any, state: str = "pending") -> int:
    with desk.reading() as s:
        return len(list(s.scalars(select(OutboxEntry.local_seq)
                                  .where(OutboxEntry.state == state))))


def scope_of(county: str) -> list[str] | None:
    return None if county == "152200" else [f"county:{county}", "global"]
