"""The main window's layout: the work areas in the navigation, the top bar (search, 新建,
系统管理, 我的账号) and the three panes (areas | list | detail or form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.ledger_kinds import LEDGER_KINDS
from xingan_desk.timeutil import today_cst

DUE = "due"
AREAS: tuple[tuple[str, str], ...] = (
    ("consultation", "咨询登记"),
    ("enterprise", "企业库"),
    ("preexam_filing", "预审备案"),
    ("preexam_case", "预审案件"),
    ("mediation", "调解受理"),
    ("rating", "好差评"),
    (DUE, "待办/到期"),
    # the League plan's ledgers, from their declarations (records/ledger_kinds.py)
    *((k.key, k.title) for k in LEDGER_KINDS),
    ("mediator", "调解员名册"),  # League-wide roster the mediator fields pick from
)
DAILY_AREAS = 7  # the daily work areas (Ctrl+1…7; Ctrl+8 is 统计); the rest Ctrl+Shift+1…
DUE_WITHIN_WORKDAYS = 3
NAV_WIDTH = 168
LIST_SIZES = [NAV_WIDTH, 640, 558]  # list and detail side by side
FORM_SIZES = [NAV_WIDTH, 380, 818]  # an open form needs the width
ADMIN_ROLES = ("admin", "supervisor")


def due_limit(desk: Desk) -> dt.date:
    """The last day the 待办/到期 list covers: the deadlines that are yellow (the setting
    `due_warn_workdays` working days ahead) or red (reads the store: call on a lane)."""
    return desk.calendar().add_workdays(today_cst(), desk.due_warn_workdays())


def new_kind_for(area: str) -> str:
    """The kind 新建 makes in an area (待办/到期 makes consultations)."""
    return "consultation" if area == DUE else area


class AreaNav(QListWidget):
    """The work areas on the left (统计 is appended by ui/stats_view.py)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nav")
        self.setFixedWidth(NAV_WIDTH)
        for key, title in AREAS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(title)
            self.addItem(item)

    def goto(self, key: str) -> bool:
        """Select the area `key`; False if it was already selected (nothing changed)."""
        for i, (k, _t) in enumerate(AREAS):
            if k == key:
                if self.currentRow() == i:
                    return False
                self.setCurrentRow(i)
                return True
        return False

    def show_counts(self, counts: Mapping[str, int]) -> None:
        """Records due within the window (or overdue) beside each area's name."""
        for i, (key, title) in enumerate(AREAS):
            n = counts.get(key, 0)
            item = self.item(i)
            item.setText(f"{title}　{n}" if n else title)
            item.setToolTip(f"{title}：{n}件即将到期或已超期" if n else title)


class TopBar(QWidget):
    """Search (owned by the record list), 新建, 系统管理 and the clerk's account menu."""

    def __init__(self, search: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("top_bar")
        tl = QHBoxLayout(self)
        tl.setContentsMargins(10, 8, 10, 8)
        tl.addWidget(search, 1)
        self.btn_new = QPushButton()
        self.btn_new.setObjectName("btn_new")
        self.btn_new.setProperty("primary", True)
        tl.addWidget(self.btn_new)
        self.btn_admin = QPushButton("系统管理")
        self.btn_admin.setObjectName("btn_admin")
        self.btn_admin.setToolTip("账号、节假日安排、打印设置、备份、审计日志")
        tl.addWidget(self.btn_admin)
        self.btn_account = QToolButton()
        self.btn_account.setObjectName("btn_account")
        self.btn_account.setText("我的账号")
        self.btn_account.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.btn_account)
        self.act_password: QAction = menu.addAction("修改密码…")
        self.act_password.setObjectName("act_password")
        self.act_lock: QAction = menu.addAction("锁定 / 切换用户（Ctrl+L）")
        self.act_lock.setObjectName("act_lock")
        self.btn_account.setMenu(menu)
        tl.addWidget(self.btn_account)

    def show_for(self, role: str, area: str) -> None:
        """What the logged-in role may open; 新建 names the area's kind."""
        self.btn_admin.setVisible(role in ADMIN_ROLES)
        kind = new_kind_for(area)
        noun = "企业" if kind == "enterprise" else KINDS[kind].title
        self.btn_new.setText(f"新建{noun}（Ctrl+N）")


class Panes(QSplitter):
    """areas | list | detail (or the open form, or 统计)."""

    def __init__(self, nav: QWidget, middle: QWidget, right: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("splitter")
        self.setChildrenCollapsible(False)
        for w in (nav, middle, right):
            self.addWidget(w)
        self.setStretchFactor(1, 1)
        self.setStretchFactor(2, 1)

    def list_wide(self) -> None:
        self.setSizes(LIST_SIZES)

    def form_wide(self) -> None:
        self.setSizes(FORM_SIZES)
