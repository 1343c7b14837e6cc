"""Bulk creation: many records per transaction with the same rows `Desk.create` writes.

`Desk.create_many` (the demo generator, the Excel import, tests and benchmarks) feeds rows in
batches; each batch is one write transaction in which every row is first validated completely
(intake values, the workflow steps it brings, references, unique fields, source keys) and then
all valid rows are written with one executemany per table: envelope, detail, events, outbox,
audit, search index and source keys. Receipt numbers are allocated per batch, HLC stamps are
ticked in memory, the status is the same fold (`storage.writer.fold_record`) a save uses.

Historical rows (an import of old ledgers) keep their registration time (`BulkRow.created_at`)
and the dates of the steps taken since (`BulkAction.at`); a `source_key` makes a re-import
skip what is already in (kept in `record_source`, written in the row's transaction).
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from . import hlc as hlc_mod
from .accounts import check_role
from .errors import NotInitialised, PermissionDenied, ValidationFailed
from .numbering import format_receipt_no
from .records import links
from .records.kind import SOURCE_NO, CleanMemo, RecordKind
from .records.kinds import KINDS
from .records.workflow import Action, EventLike
from .storage import search
from .storage.rows import PendingRecord, insert_rows, new_id, record_view, to_db, user_view
from .storage.schema import (
    DETAIL,
    Installation,
    ReceiptCounter,
    Record,
    UserAccount,
    audit_table,
    event_table,
    outbox_table,
    record_source,
    record_table,
)
from .storage.types import create_changes
from .storage.writer import Writer, fold_record, search_text
from .timeutil import CST, utcnow
from .views import Changes, RecordView, UserView

__all__ = ["BulkAction", "BulkResult", "BulkRow", "OnError", "batches", "write_batch"]

OnError = Literal["raise", "collect"]
IN_CHUNK = 500  # values per IN (…) lookup


@dataclass(frozen=True)
class BulkAction:
    """One workflow step a bulk row already went through (as `Desk.act` would take it)."""

    action: str
    values: Mapping[str, Any] = field(default_factory=dict)
    at: dt.datetime | None = None  # when it was taken; default the row's created_at
    actor: str | None = None  # username of an existing account; default the acting user


@dataclass(frozen=True)
class BulkRow:
    """One record to create: intake values as for `Desk.create`, plus history."""

    values: Mapping[str, Any]
    created_at: dt.datetime | None = None  # historical registration time; default now
    actions: Sequence[BulkAction] = ()
    source_key: str | None = None  # a key already imported for this kind → skipped
    row_no: int | None = None  # the number errors are reported under
    source_no: str | None = None  # the ledger's own number, kept on the record (原台账编号)


@dataclass
class BulkResult:
    created: list[tuple[int, str, str]] = field(default_factory=list)  # row, id, receipt
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # row, receipt, why
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def count(self) -> int:
        return len(self.created)


@dataclass
class BulkState:
    """What one `create_many` call remembers across its batches."""

    unique: dict[tuple[str, Any], str] = field(default_factory=dict)  # (key, value) → receipt
    sources: dict[str, str] = field(default_factory=dict)  # source key → receipt
    registered: set[str] = field(default_factory=set)  # credit codes registered by the call
    users: dict[str, UserView | None] = field(default_factory=dict)
    memo: CleanMemo = field(default_factory=dict)  # field outcomes of repeated values


@dataclass
class _Step:
    action: Action
    values: dict[str, Any]
    at: dt.datetime | None
    actor: str


@dataclass
class _Prepared:
    row_no: int
    kind: RecordKind
    full: dict[str, Any]
    county: str
    created_at: dt.datetime | None
    steps: list[_Step]
    source_key: str | None
    audit: str  # detail of the create's audit row


def batches(rows: Iterable[Mapping[str, Any] | BulkRow], size: int
            ) -> Iterator[list[tuple[int, BulkRow]]]:
    """(row number, BulkRow) in lists of `size`, read lazily (a long file stays streamed)."""
    it = iter(rows)
    position = 0
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        out: list[tuple[int, BulkRow]] = []
        for item in chunk:
            position += 1
            row = item if isinstance(item, BulkRow) else BulkRow(values=item)
            out.append((row.row_no if row.row_no is not None else position, row))
        yield out


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC; a naive time is China time (what a ledger holds)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.astimezone(dt.UTC)


# --- validation ----------------------------------------------------------------------------
def clean_intake(kind: RecordKind, raw: Mapping[str, Any], memo: CleanMemo | None = None
                 ) -> tuple[dict[str, Any], dict[str, str]]:
    """A new record's intake values and errors (declared defaults fill fields the caller
    did not mention, not ones it emptied; fields only actions record are refused). Shared by
    `create_in` and the bulk path (xingan_desk/bulk.py)."""
    intake, taken, defaults = _intake(kind)
    raw = {**{k: v for k, v in defaults.items() if k not in raw}, **raw}
    if raw.keys() <= taken:  # the common case: intake fields only
        values, errors = kind.clean(raw, keys=intake, memo=memo)
        return values, errors
    locked = [k for k in raw if kind.has_field(k) and k not in taken
              and raw[k] not in (None, "", [])]
    values, errors = kind.clean({k: v for k, v in raw.items() if k not in locked and
                                 (k in taken or not kind.has_field(k))}, keys=intake,
                                memo=memo)
    for k in locked:
        errors[k] = f"{kind.field(k).label}只能通过办理操作填写"
    return values, errors


_INTAKE: dict[str, tuple[RecordKind, tuple[str, ...], frozenset[str], dict[str, Any]]] = {}


def _intake(kind: RecordKind) -> tuple[tuple[str, ...], frozenset[str], dict[str, Any]]:
    """A kind's intake keys (in form order and as a set) and their declared defaults, worked
    out once rather than per row."""
    known = _INTAKE.get(kind.key)
    if known is None or known[0] is not kind:
        keys = tuple(f.key for f in kind.intake_fields)
        known = _INTAKE[kind.key] = (kind, keys, frozenset(keys), {
            f.key: f.default for f in kind.intake_fields if f.default is not None})
    return known[1], known[2], known[3]


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def _among(col: Any, part: Sequence[Any]) -> Any:
    """col IN (part), or col = value for one (a save's lookups read as lookups)."""
    return col == part[0] if len(part) == 1 else col.in_(part)


def live_duplicates(w: Writer, kind: RecordKind, key: str, values: Sequence[Any]
                    ) -> dict[Any, str]:
    """value → receipt number of a live record of `kind` whose unique field `key` holds it."""
    out: dict[Any, str] = {}
    col: Any
    if key in links.uscc_fields(kind):
        col = Record.enterprise_uscc
        base = select(col, Record.receipt_no)
    else:
        table = DETAIL[kind.key]
        col = table.c[key]
        base = select(col, Record.receipt_no).join(table, table.c.record_id == Record.id)
    for part in _chunks(list(dict.fromkeys(values))):
        stmt = base.where(Record.kind == kind.key, _among(col, part), Record.voided.is_(False))
        out.update({v: no for v, no in w.session.execute(stmt)})
    return out


def known_sources(s: Session, kind_key: str, keys: Sequence[str]) -> dict[str, str]:
    """source key → receipt number of the record imported under it."""
    out: dict[str, str] = {}
    for part in _chunks(list(dict.fromkeys(keys))):
        stmt = (select(record_source.c.source_key, Record.receipt_no)
                .join(Record, Record.id == record_source.c.record_id)
                .where(record_source.c.kind == kind_key, _among(record_source.c.source_key, part)))
        out.update({k: no for k, no in s.execute(stmt)})
    return out


def _user(w: Writer, state: BulkState, username: str) -> UserView | None:
    if username not in state.users:
        acc = w.session.scalar(select(UserAccount).where(UserAccount.username == username))
        state.users[username] = user_view(acc) if acc is not None and acc.active else None
    return state.users[username]


def _prepare_steps(w: Writer, state: BulkState, kind: RecordKind, row: BulkRow,
                   full: dict[str, Any], errors: dict[str, str]) -> list[_Step]:
    """The row's automatic and given workflow steps, each checked as `Desk.act` checks it."""
    wf = kind.workflow
    me = w.username
    steps: list[_Step] = []
    if wf is None:
        if row.actions:
            errors["_action"] = f"{kind.title}没有办理状态"
        return steps
    status = wf.initial
    for key in kind.auto_actions(full):
        action = wf.action(key)
        steps.append(_Step(action, {}, None, me))
        status = action.target
    current = dict(full)
    for n, step in enumerate(row.actions, 1):
        refusal = wf.refusal(status, step.action)
        if refusal:
            errors["_action"] = f"第{n}步：{refusal}"
            return steps
        action = wf.action(step.action)
        actor = step.actor or me
        user = w.user if actor == me else _user(w, state, actor)
        if user is None:
            errors["_action"] = f"第{n}步“{action.label}”：没有名为“{actor}”的有效账号"
            return steps
        try:
            check_role(user, action.roles, what=action.label)
        except PermissionDenied as exc:
            errors["_action"] = f"第{n}步：{exc}"
            return steps
        raw = dict(step.values)
        stray = set(raw) - set(action.fields)
        if stray:
            names = "、".join(sorted(stray))
            errors["_action"] = f"第{n}步“{action.label}”不记录这些字段：{names}"
            return steps
        values, errs = kind.clean(raw, keys=action.fields, existing=current, memo=state.memo)
        for k in action.required:
            if values.get(k) in (None, [], "") and k not in errs:
                errs[k] = f"请填写{kind.field(k).label}"
        if errs:
            for k, m in errs.items():
                errors.setdefault(k, f"{action.label}：{m}" if action.label not in m else m)
            return steps
        given = {k: v for k, v in values.items() if v is not None or k in raw}
        current.update(given)
        steps.append(_Step(action, given, as_utc(step.at), actor))
        status = action.target
    return steps


def _check_refs(w: Writer, kind: RecordKind, prepared: list[tuple[int, BulkRow, dict[str, Any],
                dict[str, str]]]) -> None:
    """Reference fields of every row, with one lookup per batch (messages as Writer.check_refs)."""
    from .numbering import normalize_receipt_no
    from .records.fields import RefField

    refs = [f for f in kind.fields if isinstance(f, RefField) and f.stage != "system"]
    if not refs:
        return
    wanted = [normalize_receipt_no(vals[f.key]) for _, _, vals, _ in prepared for f in refs
              if vals.get(f.key)]
    found: dict[str, tuple[str, bool]] = {}
    for part in _chunks(list(dict.fromkeys(wanted))):
        stmt = select(Record.receipt_no, Record.kind, Record.voided).where(
            _among(Record.receipt_no, part))
        found.update({no: (k, bool(v)) for no, k, v in w.session.execute(stmt)})
    for _, _, vals, errors in prepared:
        w.check_refs(kind, vals, errors, known=found)


def _prepare(w: Writer, state: BulkState, kind: RecordKind, batch: list[tuple[int, BulkRow]],
             result: BulkResult, *, skip_duplicates: bool, note: str
             ) -> tuple[list[_Prepared], list[tuple[int, dict[str, str]]]]:
    """Validate the batch: (rows to write, (row number, errors) of the refused ones)."""
    keyed = [r.source_key for _, r in batch if r.source_key]
    done = known_sources(w.session, kind.key, keyed) if keyed else {}
    checked: list[tuple[int, BulkRow, dict[str, Any], dict[str, str]]] = []
    for row_no, row in batch:
        if row.source_key:
            no = done.get(row.source_key) or state.sources.get(row.source_key)
            if no:
                result.skipped.append((row_no, no, "source_key"))
                continue
        values, errors = clean_intake(kind, row.values, state.memo)
        checked.append((row_no, row, values, errors))
    _check_refs(w, kind, checked)
    dups: dict[str, dict[Any, str]] = {}
    for key in kind.unique_fields:
        vals = [v[key] for _, _, v, e in checked if v.get(key) and key not in e]
        dups[key] = live_duplicates(w, kind, key, vals) if vals else {}
    ready: list[_Prepared] = []
    refused: list[tuple[int, dict[str, str]]] = []
    field_keys = [f.key for f in kind.fields]
    window_county = w.identity.county_code
    for row_no, row, values, errors in checked:
        skip: str | None = None
        for key in kind.unique_fields:
            v = values.get(key)
            if not v or key in errors:
                continue
            dup = dups[key].get(v) or state.unique.get((key, v))
            if dup and skip_duplicates:
                skip = dup
            elif dup:
                errors[key] = (f"该{kind.field(key).label}已在{kind.title}中（{dup}），"
                               "请直接修改原记录")
        if skip:
            result.skipped.append((row_no, skip, "duplicate"))
            continue
        full = dict.fromkeys(field_keys)  # every field, in declared order
        full.update(values)
        if row.source_no:
            full[SOURCE_NO.key] = SOURCE_NO.clean(row.source_no[:SOURCE_NO.max_len])
        steps = _prepare_steps(w, state, kind, row, full, errors) if not errors else []
        if errors:
            order = {f.key: i for i, f in enumerate(kind.fields)}
            refused.append((row_no, dict(sorted(errors.items(),
                                                key=lambda kv: order.get(kv[0], -1)))))
            continue
        for key in kind.unique_fields:
            if full.get(key):
                state.unique[(key, full[key])] = f"本次导入的第{row_no}行"
        if row.source_key:
            state.sources[row.source_key] = f"本次导入的第{row_no}行"
        ready.append(_Prepared(
            row_no, kind, full, kind.county_of(full, window_county),
            as_utc(row.created_at), steps, row.source_key, note))
    return ready, refused


# --- writing -------------------------------------------------------------------------------
class _Rows:
    """The rows of one batch, per table, in the order `Desk.create` would write them."""

    def __init__(self, w: Writer, pk: int, now: dt.datetime, numbers: int) -> None:
        """`numbers`: how many receipt numbers the batch takes (reserved at once)."""
        self.w = w
        self.pk = pk
        self.now = now
        ident = w.identity
        self.window = ident.window_code
        self.ident = ident
        self.records: list[dict[str, Any]] = []
        self.details: dict[str, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.tokens: list[dict[str, Any]] = []
        self.sources: list[dict[str, Any]] = []
        self.n_outbox = 0
        self.calendar = w.calendar()
        self.year = now.astimezone(CST).year
        self.conn = w.session.connection()
        # The clock and the counter are read and written with plain statements, unless the
        # session already holds their ORM rows (then through those, so nothing is stale).
        self.inst: Installation | None = None
        self.last_hlc = ""
        self.resync()
        self.next_no, self.end_no = self._reserve(numbers)

    def _loaded(self, cls: type[Any], key: Any) -> Any:
        return self.w.session.identity_map.get(identity_key(cls, key))

    def resync(self) -> None:
        """Take up the HLC where the session left it (after ORM writes such as a handover
        note, which tick through `Writer.tick`)."""
        inst = self._loaded(Installation, 1)
        if inst is not None:
            self.inst = inst
            self.last_hlc = inst.hlc_last
            return
        row = self.conn.exec_driver_sql("SELECT hlc_last FROM installation WHERE id = 1").first()
        if row is None:
            raise NotInitialised("此电脑尚未设置窗口信息，请先运行 xingan-desk init")
        self.last_hlc = row[0] or ""

    def _reserve(self, n: int) -> tuple[int, int]:
        gen = self.ident.generation
        counter = self._loaded(ReceiptCounter, (self.year, gen))
        if counter is not None:
            counter.last_no += n
            top = counter.last_no
        else:
            row = self.conn.exec_driver_sql(
                "UPDATE receipt_counter SET last_no = last_no + ? WHERE year = ? AND "
                "generation = ? RETURNING last_no", (n, self.year, gen)).first()
            if row is None:
                self.conn.exec_driver_sql("INSERT INTO receipt_counter (year, generation, "
                                          "last_no) VALUES (?, ?, ?)", (self.year, gen, n))
                top = n
            else:
                top = int(row[0])
        return top - n + 1, top

    def tick(self) -> str:
        self.last_hlc = hlc_mod.tick(self.last_hlc or None, self.window)
        if self.inst is not None:
            self.inst.hlc_last = self.last_hlc
        return self.last_hlc

    def number(self, kind: RecordKind) -> str:
        if self.next_no > self.end_no:
            raise RuntimeError("bulk: more records than receipt numbers reserved")
        no = self.next_no
        self.next_no += 1
        ident = self.ident
        return format_receipt_no(kind.number_prefix, ident.county_code, ident.window_no,
                                 ident.generation, self.year, no)

    def add_outbox(self, entity: str, entity_id: str, op: str, payload: dict[str, Any],
                   stamp: str) -> None:
        self.n_outbox += 1
        self.outbox.append(dict(
            mutation_id=new_id(), entity=entity, entity_id=entity_id, op=op, payload=payload,
            hlc=stamp, created_at=self.now, state="pending", attempts=0))

    def add_audit(self, action: str, rec: PendingRecord, changes: dict[str, Any],
                  detail: str, username: str) -> None:
        self.audit.append(dict(
            at=self.now, username=username, window_code=self.window, action=action,
            record_id=rec.id, kind=rec.kind, receipt_no=rec.receipt_no,
            changes=changes, detail=detail))

    def add(self, kind: RecordKind, full: dict[str, Any], county: str,
            created_at: dt.datetime | None, steps: Sequence[_Step], *, audit_detail: str,
            audit_values: bool = True, source_key: str | None = None) -> PendingRecord:
        """One new record's rows (`audit_values`: the create's audit lists the values, as a
        clerk's save does; an enterprise registered on the way lists none)."""
        w, now = self.w, self.now
        created = created_at or now
        stamp = self.tick()
        user = w.username
        rec = PendingRecord(
            id=new_id(), kind=kind.key, receipt_no=self.number(kind), status="",
            needs_review=False, owner=self.window, county_code=county, created_by=user,
            created_at=created, updated_at=now, updated_by=user, hlc=stamp,
            field_hlc={k: stamp for k, v in full.items() if v is not None}, row_version=1,
            voided=False, void_reason=None, title=kind.title_of(full),
            enterprise_uscc=links.uscc_of(kind, full))
        as_json = kind.to_json(full)
        self.add_outbox("record", rec.id, "create", {
            "kind": kind.key, "id": rec.id, "receipt_no": rec.receipt_no, "owner": rec.owner,
            "county_code": county, "created_by": user, "created_at": created.isoformat(),
            "hlc": stamp, "values": as_json}, stamp)
        self.add_audit("create", rec, create_changes(as_json, audit_values), audit_detail, user)
        events: list[EventLike] = []
        event_rows: list[dict[str, Any]] = []
        wf = kind.workflow
        status = wf.initial if wf else ""
        current = dict(full)
        label = wf.state_label if wf else str
        for step in steps:
            action = step.action
            derived = kind.derive(action.key, {**current, **step.values}, self.calendar)
            payload = kind.to_json({**step.values, **derived})
            current.update(step.values)
            current.update(derived)
            ev_stamp = self.tick()
            ev_id = new_id()
            at = step.at or created
            event_rows.append(dict(
                id=ev_id, record_id=rec.id, action=action.key, from_status=status,
                to_status=action.target, payload=payload, hlc=ev_stamp, actor=step.actor,
                owner=self.window, created_at=at, applied=True))
            self.add_outbox("event", ev_id, "event", {
                "kind": kind.key, "record_id": rec.id, "id": ev_id, "action": action.key,
                "from_status": status, "to_status": action.target, "payload": payload,
                "hlc": ev_stamp, "actor": step.actor, "owner": self.window,
                "created_at": at.isoformat()}, ev_stamp)
            self.add_audit("transition", rec, {
                "status": [label(status), label(action.target)],
                **{k: [None, v] for k, v in payload.items()}}, action.label, step.actor)
            events.append(EventLike(ev_id, ev_stamp, action.key, status, payload))
            status = action.target
            rec.row_version += 1
            rec.hlc = ev_stamp
        applied, _ = fold_record(kind, rec, full, events, self.calendar)
        for ev in event_rows:
            ev["applied"] = ev["id"] in applied
        self.events.extend(event_rows)
        rec.search_text = search_text(kind, rec, full)
        self.pk += 1
        self.records.append({"pk": self.pk, **rec.columns()})
        self.details.setdefault(kind.key, []).append({"record_id": rec.id,
                                                      **to_db(kind, full)})
        self.tokens.append({"pk": self.pk, "t": search.tokens_for(rec.search_text)})
        if source_key:
            self.sources.append({"kind": kind.key, "source_key": source_key,
                                 "record_id": rec.id, "imported_at": now})
        return rec

    def flush(self) -> None:
        conn = self.conn
        if self.inst is None:
            conn.exec_driver_sql("UPDATE installation SET hlc_last = ? WHERE id = 1",
                                 (self.last_hlc,))
        if self.records:
            insert_rows(conn, record_table, self.records)
        for kind_key, rows in self.details.items():
            insert_rows(conn, DETAIL[kind_key], rows)
        if self.events:
            insert_rows(conn, event_table, self.events)
        if self.outbox:
            insert_rows(conn, outbox_table, self.outbox)
        if self.audit:
            insert_rows(conn, audit_table, self.audit)
        if self.tokens:
            conn.exec_driver_sql("INSERT INTO record_search(rowid, tokens) VALUES (?, ?)",
                                 [(r["pk"], r["t"]) for r in self.tokens])
        if self.sources:
            insert_rows(conn, record_source, self.sources)
        self.records, self.details, self.events, self.outbox = [], {}, [], []
        self.audit, self.tokens, self.sources = [], [], []


def _registry_candidates(w: Writer, kind: RecordKind, ready: list[_Prepared],
                         state: BulkState) -> dict[int, tuple[RecordKind, dict[str, Any], str]]:
    """Per row index: the enterprise it adds to the registry (as `Desk.create` would)."""
    out: dict[int, tuple[RecordKind, dict[str, Any], str]] = {}
    if not links.registers_enterprise(kind):
        return out
    reg = KINDS[links.registry_kind()]
    named = [c for p in ready if (c := links.uscc_of(kind, p.full))]
    known = _registered(w, reg, named) | state.registered
    wanted: dict[int, tuple[dict[str, Any], str]] = {}
    names_code = bool(links.uscc_fields(kind))
    for i, p in enumerate(ready):
        code = links.uscc_of(kind, p.full)
        if code and code in known:
            continue  # in the registry already (building its entry costs a full clean)
        if not code and names_code:
            continue  # names no enterprise (the registry entry would have no credit code)
        ent = links.enterprise_from(kind, p.full, default_county=p.county)
        if ent is None:
            continue
        uscc = links.uscc_of(reg, ent)
        if uscc:
            wanted[i] = (ent, uscc)
    if not wanted:
        return out
    existing = _registered(w, reg, [u for _, u in wanted.values()])
    for i, (ent, uscc) in wanted.items():
        if uscc in existing or uscc in state.registered:
            continue
        state.registered.add(uscc)
        full = {f.key: ent.get(f.key) for f in reg.fields}
        out[i] = (reg, full, reg.county_of(full, ready[i].county))
    return out


def _registered(w: Writer, reg: RecordKind, codes: Sequence[str]) -> set[str]:
    """The credit codes among `codes` the registry holds (voided entries count, as in
    `Desk.create`)."""
    found: set[str] = set()
    for part in _chunks(list(dict.fromkeys(codes))):
        found.update(c for c in w.session.scalars(select(Record.enterprise_uscc).where(
            Record.kind == reg.key, _among(Record.enterprise_uscc, part))) if c)
    return found


def write_batch(w: Writer, kind_key: str, batch: list[tuple[int, BulkRow]], state: BulkState,
                result: BulkResult, *, note: str = "", on_error: OnError = "raise",
                skip_duplicates: bool = False, register_enterprise: bool = True) -> None:
    """Validate and write one batch in the writer's transaction (see Desk.create_many)."""
    with _collector_paused():
        _write_batch(w, kind_key, batch, state, result, note=note, on_error=on_error,
                     skip_duplicates=skip_duplicates, register_enterprise=register_enterprise)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch makes tens of thousands of dicts and lists that live until it is written; the
    cyclic garbage collector would scan them again and again (about 7 % of a batch's CPU).
    Reference counting frees them as always; the collector runs again after the batch."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _write_batch(w: Writer, kind_key: str, batch: list[tuple[int, BulkRow]], state: BulkState,
                 result: BulkResult, *, note: str, on_error: OnError, skip_duplicates: bool,
                 register_enterprise: bool) -> None:
    kind = KINDS[kind_key]
    if w.user is None:
        raise PermissionDenied("请先登录")
    ready, refused = _prepare(w, state, kind, batch, result, skip_duplicates=skip_duplicates,
                              note=note)
    if refused and on_error == "raise":
        row_no, errors = refused[0]
        raise ValidationFailed({k: f"第{row_no}行：{m}" for k, m in errors.items()})
    result.errors.extend(refused)
    if not ready:
        return
    registry = _registry_candidates(w, kind, ready, state) if register_enterprise else {}
    rows = _Rows(w, _max_pk(w), utcnow(), len(ready) + len(registry))
    for i, p in enumerate(ready):
        rec = rows.add(kind, p.full, p.county, p.created_at, p.steps, audit_detail=p.audit,
                       source_key=p.source_key)
        result.created.append((p.row_no, rec.id, rec.receipt_no))
        if p.source_key:
            state.sources[p.source_key] = rec.receipt_no
        for key in kind.unique_fields:
            if p.full.get(key):
                state.unique[(key, p.full[key])] = rec.receipt_no
        if i in registry:
            reg, full, county = registry[i]
            rows.add(reg, full, county, None, _auto_steps(reg, full, w.username),
                     audit_detail="由登记自动加入企业库", audit_values=False)
    rows.flush()


def _max_pk(w: Writer) -> int:
    if w.session.new:
        w.session.flush()  # records the session holds count (as an ORM query's autoflush)
    row = w.session.connection().exec_driver_sql("SELECT max(pk) FROM record").first()
    return int(row[0] or 0) if row is not None else 0


def create_one(w: Writer, kind_key: str, raw: Mapping[str, Any], *,
               register_enterprise: bool = True,
               after_record: Callable[[str], Changes] | None = None,
               ) -> tuple[RecordView, Changes]:
    """One record as `Desk.create` saves it, through the same validation and rows as a bulk
    batch (ValidationFailed with {field: message} and nothing written when refused).
    `after_record(receipt_no)` runs once the record's rows are in (the handover note, so the
    outbox keeps the order record, its events, the note, the enterprise it registers)."""
    kind = KINDS[kind_key]
    state, result = BulkState(), BulkResult()
    ready, refused = _prepare(w, state, kind, [(1, BulkRow(raw))], result,
                              skip_duplicates=False, note="")
    if refused:
        raise ValidationFailed(refused[0][1], {f.key: f.label for f in kind.fields})
    p = ready[0]
    registry = _registry_candidates(w, kind, ready, state) if register_enterprise else {}
    rows = _Rows(w, _max_pk(w), utcnow(), 1 + len(registry))
    rec = rows.add(kind, p.full, p.county, None, p.steps, audit_detail="")
    changes = Changes(frozenset({rec.id}), frozenset({kind.key}))
    extra = 0
    if after_record is not None:
        rows.flush()
        changes |= after_record(rec.receipt_no)
        rows.resync()
        extra = 1
    if 0 in registry:
        reg, full, county = registry[0]
        ent = rows.add(reg, full, county, None, _auto_steps(reg, full, w.username),
                       audit_detail="由登记自动加入企业库", audit_values=False)
        changes |= Changes(frozenset({ent.id}), frozenset({reg.key}))
    rows.flush()
    return record_view(rec, p.full), changes | Changes(outbox=rows.n_outbox + extra)


def _auto_steps(kind: RecordKind, full: Mapping[str, Any], actor: str) -> list[_Step]:
    wf = kind.workflow
    if wf is None:
        return []
    return [_Step(wf.action(k), {}, None, actor) for k in kind.auto_actions(full)]


