"""The main window: work areas on the left, search on top, the list in the middle, the
selected record (or the open form) on the right, window/clerk/sync in the status bar."""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import ROLE_LABELS
from xingan_desk.sync.service import SyncState
from xingan_desk.timeutil import today_cst
from xingan_desk.views import Changes, Query, RecordView

from .detail import DetailPanel
from .filters import FilterBar
from .models import RecordTableModel
from .record_form import ActionDialog, RecordForm
from .tasks import TaskRunner, show_error

log = logging.getLogger(__name__)

DUE = "due"
AREAS: tuple[tuple[str, str], ...] = (
    ("consultation", "咨询登记"),
    ("enterprise", "企业库"),
    ("preexam_filing", "预审备案"),
    ("preexam_case", "预审案件"),
    ("mediation", "调解受理"),
    ("rating", "好差评"),
    (DUE, "待办/到期"),
)
DUE_WITHIN_WORKDAYS = 3
SEARCH_DEBOUNCE_MS = 150
SEARCH_LIMIT = 500  # a search shows the newest 500 matches; browsing shows everything
NAV_WIDTH = 168


class ClickableLabel(QLabel):
    """A status bar label that opens something when clicked."""

    clicked = Signal()

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(ev)


class ElidedLabel(QLabel):
    """One line that shortens itself with … to the width it gets (full text in the tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(0)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, ev: QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.width() - 22)
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                   width) if self._full else "")

    def minimumSizeHint(self) -> Any:
        hint = super().minimumSizeHint()
        hint.setWidth(0)
        return hint


class MainWindow(QMainWindow):
    record_shown = Signal(str)  # record id, after the detail panel was filled
    list_loaded = Signal(int)  # row count, after a search finished

    def __init__(self, desk: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        runner.parent = self
        self.setObjectName("main_window")
        ident = desk.identity
        self.setWindowTitle(f"兴安盟知识产权服务窗口系统 — {ident.label}")
        self.area = AREAS[0][0]
        self.form: RecordForm | None = None
        self.action_dialog: ActionDialog | None = None
        self._search_gen = 0
        self._detail_gen = 0
        self._select_after: str | None = None
        self._printing: Any = None

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        # --- top: search and "new"
        top = QWidget()
        top.setObjectName("top_bar")
        tl = QHBoxLayout(top)
        tl.setContentsMargins(10, 8, 10, 8)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("搜索：姓名、单位、编号、电话、专利号…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._focus_list)
        tl.addWidget(self.search, 1)
        self.btn_new = QPushButton()
        self.btn_new.setObjectName("btn_new")
        self.btn_new.setProperty("primary", True)
        self.btn_new.clicked.connect(self.new_record)
        tl.addWidget(self.btn_new)
        self.btn_admin = QPushButton("系统管理")
        self.btn_admin.setObjectName("btn_admin")
        self.btn_admin.setToolTip("账号、节假日安排、打印设置、备份、审计日志")
        self.btn_admin.clicked.connect(lambda: self.open_admin())
        self.btn_admin.setVisible(desk.user.role in ("admin", "supervisor"))
        tl.addWidget(self.btn_admin)
        self.btn_account = QToolButton()
        self.btn_account.setObjectName("btn_account")
        self.btn_account.setText("我的账号")
        self.btn_account.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        account_menu = QMenu(self.btn_account)
        self.act_password = account_menu.addAction("修改密码…", self.change_password)
        self.act_password.setObjectName("act_password")
        self.act_lock = account_menu.addAction("锁定 / 切换用户（Ctrl+L）", self.lock)
        self.act_lock.setObjectName("act_lock")
        self.btn_account.setMenu(account_menu)
        tl.addWidget(self.btn_account)
        outer.addWidget(top)

        # --- left | middle | right
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("splitter")
        self.splitter.setChildrenCollapsible(False)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(NAV_WIDTH)
        for key, title in AREAS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(title)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._area_changed)
        self.splitter.addWidget(self.nav)

        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(8, 8, 4, 8)
        ml.setSpacing(6)
        self.list_title = QLabel()
        self.list_title.setObjectName("list_title")
        self.list_title.setProperty("role", "title")
        ml.addWidget(self.list_title)
        self.filters = FilterBar(self._users())
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
        self.table.activated.connect(lambda _i: self._focus_detail())
        ml.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("count_label")
        self.count_label.setProperty("role", "hint")
        ml.addWidget(self.count_label)
        self.splitter.addWidget(middle)

        self.right = QStackedWidget()
        self.right.setObjectName("right_panel")
        self.detail = DetailPanel()
        self.right.addWidget(self.detail)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 1)
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.detail.edit_requested.connect(self.edit_record)
        self.detail.action_requested.connect(self.open_action)
        self.detail.handover_requested.connect(self.handover)
        self.detail.rate_requested.connect(self.rate_record)
        self.detail.void_requested.connect(self.void_record)
        self.detail.print_requested.connect(self.print_record)

        # --- status bar
        sb = self.statusBar()
        sb.setObjectName("status_bar")
        self.status_window = QLabel(f"{ident.label}（{ident.window_code}）")
        self.status_window.setObjectName("status_window")
        user = desk.user
        self.status_user = QLabel(f"{user.display_name}（{ROLE_LABELS.get(user.role, user.role)}）")
        self.status_user.setObjectName("status_user")
        self.status_sync_error = ElidedLabel()
        self.status_sync_error.setObjectName("status_sync_error")
        self.status_sync_error.hide()
        self.status_sync = ClickableLabel("未设置同步")
        self.status_sync.setObjectName("status_sync")
        self.status_sync.setProperty("offline", True)
        self.status_sync.setCursor(Qt.CursorShape.PointingHandCursor)
        self.status_sync.clicked.connect(self.show_sync_menu)
        self.btn_attention = QPushButton()
        self.btn_attention.setObjectName("btn_attention")
        self.btn_attention.setToolTip("打开需处理事项（同步冲突、被拒绝的上传等）")
        self.btn_attention.setCursor(Qt.CursorShape.PointingHandCursor)
        self.btn_attention.clicked.connect(self.open_review)
        self.btn_attention.hide()
        sb.addWidget(self.status_sync_error, 1)
        self.status_calendar = QPushButton()
        self.status_calendar.setObjectName("status_calendar")
        self.status_calendar.setFlat(True)
        self.status_calendar.clicked.connect(lambda: self.open_admin("calendar"))
        self.status_calendar.hide()
        sb.addPermanentWidget(self.status_calendar)
        sb.addPermanentWidget(self.status_window)
        sb.addPermanentWidget(self.status_user)
        sb.addPermanentWidget(self.status_sync)
        sb.addPermanentWidget(self.btn_attention)
        self.sync: Any = None  # ui.sync_controller.SyncController, attached by the app
        self.sync_state = SyncState()
        self.sync_menu: QMenu | None = None
        self.sync_settings_dialog: Any = None
        self.review_dialog: Any = None

        # --- timers and shortcuts
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.run_search)
        self._make_actions()

        from .stats_view import attach_stats_area

        self.stats_view = attach_stats_area(self)  # 统计, for supervisors and admins

        self.model: RecordTableModel | None = None
        self.resize(1366, 768)
        self.splitter.setSizes([NAV_WIDTH, 640, 558])
        self._probe_printing()  # cheap: ReportLab loads on the first print
        self.nav.setCurrentRow(0)
        self.refresh_counts()

    # --- shortcuts -------------------------------------------------------------------------
    def _make_actions(self) -> None:
        def act(name: str, text: str, keys: QKeySequence | str, slot: Any) -> QAction:
            a = QAction(text, self)
            a.setObjectName(name)
            a.setShortcut(QKeySequence(keys))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.act_new = act("act_new", "新建", QKeySequence.StandardKey.New, self.new_record)
        self.act_find = act("act_find", "搜索", QKeySequence.StandardKey.Find, self.focus_search)
        self.act_save = act("act_save", "保存", QKeySequence.StandardKey.Save, self.save_form)
        self.act_print = act("act_print", "打印", QKeySequence.StandardKey.Print,
                             lambda: self.print_record(None))
        self.act_print.setEnabled(False)
        self.act_cancel = act("act_cancel", "取消", "Esc", self.cancel)
        act("act_lock_key", "锁定", "Ctrl+L", self.lock)
        for i, (key, _title) in enumerate(AREAS, start=1):
            act(f"act_area_{key}", _title, f"Ctrl+{i}",
                lambda _c=False, r=i - 1: self.nav.setCurrentRow(r))
        self.act_sync_now = act("act_sync_now", "立即同步", "F9", self.sync_now)
        self.act_sync_settings = act("act_sync_settings", "同步设置…", "", self.open_sync_settings)
        self.act_review = act("act_review", "需处理事项…", "", self.open_review)

    def _probe_printing(self) -> None:
        """Printing is optional until xingan_desk.printing provides `render`."""
        try:
            mod = importlib.import_module("xingan_desk.printing")
        except Exception:  # pragma: no cover - a broken printing module must not stop the window
            log.exception("printing module failed to import")
            return
        render = getattr(mod, "render", None)
        self._printing = render if callable(render) else None
        self.act_print.setEnabled(self._printing is not None)

    # --- areas and the list ---------------------------------------------------------------
    def _area_changed(self, row: int) -> None:
        if row < 0 or row >= len(AREAS):  # rows after the record areas: 统计 (stats_view.py)
            return
        key, title = AREAS[row]
        self.area = key
        kind_key = None if key == DUE else key
        self.model = RecordTableModel(self.desk, kind_key, self)
        self.model.async_requery = True
        self.model.query_changed.connect(lambda _q: self.run_search())
        old = self.table.selectionModel()
        self.table.setModel(self.model)
        if old is not None:
            old.deleteLater()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.list_title.setText(title)
        self.filters.set_kind(kind_key)
        new_kind = "consultation" if key == DUE else key
        noun = "企业" if new_kind == "enterprise" else KINDS[new_kind].title
        self.btn_new.setText(f"新建{noun}（Ctrl+N）")
        if self.form is None:
            self.detail.clear()
        self.run_search()

    def _base_query(self) -> Query:
        assert self.model is not None
        q = self.model.query
        text = self.search.text().strip()
        if self.area == DUE:
            limit = self.desk.calendar().add_workdays(today_cst(), DUE_WITHIN_WORKDAYS)
            order = q.order_by if q.order_by != "created_at" or q.due_before else "due_date"
            desc = q.descending if q.due_before else False
            return self.filters.apply(dataclasses.replace(
                q, kind=None, text=text, due_before=limit, order_by=order, descending=desc,
                limit=SEARCH_LIMIT if text else None))
        return self.filters.apply(dataclasses.replace(q, kind=self.area, text=text,
                                                      limit=SEARCH_LIMIT if text else None))

    def _users(self) -> list[Any]:
        return list(self.desk.list_users())

    def run_search(self) -> None:
        """Re-run the current area's query on the DB lane; stale answers are dropped."""
        if self.model is None:
            return
        self._search_timer.stop()
        q = self._base_query()
        self._search_gen += 1
        gen, model = self._search_gen, self.model

        def done(ids: list[str]) -> None:
            if gen != self._search_gen or model is not self.model:
                return
            keep = self._select_after or self._current_id()
            self._select_after = None
            model.set_ids(q, ids)
            head, note = f"共 {len(ids)} 条", "（搜索结果）" if q.text else ""
            if q.limit and len(ids) >= q.limit:
                head, note = f"显示最近 {len(ids)} 条", "（结果较多，请输入更完整的关键词）"
            if self.filters.active:
                note += "（已筛选）"
            self.count_label.setText(head + note)
            self._fit_columns()
            if keep:
                self.select_record(keep)
            self.list_loaded.emit(len(ids))

        self.runner.run(lambda: self.desk.find_ids(q), on_done=done)

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        if getattr(self, "_fitted_for", None) is self.model:
            return
        self._fitted_for = self.model
        fm = self.table.fontMetrics()
        assert self.model is not None
        for c in range(self.model.columnCount()):
            title = str(self.model.headerData(c, Qt.Orientation.Horizontal) or "")
            width = fm.horizontalAdvance(title) + 34
            if title == "登记编号":
                width = fm.horizontalAdvance("ZX-152201-01-2026-000123-X") + 18
            elif title == "类别":
                width = fm.horizontalAdvance("预审案件") + 20
            elif title == "状态":
                kind = KINDS.get(self.model.kind_key or "")
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

    def _current_id(self) -> str | None:
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

    def _row_changed(self, current: Any, _previous: Any) -> None:
        if self.model is None or not current.isValid():
            return
        rid = self.model.record_id(current.row())
        if rid is not None:
            self.show_record(rid)

    def show_record(self, record_id: str) -> None:
        self._detail_gen += 1
        gen = self._detail_gen

        printing = self._printing is not None

        def load() -> tuple[RecordView, Any, Any, Any, list[tuple[str, str]], bool]:
            rec = self.desk.get(record_id)
            docs: list[tuple[str, str]] = []
            if printing:
                from xingan_desk.printing import documents_for

                docs = [(d.key, d.title) for d in documents_for(rec)]
            events, audit = self.desk.history(record_id)
            return (rec, self.desk.actions_for(record_id), events, audit, docs,
                    self.desk.can_edit(rec))

        def done(result: tuple[RecordView, Any, Any, Any, list[tuple[str, str]], bool]
                 ) -> None:
            if gen != self._detail_gen:
                return
            rec, actions, events, audit, docs, can_edit = result
            self.detail.show_record(rec, actions, events, can_print=printing, documents=docs,
                                    audit=audit, can_edit=can_edit)
            self.record_shown.emit(record_id)

        self.runner.run(load, on_done=done)

    def refresh_counts(self) -> None:
        """Due counts in the navigation and pending uploads in the status bar."""
        desk = self.desk

        sync = self.sync

        def load() -> tuple[dict[str, int], int, SyncState, str | None]:
            limit = desk.calendar().add_workdays(today_cst(), DUE_WITHIN_WORKDAYS)
            counts = {k: desk.count(Query(kind=k, due_before=limit))
                      for k, _ in AREAS if k != DUE}
            if sync is not None:
                state = sync.service.refresh_counts()
            else:
                from xingan_desk.sync.review import attention_count

                state = dataclasses.replace(self.sync_state, pending=desk.pending_outbox(),
                                            attention=attention_count(desk))
            return counts, desk.count(Query(due_before=limit)), state, desk.calendar_warning()

        def done(result: tuple[dict[str, int], int, SyncState, str | None]) -> None:
            counts, total, state, calendar_warning = result
            self.status_calendar.setVisible(bool(calendar_warning))
            if calendar_warning:
                self.status_calendar.setText(f"⚠ {calendar_warning}")
                self.status_calendar.setToolTip(
                    "期限暂按周末推算。" + ("点此录入节假日安排" if self.desk.user.role == "admin"
                                   else "请管理员在“系统管理 → 节假日安排”中录入"))
            for i, (key, title) in enumerate(AREAS):
                n = total if key == DUE else counts.get(key, 0)
                item = self.nav.item(i)
                item.setText(f"{title}　{n}" if n else title)
                item.setToolTip(f"{title}：{n}件需在{DUE_WITHIN_WORKDAYS}个工作日内办理或已超期"
                                if n else title)
            # the controller may have been attached (and started a cycle) meanwhile
            now = self.sync
            self.show_sync_state(now.state if now is not None else state)

        self.runner.run(load, on_done=done)

    # --- sync in the status bar ------------------------------------------------------------
    def attach_sync(self, controller: Any) -> None:
        """Show the controller's state in the status bar; ask it to sync after each save."""
        self.sync = controller
        controller.state_changed.connect(self.show_sync_state)
        controller.records_changed.connect(self._synced_records)
        self.show_sync_state(controller.state)

    def show_sync_state(self, state: SyncState) -> None:
        self.sync_state = state
        self.status_sync.setText(state.status_text)
        self.status_sync.setToolTip(state.tooltip + "\n（单击：立即同步、同步设置、需处理事项）")
        problem = state.error_kind not in ("", "offline")
        for prop, value in (("offline", not state.online or not state.configured),
                            ("problem", problem)):
            if self.status_sync.property(prop) != value:
                self.status_sync.setProperty(prop, value)
                self.status_sync.style().unpolish(self.status_sync)
                self.status_sync.style().polish(self.status_sync)
        self.btn_attention.setText(state.attention_text)
        self.btn_attention.setVisible(bool(state.attention))
        self.status_sync_error.set_full_text(state.error if problem else "")
        self.status_sync_error.setVisible(problem)
        self.act_sync_now.setEnabled(self.sync is not None and state.configured)

    def show_sync_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("sync_menu")
        menu.addAction(self.act_sync_now)
        menu.addAction(self.act_sync_settings)
        menu.addAction(self.act_review)
        self.sync_menu = menu
        menu.popup(self.status_sync.mapToGlobal(self.status_sync.rect().topLeft()))
        return menu

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.request()
            self.statusBar().showMessage("正在与中心数据库同步…", 3000)

    def _local_change(self) -> None:
        """A save, an action or a void was written: push it soon."""
        if self.sync is not None:
            self.sync.request()

    def _synced_records(self) -> None:
        """A sync brought records or events in: refresh the list, counts and the detail."""
        self.run_search()
        self.refresh_counts()
        if self.detail.record is not None and self.form is None:
            self.show_record(self.detail.record.id)

    def open_sync_settings(self) -> Any:
        from .sync_settings import SyncSettingsDialog

        dlg = SyncSettingsDialog(self.desk, self.runner, self)
        self.sync_settings_dialog = dlg

        def saved(where: str) -> None:
            self.statusBar().showMessage(f"同步设置已保存。{where}", 10000)
            if self.sync is not None:
                self.sync.reload_settings()

        dlg.saved.connect(saved)
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def open_review(self) -> Any:
        from .review_dialog import ReviewDialog

        dlg = ReviewDialog(self.desk, self.runner, self)
        self.review_dialog = dlg

        def resolved(changes: Changes) -> None:
            if changes.records:
                self.apply_changes(changes)
            else:
                self.refresh_counts()
            if self.detail.record is not None and self.detail.record.id in changes.records:
                self.show_record(self.detail.record.id)
            self._local_change()

        dlg.resolved.connect(resolved)
        dlg.finished.connect(lambda _r: (dlg.deleteLater(), self.refresh_counts()))
        dlg.open()
        return dlg

    def apply_changes(self, changes: Changes) -> None:
        if self.model is not None and self.model.apply_changes(changes):
            self.run_search()
        elif self.model is not None:
            self.model.layoutChanged.emit()
        self.refresh_counts()

    # --- forms -----------------------------------------------------------------------------
    def _open_form(self, form: RecordForm) -> None:
        self.form = form
        form.saved.connect(self._form_saved)
        form.closed.connect(self._form_closed)
        form.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.right.addWidget(form)
        self.right.setCurrentWidget(form)
        self.filters.hide()  # the form needs the width; the list keeps its filters
        self.splitter.setSizes([NAV_WIDTH, 380, 818])
        first = next(iter(form.editors.values()), None)
        if first is not None:
            first.focus()

    def _form_busy(self) -> bool:
        if self.form is None:
            return False
        self.statusBar().showMessage("请先保存或取消当前表单", 5000)
        self.form.setFocus()
        return True

    def new_record(self, kind_key: str | None = None,
                   values: Mapping[str, Any] | None = None,
                   handover_from: str | None = None) -> RecordForm | None:
        if self._form_busy():
            return None
        key = kind_key if isinstance(kind_key, str) else (
            "consultation" if self.area == DUE else self.area)
        form = RecordForm(self.desk, self.runner, key, values=values,
                          handover_from=handover_from)
        self._open_form(form)
        return form

    def edit_record(self) -> RecordForm | None:
        rec = self.detail.record
        if rec is None or self._form_busy():
            return None
        form = RecordForm(self.desk, self.runner, rec.kind, record=rec)
        self._open_form(form)
        return form

    def restore_draft(self, draft: tuple[str, str, str | None, dict[str, Any], Any]
                      ) -> RecordForm | None:
        draft_id, kind, record_id, payload, _when = draft
        if self._form_busy():
            return None
        record = None
        if record_id:
            try:
                record = self.desk.get(record_id)
            except Exception as exc:
                show_error(self, exc, "草稿无法恢复")
                return None
            if payload.get("version"):
                record = dataclasses.replace(record, version=int(payload["version"]))
        self._goto_area(kind)
        form = RecordForm(self.desk, self.runner, kind, record=record,
                          values=payload.get("raw") or {}, draft_id=draft_id,
                          handover_from=payload.get("handover_from"))
        self._open_form(form)
        return form

    def _form_saved(self, view: RecordView, changes: Changes) -> None:
        self._close_form()
        self._local_change()
        self.statusBar().showMessage(f"已保存：{view.kind_title} {view.receipt_no}", 8000)
        if self.search.text():  # the saved record must be in the list, not filtered out
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
        self._select_after = view.id
        self.show_record(view.id)
        if self.area != view.kind:
            self._goto_area(view.kind)
            self.refresh_counts()
        else:
            self.apply_changes(changes)

    def _form_closed(self) -> None:
        self._close_form()

    def _close_form(self) -> None:
        form = self.form
        self.form = None
        if form is not None:
            form.stop()
            self.right.removeWidget(form)
            form.deleteLater()
        self.right.setCurrentWidget(self.detail)
        self.filters.show()
        self.splitter.setSizes([NAV_WIDTH, 640, 558])

    def _goto_area(self, kind_key: str) -> None:
        for i, (key, _t) in enumerate(AREAS):
            if key == kind_key:
                if self.nav.currentRow() == i:
                    self.run_search()
                else:
                    self.nav.setCurrentRow(i)
                return

    def save_form(self) -> None:
        if self.form is not None:
            self.form.save()

    def cancel(self) -> None:
        if self.form is not None:
            self.form.cancel()
        elif self.search.text():
            self.search.clear()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _focus_list(self) -> None:
        self.table.setFocus()
        if self.model is not None and self.model.rowCount() and not self.table.currentIndex(
        ).isValid():
            self.table.selectRow(0)

    def _focus_detail(self) -> None:
        self.detail.setFocus()

    # --- record actions -------------------------------------------------------------------
    def open_action(self, action_key: str) -> ActionDialog | None:
        rec = self.detail.record
        if rec is None:
            return None
        wf = KINDS[rec.kind].workflow
        if wf is None:
            return None
        dlg = ActionDialog(self.desk, self.runner, rec, wf.action(action_key), self)
        self.action_dialog = dlg
        dlg.accepted.connect(lambda: self._action_done(dlg))
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def _action_done(self, dlg: ActionDialog) -> None:
        if self.action_dialog is dlg:
            self.action_dialog = None
        if dlg.result_view is None or dlg.changes is None:
            return
        view = dlg.result_view
        self._local_change()
        self.statusBar().showMessage(f"已办理：{dlg.action.label} {view.receipt_no}", 8000)
        self._select_after = view.id
        self.apply_changes(dlg.changes)
        self.show_record(view.id)

    def handover(self, target_kind: str) -> RecordForm | None:
        rec = self.detail.record
        if rec is None or self._form_busy():
            return None
        try:
            values = self.desk.handover(rec.id, target_kind)
        except Exception as exc:
            show_error(self, exc, "无法转办")
            return None
        self._goto_area(target_kind)
        return self.new_record(target_kind, values=values, handover_from=rec.id)

    def rate_record(self) -> RecordForm | None:
        rec = self.detail.record
        if rec is None or self._form_busy():
            return None
        values = self.desk.defaults("rating")
        values.update({"service_no": rec.receipt_no, "service_item": rec.kind_title})
        self._goto_area("rating")
        return self.new_record("rating", values=values)

    def void_record(self) -> None:
        rec = self.detail.record
        if rec is None:
            return
        reason, ok = QInputDialog.getText(self, "作废", f"作废 {rec.receipt_no}\n请填写作废原因：")
        if not ok:
            return
        self.runner.run(lambda: self.desk.void(rec.id, reason),
                        on_done=lambda res: (self.apply_changes(res[1]),
                                             self.show_record(rec.id), self._local_change()))

    def print_record(self, document: str | None = None) -> None:
        """Render the receipt (or a document) to PDF on the I/O lane, then preview it."""
        rec = self.detail.record
        if rec is None or self._printing is None:
            return
        import tempfile
        from pathlib import Path

        out = Path(tempfile.mkdtemp(prefix="xingan-print-")) / f"{rec.receipt_no}.pdf"
        render = self._printing
        doc = document if isinstance(document, str) else None

        def work() -> Any:
            layout = "a4"
            if doc is None:  # receipts follow the window's paper (A4 or an 80 mm roll)
                layout = str(self.desk.setting("receipt_layout") or "a4")
            return render(self.desk, rec.receipt_no, out, document=doc, layout=layout, log=False)

        self.runner.run(work, lane="io", progress="正在生成打印文件…",
                        on_done=lambda path: self._preview(Path(str(path or out)),
                                                           rec.receipt_no, doc))

    def _preview(self, path: Any, receipt_no: str | None = None,
                 document: str | None = None) -> None:
        from .print_preview import PrintPreview

        def output() -> None:  # printed or saved: now it is a print (补打 from the second)
            from xingan_desk.printing import log_output

            if receipt_no is not None:
                self.runner.run(lambda: log_output(self.desk, receipt_no, document=document),
                                on_done=lambda _n: self._reshow())

        self.preview = PrintPreview(path, self, on_output=output)
        self.preview.open()

    def open_admin(self, tab: str | None = None) -> Any:
        """系统管理 (admins and supervisors)."""
        if self.desk.user.role not in ("admin", "supervisor"):
            return None
        from .admin import AdminDialog

        dlg = AdminDialog(self.desk, self.runner, self, tab=tab)
        dlg.finished.connect(lambda _r: self.refresh_counts())
        self.admin_dialog = dlg
        dlg.open()
        return dlg

    # --- the clerk's own account ---------------------------------------------------------------
    def change_password(self) -> None:
        from .dialogs import PasswordDialog

        dlg = PasswordDialog(self.desk, self)
        dlg.accepted.connect(lambda: self.statusBar().showMessage("密码已修改", 8000))
        self.password_dialog = dlg
        dlg.open()

    def lock(self) -> None:
        """Leave the window: an open form is kept as the clerk's draft, the account is logged
        out and the login dialog asks who continues (退出 closes the program)."""
        from .dialogs import LoginDialog

        if self.form is not None:
            try:
                self.form.autosave(wait=True)
            except Exception:
                log.exception("draft not saved on lock")
            self._close_form()
        previous = self.desk.user.username
        self.desk.logout()
        self.detail.clear()
        dlg = LoginDialog(self.desk, self, username=previous)
        dlg.setWindowTitle("已锁定 — 请登录")
        dlg.accepted.connect(self._user_changed)
        dlg.rejected.connect(self.close)
        self.login_dialog = dlg
        dlg.open()

    def _user_changed(self) -> None:
        user = self.desk.user
        self.status_user.setText(f"{user.display_name}（{ROLE_LABELS.get(user.role, user.role)}）")
        self.btn_admin.setVisible(user.role in ("admin", "supervisor"))
        self._stats_for_role()
        self.filters.set_users(self._users())
        self.run_search()
        self.refresh_counts()
        self.offer_drafts()

    def _stats_for_role(self) -> None:
        """统计 follows the logged-in role (a clerk after a supervisor does not keep it)."""
        from .stats_view import STATS_ROLES, attach_stats_area

        allowed = self.desk.user.role in STATS_ROLES
        if self.stats_view is None:
            if allowed:
                self.stats_view = attach_stats_area(self)
            return
        row = self.nav.count() - 1
        self.nav.item(row).setHidden(not allowed)
        if not allowed and self.nav.currentRow() == row:
            self.nav.setCurrentRow(0)

    def _reshow(self) -> None:
        if self.detail.record is not None:
            self.show_record(self.detail.record.id)  # the print is in the history now

    # --- drafts and closing -----------------------------------------------------------------
    def offer_drafts(self) -> None:
        """On start: offer the clerk's unsaved drafts back (crash, power loss, closed window)."""
        drafts = self.desk.drafts()
        if not drafts:
            return
        from .dialogs import DraftsDialog

        dlg = DraftsDialog(drafts, self)
        dlg.restore_requested.connect(self.restore_draft)
        dlg.discard_requested.connect(
            lambda did: self.runner.run(lambda: self.desk.discard_draft(did)))
        self.drafts_dialog = dlg
        dlg.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.sync is not None:
            self.sync.stop()  # no new cycles; a running one is cut short (nothing is lost)
        if self.form is not None:
            try:
                self.form.autosave(wait=True)  # kept as a draft, offered back next time
            except Exception:
                log.exception("draft not saved on close")
            self.form.stop()
        if not self.runner.closed and self.runner.busy and not self.runner.wait_idle(5000):
            answer = QMessageBox.question(self, "正在保存", "仍有操作在进行，确定退出吗？")
            if answer != QMessageBox.StandardButton.Yes:
                if self.sync is not None:
                    self.sync.resume()
                event.ignore()
                return
        event.accept()
