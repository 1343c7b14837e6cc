"""单位名称 / 企业名称 looks an enterprise up in the registry by name as the clerk types (the
search index finds any two characters of the name); choosing one fills the credit code, and
the form's credit-code autofill does the rest. Reads run on the DB lane through Desk.search."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

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
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setObjectName(f"{edit.objectName()}_lookup")
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setWidget(edit)
        self.completer.activated[QModelIndex].connect(self._activated)  # type: ignore[index]
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LOOKUP_DELAY_MS)
        self._timer.timeout.connect(self._lookup)
        self._latest = Latest()
        edit.textEdited.connect(lambda _t: self._timer.start())
        edit.setToolTip("输入企业名称中的两个字以上，可从企业库中选择（↓ 选择，回车确定）")

    def _lookup(self) -> None:
        text = self.edit.text().strip()
        if len(text) < 2:
            self._hide()
            return
        desk = self.desk
        registry = links.registry_kind()

        def find() -> list[RecordView]:
            return desk.search(Query(kind=registry, text=text, limit=LOOKUP_LIMIT,
                                     order_by="created_at"))

        QueryOp(self._parent, self.runner, find).latest(self._latest).success(self._show).run()

    def _show(self, found: list[RecordView]) -> None:
        self.model.clear()
        registry = links.registry_kind()
        for rec in found:
            code = links.uscc_of(registry, rec.values) or ""
            item = QStandardItem(f"{rec.title}　{code}")
            item.setData(rec.title, NAME_ROLE)
            item.setData(code, USCC_ROLE)
            self.model.appendRow(item)
        if found and self.edit.hasFocus():
            self.completer.complete()
        else:
            self._hide()

    def _hide(self) -> None:
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    def _activated(self, index: QModelIndex) -> None:
        name, code = index.data(NAME_ROLE), index.data(USCC_ROLE)
        if not name:
            return
        self.edit.setText(str(name))
        self.chosen.emit(str(name), str(code or ""))
