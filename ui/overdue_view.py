"""逾期统计: the overdue view per window and per clerk (issue 11 §8), for supervisors.

Open records past their deadline (red) and soon due (yellow, the 待办 setting's working
days ahead), counted by the window that owns them and by the account that registered them;
worst first. 催办 and 延期 are the record's own actions (its detail panel), so they are
audited and synced like every action.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.supervision import OverdueRow
from xingan_desk.timeutil import format_date

from .ops import QueryOp
from .tasks import TaskRunner

_Report = tuple[list[OverdueRow], list[OverdueRow], int]


class OverdueView(QDialog):
    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overdue_view")
        self.setWindowTitle("逾期统计")
        self.resize(720, 420)
        lay = QVBoxLayout(self)
        self.note = QLabel("正在统计…")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.tabs = QTabWidget()
        self.by_window = self._table(("窗口", "已逾期", "即将到期", "最早逾期的期限"))
        self.by_clerk = self._table(("窗口", "登记人", "已逾期", "即将到期", "最早逾期的期限"))
        self.by_window.setObjectName("overdue_by_window")
        self.by_clerk.setObjectName("overdue_by_clerk")
        self.tabs.addTab(self.by_window, "按窗口")
        self.tabs.addTab(self.by_clerk, "按人员")
        lay.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

        def load() -> _Report:
            windows, clerks = desk.overdue_report()
            return windows, clerks, desk.due_warn_workdays()

        QueryOp(self, runner, load).success(self._show).run()

    @staticmethod
    def _table(headers: tuple[str, ...]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(list(headers))
        t.verticalHeader().hide()
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return t

    def _show(self, report: _Report) -> None:
        windows, clerks, days = report
        self.note.setText(f"未办结记录中已超过期限的（红）和{days}个工作日内到期的（黄）。"
                          "催办、延期请在记录详情中办理（记入审计日志并同步）。")
        self._fill(self.by_window, [(r.window, r.overdue, r.soon, r.oldest) for r in windows])
        self._fill(self.by_clerk,
                   [(r.window, r.clerk, r.overdue, r.soon, r.oldest) for r in clerks])

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[object, ...]]) -> None:
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                text = (format_date(value) if isinstance(value, dt.date)
                        else "" if value is None else str(value))
                table.setItem(i, j, QTableWidgetItem(text))
