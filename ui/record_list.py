"""The middle pane: the current area's records — search, filter row, the lazy table and the
count line. Queries run on the DB lane (only the newest answer is shown); the list refreshes
itself from the change bus."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.records.kinds import KINDS
from xingan_desk.views import Changes, Query, UserView

from .areas import AREAS, DUE, due_limit
from .filters import FilterBar
from .models import DueStages, RecordTableModel
from .ops import Latest, QueryOp
from .tasks import TaskRunner

SEARCH_DEBOUNCE_MS = 150
SEARCH_LIMIT = 500  # a search shows the newest 500 matches; browsing shows everything


class RecordList(QWidget):
    record_selected = Signal(str)  # the current row changed to this record
    loaded = Signal(int)  # rows matched (the list reads them a chunk at a time)
    activated = Signal()  # Enter or a double click on a row

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.area = AREAS[0][0]
        self.model: RecordTableModel | None = None
        self.due_stages = DueStages()  # shared by every model this list shows
        self.select_after: str | None = None  # select this record once the next answer is in
        self._searches = Latest()
        self._fitted_for: RecordTableModel | None = None

        # the search box sits in the window's top bar; it belongs to the list
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("搜索：姓名、单位、编号、电话、专利号…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.focus_list)

        ml = QVBoxLayout(self)
        ml.setContentsMargins(8, 8, 4, 8)
        ml.setSpacing(6)
        self.list_title = QLabel()
        self.list_title.setObjectName("list_title")
        self.list_title.setProperty("role", "title")
        ml.addWidget(self.list_title)
        self.filters = FilterBar()
        self.filters.changed.connect(self.run_search)
        ml.addWidget(self.filters)
        self.table = QTableView()
        self.table.setObjectName("record_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.activated.connect(lambda _i: self.activated.emit())
        ml.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("count_label")
        self.count_label.setProperty("role", "hint")
        ml.addWidget(self.count_label)
        runner.bus.changed.connect(lambda changes, _origin: self.apply_changes(changes))
        self.load_users()

    # --- the area ------------------------------------------------------------------------
    def set_area(self, key: str, title: str) -> None:
        """Show area `key` (a kind, or 待办/到期 across kinds) with a fresh model."""
        self.area = key
        kind_key = None if key == DUE else key
        model = RecordTableModel(self.desk, kind_key, self)
        model.due_stages = self.due_stages
        model.async_requery = True
        model.query_changed.connect(lambda _q: self.run_search())
        old, old_model = self.table.selectionModel(), self.model
        self.model = model
        self.table.setModel(model)
        if old is not None:
            old.deleteLater()
        if old_model is not None:
            old_model.setParent(None)  # freed with its ids and cached rows once unreferenced
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.list_title.setText(title)
        self.filters.set_kind(kind_key)
        self.run_search()

    def load_users(self) -> None:
        """The 登记人 filter's accounts (again after another clerk logged in)."""
        QueryOp(self, self.runner, self.desk.list_users).success(self._set_users).run()

    def _set_users(self, users: list[UserView]) -> None:
        self.filters.set_users(users)

    # --- searching -----------------------------------------------------------------------
    def base_query(self) -> Query:
        """The area's query from the model's order, the search text and the filter row; the
        待办/到期 deadline limit is filled in on the lane (it reads the holiday table)."""
        assert self.model is not None
        q = self.model.query
        text = self.search.text().strip()
        limit = SEARCH_LIMIT if text else None
        if self.area == DUE:
            order = q.order_by if q.order_by != "created_at" or q.due_before else "due_date"
            desc = q.descending if q.due_before else False
            return self.filters.apply(dataclasses.replace(
                q, kind=None, text=text, order_by=order, descending=desc, limit=limit))
        return self.filters.apply(dataclasses.replace(q, kind=self.area, text=text, limit=limit))

    def run_search(self) -> None:
        """Re-run the area's query on the DB lane; stale answers are dropped."""
        model = self.model
        if model is None:
            return
        self._search_timer.stop()
        q = self.base_query()
        desk, due = self.desk, self.area == DUE

        def work() -> tuple[Query, list[str], int]:
            query = dataclasses.replace(q, due_before=due_limit(desk)) if due else q
            return query, *RecordTableModel.first_chunk(desk, query)

        def done(result: tuple[Query, list[str], int]) -> None:
            if model is self.model:
                self._show_ids(model, *result)

        QueryOp(self, self.runner, work).latest(self._searches).success(done).run()

    def _show_ids(self, model: RecordTableModel, q: Query, ids: list[str], total: int) -> None:
        keep = self.select_after or self.current_id()
        self.select_after = None
        model.set_ids(q, ids, total)
        head, note = f"共 {total} 条", "（搜索结果）" if q.text else ""
        if q.limit and len(ids) >= q.limit:
            head, note = f"显示最近 {len(ids)} 条", "（结果较多，请输入更完整的关键词）"
        if self.filters.active:
            note += "（已筛选）"
        self.count_label.setText(head + note)
        self._fit_columns(model)
        if keep:
            self.select_record(keep)
        self.loaded.emit(total)

    def clear_search_quietly(self) -> None:
        """Empty the search box without a search of its own (the caller searches next)."""
        if self.search.text():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)

    def show_due_stages(self, today: dt.date, soon_until: dt.date) -> None:
        """Deadlines before `today` red, up to `soon_until` yellow (issue 11 §8)."""
        if (self.due_stages.today, self.due_stages.soon_until) != (today, soon_until):
            self.due_stages.today, self.due_stages.soon_until = today, soon_until
            if self.model is not None:
                self.model.refresh_due_stages()

    def apply_changes(self, changes: Changes | None) -> None:
        """A write finished (None: a sync brought records in): re-query if it concerns this
        list, else repaint the rows whose cached views were dropped."""
        model = self.model
        if model is None:
            return
        if changes is None or model.apply_changes(changes):
            self.run_search()
        else:
            model.layoutChanged.emit()

    # --- columns and selection -----------------------------------------------------------
    def _fit_columns(self, model: RecordTableModel) -> None:
        if self._fitted_for is model:
            return
        self._fitted_for = model
        header = self.table.horizontalHeader()
        fm = self.table.fontMetrics()
        for c in range(model.columnCount()):
            title = str(model.headerData(c, Qt.Orientation.Horizontal) or "")
            width = fm.horizontalAdvance(title) + 34
            if title == "登记编号":
                width = fm.horizontalAdvance("ZX-152201-01-2026-000123-X") + 18
            elif title == "类别":
                width = fm.horizontalAdvance("预审案件") + 20
            elif title == "状态":
                kind = KINDS.get(model.kind_key or "")
                states = [lb for _, lb in kind.workflow.states] if kind and kind.workflow else []
                longest = max(states, key=len, default="调解成功")[:6]
                width = fm.horizontalAdvance(longest) + 20
            elif "信用代码" in title:
                width = fm.horizontalAdvance("91152201MA0N12340P") + 18
            elif title == "期限":
                width = fm.horizontalAdvance("2026-12-31") + 20
            elif title == "期限事项":
                width = fm.horizontalAdvance("申请司法确认期限") + 20
            elif title in ("登记时间", "开始时间", "评价时间"):
                width = fm.horizontalAdvance("2026-12-31 23:59") + 16
            elif title in ("名称", "单位名称", "企业名称", "申请人", "被申请人"):
                width = max(width, 180)
            header.resizeSection(c, min(width, 260))

    def current_id(self) -> str | None:
        if self.model is None:
            return None
        idx = self.table.currentIndex()
        return self.model.record_id(idx.row()) if idx.isValid() else None

    def select_record(self, record_id: str) -> bool:
        if self.model is None:
            return False
        row = self.model.row_of(record_id)
        if row < 0:
            return False
        idx = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(idx)
        return True

    def _row_changed(self, current: QModelIndex | QPersistentModelIndex,
                     _previous: QModelIndex | QPersistentModelIndex) -> None:
        if self.model is None or not current.isValid():
            return
        rid = self.model.record_id(current.row())
        if rid is not None:
            self.record_selected.emit(rid)

    def focus_list(self) -> None:
        self.table.setFocus()
        if self.model is not None and self.model.rowCount() and not self.table.currentIndex(
        ).isValid():
            self.table.selectRow(0)
