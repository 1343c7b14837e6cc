"""Conversions between the store's rows and the core's values and views (one place).

`to_db`/`from_db` turn a kind's values into its `<kind>_detail` columns and back (repeating
groups live in JSON columns in their JSON form); `record_view`, `user_view` and `audit_view`
turn ORM rows into the frozen views of `xingan_desk.views`. Sync, review, statistics and the
Desk all use these, so a conversion is written once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Table, insert
from sqlalchemy.sql import sqltypes

from ..records.fields import GroupField
from ..records.kind import RecordKind
from ..views import AuditView, RecordView, UserView
from .schema import AuditEntry, Record, UserAccount
from .types import UTCDateTime, UTCMicros


@dataclass(slots=True)
class PendingRecord:
    """A record envelope not (yet) in the session: a record arriving in a pull page, held
    until the page is inserted in bulk. Its fields are exactly the columns of
    storage.schema.Record but its local primary key (tests/sync/test_quarantine.py checks they
    agree); `Writer.fold_into` and `search_text` work on it as on a Record."""

    id: str
    kind: str
    receipt_no: str
    status: str
    needs_review: bool
    owner: str
    county_code: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str
    hlc: str
    field_hlc: dict[str, Any]
    row_version: int
    voided: bool
    void_reason: str | None
    title: str
    enterprise_uscc: str | None
    search_text: str = ""
    due_date: dt.date | None = None
    due_label: str | None = None
    print_count: int = 0

    def columns(self) -> dict[str, Any]:
        """The record table's column values (without the local primary key)."""
        return {name: getattr(self, name) for name in ENVELOPE_COLUMNS}


# The envelope's columns (storage.schema.Record's, without `pk`), in declaration order.
ENVELOPE_COLUMNS = tuple(f.name for f in dataclasses.fields(PendingRecord))

# What the fold, the search text and the views read of a record: a stored one, or one
# arriving in a pull page before it is inserted (the same columns, checked by a test).
Envelope = Record | PendingRecord


def new_id() -> str:
    """A new record, event or account id: UUIDv7 (time-ordered), as `uuid6.uuid7()` makes it
    (a millisecond is never used twice: the next id takes the next one, so ids made in a
    burst still sort in the order they were made), formatted without a UUID object (a bulk
    batch makes several per record)."""
    global _last_ms, _random, _taken
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms + 1
        _last_ms = ms
        if _taken + 10 > len(_random):  # the OS's random bytes, 100 ids' worth at a go
            _random, _taken = os.urandom(1000), 0
        bits = int.from_bytes(_random[_taken : _taken + 10], "big") >> 4  # 76 random bits
        _taken += 10
    n = (ms & 0xFFFF_FFFF_FFFF) << 80 | bits
    n = (n & ~(0xF000 << 64)) | 0x7000 << 64  # version 7
    n = (n & ~(0xC000 << 48)) | 0x8000 << 48  # the RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_id_lock = threading.Lock()
_last_ms = 0  # the millisecond of the last id made
_random, _taken = b"", 0  # random bytes not used yet (from _taken on)


def _forget_random() -> None:
    global _random, _taken
    _random, _taken = b"", 0


os.register_at_fork(after_in_child=_forget_random)  # a forked child must not reuse them


def to_db(kind: RecordKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Detail-table column values for `values` (groups in their JSON form)."""
    if not kind.group_keys:
        return dict(values)
    out: dict[str, Any] = {}
    for k, v in values.items():
        f = kind.field(k)
        out[k] = f.to_json(v) if isinstance(f, GroupField) else v
    return out


def from_db(kind: RecordKind, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A kind's values from its detail-table row (every declared field, None when absent)."""
    out: dict[str, Any] = {}
    for f in kind.fields:
        v = row.get(f.key)
        out[f.key] = f.from_json(v) if isinstance(f, GroupField) and v is not None else v
    return out


def record_view(rec: Envelope, values: Mapping[str, Any]) -> RecordView:
    return RecordView(
        id=rec.id, kind=rec.kind, receipt_no=rec.receipt_no, status=rec.status, owner=rec.owner,
        county_code=rec.county_code, created_by=rec.created_by, created_at=rec.created_at,
        updated_at=rec.updated_at, updated_by=rec.updated_by, version=rec.row_version,
        title=rec.title, values=dict(values), voided=rec.voided, void_reason=rec.void_reason,
        needs_review=rec.needs_review, due_date=rec.due_date, due_label=rec.due_label,
        print_count=rec.print_count,
    )


def user_view(acc: UserAccount) -> UserView:
    return UserView(acc.id, acc.username, acc.display_name, acc.role, acc.active)


def audit_view(a: AuditEntry) -> AuditView:
    return AuditView(a.id, a.at, a.username, a.window_code, a.action, a.receipt_no,
                     a.changes or {}, a.detail)


def jsonable(value: Any) -> Any:
    """`value` as JSON can hold it (dates as ISO text, other objects as their text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One DB-API executemany of `rows` (dicts with the same keys) into `table`: each value
    goes through its column type's bind processor (JSON, UTC times, dates, booleans) as
    SQLAlchemy would convert it, without its per-row statement machinery."""
    first = rows[0]
    keys = first.keys()
    if any(r.keys() != keys for r in rows):
        conn.execute(insert(table), rows)  # rows of different shapes: SQLAlchemy's defaults
        return
    plan = _insert_plan(conn, table, tuple(keys))
    if plan is None:
        conn.execute(insert(table), rows)  # a computed default: SQLAlchemy's insert computes it
        return
    sql, defaults, procs = plan
    get = itemgetter(*keys)
    if len(keys) == 1:
        columns: list[Any] = [[get(r) for r in rows]]
    else:
        columns = list(zip(*map(get, rows), strict=True))
    columns.extend([value] * len(rows) for value in defaults.values())
    for i, proc, by_value in procs:  # column by column: one map per converted column
        column = columns[i]
        if by_value:  # times, dates, flags: a batch repeats a few values (its "now")
            seen = {v: proc(v) for v in set(column)}
            columns[i] = list(map(seen.__getitem__, column))
        else:
            columns[i] = list(map(proc, column))
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


# (table, dialect name, the rows' keys) → the statement (the rows' columns, then those they
# leave out that have a scalar default), those defaults, and the bind processors (column
# index, processor); None when a column left out has a computed default
_InsertPlan = tuple[str, dict[str, Any], list[tuple[int, Any, bool]]]
# types whose equal values convert alike (an aware UTC time: equal instants, equal text)
_BY_VALUE = (UTCDateTime, UTCMicros, sqltypes.Date, sqltypes.Boolean)
_PLANS: WeakKeyDictionary[Any, dict[tuple[Table, tuple[str, ...]], _InsertPlan | None]] = (
    WeakKeyDictionary())  # per dialect (an engine's JSON serializer is its dialect's)


def _insert_plan(conn: Connection, table: Table, keys: tuple[str, ...]) -> _InsertPlan | None:
    dialect = conn.dialect
    known = _PLANS.setdefault(dialect, {})
    if (table, keys) in known:
        return known[(table, keys)]
    defaults: dict[str, Any] = {}  # columns the rows leave out that have a default
    plan: _InsertPlan | None = None
    for col in table.columns:
        if col.name not in keys and col.default is not None:
            if not col.default.is_scalar:
                break  # a computed default
            defaults[col.name] = col.default.arg  # type: ignore[attr-defined]
    else:
        names = (*keys, *defaults)
        procs = [(i, p, type(table.c[n].type) in _BY_VALUE) for i, n in enumerate(names)
                 if (p := table.c[n].type.dialect_impl(dialect).bind_processor(dialect))
                 is not None]
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        plan = (f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", defaults, procs)
    known[(table, keys)] = plan
    return plan
