"""需处理事项: what sync left for a supervisor (xingan_desk/sync/review.py builds the list).

The list on the left, the selected item on the right with its facts, what each choice means,
a note, and only the choices that fit the item (keep / re-apply a field value, confirm the
current state, take a status action, re-send or give up a refused change). Clerks see the list
but cannot resolve. Every resolution is audited and syncs; the window asks for a sync after it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import Action
from xingan_desk.sync import review
from xingan_desk.sync.review import ACTION_LABELS, AttentionItem
from xingan_desk.timeutil import format_datetime
from xingan_desk.views import Changes, RecordView

from .ops import DeskOp, Latest, QueryOp
from .record_form import ActionDialog
from .tasks import TaskRunner, error_text

BUTTONS = ("keep", "reapply", "confirm", "act", "retry", "discard")
BUTTON_TEXT = {"keep": "保留现值", "reapply": "恢复落选值", "confirm": "标记已处理",
               "act": "办理…", "retry": "重新上传", "discard": "放弃上传"}


class ReviewDialog(QDialog):
    """Resolutions are `DeskOp`s: the main window's list, counts and sync follow by the
    change bus."""

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.setObjectName("review_dialog")
        self.setWindowTitle("需处理事项")
        self.items: list[AttentionItem] = []
        self.current: AttentionItem | None = None
        self.can_resolve = desk.user.role in review.RESOLVER_ROLES
        self._lists = Latest()
        self.action_dialog: ActionDialog | None = None
        self.act_menu: QMenu | None = None

        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.count = QLabel("正在读取…")
        self.count.setObjectName("review_count")
        self.count.setProperty("role", "title")
        top.addWidget(self.count)
        top.addStretch(1)
        self.btn_refresh = QPushButton("刷新")
        self.btn_refresh.setObjectName("btn_review_refresh")
        self.btn_refresh.clicked.connect(self.reload)
        top.addWidget(self.btn_refresh)
        outer.addLayout(top)
        if not self.can_resolve:
            note = QLabel("以下事项需主管或管理员处理；您可以查看。")
            note.setObjectName("review_role_hint")
            note.setProperty("role", "hint")
            outer.addWidget(note)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("review_table")
        self.table.setHorizontalHeaderLabels(["类别", "事项", "时间"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._select(r))
        split.addWidget(self.table)

        right = QFrame()
        right.setObjectName("review_detail")
        rl = QVBoxLayout(right)
        rl.setContentsMargins(10, 0, 0, 0)
        self.title = QLabel()
        self.title.setObjectName("review_title")
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        rl.addWidget(self.title)
        self.facts_box = QWidget()
        self.facts = QFormLayout(self.facts_box)
        self.facts.setContentsMargins(0, 4, 0, 4)
        self.facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        rl.addWidget(self.facts_box)
        self.hint = QLabel()
        self.hint.setObjectName("review_hint")
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        rl.addWidget(self.hint)
        self.note = QPlainTextEdit()
        self.note.setObjectName("review_note")
        self.note.setPlaceholderText("处理说明（放弃上传时必须填写原因）")
        self.note.setFixedHeight(64)
        rl.addWidget(self.note)
        self.error = QLabel()
        self.error.setObjectName("review_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        rl.addWidget(self.error)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key in BUTTONS:
            b = QPushButton(BUTTON_TEXT[key])
            b.setObjectName(f"btn_review_{key}")
            b.clicked.connect(lambda _c=False, k=key: self.choose(k))
            b.hide()
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        rl.addLayout(row)
        rl.addStretch(1)
        self.empty = QLabel("没有需要处理的事项。")
        self.empty.setObjectName("review_empty")
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        rl.addWidget(self.empty)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        outer.addWidget(split, 1)

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        close = QPushButton("关闭")
        close.setObjectName("btn_review_close")
        close.clicked.connect(self.accept)
        bottom.addWidget(close)
        outer.addLayout(bottom)
        self.resize(1120, 600)
        self._show(None)
        self.reload()

    # --- the list ---------------------------------------------------------------------------
    def reload(self) -> None:
        desk = self.desk
        keep = self.current.key if self.current else None
        QueryOp(self, self.runner, lambda: review.attention_items(desk)).latest(self._lists) \
            .success(lambda items: self._fill(items, keep)).run()

    def _fill(self, items: list[AttentionItem], keep: str | None) -> None:
        self.items = items
        self.count.setText(f"需处理事项：{len(items)} 项" if items else "需处理事项")
        self.table.setRowCount(len(items))
        select = 0
        for r, it in enumerate(items):
            cells = (it.category_label, it.summary, format_datetime(it.created_at))
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(r, c, cell)
            if it.key == keep:
                select = r
        if items:
            self.table.setCurrentCell(select, 0)
            self._select(select)
        else:
            self._show(None)

    def _select(self, row: int) -> None:
        self._show(self.items[row] if 0 <= row < len(self.items) else None)

    def _show(self, item: AttentionItem | None) -> None:
        self.current = item
        self.error.hide()
        while self.facts.rowCount():
            self.facts.removeRow(0)
        self.empty.setVisible(item is None)
        self.facts_box.setVisible(item is not None)
        self.note.setVisible(item is not None)
        self.hint.setVisible(item is not None)
        self.title.setText(item.title if item else "")
        confirm = {"status_conflict": "维持当前状态", "void_conflict": "确认作废"}
        self.buttons["confirm"].setText(confirm.get(item.category if item else "", "标记已处理"))
        for key, b in self.buttons.items():
            b.setVisible(item is not None and key in item.actions)
            b.setEnabled(self.can_resolve)
            b.setProperty("primary", bool(item and key == item.actions[0]))
            b.style().unpolish(b)
            b.style().polish(b)
        if item is None:
            return
        for label, value in item.lines:
            lab = QLabel(label)
            lab.setProperty("role", "field_label")
            val = QLabel(value or "（空）")
            val.setWordWrap(True)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            val.setObjectName(f"review_fact_{label}")
            self.facts.addRow(lab, val)
        self.hint.setText(item.hint)
        self.note.clear()

    # --- resolving ----------------------------------------------------------------------------
    def choose(self, action: str) -> None:
        item = self.current
        if item is None or not self.can_resolve:
            return
        if action == "act":
            self._act(item)
            return
        self._resolve(item, action, self.note.toPlainText())

    def _resolve(self, item: AttentionItem, action: str, note: str) -> None:
        self.error.hide()
        desk = self.desk
        for b in self.buttons.values():
            b.setEnabled(False)

        def done(_changes: Changes) -> None:
            self.reload()

        def failed(exc: BaseException) -> None:
            for b in self.buttons.values():
                b.setEnabled(self.can_resolve)
            msg = next(iter(exc.errors.values())) if isinstance(exc, ValidationFailed) \
                else error_text(exc)[0]
            self.error.setText(msg)
            self.error.show()
            if isinstance(exc, ValidationFailed) and "note" in exc.errors:
                self.note.setFocus()

        DeskOp(self, self.runner, lambda: review.resolve(desk, item, action, note)) \
            .success(done).failure(failed).run()

    def _act(self, item: AttentionItem) -> None:
        """Take a status action on the record now (a normal, synced event), then record the
        resolution."""
        record_id = item.record_id
        if not record_id:
            return
        desk = self.desk

        def load() -> tuple[RecordView, tuple[Action, ...]]:
            return desk.get(record_id), desk.actions_for(record_id)

        def failed(exc: BaseException) -> None:
            self.error.setText(error_text(exc)[0])
            self.error.show()

        QueryOp(self, self.runner, load).success(lambda r: self._offer_actions(item, *r)) \
            .failure(failed).run()

    def _offer_actions(self, item: AttentionItem, rec: RecordView,
                       actions: tuple[Action, ...]) -> None:
        if not actions:
            self.error.setText("当前状态下没有您可以办理的操作")
            self.error.show()
            return
        if len(actions) == 1:
            self._open_action(item, rec, actions[0].key)
            return
        menu = QMenu(self)
        menu.setObjectName("review_act_menu")
        for a in actions:
            menu.addAction(a.label).setData(a.key)
        menu.triggered.connect(lambda a: self._open_action(item, rec, str(a.data())))
        self.act_menu = menu
        btn = self.buttons["act"]
        menu.popup(btn.mapToGlobal(btn.rect().bottomLeft()))  # no nested event loop

    def _open_action(self, item: AttentionItem, rec: RecordView, action_key: str) -> None:
        wf = KINDS[rec.kind].workflow
        assert wf is not None
        action = wf.action(action_key)
        note = self.note.toPlainText().strip()
        dlg = ActionDialog(self.desk, self.runner, rec, action, self)
        self.action_dialog = dlg

        def acted() -> None:  # the action itself went on the bus as it was written
            text = f"已办理“{action.label}”" + (f"：{note}" if note else "")
            self._resolve(item, "act", text)

        dlg.accepted.connect(acted)
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()


__all__ = ["ACTION_LABELS", "ReviewDialog"]
