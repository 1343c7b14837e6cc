"""The main window: work areas on the left, search on top, the list in the middle, the
selected record (or the open form) on the right, window/clerk/sync in the status bar.

It composes the parts and wires them to each other: `areas.py` (navigation, top bar, panes),
`record_list.py` (search, filters, table), `record_commands.py` (detail, forms, actions,
printing), `session.py` (password, lock, drafts), `status_bar.py`. Views refresh themselves
from the change bus (`ui/ops.py`); nothing here relays a dialog's result to the list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.supervision import DueCounts
from xingan_desk.sync.service import SyncState
from xingan_desk.timeutil import today_cst
from xingan_desk.views import Changes

from .areas import AREAS, DAILY_AREAS, DUE, AreaNav, Panes, TopBar, due_limit
from .detail import DetailPanel
from .ops import QueryOp
from .record_commands import Draft, RecordCommands
from .record_form import RecordForm
from .record_list import RecordList
from .session import Session
from .status_bar import WindowStatus
from .sync_controller import SyncController
from .tasks import TaskRunner

log = logging.getLogger(__name__)

_Counts = tuple[dict[str, int], SyncState, str | None, DueCounts, dt.date, dt.date]


class MainWindow(QMainWindow):
    record_shown = Signal(str)  # record id, after the detail panel was filled
    list_loaded = Signal(int)  # rows matched (the list reads them a chunk at a time)

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        runner.parent = self
        self.setObjectName("main_window")
        ident = desk.identity  # read once at start-up (cached by the Desk)
        # Qt adds the application's display name (兴安盟知识产权服务窗口系统) to every title
        self.setWindowTitle(f"{ident.label}窗口")
        self.sync: SyncController | None = None  # attached by the app (attach_sync)
        self.sync_state = SyncState()
        self.sync_menu: QMenu | None = None
        self.sync_settings_dialog: Any = None
        self.review_dialog: Any = None
        self.admin_dialog: Any = None
        self.draft_notice: QMessageBox | None = None  # the box closing with a typed form shows

        # --- layout: top bar | areas | list | detail
        self.records = RecordList(desk, runner)
        self.top = TopBar(self.records.search)
        self.nav = AreaNav()
        self.right = QStackedWidget()
        self.right.setObjectName("right_panel")
        self.detail = DetailPanel()
        self.right.addWidget(self.detail)
        self.panes = Panes(self.nav, self.records, self.right)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.top)
        outer.addWidget(self.panes, 1)
        # while locked: this instead of the lists, so nobody reads visitors' data behind the
        # login dialog
        self.lock_cover = QLabel("已锁定。请在登录窗口中输入密码继续。")
        self.lock_cover.setObjectName("lock_cover")
        self.lock_cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lock_cover.setProperty("role", "hint")
        self.lock_cover.hide()
        outer.addWidget(self.lock_cover, 1)
        self.setCentralWidget(central)
        self.status = WindowStatus(self.statusBar(), ident, desk.user)

        # --- parts
        self.commands = RecordCommands(self)
        self.session = Session(self)

        # --- wiring
        self.nav.currentRowChanged.connect(self._area_changed)
        self.records.record_selected.connect(self.commands.show_record)
        self.records.loaded.connect(self.list_loaded)
        self.records.activated.connect(lambda: self.detail.setFocus())
        self.commands.record_shown.connect(self.record_shown)
        self.top.btn_new.clicked.connect(lambda: self.new_record())
        self.top.btn_admin.clicked.connect(lambda: self.open_admin())
        self.top.act_password.triggered.connect(self.session.change_password)
        self.top.act_lock.triggered.connect(self.session.lock)
        self.status.sync.clicked.connect(self.show_sync_menu)
        self.status.attention.clicked.connect(self.open_review)
        self.status.calendar.clicked.connect(lambda: self.open_admin("calendar"))
        self.status.due.clicked.connect(self.show_due_menu)
        runner.bus.changed.connect(self._changed)
        self._make_actions()

        # 统计, 附件 and 导入台账, and the counts, come once the first list is on screen
        self._late: dict[str, Any] | None = None
        self._started = False
        self.records.loaded.connect(self._first_list_shown)
        fallback = QTimer(self)  # … and soon in any case, should the first list fail
        fallback.setSingleShot(True)
        fallback.timeout.connect(self._after_first_list)
        fallback.start(3000)

        self.resize(1366, 768)
        self.panes.list_wide()
        self.nav.setCurrentRow(0)
        self.top.show_for(desk.user.role, self.records.area)

    def _first_list_shown(self) -> None:
        self.records.loaded.disconnect(self._first_list_shown)
        QTimer.singleShot(0, self._after_first_list)

    def _after_first_list(self) -> None:
        if self._started:
            return
        self._started = True
        self._late_parts()
        self.refresh_counts()

    @property
    def started(self) -> bool:
        """The first list was shown and the rest of the window made (the counts asked for)."""
        return self._started

    def _late_parts(self) -> dict[str, Any]:
        """The parts the first list does not need, made just after it is shown (or when first
        asked for): their modules (statistics, the ledger import, attachments) are a good
        part of the start-up's imports."""
        if self._late is None:
            from .attachments import attach_attachment_panel
            from .import_wizard import attach_import
            from .stats_view import attach_stats_area

            self._late = {
                "stats_view": attach_stats_area(self),  # 统计, for supervisors and admins
                "attachment_panel": attach_attachment_panel(self),  # 附件 under the detail
                "import_button": attach_import(self),  # 导入台账, for supervisors and admins
            }
        return self._late

    @property
    def stats_view(self) -> Any:
        return self._late_parts()["stats_view"]

    @stats_view.setter
    def stats_view(self, view: Any) -> None:
        self._late_parts()["stats_view"] = view

    @property
    def attachment_panel(self) -> Any:
        return self._late_parts()["attachment_panel"]

    @property
    def import_button(self) -> Any:
        return self._late_parts()["import_button"]

    # --- the parts, by the names tests and ui/stats_view.py use -------------------------------
    @property
    def area(self) -> str:
        return self.records.area

    @property
    def model(self) -> Any:
        return self.records.model

    @property
    def search(self) -> Any:
        return self.records.search

    @property
    def table(self) -> Any:
        return self.records.table

    @property
    def filters(self) -> Any:
        return self.records.filters

    @property
    def splitter(self) -> Panes:
        return self.panes

    @property
    def btn_new(self) -> Any:
        return self.top.btn_new

    @property
    def btn_admin(self) -> Any:
        return self.top.btn_admin

    @property
    def status_window(self) -> Any:
        return self.status.window

    @property
    def status_user(self) -> Any:
        return self.status.user

    @property
    def form(self) -> RecordForm | None:
        return self.commands.form

    @property
    def action_dialog(self) -> Any:
        return self.commands.action_dialog

    @property
    def preview(self) -> Any:
        return self.commands.preview

    @preview.setter
    def preview(self, dialog: Any) -> None:
        self.commands.preview = dialog

    @property
    def printing(self) -> Callable[..., Any] | None:
        """`xingan_desk.printing.render`, or None when printing is unavailable."""
        return self.commands.printing

    @property
    def login_dialog(self) -> Any:
        return self.session.login_dialog

    @property
    def password_dialog(self) -> Any:
        return self.session.password_dialog

    @property
    def drafts_dialog(self) -> Any:
        return self.session.drafts_dialog

    def say(self, text: str, ms: int) -> None:
        """A short note in the status bar."""
        self.statusBar().showMessage(text, ms)

    # --- shortcuts -------------------------------------------------------------------------
    def _make_actions(self) -> None:
        def act(name: str, text: str, keys: QKeySequence | QKeySequence.StandardKey | str,
                slot: Callable[..., Any]) -> QAction:
            a = QAction(text, self)
            a.setObjectName(name)
            a.setShortcut(QKeySequence(keys))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.act_new = act("act_new", "新建", QKeySequence.StandardKey.New,
                           lambda: self.new_record())
        self.act_find = act("act_find", "搜索", QKeySequence.StandardKey.Find, self.focus_search)
        self.act_save = act("act_save", "保存", QKeySequence.StandardKey.Save,
                            self.commands.save_form)
        self.act_print = act("act_print", "打印", QKeySequence.StandardKey.Print,
                             lambda: self.print_record(None))
        self.act_print.setEnabled(self.printing is not None)
        self.act_preview = act("act_preview", "打印预览", "Ctrl+Shift+P",
                               lambda: self.commands.print_record(None, preview=True))
        self.act_preview.setEnabled(self.printing is not None)
        self.act_cancel = act("act_cancel", "取消", "Esc", self.cancel)
        act("act_lock_key", "锁定", "Ctrl+L", self.lock)
        for i, (key, title) in enumerate(AREAS, start=1):
            keys = f"Ctrl+{i}" if i <= DAILY_AREAS else f"Ctrl+Shift+{i - DAILY_AREAS}"
            act(f"act_area_{key}", title, keys,
                lambda _c=False, r=i - 1: self.nav.setCurrentRow(r))
        self.act_sync_now = act("act_sync_now", "立即同步", "F9", self.sync_now)
        self.act_sync_settings = act("act_sync_settings", "同步设置…", "", self.open_sync_settings)
        self.act_review = act("act_review", "需处理事项…", "", self.open_review)

    # --- areas -----------------------------------------------------------------------------
    def _area_changed(self, row: int) -> None:
        if row < 0 or row >= len(AREAS):  # rows after the record areas: 统计 (stats_view.py)
            return
        key, title = AREAS[row]
        if self.form is None:
            self.detail.clear()
            if self._late is not None:  # the panel is made after the first list
                self._late["attachment_panel"].show_for(None)
        self.top.show_for(self.desk.user.role, key)
        self.records.set_area(key, title)

    def goto_area(self, kind_key: str) -> None:
        """Show a kind's area (and search it again if it is the current one)."""
        if not self.nav.goto(kind_key):
            self.records.run_search()

    def run_search(self) -> None:
        self.records.run_search()

    def select_record(self, record_id: str) -> bool:
        return self.records.select_record(record_id)

    def set_locked(self, locked: bool) -> None:
        """Hide every record while the login dialog asks who continues."""
        self.top.setVisible(not locked)
        self.panes.setVisible(not locked)
        self.lock_cover.setVisible(locked)

    def take_focus(self) -> None:
        """The window takes the keyboard (after login, also on a bare X server without a
        window manager that would give it): the search field, ready for typing."""
        self.raise_()
        self.activateWindow()
        self.focus_search()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def cancel(self) -> None:
        """Esc: cancel the open form, else clear the search."""
        if not self.commands.cancel_form() and self.search.text():
            self.search.clear()

    # --- records (record_commands.py) --------------------------------------------------------
    def show_record(self, record_id: str) -> None:
        self.commands.show_record(record_id)

    def new_record(self, kind_key: str | None = None, values: Mapping[str, Any] | None = None,
                   handover_from: str | None = None) -> RecordForm | None:
        return self.commands.new_record(kind_key, values, handover_from)

    def restore_draft(self, draft: Draft) -> None:
        self.commands.restore_draft(draft)

    def print_record(self, document: str | None = None) -> None:
        self.commands.print_record(document)

    # --- the clerk (session.py) ------------------------------------------------------------
    def change_password(self) -> None:
        self.session.change_password()

    def lock(self) -> None:
        self.session.lock()

    def offer_drafts(self) -> None:
        self.session.offer_drafts()

    def user_changed(self) -> None:
        """Another clerk logged in after a lock: their name, role-bound buttons, lists."""
        user = self.desk.user
        self.status.show_user(user)
        self.top.show_for(user.role, self.records.area)
        self._stats_for_role()
        from .import_wizard import follow_role

        follow_role(self, self.import_button)
        self.records.load_users()
        self.records.run_search()
        self.refresh_counts()

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

    # --- what changed ----------------------------------------------------------------------
    def _changed(self, changes: Changes | None, _origin: object) -> None:
        """Any write (or a sync that brought records): counts again; push local writes soon.
        The list and the detail panel listen to the bus themselves."""
        self.refresh_counts()
        if changes is not None and changes.needs_sync:
            self.request_sync()

    def refresh_counts(self) -> None:
        """Due counts in the navigation, pending uploads and attention in the status bar, the
        holiday-table warning."""
        desk, sync, state = self.desk, self.sync, self.sync_state

        def load() -> _Counts:
            limit = due_limit(desk)
            counts = desk.counts_by_kind(due_before=limit)
            counts[DUE] = sum(counts.values())
            if sync is not None:
                now = sync.service.refresh_counts()
            else:
                from xingan_desk.sync.review import attention_count

                now = dataclasses.replace(state, pending=desk.pending_outbox(),
                                          attention=attention_count(desk))
            return counts, now, desk.calendar_warning(), desk.due_counts(), today_cst(), limit

        def done(result: _Counts) -> None:
            counts, now, calendar_warning, due, today, limit = result
            self.status.show_calendar_warning(calendar_warning,
                                              admin=self.desk.user.role == "admin")
            self.nav.show_counts(counts)
            self.show_due(due, today, limit)
            # the controller may have been attached (and started a cycle) meanwhile
            self.show_sync_state(self.sync.state if self.sync is not None else now)

        QueryOp(self, self.runner, load).success(done).run()

    def show_due(self, counts: DueCounts, today: dt.date, soon_until: dt.date) -> None:
        """Staged deadline warnings: the status bar's count and the lists' colours."""
        self.status.show_due_counts(counts)
        self.records.show_due_stages(today, soon_until)

    # --- sync in the status bar --------------------------------------------------------------
    def attach_sync(self, controller: SyncController) -> None:
        """Show the controller's state in the status bar (a cycle that brought records in
        announces it on the change bus itself)."""
        self.sync = controller
        controller.state_changed.connect(self.show_sync_state)
        self.show_sync_state(controller.state)

    def show_sync_state(self, state: SyncState) -> None:
        self.sync_state = state
        self.status.show_sync_state(state)
        self.act_sync_now.setEnabled(self.sync is not None and state.configured)

    def show_sync_menu(self) -> QMenu:
        self.sync_menu = self.status.sync_menu(
            self, [self.act_sync_now, self.act_sync_settings, self.act_review])
        return self.sync_menu

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.request()
            self.say("正在与中心数据库同步…", 3000)

    def request_sync(self) -> None:
        """Something was written locally: push it soon."""
        if self.sync is not None:
            self.sync.request()

    # --- dialogs (they run their own operations; the bus refreshes the views) -----------------
    def open_sync_settings(self) -> Any:
        from .sync_settings import SyncSettingsDialog

        dlg = SyncSettingsDialog(self.desk, self.runner, self)
        self.sync_settings_dialog = dlg

        def saved(where: str) -> None:
            self.say(f"同步设置已保存。{where}", 10000)
            if self.sync is not None:
                self.sync.reload_settings()

        dlg.saved.connect(saved)
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def show_due_menu(self) -> None:
        """The status bar's deadline count: 待办/到期, and (supervisors, admins) 逾期统计."""
        menu = QMenu(self)
        menu.setObjectName("due_menu")
        menu.addAction("打开待办/到期", lambda: self.goto_area(DUE))
        if self.desk.user.role in ("admin", "supervisor"):
            menu.addAction("逾期统计（按窗口、人员）…", self.open_overdue_view)
        menu.popup(self.status.due.mapToGlobal(self.status.due.rect().topLeft()))

    def open_overdue_view(self) -> Any:
        from .overdue_view import OverdueView

        dlg = OverdueView(self.desk, self.runner, self)
        self.overdue_view = dlg
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def open_review(self) -> Any:
        from .review_dialog import ReviewDialog

        dlg = ReviewDialog(self.desk, self.runner, self)
        self.review_dialog = dlg
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def open_admin(self, tab: str | None = None) -> Any:
        """系统管理 (admins and supervisors)."""
        if self.desk.user.role not in ("admin", "supervisor"):
            return None
        from .admin import AdminDialog

        dlg = AdminDialog(self.desk, self.runner, self, tab=tab)
        dlg.sync_settings_requested.connect(self.open_sync_settings)
        self.admin_dialog = dlg
        dlg.open()
        return dlg

    # --- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.sync is not None:
            self.sync.stop()  # no new cycles; a running one is cut short (nothing is lost)
        kept = self.commands.keep_form_as_draft()  # offered back next time
        if not self.runner.closed and self.runner.busy and not self.runner.wait_idle(5000):
            answer = QMessageBox.question(self, "正在保存", "仍有操作在进行，确定退出吗？")
            if answer != QMessageBox.StandardButton.Yes:
                if self.sync is not None:
                    self.sync.resume()
                event.ignore()
                return
        event.accept()
        if kept and event.spontaneous():  # Alt+F4 or the title bar's ×, not a close in code
            self._say_draft_kept(kept)

    def _say_draft_kept(self, title: str) -> None:
        """Closing (Alt+F4) with a half-filled form: a box that outlives the window says the
        draft is kept; the program ends when the clerk closes it (the last window)."""
        box = QMessageBox(QMessageBox.Icon.Information, "草稿已保留",
                          f"正在填写的{title}还没有保存，已作为草稿保留。\n"
                          "下次启动并登录后会提示您继续填写。")
        box.setObjectName("draft_kept_notice")
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda: setattr(self, "draft_notice", None))
        box.show()
        self.draft_notice = box
