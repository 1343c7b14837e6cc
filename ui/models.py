"""Table model over record ids: filtering and ordering happen in SQL (Desk.find_ids), rows
are fetched lazily a page at a time (Desk.rows_for_ids). No proxy sorting: a header click
re-queries with a new ORDER BY."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from xingan_desk.desk import Desk
from xingan_desk.records.deadlines import OVERDUE, SOON
from xingan_desk.records.fields import GroupField, MultiChoiceField
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import format_date, format_datetime, today_cst
from xingan_desk.views import Changes, Query, RecordView

PAGE_SIZE = 200
# A list without search text is read a chunk of ids at a time, as the view scrolls (Qt's
# canFetchMore/fetchMore): the first list of a 200,000-record store reads 1,000 ids, not all
# of its kind's, and the model holds only the ids scrolled past.
CHUNK = 1000
ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


@dataclass
class DueStages:
    """Where deadlines turn yellow and red (issue 11 §8), shared by the list's models: red
    before `today`, yellow up to `soon_until` (the 待办 setting's working days ahead). The main
    window sets it with its counts (the holiday table is read on a lane, never while
    painting)."""

    today: dt.date = dataclasses.field(default_factory=today_cst)
    soon_until: dt.date | None = None

    def stage(self, due: dt.date | None) -> str | None:
        if due is None:
            return None
        if due < self.today:
            return OVERDUE
        if self.soon_until is not None and due <= self.soon_until:
            return SOON
        return None


STAGE_TEXT = {OVERDUE: "#b3261e", SOON: "#8a5a00"}  # row text: red, dark amber
STAGE_FILL = {OVERDUE: "#fde7e9", SOON: "#fff4ce"}  # the 期限 cell: light red, light yellow


@dataclass(frozen=True)
class Column:
    label: str
    text: Callable[[RecordView], str]
    order_by: str | None  # envelope column or field key; None: not sortable


def _field_column(kind_key: str, key: str) -> Column:
    f = KINDS[kind_key].field(key)
    sortable = not isinstance(f, GroupField | MultiChoiceField)

    def text(r: RecordView) -> str:
        return r.display(key)

    return Column(f.label, text, key if sortable else None)


def _due_text(r: RecordView) -> str:
    return format_date(r.due_date) if r.due_date else ""


def columns_for(kind_key: str | None) -> list[Column]:
    """Receipt number, status, the kind's list fields, created time (or, for the mixed
    待办/到期 list: kind, title, status, deadline)."""
    receipt = Column("登记编号", lambda r: r.receipt_no, "receipt_no")
    created = Column("登记时间", lambda r: format_datetime(r.created_at), "created_at")
    if kind_key is None:
        return [  # the deadline is the point of this list: it comes first
            Column("期限", _due_text, "due_date"),
            Column("期限事项", lambda r: r.due_label or "", None),
            Column("类别", lambda r: r.kind_title, None),
            Column("名称", lambda r: r.title, "title"),
            Column("状态", lambda r: r.status_label, "status"),
            receipt,
        ]
    kind = KINDS[kind_key]
    cols = [receipt]
    if kind.workflow is not None:
        cols.append(Column("状态", lambda r: r.status_label, "status"))
    if kind.has_field("extended_to"):  # a kind with deadlines (催办/延期): the nearest one
        cols.append(Column("期限", _due_text, "due_date"))
    cols.extend(_field_column(kind_key, f.key) for f in kind.list_fields)
    cols.append(created)
    return cols


class RecordTableModel(QAbstractTableModel):
    """Rows are record ids; views are loaded a page (200 rows) at a time."""

    # emitted when the order changed (header click): the window re-runs the search, possibly
    # on its DB lane; without a listener the model re-queries synchronously
    query_changed = Signal(object)

    def __init__(self, desk: Desk, kind_key: str | None, parent: Any = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self.kind_key = kind_key
        self._columns = columns_for(kind_key)
        self._ids: list[str] = []
        self.total = 0  # rows the query matches (more than len(_ids) while chunks remain)
        self._rows: dict[str, RecordView] = {}
        self._pages: set[int] = set()
        self.query = Query(kind=kind_key)
        self.async_requery = False
        self.due_stages = DueStages()
        self._due_column = next((i for i, c in enumerate(self._columns)
                                 if c.order_by == "due_date"), -1)

    # --- feeding ---------------------------------------------------------------------------
    def set_ids(self, query: Query, ids: list[str], total: int | None = None) -> None:
        """Show `ids`, the first of `total` matches (default: all of them); the rest are
        read as the view scrolls (`fetchMore`)."""
        self.beginResetModel()
        self.query, self._ids = query, list(ids)
        self.total = len(self._ids) if total is None else max(total, len(self._ids))
        self._rows, self._pages = {}, set()
        self.endResetModel()

    @staticmethod
    def first_chunk(desk: Desk, query: Query) -> tuple[list[str], int]:
        """The ids to show first and how many match in all: a search (a `limit`) at once, a
        list a chunk at a time (its count from the index)."""
        if query.limit:
            ids = desk.find_ids(query)
            return ids, len(ids)
        ids = desk.find_ids(dataclasses.replace(query, limit=CHUNK, offset=0))
        return ids, len(ids) if len(ids) < CHUNK else desk.count(query)

    def refresh(self, query: Query | None = None) -> None:
        """Synchronous re-query (tests, small stores)."""
        q = query or self.query
        self.set_ids(q, *self.first_chunk(self._desk, q))

    # --- the next chunk, as the view scrolls to the end (by primary-key order of an index,
    # on the GUI thread like the pages below) --------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._ids) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        got = self._desk.find_ids(dataclasses.replace(self.query, limit=CHUNK,
                                                      offset=len(self._ids)))
        seen = set(self._ids[-CHUNK:])  # a record added meanwhile shifts the rest by one
        more = [i for i in got if i not in seen]
        if more:
            first = len(self._ids)
            self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
            self._ids.extend(more)
            self.endInsertRows()
        if len(got) < CHUNK:
            self.total = len(self._ids)  # fewer than counted (voided meanwhile): the end

    def apply_changes(self, changes: Changes) -> bool:
        """Drop cached rows that changed; returns True if the id list should be re-queried."""
        touched = self.kind_key is None or self.kind_key in changes.kinds
        if not touched:
            return False
        for rid in changes.records:
            if rid in self._rows:
                self._rows.pop(rid)
                self._pages.clear()
        return True

    # --- lookups ---------------------------------------------------------------------------
    def record_id(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, record_id: str) -> int:
        try:
            return self._ids.index(record_id)
        except ValueError:
            return -1

    def record(self, row: int) -> RecordView | None:
        rid = self.record_id(row)
        if rid is None:
            return None
        if rid not in self._rows:
            page = row // PAGE_SIZE
            start = page * PAGE_SIZE
            self._rows.update(self._desk.rows_for_ids(self._ids[start:start + PAGE_SIZE]))
            self._pages.add(page)
            if rid not in self._rows:  # vanished between find_ids and now
                return None
        return self._rows[rid]

    # --- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole):
            return None
        rec = self.record(index.row())
        if rec is None:
            return None
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole):
            return self._due_colour(rec, index.column(), role)
        text = self._columns[index.column()].text(rec)
        if role == Qt.ItemDataRole.ToolTipRole:
            return text or None
        return text

    def _due_colour(self, rec: RecordView, column: int, role: int) -> QBrush | None:
        """Red rows past their deadline, amber ones soon due; the 期限 cell filled likewise."""
        if rec.voided:
            return QBrush(QColor("#8a929c")) if role == Qt.ItemDataRole.ForegroundRole else None
        stage = self.due_stages.stage(rec.due_date)
        if stage is None:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(STAGE_TEXT[stage]))
        return QBrush(QColor(STAGE_FILL[stage])) if column == self._due_column else None

    def refresh_due_stages(self) -> None:
        """Repaint after the stages moved (a new day, another setting)."""
        if self._ids:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._ids) - 1, len(self._columns) - 1),
                                  [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole])

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section].label
            return None
        return str(section + 1) if 0 <= section < len(self._ids) else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        key = self._columns[column].order_by
        if key is None:
            return
        q = dataclasses.replace(self.query, order_by=key,
                                descending=order == Qt.SortOrder.DescendingOrder)
        if self.async_requery:
            self.query = q
            self.query_changed.emit(q)
        else:
            self.refresh(q)

    def column_sortable(self, column: int) -> bool:
        return 0 <= column < len(self._columns) and self._columns[column].order_by is not None
