"""The main window's status bar: sync problems on the left; the holiday-table warning, the
window, the clerk, the standing TLS warning (an admin allowed a sync connection that does not
verify central's certificate), the sync state and 需处理事项 on the right."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QStatusBar, QWidget

from xingan_desk.records.workflow import ROLE_LABELS
from xingan_desk.supervision import DueCounts
from xingan_desk.sync.service import SyncState
from xingan_desk.views import Identity, UserView


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

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        hint.setWidth(0)
        return hint


def user_text(user: UserView) -> str:
    return f"{user.display_name}（{ROLE_LABELS.get(user.role, user.role)}）"


def _repolish(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


class WindowStatus:
    """Builds the status bar's widgets into `bar` and keeps them current. Clicks are the
    widgets' own signals: `sync.clicked`, `attention.clicked`, `calendar.clicked`."""

    def __init__(self, bar: QStatusBar, identity: Identity, user: UserView) -> None:
        self.bar = bar
        bar.setObjectName("status_bar")
        self.window = QLabel(f"{identity.label}（{identity.window_code}）")
        self.window.setObjectName("status_window")
        self.user = QLabel(user_text(user))
        self.user.setObjectName("status_user")
        self.sync_error = ElidedLabel()
        self.sync_error.setObjectName("status_sync_error")
        self.sync_error.hide()
        self.tls = QLabel()
        self.tls.setObjectName("status_tls")
        self.tls.hide()
        self.sync = ClickableLabel("未设置同步")
        self.sync.setObjectName("status_sync")
        self.sync.setProperty("offline", True)
        self.sync.setCursor(Qt.CursorShape.PointingHandCursor)
        self.attention = QPushButton()
        self.attention.setObjectName("btn_attention")
        self.attention.setToolTip("打开需处理事项（同步冲突、被拒绝的上传等）")
        self.attention.setCursor(Qt.CursorShape.PointingHandCursor)
        self.attention.hide()
        self.due = ClickableLabel()
        self.due.setObjectName("status_due")
        self.due.setCursor(Qt.CursorShape.PointingHandCursor)
        self.due.hide()
        self.calendar = QPushButton()
        self.calendar.setObjectName("status_calendar")
        self.calendar.setFlat(True)
        self.calendar.hide()
        bar.addWidget(self.sync_error, 1)
        for w in (self.due, self.calendar, self.window, self.user, self.tls, self.sync,
                  self.attention):
            bar.addPermanentWidget(w)

    def show_user(self, user: UserView) -> None:
        self.user.setText(user_text(user))

    def show_calendar_warning(self, warning: str | None, *, admin: bool) -> None:
        """"2027年节假日安排尚未录入": deadlines there only skip weekends."""
        self.calendar.setVisible(bool(warning))
        if warning:
            self.calendar.setText(f"⚠ {warning}")
            self.calendar.setToolTip(
                "期限暂按周末推算。" + ("点此录入节假日安排" if admin
                               else "请管理员在“系统管理 → 节假日安排”中录入"))

    def show_due_counts(self, counts: DueCounts) -> None:
        """"逾期 2 项 · 3 项即将到期": red when something is overdue, yellow when only soon
        (issue 11 §8); a click opens 待办/到期."""
        self.due.setText(counts.text)
        self.due.setVisible(bool(counts.text))
        stage = "overdue" if counts.overdue else "soon" if counts.soon else ""
        if self.due.property("stage") != stage:
            self.due.setProperty("stage", stage)
            _repolish(self.due)
        self.due.setToolTip("单击：打开“待办/到期”；主管可在其中催办、延期，"
                            "并在“逾期统计”中按窗口和人员查看")

    def show_sync_state(self, state: SyncState) -> None:
        self.sync.setText(state.status_text)
        self.sync.setToolTip(state.tooltip + "\n（单击：立即同步、同步设置、需处理事项）")
        problem = state.error_kind not in ("", "offline")
        for prop, value in (("offline", not state.online or not state.configured),
                            ("problem", problem)):
            if self.sync.property(prop) != value:
                self.sync.setProperty(prop, value)
                _repolish(self.sync)
        self.attention.setText(state.attention_text)
        self.attention.setVisible(bool(state.attention))
        self.sync_error.set_full_text(state.error if problem else "")
        self.sync_error.setVisible(problem)
        self.show_tls_warning(state.tls_warning)

    def show_tls_warning(self, warning: str) -> None:
        """Shown as long as the stored settings do not verify central's certificate."""
        if warning:
            self.tls.setText(f"⚠ {warning.split('（')[0].split('：')[0]}")
            self.tls.setToolTip(f"{warning}\n请管理员在“同步设置”中提供中心的根证书（CA）文件，"
                                "并选择“必须加密并验证服务器证书”。")
        self.tls.setVisible(bool(warning))

    def sync_menu(self, parent: QWidget, actions: list[QAction]) -> QMenu:
        """立即同步 / 同步设置… / 需处理事项… under the sync label."""
        menu = QMenu(parent)
        menu.setObjectName("sync_menu")
        for a in actions:
            menu.addAction(a)
        menu.popup(self.sync.mapToGlobal(self.sync.rect().topLeft()))
        return menu
