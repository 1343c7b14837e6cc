"""The selected record on the right: number, status, deadline, values, history, actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.audit_text import describe
from xingan_desk.records.fields import GroupField
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import Action
from xingan_desk.timeutil import format_date, format_datetime, today_cst
from xingan_desk.views import AuditView, EventView, RecordView

from . import shortcuts

AUDIT_LINES = 30  # newest first; the rest are in the audit log


def _refresh(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


def _group_text(field: GroupField, rows: Any) -> str:
    lines = []
    for n, row in enumerate(rows or [], start=1):
        parts = [sub.display(row.get(sub.key)) for sub in field.fields]
        lines.append(f"{n}. " + "　".join(p for p in parts if p))
    return "\n".join(lines)


class DetailPanel(QWidget):
    edit_requested = Signal()
    action_requested = Signal(str)
    handover_requested = Signal(str)
    rate_requested = Signal()
    void_requested = Signal()
    print_requested = Signal(object)  # None: the receipt; else a document key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail")
        self.record: RecordView | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(6)

        self.title = QLabel("请在左侧列表中选择一条记录")
        self.title.setObjectName("detail_title")
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        chips = QHBoxLayout()
        self.number = QLabel()
        self.number.setObjectName("detail_number")
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("detail_status")
        self.status.setProperty("role", "status")
        self.due = QLabel()
        self.due.setObjectName("detail_due")
        self.due.setProperty("role", "due")
        chips.addWidget(self.number)
        chips.addWidget(self.status)
        chips.addWidget(self.due)
        chips.addStretch(1)
        outer.addLayout(chips)

        self.buttons_box = QWidget()
        self.buttons_box.setObjectName("detail_actions")
        self.buttons = QGridLayout(self.buttons_box)
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(6)
        outer.addWidget(self.buttons_box)

        self.values_box = QWidget()
        self.values = QFormLayout(self.values_box)
        self.values.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.values.setHorizontalSpacing(10)
        self.values.setVerticalSpacing(5)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.values_box)
        outer.addWidget(scroll, 1)
        self.clear()

    def clear(self) -> None:
        self.record = None
        self.title.setText("请在列表中选择一条记录")
        for w in (self.number, self.status, self.due):
            w.hide()
        self._clear_layouts()

    def _clear_layouts(self) -> None:
        while self.values.rowCount():
            self.values.removeRow(0)
        while self.buttons.count():
            item = self.buttons.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()

    def _button(self, name: str, text: str, slot: Any, primary: bool = False,
                keys: str | None = None) -> QPushButton:
        b = QPushButton(shortcuts.with_key(text, keys))
        b.setObjectName(name)
        if keys:
            # active while the panel shows (not behind an open form); the key in the tooltip
            b.setShortcut(QKeySequence(keys))
            b.setToolTip(f"{text}　快捷键 {keys}")
        if primary:
            b.setProperty("primary", True)
        b.clicked.connect(slot)
        n = self.buttons.count()
        self.buttons.addWidget(b, n // 3, n % 3)
        b.show()  # now, not at the layout's queued show: its shortcut works at once
        return b

    def show_record(self, rec: RecordView, actions: tuple[Action, ...],
                    events: list[EventView], *, can_print: bool = False,
                    documents: list[tuple[str, str]] | None = None,
                    audit: list[AuditView] | None = None, can_edit: bool = True,
                    extra: list[tuple[str, str]] | None = None) -> None:
        """`can_edit`: this window may edit the record (its owner, or a window in the county
        scope of shared reference data such as the enterprise registry; Desk.can_edit).
        `extra`: (label, text) rows read beside the record (a mediator's cases)."""
        self._clear_layouts()
        self.record = rec
        kind = KINDS[rec.kind]
        self.title.setText(f"{kind.title}：{rec.title or '（未命名）'}")
        self.number.setText(f"编号 {rec.receipt_no}")
        self.number.show()
        label = rec.status_label
        self.status.setText(label)
        self.status.setVisible(bool(label))
        if rec.due_date:
            over = rec.due_date < today_cst()
            self.due.setText(f"{rec.due_label}：{format_date(rec.due_date)}"
                             + ("（已超期）" if over else ""))
            self.due.setProperty("role", "due_over" if over else "due")
            _refresh(self.due)
            self.due.show()
        else:
            self.due.hide()

        # actions: the workflow's legal ones first, then edit / handover / rating / print
        keys = shortcuts.action_keys(rec.kind)
        for i, a in enumerate(actions):
            self._button(f"btn_action_{a.key}", a.label,
                         lambda _c=False, k=a.key: self.action_requested.emit(k), primary=i == 0,
                         keys=keys.get(a.key))
        if not rec.voided and can_edit:
            self._button("btn_edit", "修改", self.edit_requested.emit, keys=shortcuts.EDIT)
        if not rec.voided:
            for target, key in shortcuts.handover_keys(rec.kind).items():
                self._button(f"btn_handover_{target}", f"转{KINDS[target].title}",
                             lambda _c=False, t=target: self.handover_requested.emit(t),
                             keys=key)
        if rec.kind not in ("rating", "enterprise", "mediator") and not rec.voided:
            self._button("btn_rate", "记录好差评", self.rate_requested.emit, keys=shortcuts.RATE)
        print_btn = self._button("btn_print", "打印回执",
                                 lambda: self.print_requested.emit(None))
        print_btn.setText(shortcuts.with_key("打印回执", shortcuts.PRINT))
        print_btn.setToolTip(f"打印回执　{shortcuts.PRINT}；预览 {shortcuts.PREVIEW}")
        print_btn.setEnabled(can_print)
        if not can_print:
            print_btn.setToolTip("打印模块尚未安装")
        if can_print and documents:
            docs = self._button("btn_print_document", "打印文书…", lambda: None,
                                keys=shortcuts.DOCUMENTS)
            menu = QMenu(docs)
            for key, title in documents:
                act = menu.addAction(title)
                act.setObjectName(f"print_{key}")
                act.triggered.connect(lambda _c=False, k=key: self.print_requested.emit(k))
            docs.setMenu(menu)
            if any(key == "dossier" for key, _ in documents):
                self._button("btn_print_dossier", "打印卷宗",
                             lambda: self.print_requested.emit("dossier"))
        if not rec.voided:
            self._button("btn_void", "作废", self.void_requested.emit)

        def add(key: str, label_text: str, text: str) -> None:
            lab = QLabel(label_text)
            lab.setProperty("role", "field_label")
            val = QLabel(text)
            val.setObjectName(f"value_{key}")
            val.setWordWrap(True)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values.addRow(lab, val)

        if rec.voided:
            add("_void", "作废原因", rec.void_reason or "")
        for f in kind.fields:
            value = rec.values.get(f.key)
            if value in (None, "", []):
                continue
            text = _group_text(f, value) if isinstance(f, GroupField) else f.display(value)
            add(f.key, f.label, text)
        for n, (label_text, text) in enumerate(extra or []):
            add(f"_extra{n}", label_text, text)
        add("_created", "登记", f"{format_datetime(rec.created_at)}　{rec.created_by}"
            f"　{rec.owner}")
        if rec.version > 1:
            add("_updated", "最后修改", f"{format_datetime(rec.updated_at)}　{rec.updated_by}")
        if events:
            lines = [f"{format_datetime(e.created_at)}　{e.action_label}　{e.actor}"
                     + ("" if e.applied else "（未生效，待主管核查）") for e in events]
            add("_history", "办理记录", "\n".join(lines))
        if audit:
            shown = audit[-AUDIT_LINES:]
            lines = [describe(a, kind) for a in reversed(shown)]
            if len(audit) > len(shown):
                lines.append(f"……更早的{len(audit) - len(shown)}条见审计日志")
            add("_audit", "修改记录", "\n".join(lines))
