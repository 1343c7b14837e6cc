"""Record forms generated from a RecordKind's declaration, and workflow action dialogs.

One editor per intake field, grouped by `group` in the paper form's order (which is also the
tab order). Errors appear in red under the field as the clerk leaves it and on save; the
first bad field gets the focus; nothing typed is ever discarded by a failed save.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.records import links
from xingan_desk.records.fields import BoolField, Field, GroupField
from xingan_desk.records.kind import RecordKind
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import Action
from xingan_desk.views import Changes, Query, RecordView

from .editors import FieldEditor, GroupEditor, LineEditor, label_for, make_editor
from .ops import DeskOp, QueryOp
from .tasks import TaskRunner, show_error

AUTOSAVE_MS = 5000


def _form_row(layout: QFormLayout, field: Field, editor: FieldEditor,
              required: bool) -> QLabel | None:
    if isinstance(field, GroupField):  # its name as a heading, then cards across the width
        heading = label_for(field, required)
        heading.setProperty("role", "group_heading")
        heading.setBuddy(editor.widget)
        layout.addRow(heading)
        layout.addRow(editor.box)
        return None
    # a check box carries its own label; an empty one keeps the columns aligned
    label = QLabel("") if isinstance(field, BoolField) else label_for(field, required)
    label.setBuddy(editor.widget)
    layout.addRow(label, editor.box)
    return label


def _new_form_layout() -> QFormLayout:
    lay = QFormLayout()
    lay.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    lay.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    lay.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    lay.setHorizontalSpacing(10)
    lay.setVerticalSpacing(6)
    return lay


class FieldPanel(QWidget):
    """Editors for a set of fields, grouped in boxes; shared by forms and action dialogs."""

    def __init__(self, kind: RecordKind, fields: tuple[Field, ...],
                 required: Mapping[str, bool] | None = None, *, grouped: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.editors: dict[str, FieldEditor] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        boxes: dict[str, QFormLayout] = {}
        labels: list[QLabel] = []
        for f in fields:
            req = f.required if required is None else required.get(f.key, False)
            editor = make_editor(f, required=req)
            self.editors[f.key] = editor
            group = f.group if grouped else ""
            if group not in boxes:
                lay = _new_form_layout()
                if group:
                    box = QGroupBox(group)
                    box.setObjectName(f"group_{len(boxes)}")
                    box.setLayout(lay)
                    outer.addWidget(box)
                else:
                    holder = QWidget()
                    holder.setLayout(lay)
                    outer.addWidget(holder)
                boxes[group] = lay
            label = _form_row(boxes[group], f, editor, req)
            if label is not None:
                labels.append(label)
            if isinstance(editor, GroupEditor):
                editor.layout_changed = self.fix_tab_order
        # widgets Tab reaches after the last field (the form's buttons)
        self.tail: list[QWidget] = []
        # one label column width for every group, so the boxes line up; very long labels wrap
        fm = self.fontMetrics()
        width = min(max((fm.horizontalAdvance(f.label + "＊") + 8 for f in fields
                         if not isinstance(f, (BoolField, GroupField))), default=60), 180)
        for lb in labels:
            lb.setFixedWidth(width)
            lb.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer.addStretch(1)

    def fix_tab_order(self) -> None:
        """Tab goes through the fields in the paper form's order (cards added later, too),
        then the tail; Shift+Tab the other way. No widget is skipped or trapped."""
        chain = [w for ed in self.editors.values() for w in ed.tab_widgets()] + self.tail
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def raw(self) -> dict[str, Any]:
        return {k: ed.get() for k, ed in self.editors.items()}

    def set_raw(self, values: Mapping[str, Any]) -> None:
        for k, v in values.items():
            if k in self.editors:
                self.editors[k].set(v)

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Show each message under its field; returns messages with no field here."""
        for key, ed in self.editors.items():
            ed.set_error(errors.get(key))
        return [m for k, m in errors.items() if k not in self.editors]

    def first_error(self, errors: Mapping[str, str]) -> FieldEditor | None:
        for key in errors:
            if key in self.editors:
                return self.editors[key]
        return None


class RecordForm(QWidget):
    """The form for a new record (or edits of an existing one) of one kind."""

    saved = Signal(object, object)  # RecordView, Changes
    closed = Signal()
    message = Signal(str)  # short notes for the status bar

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        kind: RecordKind | str,
        *,
        record: RecordView | None = None,
        values: Mapping[str, Any] | None = None,
        handover_from: str | None = None,
        draft_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.kind = KINDS[kind] if isinstance(kind, str) else kind
        self.record = record
        self.handover_from = handover_from
        self.draft_id = draft_id or str(uuid.uuid4())
        self._saving = False
        self._save_count = 0
        self.duplicate_box: QMessageBox | None = None
        self._store_errors: set[str] = set()  # refused by the store (not re-checked here)
        self.setObjectName(f"form_{self.kind.key}")

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(6)
        title = QLabel(self._title_text())
        title.setObjectName("form_title")
        title.setProperty("role", "title")
        outer.addWidget(title)
        hint = QLabel("带＊的为必填项。填写后按 Ctrl+S 保存，Esc 取消。")
        hint.setProperty("role", "hint")
        outer.addWidget(hint)

        self.panel = FieldPanel(self.kind, self.kind.intake_fields)
        self.editors = self.panel.editors
        scroll = QScrollArea()
        scroll.setObjectName("form_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.panel)
        self.scroll_area = scroll
        outer.addWidget(scroll, 1)

        self.form_error = QLabel()
        self.form_error.setObjectName("form_error")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        outer.addWidget(self.form_error)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.btn_cancel = QPushButton("取消（Esc）")
        self.btn_cancel.setObjectName("btn_cancel")
        self.btn_save = QPushButton("保存（Ctrl+S）")
        self.btn_save.setObjectName("btn_save")
        self.btn_save.setProperty("primary", True)
        self.btn_save.setDefault(False)
        self.btn_save.setAutoDefault(False)
        buttons.addWidget(self.btn_cancel)
        buttons.addWidget(self.btn_save)
        outer.addLayout(buttons)
        self.btn_save.clicked.connect(self.save)
        self.btn_cancel.clicked.connect(self.cancel)

        for ed in self.editors.values():
            ed.left = self._field_left
            ed.edited = self._field_edited

        # what a new form starts with by itself; anything else in it was typed by someone
        # (here, in a draft, or in the record a handover came from)
        self._defaults: dict[str, Any] = (
            {} if record is not None else dict(self.desk.defaults(self.kind.key)))
        start = dict(values) if values is not None else (
            dict(record.values) if record is not None else dict(self._defaults))
        self.panel.set_raw(start)
        for ed in self.editors.values():  # groups required to have rows start with one
            if isinstance(ed, GroupEditor) and ed.row_count() == 0 and ed.required:
                ed.add_row()
        self.panel.tail = [self.btn_cancel, self.btn_save]
        self.panel.fix_tab_order()
        self._initial = self.raw()
        self._draft_saved = self._initial
        self.lookups = self._enterprise_lookups()

        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    def _title_text(self) -> str:
        if self.record is not None:
            return f"修改{self.kind.title}　{self.record.receipt_no}"
        if self.handover_from:
            sources = links.handover_sources(self.kind)
            source = KINDS[sources[0]].title if len(sources) == 1 else "其他登记"
            return f"新建{self.kind.title}（由{source}转入）"
        return f"新建{self.kind.title}"

    # --- values --------------------------------------------------------------------------
    def raw(self) -> dict[str, Any]:
        return self.panel.raw()

    @property
    def dirty(self) -> bool:
        return self.raw() != self._initial

    def editor(self, key: str) -> FieldEditor:
        return self.editors[key]

    # --- validation as the clerk goes -----------------------------------------------------
    def _field_edited(self, ed: FieldEditor) -> None:
        if ed.error:  # re-check quietly while typing only to clear a fixed error
            _, errors = self.kind.clean({ed.key: ed.get()}, keys=(ed.key,))
            if ed.key not in errors:
                ed.set_error(None)
                self._refresh_summary()

    def _field_left(self, ed: FieldEditor) -> None:
        raw = self.raw()
        known, everywhere = self.kind.clean(raw, keys=tuple(self.editors))
        values, errors = self.kind.clean({ed.key: raw[ed.key]}, keys=(ed.key,), existing=known)
        ed.set_error(errors.get(ed.key))
        self._store_errors.discard(ed.key)
        for other in self.editors.values():  # fixed by this field (a rule across fields)
            if (other is not ed and other.error and other.key not in everywhere
                    and other.key not in self._store_errors):
                other.set_error(None)
        self._refresh_summary()
        if ed.key in links.uscc_fields(self.kind) and ed.key in values and values[ed.key]:
            self._fill_from_registry(ed, str(values[ed.key]))

    def _enterprise_lookups(self) -> list[Any]:
        """单位名称 looks the registry up by name where the form has a credit code to fill."""
        codes = links.uscc_fields(self.kind)
        if links.is_registry(self.kind) or not codes:
            return []
        from .enterprise_lookup import EnterpriseLookup

        out = []
        for f in self.kind.intake_fields:
            ed = self.editors.get(f.key)
            if f.role == "enterprise_name" and isinstance(ed, LineEditor):
                lookup = EnterpriseLookup(self.desk, self.runner, ed.edit, self)
                lookup.chosen.connect(lambda _n, code, k=codes[0]: self._enterprise_chosen(k, code))
                out.append(lookup)
        return out

    def _enterprise_chosen(self, uscc_key: str, code: str) -> None:
        ed = self.editors.get(uscc_key)
        if ed is None or not code:
            return
        ed.set(code)
        self._field_left(ed)  # as if typed: checked, then the registry fills the rest

    def typed_keys(self) -> set[str]:
        """Fields holding something a person entered: not empty and not the form's default."""
        return {k for k, ed in self.editors.items()
                if not ed.is_empty() and ed.get() != self._defaults.get(k)}

    def _fill_from_registry(self, uscc_editor: FieldEditor, code: str) -> None:
        ent = self.desk.enterprise_by_uscc(code)
        if ent is None:
            if links.registers_enterprise(self.kind):
                self.message.emit("企业库中没有该信用代码，保存后将自动加入企业库")
            return
        if links.is_registry(self.kind):
            if self.record is None or self.record.id != ent.id:
                uscc_editor.set_error(f"该企业已在企业库中（{ent.receipt_no}），请直接修改原记录")
            return
        filled = []
        for key, value in links.enterprise_fill(self.kind, ent.values,
                                                self.typed_keys()).items():
            ed = self.editors.get(key)
            if ed is None or ed.get() == value:
                continue
            ed.set(value)
            filled.append(self.kind.field(key).label)
        if filled:
            self.message.emit(f"已从企业库带出：{ent.title}（{'、'.join(filled)}）")

    # --- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        """Validate here first (pure, instant), then save on the DB lane. A second click
        while a save is under way does nothing."""
        if self._saving:
            return
        raw = self.raw()
        values, errors = self.kind.clean(raw, keys=tuple(self.editors))
        if errors:
            self.show_errors(errors)
            return
        self._saving = True
        self.btn_save.setEnabled(False)
        self.show_errors({})
        code = links.uscc_of(self.kind, values)
        if self.record is None and code and links.one_active_per_enterprise(self.kind):
            self._check_active(code, raw)
            return
        self._write(raw)

    def _check_active(self, code: str, raw: dict[str, Any]) -> None:
        """A second active record of this kind for the enterprise: ask before saving."""
        desk, kind = self.desk, self.kind
        key = links.uscc_fields(kind)[0]
        terminal = kind.workflow.terminal if kind.workflow is not None else frozenset()

        def find() -> list[RecordView]:
            return [r for r in desk.search(Query(kind=kind.key, extra={key: code}))
                    if r.status not in terminal]

        def found(active: list[RecordView]) -> None:
            if not active:
                self._write(raw)
                return
            listed = "、".join(f"{r.receipt_no}（{r.status_label}）" for r in active[:3])
            box = QMessageBox(QMessageBox.Icon.Warning, f"已有进行中的{kind.title}",
                              f"该企业已有进行中的{kind.title}：{listed}。\n"
                              f"一般一家企业同时只办理一份{kind.title}。仍要保存这一份吗？",
                              QMessageBox.StandardButton.NoButton, self)
            box.setObjectName("duplicate_warning")
            yes = box.addButton("仍然保存", QMessageBox.ButtonRole.AcceptRole)
            yes.setObjectName("btn_duplicate_save")
            no = box.addButton("不保存，返回修改", QMessageBox.ButtonRole.RejectRole)
            no.setObjectName("btn_duplicate_back")
            box.setDefaultButton(no)
            box.setEscapeButton(no)
            self.duplicate_box = box

            def answered() -> None:
                self.duplicate_box = None
                if box.clickedButton() is yes:
                    self._write(raw)
                else:
                    self._saving = False
                    self.btn_save.setEnabled(True)
                    self.message.emit(f"未保存：该企业已有进行中的{kind.title}")

            box.finished.connect(lambda _r: answered())
            box.open()

        def failed(exc: BaseException) -> None:
            self._saving = False
            self.btn_save.setEnabled(True)
            show_error(self, exc, "保存未完成")

        QueryOp(self, self.runner, find).success(found).failure(failed).run()

    def _write(self, raw: dict[str, Any]) -> None:
        draft = self.draft_id  # discarded in the save's own transaction
        if self.record is None:
            def work() -> tuple[RecordView, Changes]:
                return self.desk.create(self.kind.key, raw, handover_from=self.handover_from,
                                        draft_id=draft)
        else:
            rid, version = self.record.id, self.record.version

            def work() -> tuple[RecordView, Changes]:
                return self.desk.update(rid, raw, version, draft_id=draft)
        DeskOp(self, self.runner, work).success(self._saved).failure(self._save_failed) \
            .with_progress("正在保存…").run()

    def _saved(self, result: tuple[RecordView, Changes]) -> None:
        self._saving = False
        self._save_count += 1
        self._autosave.stop()
        view, changes = result
        self._initial = self.raw()
        self.saved.emit(view, changes)

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.btn_save.setEnabled(True)
        if isinstance(exc, ValidationFailed):
            self._store_errors = set(exc.errors)
            self.show_errors(exc.errors)
        else:
            show_error(self, exc, "保存未完成")

    def _summary(self, errors: Mapping[str, str], rest: list[str]) -> str:
        n = len(errors)
        lead = "、".join(self.kind.field(k).label for k in errors if self.kind.has_field(k))
        text = f"有{n}处需要修改：{lead}" if lead else ""
        return "；".join([t for t in (text, *rest) if t])

    def _refresh_summary(self) -> None:
        """The summary above the buttons follows the fields: it shrinks as errors are fixed
        and goes away with the last one (it only appears on a save)."""
        if self.form_error.isHidden():
            return
        errors = {k: ed.error for k, ed in self.editors.items() if ed.error}
        if not errors:
            self.form_error.hide()
            return
        self.form_error.setText(self._summary(errors, []))

    def show_errors(self, errors: Mapping[str, str]) -> None:
        rest = self.panel.show_errors(errors)
        if errors:
            self.form_error.setText(self._summary(errors, rest))
            self.form_error.show()
            first = self.panel.first_error(errors)
            if first is not None:
                self.scroll_area.ensureWidgetVisible(first.box)
                first.focus()
        else:
            self.form_error.hide()

    # --- drafts ---------------------------------------------------------------------------
    def draft_payload(self) -> dict[str, Any]:
        return {
            "raw": self.raw(),
            "handover_from": self.handover_from,
            "version": self.record.version if self.record else None,
        }

    def autosave(self, *, wait: bool = False) -> None:
        """Keep the typed values as a draft if they changed since the last draft."""
        if self._saving or self._save_count or (self.runner.closed and not wait):
            return
        raw = self.raw()
        if raw == self._draft_saved or raw == self._initial:
            return
        self._draft_saved = raw
        payload = self.draft_payload()
        rid = self.record.id if self.record else None
        draft, kind = self.draft_id, self.kind.key
        if wait:
            self.desk.save_draft(draft, kind, payload, rid)
            return
        self.runner.run(lambda: self.desk.save_draft(draft, kind, payload, rid),
                        on_error=lambda e: self.message.emit(f"草稿未能保存：{e}"))

    def cancel(self, *, ask: bool = True) -> bool:
        """Close without saving (asks first when something was typed). True if closed."""
        if ask and self.dirty and self._save_count == 0:
            answer = QMessageBox.question(
                self, "放弃填写", "填写的内容尚未保存，确定放弃吗？",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self._autosave.stop()
        draft = self.draft_id
        if not self.runner.closed:
            self.runner.run(lambda: self.desk.discard_draft(draft), on_error=lambda _e: None)
        self.closed.emit()
        return True

    def stop(self) -> None:
        self._autosave.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._autosave.stop()
        super().closeEvent(event)


class ActionDialog(QDialog):
    """A workflow action (受理, 不予受理, …): exactly the action's fields, then Desk.act."""

    def __init__(self, desk: Desk, runner: TaskRunner, record: RecordView, action: Action,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.record, self.action = desk, runner, record, action
        self.kind = KINDS[record.kind]
        self.result_view: RecordView | None = None
        self.changes: Changes | None = None
        self._busy = False
        self.setObjectName(f"action_{action.key}")
        self.setWindowTitle(f"{action.label} — {record.receipt_no}")
        self.setModal(True)
        lay = QVBoxLayout(self)
        head = QLabel(f"{self.kind.title}　{record.receipt_no}　{record.title}")
        head.setWordWrap(True)
        head.setProperty("role", "hint")
        lay.addWidget(head)
        fields = tuple(self.kind.field(k) for k in action.fields)
        self.panel = FieldPanel(self.kind, fields, {k: k in action.required for k in action.fields},
                                grouped=False)
        self.editors = self.panel.editors
        self.panel.set_raw(self._start_values())
        if not fields:
            lay.addWidget(QLabel(f"确定对该记录执行“{action.label}”吗？"))
        lay.addWidget(self.panel)
        self.form_error = QLabel()
        self.form_error.setObjectName("form_error")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        lay.addWidget(self.form_error)
        box = QDialogButtonBox()
        self.btn_ok = box.addButton(action.label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.btn_ok.setObjectName("btn_action_ok")
        self.btn_ok.setProperty("primary", True)
        cancel = box.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("btn_action_cancel")
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.setMinimumWidth(520)
        self._offer_roster()

    def _offer_roster(self) -> None:
        """Mediator fields (widget "mediator_roster") suggest the roster's active names."""
        from PySide6.QtWidgets import QCompleter, QLineEdit

        edits = [w for k, e in self.editors.items()
                 if self.kind.field(k).widget == "mediator_roster"
                 for w in (e.widget,) if isinstance(w, QLineEdit)]
        if not edits:
            return
        desk = self.desk

        def names() -> list[tuple[str, int]]:
            return [(e.name, e.open_cases) for e in desk.mediator_roster(active_only=True)]

        def offer(found: list[tuple[str, int]]) -> None:
            # the least busy first in the hint: who can take the case
            hint = "、".join(f"{n}（在办{k}件）" for n, k in sorted(found, key=lambda x: x[1])[:4])
            for edit in edits:
                completer = QCompleter([n for n, _ in found], edit)
                completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                edit.setCompleter(completer)
                if hint:
                    edit.setToolTip("调解员名册：" + hint)
                    if not edit.placeholderText():
                        edit.setPlaceholderText("名册：" + hint)

        QueryOp(self, self.runner, names).success(offer).run()

    def _start_values(self) -> dict[str, Any]:
        from xingan_desk.records.fields import DateField, DateTimeField
        from xingan_desk.timeutil import today_cst, utcnow

        out: dict[str, Any] = {}
        sources = dict(self.action.prefill)
        for k in self.action.fields:
            f = self.kind.field(k)
            current = self.record.values.get(k)
            if k in self.action.appends:  # a repeating part: the dialog adds new rows only
                out[k] = []
                continue
            if current in (None, "", []) and k in sources:  # declared: start from another field
                current = self.record.values.get(sources[k])
            if current not in (None, "", []):
                out[k] = current
            elif isinstance(f, DateTimeField) and k in self.action.required:
                out[k] = utcnow()
            elif isinstance(f, DateField) and k in self.action.required:
                out[k] = today_cst()
            elif isinstance(f, GroupField):
                out[k] = []
        return out

    def submit(self, *, confirmed: bool = False) -> None:
        if self._busy:
            return
        if self.action.confirm and not confirmed:
            answer = QMessageBox.question(self, self.action.label, self.action.confirm,
                                          QMessageBox.StandardButton.Yes
                                          | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        raw = {k: v for k, v in self.panel.raw().items()}
        self._busy = True
        self.btn_ok.setEnabled(False)
        rid, key = self.record.id, self.action.key
        DeskOp(self, self.runner, lambda: self.desk.act(rid, key, raw)).success(self._done) \
            .failure(self._failed).with_progress("正在办理…").run()

    def _done(self, result: tuple[RecordView, Changes]) -> None:
        self._busy = False
        self.result_view, self.changes = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.btn_ok.setEnabled(True)
        if isinstance(exc, ValidationFailed):
            rest = self.panel.show_errors(exc.errors)
            self.form_error.setText("；".join(rest))
            self.form_error.setVisible(bool(rest))
            first = self.panel.first_error(exc.errors)
            if first is not None:
                first.focus()
            self._fit_height()  # a long reason wraps under its field: make room for it
        else:
            show_error(self, exc, f"{self.action.label}未完成")

    def _fit_height(self) -> None:
        lay = self.layout()
        if lay is None:
            return
        for _ in range(3):  # wrapped labels settle their height over a layout pass or two
            lay.activate()
            need = lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth() else -1
            need = max(need, lay.totalMinimumSize().height(), self.sizeHint().height())
            if need <= self.height():
                return
            self.resize(self.width(), need)
