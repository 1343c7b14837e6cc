"""Apply: one pulled page goes into the local store in one transaction, with its cursor.

Records merge per field by HLC (a losing pending local edit is kept in `sync_conflict`);
events are a union; the League's holiday table is last-writer-wins per day. Records new to
this window are folded, indexed and inserted in bulk; records it had are refolded and
re-indexed. Every row is checked first (`quarantine`): one it cannot apply is kept in the
quarantine instead, and the page goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from .. import hlc as hlc_mod
from ..desk import Desk
from ..records.kinds import KINDS
from ..records.links import uscc_of
from ..records.workflow import EventLike
from ..storage import search
from ..storage.rows import Envelope, PendingRecord, from_db, insert_rows, new_id, to_db
from ..storage.schema import (
    DETAIL,
    Installation,
    LeagueCalendarDay,
    OutboxEntry,
    Record,
    RecordEvent,
    event_table,
    outbox_table,
    record_table,
)
from ..storage.writer import Writer, search_text
from ..timeutil import utcnow
from . import quarantine
from .faults import FaultPoints
from .local_schema import sync_conflict, sync_cursor, sync_issue
from .quarantine import Problem
from .report import SyncReport


def parse_time(value: Any) -> dt.datetime:
    if not value:
        return utcnow()
    t = dt.datetime.fromisoformat(str(value))
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def write_cursor(s: Session, stream: str, seq: int, epoch: str | None, head: int) -> None:
    values = {"seq": seq, "epoch": epoch, "head": head, "updated_at": utcnow()}
    done = s.execute(update(sync_cursor).where(sync_cursor.c.stream == stream).values(**values))
    if not done.rowcount:  # type: ignore[attr-defined]
        s.execute(insert(sync_cursor).values(stream=stream, **values))


def pending_fields(s: Session, record_id: str) -> set[str]:
    """Fields of the record with a local edit still waiting to be pushed."""
    keys: set[str] = set()
    for payload in s.scalars(select(OutboxEntry.payload).where(
            OutboxEntry.entity_id == record_id, OutboxEntry.entity == "record",
            OutboxEntry.state == "pending")):
        keys.update((payload or {}).get("values", {}))
    return keys


def has_pending(s: Session, record_id: str) -> bool:
    """Pending outbox rows for the record itself or one of its events."""
    if s.scalar(select(OutboxEntry.local_seq).where(
            OutboxEntry.entity_id == record_id, OutboxEntry.state == "pending").limit(1)):
        return True
    # read first: an event's id is stored as 16 bytes (storage.types.IdBytes), the outbox's
    # entity_id as text
    ev_ids = list(s.scalars(select(RecordEvent.id).where(RecordEvent.record_id == record_id)))
    if not ev_ids:
        return False
    return s.scalar(select(OutboxEntry.local_seq).where(
        OutboxEntry.entity_id.in_(ev_ids), OutboxEntry.state == "pending").limit(1)
    ) is not None


def load_values(s: Session, recs: Collection[Envelope]) -> dict[str, dict[str, Any]]:
    """The detail values of these local records (one query per kind)."""
    by_kind: dict[str, list[str]] = {}
    for r in recs:
        by_kind.setdefault(r.kind, []).append(r.id)
    out: dict[str, dict[str, Any]] = {}
    for kind_key, ids in by_kind.items():
        kind, table = KINDS[kind_key], DETAIL[kind_key]
        for i in range(0, len(ids), 500):
            for row in s.execute(select(table).where(
                    table.c.record_id.in_(ids[i:i + 500]))).mappings():
                out[row["record_id"]] = from_db(kind, row)
    return out


class _Page:
    """What one page's transaction holds in memory."""

    def __init__(self) -> None:
        self.recs: dict[str, Envelope] = {}
        self.events: set[str] = set()
        self.values: dict[str, dict[str, Any]] = {}
        self.new: set[str] = set()
        self.event_rows: list[dict[str, Any]] = []
        self.touched: dict[str, None] = {}
        self.receipts: dict[str, str] = {}  # receipt no → record id (local or new here)
        # records with a quarantined snapshot not yet cleared (quarantine.clear_record has
        # nothing to clear for the others): read once per page, grown by the page's holds
        self.held: set[str] = set()
        # whether the outbox holds any pending row (read once: the page's transaction keeps
        # others from adding one); without one no record has a pending local edit
        self.any_pending = True

    def clear_held(self, s: Session, rid: str) -> None:
        """A change of the record applied: its earlier quarantined snapshots are superseded."""
        if rid in self.held:
            quarantine.clear_record(s, rid)
            self.held.discard(rid)


class PageApplier:
    """Applies pulled pages. `force` (set during a digest re-baseline) lets central's values
    repair local ones that are not newer by HLC."""

    def __init__(self, desk: Desk, faults: FaultPoints) -> None:
        self.desk = desk
        self.faults = faults
        self.force = False

    def apply_page(self, stream: str, changes: list[dict[str, Any]], new_cursor: int,
                   epoch: str | None, head: int, report: SyncReport) -> None:
        desk = self.desk
        ident = desk.identity
        calendar_changed = False
        page = _Page()
        with desk.writing() as w:
            s = w.session
            top_hlc = ""
            # one query each for the records and events this page already has locally
            rec_ids: set[str] = set()
            ev_ids: list[str] = []
            receipt_nos: set[str] = set()
            for c in changes:
                p = c.get("payload")
                if not isinstance(p, dict):
                    continue
                if c.get("entity") == "record" and isinstance(p.get("id"), str):
                    rec_ids.add(p["id"])
                    if isinstance(p.get("receipt_no"), str):
                        receipt_nos.add(p["receipt_no"])
                elif c.get("entity") == "event":
                    if isinstance(p.get("record_id"), str):
                        rec_ids.add(p["record_id"])
                    if isinstance(p.get("id"), str):
                        ev_ids.append(p["id"])
            if rec_ids:
                page.recs = {r.id: r for r in s.scalars(
                    select(Record).where(Record.id.in_(rec_ids)))}
            if ev_ids:
                page.events = set(s.scalars(select(RecordEvent.id).where(
                    RecordEvent.id.in_(ev_ids))))
            if receipt_nos:
                page.receipts = {no: rid for no, rid in s.execute(
                    select(Record.receipt_no, Record.id).where(
                        Record.receipt_no.in_(receipt_nos)))}
            page.values = load_values(s, page.recs.values())
            page.held = quarantine.held_records(s)
            page.any_pending = s.scalar(select(OutboxEntry.local_seq).where(
                OutboxEntry.state == "pending").limit(1)) is not None
            for ch in changes:
                p = ch.get("payload")
                entity = ch.get("entity")
                problem: Problem | None
                if entity == "record":
                    problem = self.apply_record(w, page, p, report)
                elif entity == "event":
                    problem = self.apply_event(s, page, p, report)
                elif entity == "calendar":
                    problem = quarantine.calendar_problem(p)
                    if problem is None and isinstance(p, dict) and self.apply_calendar(w, p):
                        calendar_changed = True
                        report.calendar_applied += 1
                else:
                    problem = Problem("UNKNOWN_ENTITY",
                                      "收到本程序不认识的变更类型（可能来自更新版本的程序），请升级本程序")
                if problem is not None:
                    if quarantine.hold(s, stream, ch, problem):
                        report.quarantined += 1
                    if entity == "record" and isinstance(p, dict) and isinstance(p.get("id"), str):
                        page.held.add(p["id"])
                    continue
                assert isinstance(p, dict)
                top_hlc = max(top_hlc, str(p.get("hlc") or ""))
            self.retry_waiting_events(s, page, report)
            # records new to this window: folded, indexed and inserted in bulk (with the
            # page's events); then what changed in records it had: refolded and re-indexed
            # with their values and events loaded for the whole page at once
            self.insert_new(w, page)
            existing = [rid for rid in page.touched if rid not in page.new]
            events: dict[str, list[EventLike]] = {}
            applied: dict[str, bool] = {}
            for i in range(0, len(existing), 500):
                for e in s.execute(select(
                        RecordEvent.record_id, RecordEvent.id, RecordEvent.hlc,
                        RecordEvent.action, RecordEvent.from_status, RecordEvent.payload,
                        RecordEvent.applied).where(
                            RecordEvent.record_id.in_(existing[i:i + 500]))):
                    events.setdefault(e.record_id, []).append(
                        EventLike(e.id, e.hlc, e.action, e.from_status, e.payload))
                    applied[e.id] = bool(e.applied)
            tokens: list[dict[str, Any]] = []
            for rid in existing:
                held = page.recs.get(rid)
                rec = held if isinstance(held, Record) else w.load(rid)
                kind = KINDS[rec.kind]
                values = page.values.get(rid)
                if values is None:
                    values = w.values(kind, rid)
                after = w.refold(kind, rec, values, events.get(rid, []), applied)
                # re-indexed as Writer.index does, for the whole page at once
                rec.search_text = search_text(kind, rec, after)
                tokens.append({"pk": rec.pk, "t": search.tokens_for(rec.search_text)})
            if tokens:
                s.connection().exec_driver_sql("DELETE FROM record_search WHERE rowid = ?",
                                               [(t["pk"],) for t in tokens])
                s.execute(text("INSERT INTO record_search(rowid, tokens) VALUES (:pk, :t)"),
                          tokens)
            if top_hlc:
                inst = s.get(Installation, 1)
                assert inst is not None
                inst.hlc_last = hlc_mod.receive(inst.hlc_last or None, top_hlc,
                                                ident.window_code)
            if changes:
                self.faults.hit("mid_apply")
            write_cursor(s, stream, new_cursor, epoch, head)
            if changes:
                w.audit("sync_pull", detail=(
                    f"同步：从{stream}接收{len(changes)}条变更（至{new_cursor}）"))
        if calendar_changed:
            desk.calendars.invalidate()  # deadlines from now on use the new holiday table
            desk.calendars.rederive_open()  # and those of open records move with it
        report.pulled += len(changes)
        if changes:
            self.faults.hit("after_apply")

    # --- calendar ---------------------------------------------------------------------------
    def apply_calendar(self, w: Writer, p: dict[str, Any]) -> bool:
        """One day of the League's holiday table: the entry with the later HLC wins (a
        League window's own newer edit, still waiting to be pushed, stays); on a re-baseline
        central's entry repairs the local one. Returns whether it changed."""
        day = dt.date.fromisoformat(str(p["day"]))
        kind, name, stamp = p.get("kind"), str(p.get("name") or ""), str(p["hlc"])
        s = w.session
        entry = s.get(LeagueCalendarDay, day)
        if entry is not None:
            same = (entry.kind, entry.name, entry.hlc) == (kind, name, stamp)
            if same or (entry.hlc >= stamp and not self.force):
                return False
        old = None if entry is None else entry.kind
        if entry is None:
            entry = LeagueCalendarDay(day=day)
            s.add(entry)
        entry.kind, entry.name, entry.hlc = kind, name, stamp
        entry.updated_by = str(p.get("updated_by") or "")[:50]
        entry.origin = str(p.get("origin") or "")[:20]
        entry.updated_at = utcnow()
        w.audit(
            "calendar", changes={day.isoformat(): [old, kind]},
            detail=f"全盟统一安排（{entry.origin} 窗口录入）" + (f"：{name}" if name else ""))
        return True

    # --- events -----------------------------------------------------------------------------
    def apply_event(self, s: Session, page: _Page, p: Any,
                    report: SyncReport) -> Problem | None:
        basic = quarantine.event_problem(p, None)
        if basic is not None:
            return basic
        if p["id"] in page.events:
            return None
        rec = page.recs.get(p["record_id"])
        if rec is None:
            return Problem(quarantine.RECORD_MISSING,
                           "收到的办理记录找不到对应的登记（该登记可能未能接收），收到登记后会自动补上")
        problem = quarantine.event_problem(p, KINDS[rec.kind])
        if problem is not None:
            return problem
        page.events.add(p["id"])
        page.event_rows.append(dict(
            id=p["id"], record_id=p["record_id"], action=p["action"],
            from_status=p["from_status"], to_status=p["to_status"],
            payload=p.get("payload") or {}, hlc=p["hlc"], actor=p.get("actor") or "",
            owner=p.get("owner") or "", created_at=parse_time(p.get("created_at")),
            applied=True,
        ))  # inserted with the page's new records (insert_new), one executemany
        rec.row_version += 1
        if p["hlc"] > rec.hlc:
            rec.hlc = p["hlc"]
        page.touched[rec.id] = None
        report.events_applied += 1
        return None

    def retry_waiting_events(self, s: Session, page: _Page, report: SyncReport) -> None:
        """Events kept because their record was missing: applied once it arrived."""
        waiting = quarantine.waiting_events(s, list(page.touched))
        if not waiting:
            return
        ids = [str(payload.get("id")) for _, payload in waiting]
        page.events.update(s.scalars(select(RecordEvent.id).where(RecordEvent.id.in_(ids))))
        done: list[int] = []
        for qid, payload in waiting:
            if self.apply_event(s, page, payload, report) is None:
                done.append(qid)
        quarantine.clear(s, done)

    # --- records ----------------------------------------------------------------------------
    def apply_record(self, w: Writer, page: _Page, snap: Any,
                     report: SyncReport) -> Problem | None:
        problem = quarantine.record_problem(snap)
        if problem is not None:
            return problem
        s = w.session
        kind = KINDS[snap["kind"]]
        rid = snap["id"]
        rvals: dict[str, Any] = snap.get("values") or {}
        rfh: dict[str, str] = snap.get("field_hlc") or {}
        rec = page.recs.get(rid)
        now = utcnow()
        if rec is not None and rec.kind != kind.key:
            return Problem("BAD_ROW", "收到的登记与本机同一登记的类型不符")
        if rec is None:
            no = snap["receipt_no"]
            other = page.receipts.get(no, rid)
            if other != rid and (other in page.new or not renumber_unpushed(w, other, report)):
                return Problem("DUPLICATE_RECEIPT", f"收到的{kind.title}编号与本机另一登记重复")
            if other != rid:
                page.any_pending = True  # the renumbered record's changes wait to be sent
            page.receipts[no] = rid
            full = {f.key: None for f in kind.fields}
            full.update(kind.from_json(rvals))
            rec = PendingRecord(  # inserted at the end of the page
                id=rid, kind=kind.key, receipt_no=no, status="",
                needs_review=False, owner=snap["owner"], county_code=snap["county_code"],
                created_by=snap["created_by"], created_at=parse_time(snap["created_at"]),
                updated_at=now, updated_by=snap["created_by"], hlc=snap["hlc"],
                field_hlc=dict(rfh), row_version=int(snap.get("row_version") or 1),
                voided=bool(snap.get("voided")), void_reason=snap.get("void_reason"),
                title=kind.title_of(full), enterprise_uscc=uscc_of(kind, full))
            page.recs[rid] = rec
            page.values[rid] = full
            page.new.add(rid)
            page.touched[rid] = None
            report.records_applied += 1
            page.clear_held(s, rid)
            return None
        local = page.values.get(rid)
        if local is None:
            local = w.values(kind, rid)
        local_json = kind.to_json(local)
        lfh = dict(rec.field_hlc or {})
        is_new = rid in page.new  # created earlier in this page, still in memory
        pending = set() if is_new or not page.any_pending else pending_fields(s, rid)
        changed: dict[str, Any] = {}
        force = self.force and not is_new and not pending and not (
            page.any_pending and has_pending(s, rid))
        for k, rh in rfh.items():
            lh = lfh.get(k)
            rv, lv = rvals.get(k), local_json.get(k)
            if force and (rv != lv or rh != lh):
                changed[k] = rv  # re-baseline: central's value repairs a damaged local one
                lfh[k] = rh
                continue
            if lh is not None and rh <= lh:
                continue  # local value is as new or newer (it reaches central with its HLC)
            if rv != lv:
                changed[k] = rv
                if k in pending:
                    s.execute(insert(sync_conflict).values(
                        record_id=rid, field=k, kept_value=rv, kept_hlc=rh, lost_value=lv,
                        lost_hlc=lh, created_at=now))
                    report.conflicts += 1
            lfh[k] = rh
        dirty = bool(changed)
        if changed:
            if not is_new:
                table = DETAIL[kind.key]
                s.execute(update(table).where(table.c.record_id == rid)
                          .values(**to_db(kind, kind.from_json(changed))))
            full = {**local, **kind.from_json(changed)}
            page.values[rid] = full
            rec.title = kind.title_of(full)
            rec.enterprise_uscc = uscc_of(kind, full)
            if kind.county_field:
                rec.county_code = kind.county_of(full, rec.county_code)
        if lfh != rec.field_hlc:
            rec.field_hlc = lfh
        if snap.get("voided") and not rec.voided:
            rec.voided, rec.void_reason = True, snap.get("void_reason")
            dirty = True
        if force:
            if bool(snap.get("voided")) != rec.voided:
                rec.voided, rec.void_reason = bool(snap.get("voided")), snap.get("void_reason")
                dirty = True
            page.touched[rid] = None  # refold: the status is recomputed from the events
        elif snap["hlc"] > rec.hlc:
            rec.hlc = snap["hlc"]
        if dirty:
            rec.row_version = max(rec.row_version + 1, int(snap.get("row_version") or 1))
            rec.updated_at = now
            page.touched[rid] = None
            report.records_applied += 1
        page.clear_held(s, rid)
        return None

    def insert_new(self, w: Writer, page: _Page) -> None:
        """Insert the records this page created (not yet in the session), each folded over
        its events with Writer.fold_into, with their detail rows, search tokens and the
        page's events: one executemany per table."""
        s = w.session
        new = [rec for rid in page.new if isinstance(rec := page.recs[rid], PendingRecord)]
        page_events: dict[str, list[dict[str, Any]]] = {}
        for row in page.event_rows:
            page_events.setdefault(row["record_id"], []).append(row)
        pk = s.scalar(select(func.max(Record.pk))) or 0
        rec_rows, tokens = [], []
        details: dict[str, list[dict[str, Any]]] = {}
        for rec in new:
            kind = KINDS[rec.kind]
            values = page.values[rec.id]
            rows = page_events.get(rec.id, [])
            applied, _ = w.fold_into(kind, rec, values, [
                EventLike(e["id"], e["hlc"], e["action"], e["from_status"], e["payload"])
                for e in rows])
            for e in rows:
                e["applied"] = e["id"] in applied
            rec.search_text = search_text(kind, rec, values)
            pk += 1
            rec_rows.append({"pk": pk, **rec.columns()})
            details.setdefault(kind.key, []).append({"record_id": rec.id,
                                                     **to_db(kind, values)})
            tokens.append({"pk": pk, "t": search.tokens_for(rec.search_text)})
        conn = s.connection()  # one DB-API executemany per table (storage.rows.insert_rows)
        if rec_rows:
            insert_rows(conn, record_table, rec_rows)
        for kind_key, rows in details.items():
            insert_rows(conn, DETAIL[kind_key], rows)
        if page.event_rows:
            insert_rows(conn, event_table, page.event_rows)
        if tokens:
            s.execute(text("INSERT INTO record_search(rowid, tokens) VALUES (:pk, :t)"), tokens)
        for rec in new:
            page.recs.pop(rec.id, None)  # transient copies: not to be flushed
        page.event_rows = []


RENUMBERED = "RENUMBERED"


def renumber_unpushed(w: Writer, record_id: str, report: SyncReport) -> bool:
    """A record of this window whose number central already holds for another record, and
    which was never uploaded (the store was copied back from an old file by hand, so its
    counter re-issued numbers): it gets the next number of the current generation, its
    pending upload carries the new one, and the clerk is told (audit + 需处理事项) to correct
    the printed receipt. False when the record is not such a one (then it is quarantined)."""
    s = w.session
    rec = s.scalar(select(Record).where(Record.id == record_id))
    if rec is None or rec.owner != w.identity.window_code:
        return False
    upload = s.scalar(select(OutboxEntry).where(
        OutboxEntry.entity == "record", OutboxEntry.entity_id == record_id,
        OutboxEntry.op == "create", OutboxEntry.state.in_(("pending", "rejected"))))
    if upload is None:
        return False
    kind = KINDS[rec.kind]
    old = rec.receipt_no
    new = w.allocate_number(kind, utcnow())
    rec.receipt_no = new
    payload = {**(upload.payload or {}), "receipt_no": new}
    if upload.state == "pending":
        upload.payload = payload
    else:  # central refused it for the number (and so the record's later changes): they are
        # sent again as new changes, in their order, the create with the new number
        refused = [r for r in s.scalars(select(OutboxEntry).where(OutboxEntry.state == "rejected")
                                        .order_by(OutboxEntry.local_seq))
                   if r.entity_id == record_id
                   or (r.entity == "event" and (r.payload or {}).get("record_id") == record_id)]
        for row in refused:
            s.execute(update(sync_issue).where(sync_issue.c.local_seq == row.local_seq,
                                               sync_issue.c.resolved_at.is_(None))
                      .values(resolved_at=utcnow()))
            s.execute(insert(outbox_table).values(
                mutation_id=new_id(), entity=row.entity, entity_id=row.entity_id, op=row.op,
                payload=payload if row is upload else row.payload, hlc=row.hlc,
                created_at=utcnow(), state="pending", attempts=0))
            s.delete(row)
    s.flush()  # before the pulled record with the old number is inserted
    w.index(kind, rec)
    w.audit("renumber", rec, changes={"receipt_no": [old, new]},
            detail="编号已被中心的另一登记使用（本机曾从旧文件恢复），已换新编号")
    s.execute(insert(sync_issue).values(
        code=RENUMBERED, created_at=utcnow(), entity="record", entity_id=record_id,
        reason=(f"本机曾从旧文件恢复，未上传的{kind.title} {old} 的编号已被中心的另一登记使用，"
                f"已改为 {new}，请改正已打印的回执")))
    report.renumbered.append((old, new))
    return True
