"""单位名称 / 企业名称 looks an enterprise up in the registry by name as the clerk types (the
search index finds any two characters of the name); choosing one fills the credit code, and
the form's credit-code autofill does the rest. Reads run on the DB lane through Desk.search.

The suggestions are a list under the field that never takes the keyboard (no popup grab): the
clerk's input method keeps composing in the field while suggestions come and go; ↓/↑ choose,
Return takes the chosen one, Esc closes the list."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QWidget

from xingan_desk.desk import Desk
from xingan_desk.records import links
from xingan_desk.views import Query, RecordView

from .ops import Latest, QueryOp
from .tasks import TaskRunner

LOOKUP_DELAY_MS = 250
LOOKUP_LIMIT = 8
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
USCC_ROLE = Qt.ItemDataRole.UserRole + 2


class EnterpriseLookup(QObject):
    chosen = Signal(str, str)  # name, credit code

    def __init__(self, desk: Desk, runner: TaskRunner, edit: QLineEdit,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.edit, self._parent = desk, runner, edit, parent
        self.list = QListWidget()
        self.list.setObjectName(f"{edit.objectName()}_lookup")
        self.list.setWindowFlags(Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.list.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.itemClicked.connect(self._take)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LOOKUP_DELAY_MS)
        self._timer.timeout.connect(self._lookup)
        self._latest = Latest()
        edit.textEdited.connect(lambda _t: self._timer.start())
        edit.installEventFilter(self)
        edit.destroyed.connect(self.list.deleteLater)
        edit.setToolTip("输入企业名称中的两个字以上，可从企业库中选择（↓ 选择，回车确定）")

    # --- looking up -----------------------------------------------------------------------
    def _lookup(self) -> None:
        text = self.edit.text().strip()
        if len(text) < 2:
            self.list.hide()
            return
        desk = self.desk
        registry = links.registry_kind()

        def find() -> list[RecordView]:
            return desk.search(Query(kind=registry, text=text, limit=LOOKUP_LIMIT))

        QueryOp(self._parent, self.runner, find).latest(self._latest).success(self._show).run()

    def _show(self, found: list[RecordView]) -> None:
        self.list.clear()
        registry = links.registry_kind()
        for rec in found:
            code = links.uscc_of(registry, rec.values) or ""
            item = QListWidgetItem(f"{rec.title}　{code}")
            item.setData(NAME_ROLE, rec.title)
            item.setData(USCC_ROLE, code)
            self.list.addItem(item)
        if not found or not self.edit.hasFocus():
            self.list.hide()
            return
        self.list.setCurrentRow(-1)
        rows = min(len(found), LOOKUP_LIMIT)
        height = self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 2
        self.list.setFixedSize(max(self.edit.width(), 360), height)
        self.list.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.list.show()

    # --- choosing -------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.FocusOut:
            QTimer.singleShot(150, self._hide_unless_focused)  # a click on the list first
        if (watched is self.edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and self.list.isVisible()):
            key = event.key()
            n = self.list.count()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and n:
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(n - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.list.currentItem():
                self._take(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.list.hide()
                return True
        return False

    def _hide_unless_focused(self) -> None:
        try:
            if not self.edit.hasFocus():
                self.list.hide()
        except RuntimeError:  # the form is gone
            pass

    def _take(self, item: QListWidgetItem) -> None:
        name, code = item.data(NAME_ROLE), item.data(USCC_ROLE)
        self.list.hide()
        if not name:
            return
        self.edit.setText(str(name))
        self.chosen.emit(str(name), str(code or ""))
