"""The write kernel: one write transaction's context and everything a write appends.

`Desk.writing()` opens a `Writer` (session + window identity + acting user + holiday calendar)
inside BEGIN IMMEDIATE. It owns the steps every change of the store shares: the HLC tick,
receipt-number allocation, the outbox row for sync, the audit row, the search index, event
append and the status fold, and the detail-row conversion (`storage.rows`). The Desk's record
actions, sync's pull/apply, the review resolutions and the settings all write through it, so
those steps exist once and can never be left out of a transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from .. import hlc as hlc_mod
from ..errors import NotFound, NotInitialised
from ..numbering import format_receipt_no, normalize_receipt_no
from ..records import links
from ..records.deadlines import rederived_dates
from ..records.fields import GroupField, RefField
from ..records.kind import RecordKind
from ..records.kinds import KINDS
from ..records.workflow import Action, EventLike, fold
from ..timeutil import CST, utcnow
from ..views import Identity, RecordView, UserView
from . import search
from .rows import Envelope, from_db, jsonable, new_id, record_view, to_db
from .schema import (
    DETAIL,
    Installation,
    ReceiptCounter,
    Record,
    RecordEvent,
    audit_table,
    event_table,
    outbox_table,
)

if TYPE_CHECKING:
    from ..workdays import Calendar

SYSTEM_USER = "system"


class Writer:
    """The context of one write transaction. Get one from `Desk.writing()`; never keep it
    past its `with` block."""

    def __init__(self, session: Session, identity: Callable[[], Identity],
                 user: UserView | None, calendar: Callable[[], Calendar]) -> None:
        self.session = session
        self._identity = identity
        self.user = user
        self._calendar = calendar

    # --- who and when ----------------------------------------------------------------------
    @property
    def identity(self) -> Identity:
        return self._identity()

    @property
    def username(self) -> str:
        """The acting account ('system' for work no clerk started)."""
        return self.user.username if self.user else SYSTEM_USER

    def calendar(self) -> Calendar:
        return self._calendar()

    def tick(self) -> str:
        """The next hybrid logical clock stamp of this window (kept in the installation row)."""
        inst = self.session.get(Installation, 1)
        if inst is None:
            raise NotInitialised("此电脑尚未设置窗口信息，请先运行 xingan-desk init")
        inst.hlc_last = hlc_mod.tick(inst.hlc_last or None, self.identity.window_code)
        return inst.hlc_last

    def allocate_number(self, kind: RecordKind, now: dt.datetime) -> str:
        """The next receipt number of this window, generation and year."""
        ident = self.identity
        year = now.astimezone(CST).year
        counter = self.session.get(ReceiptCounter, (year, ident.generation))
        if counter is None:
            counter = ReceiptCounter(year=year, generation=ident.generation, last_no=0)
            self.session.add(counter)
        counter.last_no += 1
        return format_receipt_no(kind.number_prefix, ident.county_code, ident.window_no,
                                 ident.generation, year, counter.last_no)

    # --- what every write appends ----------------------------------------------------------
    def outbox(self, entity: str, entity_id: str, op: str, payload: dict[str, Any],
               stamp: str) -> None:
        """Queue a mutation for sync (committed with the change it describes)."""
        self.session.execute(insert(outbox_table), dict(
            mutation_id=new_id(), entity=entity, entity_id=entity_id, op=op, payload=payload,
            hlc=stamp, created_at=utcnow(), state="pending", attempts=0))

    def audit(self, action: str, rec: Envelope | None = None, *,
              changes: Mapping[str, Any] | None = None, detail: str = "",
              username: str | None = None) -> None:
        """Append an audit entry (who, window, when, what changed)."""
        try:
            window = self.identity.window_code
        except NotInitialised:
            window = ""
        self.session.execute(insert(audit_table), dict(
            at=utcnow(), username=username or self.username, window_code=window,
            action=action, record_id=rec.id if rec else None, kind=rec.kind if rec else None,
            receipt_no=rec.receipt_no if rec else None, changes=jsonable(dict(changes or {})),
            detail=detail))

    # --- records ---------------------------------------------------------------------------
    def load(self, record_id: str) -> Record:
        rec = self.session.scalar(select(Record).where(Record.id == record_id))
        if rec is None:
            raise NotFound("找不到该记录（可能已被删除或编号有误）")
        return rec

    def values(self, kind: RecordKind, record_id: str) -> dict[str, Any]:
        return read_values(self.session, kind, record_id)

    def view(self, rec: Record, values: Mapping[str, Any] | None = None) -> RecordView:
        vals = values if values is not None else self.values(KINDS[rec.kind], rec.id)
        return record_view(rec, vals)

    def insert_record(self, kind: RecordKind, full: Mapping[str, Any], county: str) -> Record:
        """Insert a new record of this window (envelope, detail row and the outbox 'create');
        the caller audits, folds and indexes it."""
        now, stamp = utcnow(), self.tick()
        rec = Record(
            id=new_id(), kind=kind.key, receipt_no=self.allocate_number(kind, now), status="",
            owner=self.identity.window_code, county_code=county, created_by=self.username,
            created_at=now, updated_at=now, updated_by=self.username, hlc=stamp,
            field_hlc={k: stamp for k, v in full.items() if v is not None},
            row_version=1, voided=False, title=kind.title_of(full),
            enterprise_uscc=links.uscc_of(kind, full), print_count=0, needs_review=False,
        )
        self.session.add(rec)
        self.session.flush()
        self.session.execute(insert(DETAIL[kind.key]), {"record_id": rec.id, **to_db(kind, full)})
        self.outbox("record", rec.id, "create", {
            "kind": kind.key, "id": rec.id, "receipt_no": rec.receipt_no, "owner": rec.owner,
            "county_code": county, "created_by": rec.created_by,
            "created_at": now.isoformat(), "hlc": stamp, "values": kind.to_json(full),
        }, stamp)
        return rec

    def update_values(self, kind: RecordKind, rec: Record, current: Mapping[str, Any],
                      changed: Mapping[str, Any], *, base_hlc: bool = True) -> dict[str, Any]:
        """Write changed detail values of `rec` (`current`: its values before) with a new row
        version, field HLCs, title, credit code and county, and queue the outbox 'update'
        (with `base_hlc`, the versions the edit was made on); returns the values after. The
        caller audits, refolds and indexes."""
        stamp = self.tick()
        table = DETAIL[kind.key]
        self.session.execute(update(table).where(table.c.record_id == rec.id)
                             .values(**to_db(kind, changed)))
        full = {**current, **changed}
        rec.row_version += 1
        rec.updated_at, rec.updated_by, rec.hlc = utcnow(), self.username, stamp
        # base_hlc: the versions this edit was made on, so central can tell an edit that
        # overwrites a value its writer never saw (a conflict) from an ordinary one
        base = {k: (rec.field_hlc or {}).get(k) for k in changed}
        rec.field_hlc = {**(rec.field_hlc or {}), **{k: stamp for k in changed}}
        rec.title = kind.title_of(full)
        rec.enterprise_uscc = links.uscc_of(kind, full)
        if kind.county_field in changed:
            rec.county_code = kind.county_of(full, rec.county_code)
        payload: dict[str, Any] = {
            "kind": kind.key, "id": rec.id, "hlc": stamp, "values": kind.to_json(dict(changed)),
            "row_version": rec.row_version}
        if base_hlc:
            payload["base_hlc"] = base
        self.outbox("record", rec.id, "update", payload, stamp)
        return full

    def check_refs(self, kind: RecordKind, values: Mapping[str, Any],
                   errors: dict[str, str], *,
                   known: Mapping[str, tuple[str, bool]] | None = None) -> None:
        """Reference fields must name an existing, unvoided record of the declared kinds.
        `known` (receipt number → (kind, voided), looked up in advance by a bulk write)
        replaces the lookup per field."""
        for f in kind.fields:
            if not isinstance(f, RefField) or f.stage == "system" or not values.get(f.key):
                continue
            if f.key in errors:
                continue
            no = normalize_receipt_no(values[f.key])
            if known is not None:
                target = known.get(no)
            else:
                row = self.session.execute(select(Record.kind, Record.voided)
                                           .where(Record.receipt_no == no)).first()
                target = (row[0], bool(row[1])) if row is not None else None
            if target is None:
                errors[f.key] = f"找不到编号为“{no}”的登记，请核对"
            elif f.target_kinds and target[0] not in f.target_kinds:
                want = "、".join(KINDS[k].title for k in f.target_kinds)
                errors[f.key] = f"“{no}”是{KINDS[target[0]].title}，这里需要{want}的编号"
            elif target[1]:
                errors[f.key] = f"“{no}”已作废"

    # --- search index ----------------------------------------------------------------------
    def index(self, kind: RecordKind, rec: Record, values: Mapping[str, Any] | None = None,
              *, new: bool = False) -> None:
        """(Re)write the record's search text and its tokens in `record_search`."""
        if values is None:
            values = self.values(kind, rec.id)
        text_ = search_text(kind, rec, values)
        rec.search_text = text_
        if not new:
            self.session.execute(text("DELETE FROM record_search WHERE rowid = :pk"),
                                 {"pk": rec.pk})
        self.session.execute(text("INSERT INTO record_search(rowid, tokens) VALUES (:pk, :t)"),
                             {"pk": rec.pk, "t": search.tokens_for(text_)})

    # --- events and status -----------------------------------------------------------------
    def append_event(self, kind: RecordKind, rec: Record, status: str, action: Action,
                     values: Mapping[str, Any], current: Mapping[str, Any]) -> EventLike:
        """Append a status event (with the values the action records and the deadlines it
        derives), its outbox row and its audit entry."""
        derived = kind.derive(action.key, {**current, **values}, self.calendar())
        payload = kind.to_json({**values, **derived})
        stamp = self.tick()
        ev_id, now = new_id(), utcnow()
        actor, owner = self.username, self.identity.window_code
        self.session.execute(insert(event_table), dict(
            id=ev_id, record_id=rec.id, action=action.key, from_status=status,
            to_status=action.target, payload=payload, hlc=stamp, actor=actor, owner=owner,
            created_at=now, applied=True))
        rec.row_version += 1
        rec.updated_at, rec.updated_by, rec.hlc = now, actor, stamp
        self.outbox("event", ev_id, "event", {
            "kind": kind.key, "record_id": rec.id, "id": ev_id, "action": action.key,
            "from_status": status, "to_status": action.target, "payload": payload, "hlc": stamp,
            "actor": actor, "owner": owner, "created_at": now.isoformat(),
        }, stamp)
        label = kind.workflow.state_label if kind.workflow else str
        self.audit("transition", rec, changes={
            "status": [label(status), label(action.target)],
            **{k: [None, v] for k, v in payload.items()},
        }, detail=action.label)
        return EventLike(ev_id, stamp, action.key, status, payload)

    def refold(self, kind: RecordKind, rec: Record, values: Mapping[str, Any] | None = None,
               events: Sequence[EventLike] | None = None,
               was_applied: Mapping[str, bool] | None = None) -> dict[str, Any]:
        """Recompute status (and the values events recorded) from the event list.

        `values` (the record's current values) and `events` (all of its events, with their
        stored `was_applied` flags; new events count as applied) may be given when the caller
        already has them, to save the round trips. Returns the values after the fold."""
        s = self.session
        current = dict(values) if values is not None else self.values(kind, rec.id)
        if kind.workflow is None:
            self.fold_into(kind, rec, current, [])
            return current
        if events is None:
            rows = list(s.execute(select(RecordEvent.id, RecordEvent.hlc, RecordEvent.action,
                                         RecordEvent.from_status, RecordEvent.payload,
                                         RecordEvent.applied)
                                  .where(RecordEvent.record_id == rec.id)))
            events = [EventLike(r.id, r.hlc, r.action, r.from_status, r.payload) for r in rows]
            was_applied = {r.id: r.applied for r in rows}
        elif was_applied is None:
            was_applied = {e.id: True for e in events}
        applied, changes = self.fold_into(kind, rec, current, events)
        flips = [e.id for e in events if (e.id in applied) != was_applied.get(e.id, True)]
        for ev_id in flips:
            s.execute(update(event_table).where(RecordEvent.id == ev_id)
                      .values(applied=ev_id in applied))
        if changes:
            table = DETAIL[kind.key]
            s.execute(update(table).where(table.c.record_id == rec.id)
                      .values(**to_db(kind, changes)))
        return current

    def fold_into(self, kind: RecordKind, rec: Envelope, current: dict[str, Any],
                  events: Sequence[EventLike]) -> tuple[set[str], dict[str, Any]]:
        """The part of `refold` that touches no table (bulk pulls use it before inserting):
        sets rec.status, needs_review and the due date from the events, updates `current`
        with the values the applied events recorded, and returns (ids of the applied events,
        the detail values that changed)."""
        return fold_record(kind, rec, current, events, self.calendar())


def read_values(s: Session, kind: RecordKind, record_id: str) -> dict[str, Any]:
    """A record's values from its detail row."""
    table = DETAIL[kind.key]
    row = s.execute(select(table).where(table.c.record_id == record_id)).mappings().first()
    return from_db(kind, row or {})


def fold_record(kind: RecordKind, rec: Envelope, current: dict[str, Any],
                events: Sequence[EventLike], calendar: Calendar) -> tuple[set[str], dict[str, Any]]:
    """Status, review flag, projected action values and due date of `rec` from its events
    (see `Writer.fold_into`)."""
    wf = kind.workflow
    if wf is None:
        set_due(kind, rec, "", current, calendar)
        return set(), {}
    result = fold(wf, events)
    rec.status = result.status
    rec.needs_review = bool(result.conflicts)
    # Project what the applied events recorded onto the detail columns; action-stage
    # fields that no applied event mentions are cleared (an event may have been un-applied).
    resettable = kind.later_keys
    mentioned = {k for k in result.values if kind.has_field(k)}
    projected = kind.from_json({k: result.values[k] for k in mentioned})
    changes: dict[str, Any] = {k: None for k in resettable - mentioned}
    changes.update(projected)
    changes = {k: v for k, v in changes.items() if current.get(k) != v}
    current.update(changes)
    if result.status not in wf.terminal:  # open: deadlines follow the shared holiday table
        by_id = {e.id: e.action for e in events}
        again = rederived_dates(kind, (by_id[i] for i in result.applied), current, calendar)
        again = {k: v for k, v in again.items() if current.get(k) != v}
        current.update(again)
        changes.update(again)
    set_due(kind, rec, rec.status, current, calendar)
    return set(result.applied), changes


def set_due(kind: RecordKind, rec: Envelope, status: str, values: Mapping[str, Any],
            calendar: Calendar) -> None:
    """The record's nearest deadline (for 待办/到期), none once voided."""
    deadlines = [] if rec.voided else kind.deadlines(status, values, calendar)
    if deadlines:
        first = min(deadlines, key=lambda d: d.due)
        rec.due_date, rec.due_label = first.due, first.label
    else:
        rec.due_date = rec.due_label = None


def search_text(kind: RecordKind, rec: Envelope, values: Mapping[str, Any]) -> str:
    """The text a record is found by (its tokens go into record_search)."""
    parts = [rec.receipt_no, rec.title]
    for f in kind.fields:
        v = values.get(f.key)
        if v is None:
            continue
        if isinstance(f, GroupField):
            for row in v:
                parts.extend(str(row.get(sub.key) or "") for sub in f.fields if sub.searchable)
        elif f.searchable:
            parts.append(str(v))
    return " ".join(p for p in parts if p)
