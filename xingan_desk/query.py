"""Reading the store (a part of the Desk: `desk.query`): records by id or number, filtered
and searched lists for the lazy table model, due lists, history, counts.

Search: a whole receipt number uses its unique index; other text goes through the FTS5 table
of our own tokens (storage/search.py), confirmed by LIKE for 3+ Han characters; a needle that
matches many records walks the newest records instead (`dense_text_ids`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, bindparam, func, literal_column, select, text, tuple_
from sqlalchemy.sql.elements import ColumnElement

from .errors import NotFound
from .numbering import normalize_receipt_no, parse_receipt_no
from .records import links
from .records.kinds import KINDS
from .storage import db as dbmod
from .storage import search
from .storage.rows import audit_view, from_db, record_view
from .storage.schema import DETAIL, AuditEntry, OutboxEntry, Record, RecordEvent
from .storage.writer import read_values
from .timeutil import CST, today_cst
from .views import AuditView, EventView, Query, RecordView

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .desk import Desk

DENSE_SEARCH_WINDOW = 2_000  # newest records scanned before the search index is considered
DENSE_SEARCH_MAX_WINDOW = 60_000  # … at most, when the index's counts say the needle is common
SAMPLE_HITS = 50  # this many matches among them estimate the needle's density (else the index's counts)
SCAN_STEPS_PER_ROW = 13  # SQLite VM steps per row of an area's LIKE scan (measured: 10,000 ≈ 130,000)
PROGRESS_STEPS = 1_000  # … counted by the progress handler in steps of this many
HIT_ROWS = 4  # an index hit to sort costs about as much as this many rows scanned in order
ENVELOPE_ORDER = {
    "created_at": Record.created_at,
    "updated_at": Record.updated_at,
    "receipt_no": Record.receipt_no,
    "status": Record.status,
    "title": Record.title,
    "due_date": Record.due_date,
    "county_code": Record.county_code,
    "created_by": Record.created_by,
}


_Compiled = tuple[str, tuple[str, ...], dict[str, int]]
_like_scans: dict[tuple[str | None, bool, bool], _Compiled] = {}


def ids_of(s: Session, stmt: Select[Any]) -> list[str]:
    """The ids a statement selects, read on the session's connection: a column of strings
    needs none of the ORM's row handling (about 2 µs a row, a tenth of a second for a long
    list)."""
    return list(s.connection().execute(stmt).scalars().all())


def view_of(s: Session, rec: Record) -> RecordView:
    """A record's view, its values read from the detail row."""
    return record_view(rec, read_values(s, KINDS[rec.kind], rec.id))


class RecordQuery:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def get(self, record_id: str) -> RecordView:
        with self._desk.reading() as s:
            rec = s.scalar(select(Record).where(Record.id == record_id))
            if rec is None:
                raise NotFound("找不到该记录（可能已被删除或编号有误）")
            return view_of(s, rec)

    def get_by_receipt(self, receipt_no: str) -> RecordView:
        no = normalize_receipt_no(receipt_no)
        with self._desk.reading() as s:
            rec = s.scalar(select(Record).where(Record.receipt_no == no))
            if rec is None:
                raise NotFound(f"找不到编号为“{no}”的登记")
            return view_of(s, rec)

    def enterprise_by_uscc(self, uscc: str) -> RecordView | None:
        from .validation import normalize_uscc

        code = normalize_uscc(uscc)
        with self._desk.reading() as s:
            rec = s.scalar(select(Record).where(Record.kind == links.registry_kind(),
                                                Record.enterprise_uscc == code,
                                                Record.voided.is_(False)))
            return None if rec is None else view_of(s, rec)

    def filtered(self, q: Query) -> Select[Any]:
        stmt = select(Record.id)
        conds: list[Any] = []
        needle = q.text.strip()
        if q.kind and needle:
            # With search text the search index drives (few candidates, sorted afterwards);
            # "+kind" keeps SQLite from walking the whole kind index instead.
            conds.append(literal_column("+record.kind") == q.kind)
        elif q.kind:
            conds.append(Record.kind == q.kind)
        if not q.include_voided:
            conds.append(Record.voided.is_(False))
        if q.status:
            conds.append(Record.status == q.status)
        if q.county:
            conds.append(Record.county_code == q.county)
        if q.created_by:
            conds.append(Record.created_by == q.created_by)
        if q.needs_review is not None:
            conds.append(Record.needs_review.is_(q.needs_review))
        if q.due_before:
            conds.append(and_(Record.due_date.is_not(None), Record.due_date <= q.due_before))
        if q.date_from:
            start = dt.datetime.combine(q.date_from, dt.time(), CST)
            conds.append(Record.created_at >= start)
        if q.date_to:
            end = dt.datetime.combine(q.date_to + dt.timedelta(days=1), dt.time(), CST)
            conds.append(Record.created_at < end)
        if needle:
            conds.append(self.text_condition(needle))
        if q.extra and q.kind:
            table = DETAIL[q.kind]
            stmt = stmt.join(table, table.c.record_id == Record.id)
            conds.extend(table.c[k] == v for k, v in q.extra.items())
        return stmt.where(*conds)

    @staticmethod
    def text_condition(needle: str) -> ColumnElement[bool]:
        no = normalize_receipt_no(needle)
        if parse_receipt_no(no) is not None:
            return Record.receipt_no == no  # a whole receipt number: the unique index
        match = search.match_query(needle)
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        if match is None:
            return Record.search_text.like(like)
        fts = Record.pk.in_(
            select(text("rowid")).select_from(text("record_search"))
            .where(text("record_search MATCH :m")).params(m=match)
        )
        if search.needs_confirmation(needle):
            return and_(fts, Record.search_text.like(like))
        return fts

    def dense_text_ids(self, q: Query) -> list[str] | None:
        """Search text that matches many records (a common surname, 有限公司, a credit-code
        prefix): walk the newest records in list order and keep the first `q.limit` whose text
        contains the needle — the plain LIKE scan, stopping at the limit — instead of
        collecting tens of thousands of index hits and sorting them. None when the index is
        the better way (the caller then uses it).

        First the newest `DENSE_SEARCH_WINDOW` records, in one statement that stops at the
        limit (so a common needle costs what the LIKE scan costs). If that did not fill the
        list, the index's own count of records per term (fts5vocab) says how dense the needle
        is over the whole store — the newest records alone mislead when they are a block of
        another kind — and so how many more records a scan would read for the rest, against
        the index's hits to sort (a hit costs about `HIT_ROWS` rows scanned in order); the
        scan goes on only when it is the cheaper, within `DENSE_SEARCH_MAX_WINDOW` rows."""
        needle = q.text.strip()
        if (not q.limit or q.offset or q.order_by != "created_at" or q.extra or " " in needle
                or parse_receipt_no(normalize_receipt_no(needle)) is not None
                or search.match_query(needle) is None):
            return None
        limit = q.limit
        desc = q.descending
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        with self._desk.reading() as s:

            order = (Record.created_at.desc(), Record.id.desc()) if desc else (
                Record.created_at.asc(), Record.id.asc())

            def scan(rows: Select[Any], window: int, wanted: int) -> list[str]:
                """The first `wanted` ids among the next `window` rows of `rows` (in list
                order) whose text contains the needle; stops as soon as it has them."""
                newest = (rows.with_only_columns(Record.id, Record.created_at,
                                                 Record.search_text)
                          .order_by(*order).limit(window).subquery())
                outer = (newest.c.created_at.desc(), newest.c.id.desc()) if desc else (
                    newest.c.created_at.asc(), newest.c.id.asc())
                return ids_of(s, select(newest.c.id).where(newest.c.search_text.like(like))
                              .order_by(*outer).limit(wanted))

            plain = q.kind, q.include_voided, q.descending
            if dataclasses.replace(q, text="", limit=None, kind=None, include_voided=False,
                                   descending=True) == Query():
                return self._area_like_scan(s, q, needle, like, plain)
            found = scan(self.filtered(dataclasses.replace(q, text="")),
                         DENSE_SEARCH_WINDOW, limit)
            if len(found) >= limit:
                return found
            key = tuple_(Record.created_at, Record.id)
            base = self.filtered(dataclasses.replace(q, text=""))
            size = s.scalar(select(func.max(Record.pk))) or 0
            if len(found) >= SAMPLE_HITS:  # the newest records say it well enough
                docs = math.ceil(len(found) * size / DENSE_SEARCH_WINDOW)
            else:
                docs = self._term_docs(s, needle)
            if not docs or not size:
                return None if docs else found  # no record has every term: nothing found
            # rows to read for the rest of the list if matches are spread like the store's,
            # against what sorting the index's hits would cost: the cheaper way is taken, and
            # a scan is the LIKE scan itself (continued, stopping at the limit)
            rows = math.ceil((limit - len(found)) * size / docs)
            if rows > min(DENSE_SEARCH_MAX_WINDOW, HIT_ROWS * docs):
                return None
            edge = s.execute(base.with_only_columns(Record.created_at, Record.id)
                             .order_by(*order).offset(DENSE_SEARCH_WINDOW - 1).limit(1)).first()
            if edge is None:
                return found  # every record was scanned
            rest = base.where(key < tuple(edge) if desc else key > tuple(edge),
                              Record.search_text.like(like))
            found += ids_of(s, rest.order_by(*order).limit(limit - len(found)))
            return found

    def _area_like_scan(self, s: Session, q: Query, needle: str, like: str,
                        plain: tuple[str | None, bool, bool]) -> list[str] | None:
        """`dense_text_ids` for an area's search without filters (the common case): the LIKE
        scan itself, its SQL compiled once (building it cost as much as a short scan), first
        with a budget of about `DENSE_SEARCH_WINDOW` rows (SQLite's progress handler stops
        it), so a common needle costs exactly what the LIKE scan costs. A scan that ran out
        of budget runs again when the density it saw puts the rest within
        `DENSE_SEARCH_MAX_WINDOW` rows; else (or when that runs out too) None: the index,
        quick for a needle rare in the area (ix_record_search_hit covers its hits)."""
        assert q.limit
        sql, names, fixed = _like_scans.get(plain) or _like_scans.setdefault(
            plain, self._compiled_like_scan(s, q))
        values = {**fixed, "k": q.kind, "like": like, "wanted": q.limit}
        params = tuple(values[n] for n in names)
        found: list[str] = []
        if self._budgeted_scan(s, sql, params, DENSE_SEARCH_WINDOW, found):
            return found  # complete: the limit reached, or every record of the area read
        if not found:
            return None  # none among the area's newest: the index (its hits are few here)
        # the rest at the density seen among the area's newest records, if that is within
        # reach; the scan is given twice that, then the index
        rows = math.ceil((q.limit - len(found)) * DENSE_SEARCH_WINDOW / len(found))
        if rows > DENSE_SEARCH_MAX_WINDOW:
            return None
        found.clear()
        if self._budgeted_scan(s, sql, params, DENSE_SEARCH_WINDOW + 2 * rows, found):
            return found
        return None

    @staticmethod
    def _budgeted_scan(s: Session, sql: str, params: tuple[Any, ...], rows: int,
                       found: list[str]) -> bool:
        """Collect into `found` the ids `sql` selects; False when it read about `rows` rows
        without finishing (SQLite's progress handler interrupts it; `found` then holds what
        it had found by then)."""
        conn = s.connection()
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        ticks = [0]
        budget = max(1, rows * SCAN_STEPS_PER_ROW // PROGRESS_STEPS)

        def tick() -> int:
            ticks[0] += 1
            return 1 if ticks[0] > budget else 0  # non-zero: SQLite interrupts the scan

        dbapi.set_progress_handler(tick, PROGRESS_STEPS)
        try:
            cur = dbapi.cursor()
            try:
                # row by row: what was found before an interrupt is kept
                found.extend(r[0] for r in cur.execute(sql, params))
            finally:
                cur.close()
            return True
        except dbmod.DBAPIError:
            if ticks[0] <= budget:
                raise
            return False
        finally:
            dbapi.set_progress_handler(None, 0)

    def _compiled_like_scan(self, s: Session, q: Query) -> _Compiled:
        """The SQL of an area's LIKE scan without filters, the names of its parameters in
        order (k: the kind, like, wanted) and the values of those SQLAlchemy fixed itself
        (the OFFSET 0 it writes after every LIMIT)."""
        conds: list[Any] = [] if q.include_voided else [Record.voided.is_(False)]
        if q.kind:
            conds.append(Record.kind == bindparam("k"))
        order = (Record.created_at.desc(), Record.id.desc()) if q.descending else (
            Record.created_at.asc(), Record.id.asc())
        stmt = (select(Record.id).where(*conds, Record.search_text.like(bindparam("like")))
                .order_by(*order).limit(bindparam("wanted")))
        compiled = stmt.compile(dialect=s.get_bind().dialect)
        names = tuple(compiled.positiontup or ())
        fixed = {n: v for n, v in compiled.params.items() if isinstance(v, int)}
        return str(compiled), names, fixed

    @staticmethod
    def _term_docs(s: Session, needle: str) -> int:
        """At most how many records contain every term of `needle`: the fewest records any
        one term is in (a prefix term: the records of the terms it begins, summed)."""
        s.execute(text(search.VOCAB_DDL))
        counts = []
        for term, prefix in search.query_terms(needle):
            if prefix:
                n = s.scalar(text(f"SELECT sum(doc) FROM {search.VOCAB} WHERE term >= :t "
                                  "AND term < :u"), {"t": term, "u": term + "\U0010ffff"})
            else:
                n = s.scalar(text(f"SELECT doc FROM {search.VOCAB} WHERE term = :t"),
                             {"t": term})
            counts.append(int(n or 0))
        return min(counts, default=0)

    def find_ids(self, q: Query) -> list[str]:
        """Record ids matching the query, sorted in SQL (for the lazy table model)."""
        dense = self.dense_text_ids(q) if q.text.strip() else None
        if dense is not None:
            return dense
        stmt = self.filtered(q)
        order_col: Any
        if q.order_by in ENVELOPE_ORDER:
            order_col = ENVELOPE_ORDER[q.order_by]
        elif q.kind and KINDS[q.kind].has_field(q.order_by):
            table = DETAIL[q.kind]
            if not q.extra:
                stmt = stmt.join(table, table.c.record_id == Record.id)
            order_col = table.c[q.order_by]
        else:
            raise ValueError(f"cannot order by {q.order_by!r}")
        stmt = stmt.order_by(order_col.desc() if q.descending else order_col.asc(),
                             # ties by id (UUIDv7, time-ordered): the covering indexes'
                             # order, so a plain list is read from the index alone
                             Record.id.desc() if q.descending else Record.id.asc())
        if q.limit:
            stmt = stmt.limit(q.limit)
        if q.offset:
            stmt = stmt.offset(q.offset)
        with self._desk.reading() as s:
            return ids_of(s, stmt)

    def count(self, q: Query) -> int:
        with self._desk.reading() as s:
            return s.scalar(select(func.count()).select_from(self.filtered(q).subquery())) or 0

    def rows_for_ids(self, ids: Sequence[str]) -> dict[str, RecordView]:
        """Views for a page of ids (one query per kind present)."""
        out: dict[str, RecordView] = {}
        if not ids:
            return out
        with self._desk.reading() as s:
            recs = list(s.scalars(select(Record).where(Record.id.in_(list(ids)))))
            by_kind: dict[str, list[Record]] = {}
            for r in recs:
                by_kind.setdefault(r.kind, []).append(r)
            for kind_key, group in by_kind.items():
                table = DETAIL[kind_key]
                kind = KINDS[kind_key]
                rows = {row["record_id"]: row for row in s.execute(
                    select(table).where(table.c.record_id.in_([r.id for r in group]))).mappings()}
                for r in group:
                    out[r.id] = record_view(r, from_db(kind, rows.get(r.id) or {}))
        return out

    def search(self, q: Query) -> list[RecordView]:
        ids = self.find_ids(q)
        rows = self.rows_for_ids(ids)
        return [rows[i] for i in ids if i in rows]

    def due(self, within_workdays: int = 3) -> list[RecordView]:
        """Everything with a deadline in the next N working days, or overdue (待办/到期)."""
        limit = self._desk.calendar().add_workdays(today_cst(), within_workdays)
        return self.search(Query(due_before=limit, order_by="due_date", descending=False))

    def history(self, record_id: str) -> tuple[list[EventView], list[AuditView]]:
        with self._desk.reading() as s:
            rec = s.scalar(select(Record).where(Record.id == record_id))
            if rec is None:
                raise NotFound("找不到该记录（可能已被删除或编号有误）")
            wf = KINDS[rec.kind].workflow
            events = [
                EventView(e.id, e.action, wf.action(e.action).label if wf else e.action,
                          e.from_status, e.to_status, e.payload, e.actor, e.owner, e.created_at,
                          e.applied)
                for e in s.scalars(select(RecordEvent).where(RecordEvent.record_id == record_id)
                                   .order_by(RecordEvent.hlc, RecordEvent.id))
            ]
            audit = [audit_view(a) for a in s.scalars(
                select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.id))]
        return events, audit

    def audit_trail(self, limit: int = 200) -> list[AuditView]:
        self._desk.require_role("supervisor", "admin", what="查看审计日志")
        with self._desk.reading() as s:
            return [audit_view(a) for a in s.scalars(
                select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))]

    def pending_outbox(self) -> int:
        with self._desk.reading() as s:
            return s.scalar(select(func.count()).select_from(OutboxEntry)
                            .where(OutboxEntry.state == "pending")) or 0

    def counts_by_kind(self, due_before: dt.date | None = None) -> dict[str, int]:
        """Records per kind (voided ones never); with `due_before`, only those whose deadline
        is on or before that day: one walk of the deadline index for every area's count,
        instead of one walk of each kind's records."""
        conds: list[Any] = [Record.voided.is_(False)]
        if due_before is not None:
            conds += [Record.due_date.is_not(None), Record.due_date <= due_before]
        with self._desk.reading() as s:
            rows = s.execute(select(Record.kind, func.count()).where(*conds)
                             .group_by(Record.kind))
            return {str(k): int(n) for k, n in rows}
