"""The acknowledged log: what central confirmed, kept for the retention period.

* `requeue_lost`: central was restored from a backup and lacks changes it once acknowledged →
  they go back into the outbox (reference §7 S14).
* `renumber_after_restore`: this store was restored from a backup → waiting outbox rows are
  renumbered after central's high-water mark (reference §7 S12).
* `prune`: acknowledged changes older than the retention leave acked_log.
* `compact` (run by `prune` after every cycle): an acknowledged create or event whose payload
  can be rebuilt exactly from what the store keeps anyway (the create's audit entry and the
  record's envelope; the `record_event` row) keeps only its key, mutation id and stamp (its
  ids as 16 bytes, a create's stamp as about 18; an event's stamp taken from the event; its status, always `accepted` in
  acked_log and read by nothing, left empty); its payload (most of the store's
  size once synced) is rebuilt by `rebuild` when `requeue_lost` pushes it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from ..desk import Desk
from ..records.fields import GroupField
from ..records.kinds import KINDS
from ..storage.schema import AuditEntry, OutboxEntry, Record, RecordEvent
from ..storage.types import id_bytes, id_text, stamp_bytes, stamp_text
from ..timeutil import utcnow
from .local_schema import acked_log, sync_issue
from .report import SyncReport

# Acknowledged changes are kept this many days (desk setting ACKED_RETENTION_SETTING), so they
# can be pushed again if central is restored from an older backup (reference §7 S14).
ACKED_RETENTION_DAYS = 30
ACKED_RETENTION_SETTING = "acked_log_retention_days"
COMPACT_BATCH = 500


def retention_days(desk: Desk) -> int:
    """How long acknowledged changes stay in acked_log (setting, default 30 days)."""
    try:
        days = int(desk.setting(ACKED_RETENTION_SETTING, ACKED_RETENTION_DAYS))
    except (TypeError, ValueError):
        return ACKED_RETENTION_DAYS
    return max(1, days)


def prune(desk: Desk, report: SyncReport | None = None, now: dt.datetime | None = None) -> int:
    """After a successful cycle: drop acknowledged changes older than the retention. A
    central restored from a backup younger than that loses nothing (they are re-pushed by
    `requeue_lost`); older backups are outside the promise. Only the oldest row is read on a
    normal cycle (by primary key), so this costs nothing until rows age out. What the cycle
    acknowledged is compacted first (`compact`)."""
    compact(desk)
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days(desk))
    with desk.reading() as s:
        oldest = s.scalar(select(acked_log.c.acked_at).order_by(acked_log.c.local_seq)
                          .limit(1))
    if oldest is None or oldest >= cutoff:
        return 0
    with desk.writing() as w:
        result = w.session.execute(delete(acked_log).where(acked_log.c.acked_at < cutoff))
        n = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if report is not None:
        report.pruned += n
    return n


def requeue_lost(desk: Desk, status: dict[str, Any], report: SyncReport) -> None:
    """If central's high-water mark for this window is below changes it once acknowledged
    (central was restored from a backup), put those changes back into the outbox with their
    original local_seq and mutation id, so they are pushed again."""
    high = int(status.get("last_local_seq") or 0)
    renumber_after_restore(desk, status, high)
    with desk.writing() as w:
        s = w.session
        lost = list(s.execute(select(acked_log).where(acked_log.c.local_seq > high)
                              .order_by(acked_log.c.local_seq)).mappings())
        if not lost:
            return
        now = utcnow()
        for row in lost:
            payload, entity_id = row["payload"], id_text(row["entity_id"])
            if payload is None:  # compacted: rebuilt from the record, its events and audit
                payload = rebuild(s, row["entity"], entity_id, row["op"], stamp_text(row["hlc"]))
                if payload is None:
                    continue  # the record is gone from this store: nothing to push again
            s.execute(insert(OutboxEntry).values(
                local_seq=row["local_seq"], mutation_id=id_text(row["mutation_id"]),
                entity=row["entity"], entity_id=entity_id, op=row["op"],
                payload=payload, hlc=stamp_text(row["hlc"]) or payload["hlc"], created_at=now,
                state="pending", attempts=0))
        s.execute(delete(acked_log).where(acked_log.c.local_seq > high))
        s.execute(insert(sync_issue).values(
            code="CENTRAL_RESTORED", created_at=now, resolved_at=now, reason=(
                f"中心数据库缺少本窗口已确认的{len(lost)}条变更（中心可能从备份恢复），"
                "已自动重新上传")))
    report.requeued += len(lost)


def renumber_after_restore(desk: Desk, status: dict[str, Any], high: int) -> None:
    """This store was restored from a backup (its generation is above the one central knows)
    and its outbox counter is behind central's high-water mark for the window: renumber the
    waiting rows after that mark and move the counter, so the restore is not mistaken for a
    cloned store. Without a generation bump nothing is renumbered, and central's divergence
    check still catches a copied store."""
    central_gen = status.get("generation")
    if central_gen is None or desk.identity.generation <= int(central_gen):
        return
    with desk.writing() as w:
        s = w.session
        low = s.scalar(select(func.min(OutboxEntry.local_seq)))
        seq_row = s.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).first()
        counter = int(seq_row[0]) if seq_row else 0
        if (low is None or low > high) and counter >= high:
            return
        if low is not None and low <= high:
            offset = high - int(low) + 1
            # two steps, so no intermediate value collides with another row's key
            s.execute(text("UPDATE outbox SET local_seq = -(local_seq + :o)"), {"o": offset})
            s.execute(text("UPDATE outbox SET local_seq = -local_seq"))
        top = s.scalar(select(func.max(OutboxEntry.local_seq))) or 0
        new_counter = max(counter, high, int(top))
        if seq_row:
            s.execute(text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'outbox'"),
                      {"n": new_counter})
        else:
            s.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', :n)"),
                      {"n": new_counter})
        w.audit("sync_renumber", detail=(
            f"本机从备份恢复：待上传变更的序号已排在中心记录（{high}）之后"))


# --- compaction --------------------------------------------------------------------------------
Acked = tuple[str, str, str, str]  # entity, entity_id, op, hlc


def rebuild(s: Session, entity: str, entity_id: str, op: str, stamp: str
            ) -> dict[str, Any] | None:
    """The payload a create or an event was pushed with, from what the store keeps (see
    `rebuild_many`); None when it cannot be rebuilt."""
    return rebuild_many(s, [(entity, entity_id, op, stamp)])[0]


def rebuild_many(s: Session, rows: list[Acked]) -> list[dict[str, Any] | None]:
    """The payloads these acknowledged changes were pushed with, from what the store keeps
    anyway: an event from its `record_event` row, a create from the record's envelope and the
    values its create audit entry lists (one query per table for all rows). None where it
    cannot be rebuilt: other ops, a create audit that lists no values, a missing row."""
    ev_ids = [r[1] for r in rows if r[0] == "event" and r[2] == "event"]
    rec_ids = [r[1] for r in rows if r[0] == "record" and r[2] == "create"]
    events = {e.id: e for e in s.scalars(select(RecordEvent).where(RecordEvent.id.in_(ev_ids)))
              } if ev_ids else {}
    want = set(rec_ids) | {e.record_id for e in events.values()}
    recs = {r.id: r for r in s.scalars(select(Record).where(Record.id.in_(want)))} if want else {}
    audits: dict[str, AuditEntry] = {}
    if rec_ids:
        for a in s.scalars(select(AuditEntry).where(AuditEntry.record_id.in_(rec_ids),
                                                    AuditEntry.action == "create")
                           .order_by(AuditEntry.id)):
            audits.setdefault(str(a.record_id), a)
    out: list[dict[str, Any] | None] = []
    for entity, entity_id, op, stamp in rows:
        built: dict[str, Any] | None = None
        if entity == "event" and op == "event":
            ev = events.get(entity_id)
            owner_rec = recs.get(ev.record_id) if ev else None
            if ev is not None and owner_rec is not None:
                built = {"kind": owner_rec.kind, "record_id": ev.record_id, "id": ev.id,
                         "action": ev.action, "from_status": ev.from_status,
                         "to_status": ev.to_status, "payload": ev.payload, "hlc": ev.hlc,
                         "actor": ev.actor, "owner": ev.owner,
                         "created_at": ev.created_at.isoformat()}
        elif entity == "record" and op == "create":
            rec, audit = recs.get(entity_id), audits.get(entity_id)
            values = _created_values(rec.kind, audit) if rec and audit else None
            if rec is not None and audit is not None and values is not None:
                # the county as at the create (an edit of the county field moves the record):
                # from the created values, else the registering window's
                county = KINDS[rec.kind].county_of(values, rec.owner.split("-")[0])
                built = {"kind": rec.kind, "id": rec.id, "receipt_no": audit.receipt_no,
                         "owner": rec.owner, "county_code": county,
                         "created_by": rec.created_by, "created_at": rec.created_at.isoformat(),
                         "hlc": stamp, "values": values}
        out.append(built)
    return out


def _created_values(kind_key: str, audit: AuditEntry) -> dict[str, Any] | None:
    """A create's values from its audit entry (storage.types.create_changes): the declared
    fields; where the entry lists nothing, an empty list for a repeating group (entries
    written before 0012 left empty values out) and None for the others."""
    if not audit.changes or kind_key not in KINDS:
        return None
    values: dict[str, Any] = {f.key: [] if isinstance(f, GroupField) else None
                              for f in KINDS[kind_key].fields}
    for key, pair in audit.changes.items():
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] is None):
            return None
        values[key] = pair[1]
    return values


def _same(rebuilt: dict[str, Any] | None, payload: Any) -> bool:
    """Whether a rebuilt payload says what the stored one says (times compared as instants:
    a historical import's times were pushed with their China-time offset)."""
    if rebuilt is None or not isinstance(payload, dict):
        return False
    if "created_at" in payload:
        try:
            a = dt.datetime.fromisoformat(str(payload["created_at"]))
            b = dt.datetime.fromisoformat(str(rebuilt["created_at"]))
        except ValueError:
            return False
        if a.tzinfo is None or a != b:
            return False
        rebuilt = {**rebuilt, "created_at": payload["created_at"]}
    return rebuilt == payload


def compact(desk: Desk) -> int:
    """Drop the payloads of acknowledged creates and events that `rebuild_many` gives back
    exactly (each is rebuilt and compared first; one that differs keeps its payload). Only
    rows above the newest compacted one are looked at, so a normal cycle reads only what it
    acknowledged. Returns how many were compacted."""
    done = 0
    with desk.reading() as s:
        # newest first by primary key: stops at the newest compacted row
        mark = s.scalar(text("SELECT local_seq FROM acked_log WHERE payload = 'null' "
                             "ORDER BY local_seq DESC LIMIT 1"))
    after = int(mark or 0)
    while True:
        with desk.writing() as w:
            s = w.session
            rows = list(s.execute(
                select(acked_log.c.local_seq, acked_log.c.mutation_id, acked_log.c.entity,
                       acked_log.c.entity_id, acked_log.c.op, acked_log.c.payload,
                       acked_log.c.hlc)
                .where(acked_log.c.local_seq > after,
                       acked_log.c.op.in_(("create", "event")))
                .order_by(acked_log.c.local_seq).limit(COMPACT_BATCH)))
            if not rows:
                return done
            after = rows[-1].local_seq
            built = rebuild_many(s, [(r.entity, r.entity_id, r.op, r.hlc) for r in rows])
            same = [r for r, b in zip(rows, built, strict=True)
                    if r.payload is not None and _same(b, r.payload)]
            # a create's ids are kept as 16 bytes and its stamp (nothing else keeps it) as
            # about 18 (`requeue_lost` and review._mutation_of read them and give the text
            # back)
            creates = [(id_bytes(r.mutation_id), id_bytes(r.entity_id), stamp_bytes(r.hlc),
                        r.local_seq) for r in same if r.op == "create"]
            if creates:
                s.connection().exec_driver_sql(
                    "UPDATE acked_log SET payload = 'null', mutation_id = ?, entity_id = ?, "
                    "hlc = ?, status = '' WHERE local_seq = ?", creates)
            restamped = [(r.local_seq,) for r in same
                         if r.op == "event" and r.hlc != r.payload.get("hlc")]
            if restamped:
                s.connection().exec_driver_sql(
                    "UPDATE acked_log SET payload = 'null', status = '' WHERE local_seq = ?",
                    restamped)
            # an event's row is not read by anything but `requeue_lost`: its ids are kept as
            # 16 bytes and its stamp is its event's
            events = [(id_bytes(r.mutation_id), id_bytes(r.entity_id), r.local_seq)
                      for r in same if r.op == "event" and r.hlc == r.payload.get("hlc")]
            if events:
                s.connection().exec_driver_sql(
                    "UPDATE acked_log SET payload = 'null', mutation_id = ?, entity_id = ?, "
                    "hlc = '', status = '' WHERE local_seq = ?", events)
            done += len(same)
