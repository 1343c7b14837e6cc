"""Conversions between the store's rows and the core's values and views (one place).

`to_db`/`from_db` turn a kind's values into its `<kind>_detail` columns and back (repeating
groups live in JSON columns in their JSON form); `record_view`, `user_view` and `audit_view`
turn ORM rows into the frozen views of `xingan_desk.views`. Sync, review, statistics and the
Desk all use these, so a conversion is written once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import uuid6
from sqlalchemy import Connection, Table, insert

from ..records.fields import GroupField
from ..records.kind import RecordKind
from ..views import AuditView, RecordView, UserView
from .schema import AuditEntry, Record, UserAccount


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
    """A new record, event or account id: UUIDv7 (time-ordered)."""
    return str(uuid6.uuid7())


def to_db(kind: RecordKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Detail-table column values for `values` (groups in their JSON form)."""
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
    names = list(rows[0])
    defaults: dict[str, Any] = {}  # columns the rows leave out that have a default
    for col in table.columns:
        if col.name not in rows[0] and col.default is not None:
            if not col.default.is_scalar:
                names = []  # a computed default: SQLAlchemy's insert computes it
                break
            defaults[col.name] = col.default.arg  # type: ignore[attr-defined]
    keys = rows[0].keys()
    if not names or any(r.keys() != keys for r in rows):
        conn.execute(insert(table), rows)  # rows of different shapes: SQLAlchemy's defaults
        return
    if defaults:
        rows = [{**defaults, **r} for r in rows]
        names = list(rows[0])
    dialect = conn.dialect
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    converted = [(i, p) for i, p in enumerate(procs) if p is not None]
    row_of = operator.itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
    data: list[Any] = [row_of(r) for r in rows]
    if converted:  # only the columns whose type converts values are touched again
        for j, row in enumerate(data):
            values = list(row)
            for i, p in converted:
                values[i] = p(values[i])
            data[j] = tuple(values)
    cols = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", data)
