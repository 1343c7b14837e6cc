"""系统管理: accounts, the holiday table, print settings, backups and the audit log.

One dialog with a tab per task. Admins see every tab; supervisors see print settings and the
audit log. Everything that touches the store runs on the task runner's DB lane (backups on the
I/O lane); refusals from the core come back beside the field they concern.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.attachments.part import MAX_MB_SETTING
from xingan_desk.audit_text import describe
from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError
from xingan_desk.records.kinds import KIND_BY_PREFIX
from xingan_desk.records.workflow import ROLE_LABELS
from xingan_desk.timeutil import format_datetime, today_cst

from .dialogs import error_label
from .ops import DeskOp, QueryOp
from .record_commands import PRINT_DIRECT_SETTING
from .tasks import TaskRunner, show_error

T = TypeVar("T")

ROLE_ORDER = ("clerk", "mediator", "supervisor", "admin")
LAYOUTS = (("a4", "A4 纸"), ("roll80", "80毫米小票纸"))
RECEIPT_LAYOUT_SETTING = "receipt_layout"
NOTICE_DAYS_SETTING = "notice_days"
OFFICE_TEXTS_SETTING = "office_texts"


def _say(label: QLabel, text: str | None, *, ok: bool = False) -> None:
    label.setText(text or "")
    label.setProperty("role", "hint" if ok else "error")
    label.style().unpolish(label)
    label.style().polish(label)
    label.setVisible(bool(text))


def _table(name: str, headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.verticalHeader().hide()
    t.setAlternatingRowColors(True)
    t.horizontalHeader().setStretchLastSection(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return t


def _fill(table: QTableWidget, rows: list[list[str]], keys: list[Any] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if keys is not None and c == 0:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)




class _Tab(QWidget):
    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.desk = desk
        self.runner = runner

    def _refusal(self, error: QLabel) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, DeskError):
                _say(error, str(exc))  # the core's Chinese refusal, beside what it concerns
            else:
                show_error(self, exc)
        return failed

    def read(self, work: Callable[[], T], done: Callable[[T], None]) -> None:
        QueryOp(self, self.runner, work).success(done).run()

    def write(self, work: Callable[[], T], done: Callable[[T], None], error: QLabel) -> None:
        """One Desk call; a refusal appears in `error`, the change goes on the bus."""
        DeskOp(self, self.runner, work).success(done).failure(self._refusal(error)).run()

    def refresh(self) -> None:  # pragma: no cover - each tab overrides
        pass

    def _save_row(self, lay: QVBoxLayout, text: str, button: str,
                  message: str) -> tuple[QPushButton, QLabel]:
        """A settings tab's foot: its primary save button, then the line its refusals go to."""
        btn = QPushButton(text)
        btn.setObjectName(button)
        btn.setProperty("primary", True)
        row = QHBoxLayout()
        row.addWidget(btn)
        row.addStretch(1)
        lay.addLayout(row)
        label = error_label(message)
        lay.addWidget(label)
        return btn, label


# --- accounts --------------------------------------------------------------------------------
class UsersTab(_Tab):
    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        self.table = _table("users_table", ["用户名", "姓名", "角色", "状态"])
        lay.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.role = QComboBox()
        self.role.setObjectName("user_role")
        for r in ROLE_ORDER:
            self.role.addItem(ROLE_LABELS.get(r, r), r)
        self.btn_role = QPushButton("改为所选角色")
        self.btn_role.setObjectName("btn_user_role")
        self.btn_toggle = QPushButton("停用 / 启用")
        self.btn_toggle.setObjectName("btn_user_toggle")
        self.new_password = QLineEdit()
        self.new_password.setObjectName("user_new_password")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setPlaceholderText("新密码（8位以上，含字母和数字）")
        self.btn_password = QPushButton("重置所选账号密码")
        self.btn_password.setObjectName("btn_user_password")
        for w in (self.role, self.btn_role, self.btn_toggle, self.new_password,
                  self.btn_password):
            row.addWidget(w)
        lay.addLayout(row)
        self.row_error = error_label("user_row_error")
        lay.addWidget(self.row_error)

        box = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("new_username")
        self.username.setPlaceholderText("字母或数字，如 lina")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("new_display_name")
        self.new_role = QComboBox()
        self.new_role.setObjectName("new_role")
        for r in ROLE_ORDER:
            self.new_role.addItem(ROLE_LABELS.get(r, r), r)
        self.password = QLineEdit()
        self.password.setObjectName("new_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = QLineEdit()
        self.password2.setObjectName("new_password2")
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        self.btn_add = QPushButton("新建账号")
        self.btn_add.setObjectName("btn_user_add")
        self.btn_add.setProperty("primary", True)
        box.addRow("新账号用户名", self.username)
        box.addRow("姓名", self.display_name)
        box.addRow("角色", self.new_role)
        box.addRow("密码", self.password)
        box.addRow("再次输入密码", self.password2)
        box.addRow("", self.btn_add)
        lay.addLayout(box)
        self.add_error = error_label("user_add_error")
        lay.addWidget(self.add_error)

        self.btn_add.clicked.connect(self.add_user)
        self.btn_role.clicked.connect(self.change_role)
        self.btn_toggle.clicked.connect(self.toggle_active)
        self.btn_password.clicked.connect(self.reset_password)
        self.table.currentCellChanged.connect(lambda *_: self._selected_changed())

    def refresh(self) -> None:
        def done(users: list[Any]) -> None:
            self.users = {u.username: u for u in users}
            keep = self.selected()
            _fill(self.table, [[u.username, u.display_name, ROLE_LABELS.get(u.role, u.role),
                                "正常" if u.active else "已停用"] for u in users],
                  [u.username for u in users])
            names = [u.username for u in users]
            self.table.selectRow(names.index(keep) if keep in names else 0)

        self.read(self.desk.list_users, done)

    def selected(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 0)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _selected_changed(self) -> None:
        user = getattr(self, "users", {}).get(self.selected() or "")
        if user is not None:
            self.role.setCurrentIndex(self.role.findData(user.role))
            self.btn_toggle.setText("停用该账号" if user.active else "启用该账号")
        _say(self.row_error, None)

    def _after(self, message: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            _say(self.row_error, message, ok=True)
            self.refresh()
        return done

    def add_user(self) -> None:
        _say(self.add_error, None)
        if self.password.text() != self.password2.text():
            _say(self.add_error, "两次输入的密码不一致")
            self.password2.setFocus()
            return
        args = (self.username.text(), self.display_name.text(), self.new_role.currentData(),
                self.password.text())

        def done(user: Any) -> None:
            for w in (self.username, self.display_name, self.password, self.password2):
                w.clear()
            _say(self.add_error, f"已新建账号 {user.username}（{user.display_name}）", ok=True)
            self.refresh()

        self.write(lambda: self.desk.add_user(*args), done, self.add_error)

    def change_role(self) -> None:
        name, role = self.selected(), self.role.currentData()
        if name:
            self.write(lambda: self.desk.set_user_role(name, role),
                     self._after(f"已把 {name} 改为{ROLE_LABELS.get(role, role)}"),
                     self.row_error)

    def toggle_active(self) -> None:
        name = self.selected()
        user = getattr(self, "users", {}).get(name or "")
        if user is None:
            return
        active = not user.active
        self.write(lambda: self.desk.set_user_active(user.username, active),
                 self._after(f"已{'启用' if active else '停用'}账号 {user.username}"),
                 self.row_error)

    def reset_password(self) -> None:
        name, pw = self.selected(), self.new_password.text()
        if not name:
            return

        def done(_r: Any) -> None:
            self.new_password.clear()
            _say(self.row_error, f"已重置 {name} 的密码，请当面告知本人并提醒修改", ok=True)

        self.write(lambda: self.desk.set_password(name, pw), done, self.row_error)


# --- holidays --------------------------------------------------------------------------------
class CalendarTab(_Tab):
    """The shipped holiday table plus this window's edits; the admin enters a new year's
    schedule (published by the State Council each autumn) here."""

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("年度"))
        self.year = QSpinBox()
        self.year.setObjectName("calendar_year")
        self.year.setRange(2020, 2100)
        top.addWidget(self.year)
        self.coverage = QLabel()
        self.coverage.setObjectName("calendar_coverage")
        self.coverage.setWordWrap(True)
        top.addWidget(self.coverage, 1)
        lay.addLayout(top)
        self.table = _table("calendar_table", ["日期", "星期", "安排", "名称", "来源"])
        lay.addWidget(self.table, 1)

        form = QHBoxLayout()
        today = today_cst()
        self.start = QDateEdit(QDate(today.year, today.month, today.day))
        self.start.setObjectName("calendar_start")
        self.end = QDateEdit(QDate(today.year, today.month, today.day))
        self.end.setObjectName("calendar_end")
        for d in (self.start, self.end):
            d.setDisplayFormat("yyyy-MM-dd")
            d.setCalendarPopup(True)
        self.kind = QComboBox()
        self.kind.setObjectName("calendar_kind")
        self.kind.addItem("放假", "holiday")
        self.kind.addItem("调休上班", "workday")
        self.name = QLineEdit()
        self.name.setObjectName("calendar_name")
        self.name.setPlaceholderText("节日名称，如 春节")
        self.btn_add = QPushButton("录入")
        self.btn_add.setObjectName("btn_calendar_add")
        self.btn_add.setProperty("primary", True)
        league = desk.identity.is_league
        self.btn_remove = QPushButton("删除所选的全盟录入" if league else "删除所选的本机录入")
        self.btn_remove.setObjectName("btn_calendar_remove")
        for w in (QLabel("从"), self.start, QLabel("到"), self.end, self.kind, self.name,
                  self.btn_add, self.btn_remove):
            form.addWidget(w)
        lay.addLayout(form)
        self.error = error_label("calendar_error")
        lay.addWidget(self.error)
        hint = QLabel("依据国务院办公厅每年发布的节假日安排通知录入整段假期（含周末）和调休上班日；"
                      "录入后，所有按工作日计算的期限立即按新安排计算。"
                      + ("本窗口属盟本级，录入的安排同步到全盟各窗口。" if league else
                         "盟本级录入的安排会同步到本窗口；本窗口的录入只在本窗口生效，"
                         "并优先于盟本级的安排。"))
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)

        self.year.setValue(today.year)
        self._year_chosen = False  # the first answer moves to the first year not entered
        self.year.valueChanged.connect(lambda _y: self.refresh())
        self.btn_add.clicked.connect(self.add)
        self.btn_remove.clicked.connect(self.remove)

    @staticmethod
    def _first_missing_year(this_year: int, covered: set[int]) -> int:
        return this_year + 1 if this_year in covered and this_year + 1 not in covered \
            else this_year

    def refresh(self) -> None:
        year = self.year.value()

        league = self.desk.identity.is_league

        desk = self.desk

        def load() -> tuple[Any, dict[Any, Any], dict[Any, str], str | None]:
            cal = desk.calendar()
            local = {d: (k, n, who) for d, k, n, who in desk.calendar_edits(year)}
            synced = {d: origin for d, _k, _n, origin in desk.league_calendar(year)}
            return cal, local, synced, cal.coverage_warning(dt.date(year, 1, 1))

        def done(result: tuple[Any, dict[Any, Any], dict[Any, str], str | None]) -> None:
            cal, local_days, synced, warning = result
            if not self._year_chosen:
                self._year_chosen = True
                first = self._first_missing_year(year, set(cal.covered_years()))
                if first != year:
                    self.year.setValue(first)  # shows that year (a new answer)
                    return
            rows, keys = [], []
            for sd in cal.special_days():
                if sd.day.year != year:
                    continue
                mine = local_days.get(sd.day)
                if mine:
                    source = f"{'全盟录入' if league else '本机录入'}（{mine[2]}）"
                elif sd.day in synced:
                    source = f"全盟统一（{synced[sd.day]} 窗口录入）"
                else:
                    source = "系统内置"
                rows.append([sd.day.isoformat(), "一二三四五六日"[sd.day.weekday()],
                             "放假" if sd.kind == "holiday" else "调休上班", sd.name or "",
                             source])
                keys.append((sd.day, bool(mine)))
            _fill(self.table, rows, keys)
            if warning:
                self.coverage.setText(f"⚠ {warning}：期限只按周末推算，请尽快录入。")
                self.coverage.setProperty("role", "error")
            else:
                self.coverage.setText(f"{year}年节假日安排已录入（{len(rows)}天）。")
                self.coverage.setProperty("role", "hint")
            self.coverage.style().unpolish(self.coverage)
            self.coverage.style().polish(self.coverage)
            d = dt.date(year, 1, 1) if today_cst().year != year else today_cst()
            self.start.setDate(QDate(d.year, d.month, d.day))
            self.end.setDate(QDate(d.year, d.month, d.day))

        self.read(load, done)

    def add(self) -> None:
        _say(self.error, None)
        start, end = (dt.date(d.year(), d.month(), d.day())
                      for d in (self.start.date(), self.end.date()))
        kind, name = self.kind.currentData(), self.name.text()

        def done(n: int) -> None:
            self.name.clear()
            _say(self.error, f"已录入{n}天", ok=True)
            self.year.setValue(start.year)
            self.refresh()

        self.write(lambda: self.desk.set_calendar_range(start, end, kind, name), done,
                   self.error)

    def remove(self) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is None:
            return
        day, mine = item.data(Qt.ItemDataRole.UserRole)
        if not mine:
            _say(self.error, "系统内置和盟本级统一录入的安排不能在本窗口删除，可录入新的安排覆盖它")
            return
        def done(_r: None) -> None:
            _say(self.error, f"已删除 {day.isoformat()} 的录入", ok=True)
            self.refresh()

        self.write(lambda: self.desk.clear_calendar_day(day), done, self.error)


# --- print settings --------------------------------------------------------------------------
class PrintTab(_Tab):
    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.layout_combo = QComboBox()
        self.layout_combo.setObjectName("print_layout")
        for key, label in LAYOUTS:
            self.layout_combo.addItem(label, key)
        self.notice_days = QSpinBox()
        self.notice_days.setObjectName("print_notice_days")
        self.notice_days.setRange(1, 60)
        self.notice_days.setSuffix(" 个工作日")
        self.phone = QLineEdit()
        self.phone.setObjectName("print_phone")
        self.phone.setPlaceholderText("不填则印 12345 政务服务便民热线")
        form.addRow("回执纸张", self.layout_combo)
        form.addRow("一次性告知补齐期限", self.notice_days)
        form.addRow("本窗口联系电话", self.phone)
        self.attachment_mb = QSpinBox()  # attachments/part.py: the size limit per file
        self.attachment_mb.setObjectName("attachment_max_mb")
        self.attachment_mb.setRange(1, 500)
        self.attachment_mb.setSuffix(" MB")
        form.addRow("单个附件大小上限", self.attachment_mb)
        self.direct = QCheckBox("Ctrl+P 直接打印到默认打印机（需要预览时按 Ctrl+Shift+P）")
        self.direct.setObjectName("print_direct")
        form.addRow("打印方式", self.direct)
        lay.addLayout(form)
        self.btn_save, self.message = self._save_row(lay, "保存打印设置", "btn_print_save", "print_message")
        lay.addStretch(1)
        self.offices: dict[str, Any] = {}
        self.btn_save.clicked.connect(self.save)

    def _office_key(self) -> str:
        return str(self.desk.identity.county_code)

    def refresh(self) -> None:
        desk = self.desk

        def load() -> tuple[str, int, dict[str, Any], int, bool]:
            return (desk.setting(RECEIPT_LAYOUT_SETTING) or "a4",
                    int(desk.setting(NOTICE_DAYS_SETTING) or 5),
                    dict(desk.setting(OFFICE_TEXTS_SETTING) or {}),
                    desk.attachments.max_mb(),
                    bool(desk.setting(PRINT_DIRECT_SETTING) or False))

        def done(result: tuple[str, int, dict[str, Any], int, bool]) -> None:
            layout, days, offices, max_mb, direct = result
            self.attachment_mb.setValue(max_mb)
            self.direct.setChecked(direct)
            self.offices = offices  # every county's texts; saving changes only this window's
            phone = str((offices.get(self._office_key()) or {}).get("phone") or "")
            self.layout_combo.setCurrentIndex(max(0, self.layout_combo.findData(layout)))
            self.notice_days.setValue(days)
            self.phone.setText(phone)

        self.read(load, done)

    def save(self) -> None:
        layout, days = self.layout_combo.currentData(), self.notice_days.value()
        phone = self.phone.text().strip()
        if phone:
            from xingan_desk.validation import check_landline, check_mobile

            if check_landline(phone) and check_mobile(phone) and phone != "12345":
                _say(self.message, f"联系电话格式不对：{check_landline(phone)}")
                return
        key = self._office_key()
        offices = dict(self.offices)
        mine = dict(offices.get(key) or {})
        if phone:
            mine["phone"] = phone
        else:
            mine.pop("phone", None)
        offices[key] = mine
        values: Mapping[str, Any] = {RECEIPT_LAYOUT_SETTING: layout, NOTICE_DAYS_SETTING: days,
                                     OFFICE_TEXTS_SETTING: offices,
                                     MAX_MB_SETTING: self.attachment_mb.value(),
                                     PRINT_DIRECT_SETTING: self.direct.isChecked()}

        def done(_r: None) -> None:
            self.offices = offices
            _say(self.message, "已保存，下次打印起生效", ok=True)

        self.write(lambda: self.desk.set_settings(values), done, self.message)


# --- deadline warnings (issue 11 §8) ------------------------------------------------------------
class DeadlineTab(_Tab):
    """期限提醒: how many working days before a deadline it turns yellow (red once passed)."""

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.days = QSpinBox()
        self.days.setObjectName("due_warn_days")
        self.days.setRange(0, 30)
        self.days.setSuffix(" 个工作日")
        form.addRow("期限前提醒（黄色）", self.days)
        lay.addLayout(form)
        hint = QLabel("期限前这些工作日内的记录在列表、“待办/到期”和状态栏中显示为黄色，超过期限的显示为"
                      "红色。0 表示只提示已逾期的。")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.btn_save, self.message = self._save_row(lay, "保存", "btn_due_warn_save", "due_warn_message")
        lay.addStretch(1)
        self.btn_save.clicked.connect(self.save)

    def refresh(self) -> None:
        self.read(self.desk.due_warn_workdays, self.days.setValue)

    def save(self) -> None:
        days = self.days.value()

        def done(_r: None) -> None:
            _say(self.message, f"已保存：期限前 {days} 个工作日起提醒", ok=True)

        self.write(lambda: self.desk.set_due_warn_workdays(days), done, self.message)


# --- backups ---------------------------------------------------------------------------------
class BackupTab(_Tab):
    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        hint = QLabel("系统每天第一次启动时自动备份一次，保留最近14份。另存到U盘等位置可防电脑损坏。"
                      "从备份恢复时请关闭本程序，由管理员运行“xingan-desk restore 备份文件”。")
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        lay.addWidget(hint)
        self.table = _table("backup_table", ["备份时间", "大小", "文件"])
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.btn_now = QPushButton("立即备份")
        self.btn_now.setObjectName("btn_backup_now")
        self.btn_now.setProperty("primary", True)
        self.btn_to = QPushButton("备份到其他位置…")
        self.btn_to.setObjectName("btn_backup_to")
        row.addWidget(self.btn_now)
        row.addWidget(self.btn_to)
        row.addStretch(1)
        lay.addLayout(row)
        self.message = error_label("backup_message")
        lay.addWidget(self.message)
        self.btn_now.clicked.connect(lambda: self.backup_to(None))
        self.btn_to.clicked.connect(self._choose)

    def refresh(self) -> None:
        def done(found: list[tuple[Path, dt.datetime, int]]) -> None:
            _fill(self.table, [[format_datetime(when), f"{size / 1_048_576:.1f} MB", str(p)]
                               for p, when, size in found])

        self.read(self.desk.backups, done)

    def _choose(self) -> None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target, _ = QFileDialog.getSaveFileName(self, "备份到", f"xingan-desk-{stamp}.sqlite3",
                                                "数据备份 (*.sqlite3)")
        if target:
            self.backup_to(Path(target))

    def backup_to(self, target: Path | None) -> None:
        _say(self.message, "正在备份…", ok=True)
        self.btn_now.setEnabled(False)

        def done(path: Path) -> None:
            self.btn_now.setEnabled(True)
            _say(self.message, f"已备份到 {path}", ok=True)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.btn_now.setEnabled(True)
            if isinstance(exc, DeskError):
                _say(self.message, str(exc))
            else:
                show_error(self, exc, "备份失败")

        DeskOp(self, self.runner, lambda: self.desk.backup(target)).changes(None).on_io() \
            .with_progress("正在备份…").success(done).failure(failed).run()


# --- audit log -------------------------------------------------------------------------------
class AuditTab(_Tab):
    LIMIT = 500

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setObjectName("audit_filter")
        self.filter.setPlaceholderText("筛选：账号、编号、内容…")
        self.filter.setClearButtonEnabled(True)
        top.addWidget(self.filter, 1)
        lay.addLayout(top)
        self.table = _table("audit_table", ["时间", "账号@窗口", "编号", "内容"])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        lay.addWidget(self.table, 1)
        note = QLabel(f"显示最近{self.LIMIT}条。审计日志只能追加，不能修改或删除。")
        note.setProperty("role", "hint")
        lay.addWidget(note)
        self.filter.textChanged.connect(self._apply_filter)

    def refresh(self) -> None:
        def done(entries: list[Any]) -> None:
            rows = []
            for a in entries:
                kind = KIND_BY_PREFIX.get((a.receipt_no or "")[:2]) if a.receipt_no else None
                text = describe(a, kind).split("　", 2)[-1]
                rows.append([format_datetime(a.at), f"{a.username}@{a.window_code}",
                             a.receipt_no or "", text])
            _fill(self.table, rows)
            self._apply_filter()

        self.read(lambda: self.desk.audit_trail(self.LIMIT), done)

    def _apply_filter(self) -> None:
        needle = self.filter.text().strip()
        for r in range(self.table.rowCount()):
            cells = (self.table.item(r, c) for c in range(self.table.columnCount()))
            texts = [c.text() for c in cells if c is not None]
            self.table.setRowHidden(r, bool(needle) and not any(needle in t for t in texts))


class SyncTab(_Tab):
    """Where central is, and the way to its settings dialog (ui/sync_settings.py)."""

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__(desk, runner)
        lay = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("sync_summary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.btn_settings = QPushButton("同步设置…")
        self.btn_settings.setObjectName("btn_sync_settings")
        # AdminDialog relays the click (sync_settings_requested); the main window opens it
        row = QHBoxLayout()
        row.addWidget(self.btn_settings)
        row.addStretch(1)
        lay.addLayout(row)
        hint = QLabel("中心数据库的地址、窗口账号和密码由盟局管理员登记窗口时生成"
                      "（xingan-desk central add-window）。同步每30秒一次，保存后也会立即同步。")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addStretch(1)

    def refresh(self) -> None:
        def load() -> str:
            from xingan_desk.sync import settings as ss

            current = ss.load(self.desk)
            if current is None:
                return "本窗口尚未设置同步，数据只保存在本机。"
            return (f"中心数据库：{current.host}:{current.port}/{current.dbname}"
                    f"　窗口账号：{current.user}　加密方式：{current.sslmode}")

        self.read(load, self.summary.setText)


class AdminDialog(QDialog):
    """系统管理 (admins: every tab; supervisors: print settings and the audit log)."""

    sync_settings_requested = Signal()  # 中心同步 → 同步设置…

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None,
                 tab: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("admin_dialog")
        self.setWindowTitle("系统管理")
        self.desk, self.runner = desk, runner
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("admin_tabs")
        role = desk.user.role
        self.pages: dict[str, _Tab] = {}
        specs: list[tuple[str, str, type[_Tab], tuple[str, ...]]] = [
            ("users", "账号管理", UsersTab, ("admin",)),
            ("calendar", "节假日安排", CalendarTab, ("admin",)),
            ("print", "打印设置", PrintTab, ("admin", "supervisor")),
            ("deadlines", "期限提醒", DeadlineTab, ("admin", "supervisor")),
            ("backup", "数据备份", BackupTab, ("admin",)),
            ("sync", "中心同步", SyncTab, ("admin",)),
            ("audit", "审计日志", AuditTab, ("admin", "supervisor")),
        ]
        for key, title, cls, roles in specs:
            if role in roles:
                page = cls(desk, runner)
                page.setObjectName(f"admin_{key}")
                self.pages[key] = page
                self.tabs.addTab(page, title)
        sync_page = self.pages.get("sync")
        if isinstance(sync_page, SyncTab):
            sync_page.btn_settings.clicked.connect(self.sync_settings_requested)
        lay.addWidget(self.tabs, 1)
        close = QPushButton("关闭（Esc）")
        close.setObjectName("btn_admin_close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        self.tabs.currentChanged.connect(self._tab_changed)
        if tab in self.pages:
            self.tabs.setCurrentWidget(self.pages[tab])
        self._tab_changed(self.tabs.currentIndex())
        self.resize(900, 600)

    def _tab_changed(self, index: int) -> None:
        page = self.tabs.widget(index)
        if isinstance(page, _Tab):
            page.refresh()

    def page(self, key: str) -> Any:
        return self.pages[key]
