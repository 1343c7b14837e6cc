"""One editor per field type. Each exposes `widget` (the input, objectName `field_<key>`),
`box` (input + red error label), `get()` (the raw value handed to RecordKind.clean),
`set(value)`, `set_error(message)` and the `left` callback (called as the clerk leaves it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from xingan_desk.records.fields import (
    BoolField,
    ChoiceField,
    DateField,
    DateTimeField,
    Field,
    GroupField,
    IntField,
    MoneyField,
    MultiChoiceField,
    TextField,
)
from xingan_desk.timeutil import CST, as_utc, format_date, format_datetime

EMPTY_CHOICE = ""
PLEASE_CHOOSE = "— 请选择 —"


def _refresh_style(w: QWidget) -> None:
    style = w.style()
    style.unpolish(w)
    style.polish(w)
    w.update()


class _LeaveFilter(QObject):
    """Calls back when the watched widget loses keyboard focus."""

    def __init__(self, parent: QObject, callback: Callable[[], None]) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


class FieldEditor:
    """Base: the input widget plus an error label under it."""

    def __init__(self, field: Field, widget: QWidget, *, required: bool | None = None,
                 inner: QWidget | None = None) -> None:
        self.field = field
        self.key = field.key
        self.required = field.required if required is None else required
        self.widget = widget
        widget.setObjectName(f"field_{field.key}")
        if field.help:
            widget.setToolTip(field.help)
        self.left: Callable[[FieldEditor], None] | None = None
        self.edited: Callable[[FieldEditor], None] | None = None
        self.box = QWidget()
        self.box.setObjectName(f"box_{field.key}")
        lay = QVBoxLayout(self.box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(inner or widget)
        self.error_label = QLabel()
        self.error_label.setObjectName(f"error_{field.key}")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        lay.addWidget(self.error_label)
        self._error: str | None = None

    # --- values ----------------------------------------------------------------------------
    def get(self) -> Any:
        raise NotImplementedError

    def set(self, value: Any) -> None:
        raise NotImplementedError

    def is_empty(self) -> bool:
        v = self.get()
        return v is None or v == "" or v == [] or v is False

    # --- errors ----------------------------------------------------------------------------
    @property
    def error(self) -> str | None:
        return self._error

    def set_error(self, message: str | None) -> None:
        self._error = message or None
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        self.widget.setProperty("invalid", bool(message))
        _refresh_style(self.widget)

    def focus(self) -> None:
        self.widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_read_only(self, read_only: bool) -> None:
        self.widget.setEnabled(not read_only)

    # --- hooks -----------------------------------------------------------------------------
    def _on_left(self) -> None:
        if self.left is not None:
            self.left(self)

    def _on_edited(self, *_args: Any) -> None:
        if self.edited is not None:
            self.edited(self)


class LineEditor(FieldEditor):
    """Single-line text, reference numbers, money. No maxLength: a too-long paste is kept and
    the validator's length message is shown instead of silently cutting the text."""

    def __init__(self, field: Field, **kw: Any) -> None:
        edit = QLineEdit()
        super().__init__(field, edit, **kw)
        self.edit = edit
        if isinstance(field, MoneyField):
            edit.setPlaceholderText("如 12000.50")
        elif field.help and len(field.help) <= 24:
            edit.setPlaceholderText(field.help)
        edit.editingFinished.connect(self._on_left)
        edit.textEdited.connect(self._on_edited)

    def get(self) -> Any:
        return self.edit.text()

    def set(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))
        self.edit.setCursorPosition(0)


class TextAreaEditor(FieldEditor):
    def __init__(self, field: TextField, **kw: Any) -> None:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
        edit.setFixedHeight(64 if field.max_len <= 1000 else 84)
        super().__init__(field, edit, **kw)
        self.edit = edit
        if field.help:
            edit.setPlaceholderText(field.help)
        edit.installEventFilter(_LeaveFilter(edit, self._on_left))
        edit.textChanged.connect(self._on_edited)

    def get(self) -> Any:
        return self.edit.toPlainText()

    def set(self, value: Any) -> None:
        self.edit.setPlainText("" if value is None else str(value))


class IntEditor(FieldEditor):
    """A spin box; its lowest value (shown as “未填”) means empty."""

    def __init__(self, field: IntField, **kw: Any) -> None:
        spin = QSpinBox()
        spin.setRange(field.min_value - 1, min(field.max_value, 2_000_000_000))
        spin.setSpecialValueText("未填")
        spin.setValue(spin.minimum())
        spin.setMinimumWidth(120)
        spin.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        spin.setAccelerated(True)
        spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)  # typed; ↑/↓ still step
        super().__init__(field, spin, **kw)
        self.spin = spin
        spin.editingFinished.connect(self._on_left)
        spin.valueChanged.connect(self._on_edited)

    def get(self) -> Any:
        v = self.spin.value()
        return None if v == self.spin.minimum() else v

    def set(self, value: Any) -> None:
        self.spin.setValue(self.spin.minimum() if value is None else int(value))


class ChoiceEditor(FieldEditor):
    def __init__(self, field: ChoiceField, **kw: Any) -> None:
        combo = QComboBox()
        super().__init__(field, combo, **kw)
        self.combo = combo
        # optional: an empty entry; required without a default: a "please choose" entry so a
        # choice is never made silently for the clerk
        if not self.required:
            combo.addItem(EMPTY_CHOICE, None)
        elif field.default is None:
            combo.addItem(PLEASE_CHOOSE, None)
        for code, label in field.options():
            combo.addItem(label, code)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setMaxVisibleItems(15)
        combo.activated.connect(lambda _i: self._on_left())
        combo.currentIndexChanged.connect(self._on_edited)

    def get(self) -> Any:
        return self.combo.currentData()

    def set(self, value: Any) -> None:
        i = self.combo.findData(value) if value is not None else self.combo.findData(None)
        if i < 0 and value is not None:  # a retired code on an old record: show it anyway
            self.combo.addItem(self.field.display(value), value)
            i = self.combo.count() - 1
        self.combo.setCurrentIndex(max(i, 0))


class BoolEditor(FieldEditor):
    def __init__(self, field: BoolField, **kw: Any) -> None:
        box = QCheckBox(field.label)
        super().__init__(field, box, **kw)
        self.check = box
        box.toggled.connect(self._on_edited)
        box.toggled.connect(lambda _b: self._on_left())

    def get(self) -> Any:
        return self.check.isChecked()

    def set(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class _PickerEditor(FieldEditor):
    """A line edit for typing (keyboard first, may stay empty) plus a calendar button."""

    placeholder = ""
    sample = "2026-12-31"

    def __init__(self, field: Field, **kw: Any) -> None:
        self.field = field
        edit = QLineEdit()
        edit.setPlaceholderText(self.placeholder)
        edit.setFixedWidth(edit.fontMetrics().horizontalAdvance(self.sample) + 24)
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(edit)
        self.button = QToolButton()
        self.button.setObjectName(f"field_{field.key}_pick")
        self.button.setText("日历")
        self.button.setToolTip("从日历中选择日期")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.button)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        act = QWidgetAction(menu)
        act.setDefaultWidget(self.calendar)
        menu.addAction(act)
        self.button.setMenu(menu)
        self.calendar.clicked.connect(self._picked)
        self.calendar.clicked.connect(lambda _d: menu.close())
        lay.addWidget(self.button)
        self._extra(lay)
        lay.addStretch(1)
        super().__init__(field, edit, inner=row, **kw)
        self.edit = edit
        edit.editingFinished.connect(self._on_left)
        edit.textEdited.connect(self._on_edited)

    def _extra(self, lay: QHBoxLayout) -> None:
        pass

    def _picked(self, d: QDate) -> None:
        raise NotImplementedError

    def get(self) -> Any:
        return self.edit.text()

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setEnabled(not read_only)
        self.button.setEnabled(not read_only)


class DateEditor(_PickerEditor):
    placeholder = "yyyy-mm-dd"

    def _picked(self, d: QDate) -> None:
        self.edit.setText(d.toString("yyyy-MM-dd"))
        self._on_edited()
        self._on_left()

    def set(self, value: Any) -> None:
        if isinstance(value, dt.datetime):
            value = value.astimezone(CST).date()
        self.edit.setText(format_date(value) if isinstance(value, dt.date) else
                          ("" if value is None else str(value)))


class DateTimeEditor(_PickerEditor):
    placeholder = "yyyy-mm-dd hh:mm"
    sample = "2026-12-31 23:59"

    def _extra(self, lay: QHBoxLayout) -> None:
        now = QToolButton()
        now.setObjectName(f"field_{self.field.key}_now")
        now.setText("现在")
        now.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        now.clicked.connect(self._now)
        lay.addWidget(now)
        self.now_button = now

    def _now(self) -> None:
        self.set(dt.datetime.now(CST))
        self._on_edited()
        self._on_left()

    def _picked(self, d: QDate) -> None:
        old = self.edit.text().strip()
        time = old.split(" ", 1)[1] if " " in old else "09:00"
        self.edit.setText(f"{d.toString('yyyy-MM-dd')} {time}")
        self._on_edited()
        self._on_left()

    def set(self, value: Any) -> None:
        if isinstance(value, dt.datetime):
            self.edit.setText(format_datetime(as_utc(value)))
        else:
            self.edit.setText("" if value is None else str(value))


class MultiChoiceEditor(FieldEditor):
    """Check boxes in three columns (Tab moves through them, Space ticks)."""

    COLUMNS = 3

    def __init__(self, field: MultiChoiceField, **kw: Any) -> None:
        frame = QFrame()
        frame.setObjectName(f"field_{field.key}")
        frame.setProperty("multichoice", True)
        grid = QGridLayout(frame)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        self.checks: dict[str, QCheckBox] = {}
        for i, (code, label) in enumerate(field.options()):
            box = QCheckBox(label)
            box.setObjectName(f"field_{field.key}_{code}")
            grid.addWidget(box, i // self.COLUMNS, i % self.COLUMNS)
            self.checks[code] = box
        super().__init__(field, frame, **kw)
        self.frame = frame
        for box in self.checks.values():
            box.toggled.connect(self._on_edited)
            box.toggled.connect(lambda _b: self._on_left())

    def get(self) -> Any:
        return [code for code, box in self.checks.items() if box.isChecked()]

    def set(self, value: Any) -> None:
        chosen = set(value or [])
        for code, box in self.checks.items():
            box.blockSignals(True)
            box.setChecked(code in chosen)
            box.blockSignals(False)

    def focus(self) -> None:
        first = next(iter(self.checks.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_read_only(self, read_only: bool) -> None:
        self.frame.setEnabled(not read_only)


class GroupEditor(FieldEditor):
    """A repeating group as an editable table with add/remove row buttons. Choice columns
    use combo boxes in the cells, yes/no columns check boxes."""

    def __init__(self, field: GroupField, **kw: Any) -> None:
        self.group = field
        table = QTableWidget(0, len(field.fields))
        table.setHorizontalHeaderLabels(
            [f"{f.label}{'＊' if f.required else ''}" for f in field.fields])
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fm = table.fontMetrics()
        for c, f in enumerate(field.fields):
            width = max(fm.horizontalAdvance(f.label) + 36,
                        {"name": 190, "uscc": 170, "id_number": 170, "address": 200,
                         "item": 300, "note": 200}.get(f.key, 90))
            if isinstance(f, ChoiceField):
                texts = [PLEASE_CHOOSE, *(label for _, label in f.options())]
                width = max(width, max(fm.horizontalAdvance(t) for t in texts) + 44)
            table.setColumnWidth(c, width)
        table.verticalHeader().setDefaultSectionSize(30)
        table.setMinimumHeight(120)
        table.setTabKeyNavigation(True)
        row = QWidget()
        outer = QVBoxLayout(row)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        outer.addWidget(table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("＋ 增加一行")
        self.add_button.setObjectName(f"field_{field.key}_add")
        self.remove_button = QPushButton("－ 删除所选行")
        self.remove_button.setObjectName(f"field_{field.key}_remove")
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        super().__init__(field, table, inner=row, **kw)
        self.table = table
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_selected)
        table.itemChanged.connect(self._on_edited)
        table.installEventFilter(_LeaveFilter(table, self._on_left))

    def _fit_height(self) -> None:
        rows = self.table.rowCount()
        h = self.table.horizontalHeader().height() + max(rows, 2) * 30 + 24
        self.table.setFixedHeight(min(max(h, 120), 300))

    def add_row(self, values: dict[str, Any] | None = None) -> int:
        values = values or {}
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, f in enumerate(self.group.fields):
            v = values.get(f.key)
            if isinstance(f, ChoiceField):
                combo = QComboBox()
                combo.setObjectName(f"field_{self.key}_{r}_{f.key}")
                combo.addItem("" if not f.required else PLEASE_CHOOSE, None)
                for code, label in f.options():
                    combo.addItem(label, code)
                i = combo.findData(v) if v is not None else 0
                combo.setCurrentIndex(max(i, 0))
                combo.currentIndexChanged.connect(self._on_edited)
                self.table.setCellWidget(r, c, combo)
            elif isinstance(f, BoolField):
                item = QTableWidgetItem("是")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                              | Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Checked if v else Qt.CheckState.Unchecked)
                self.table.setItem(r, c, item)
            else:
                text = format_date(v) if isinstance(v, dt.date) else ("" if v is None else str(v))
                self.table.setItem(r, c, QTableWidgetItem(text))
        self._fit_height()
        self._on_edited()
        return r

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}
                      | ({self.table.currentRow()} if self.table.currentRow() >= 0 else set()),
                      reverse=True)
        for r in rows:
            self.table.removeRow(r)
        self._fit_height()
        self._on_edited()

    def get(self) -> Any:
        out: list[dict[str, Any]] = []
        for r in range(self.table.rowCount()):
            row: dict[str, Any] = {}
            for c, f in enumerate(self.group.fields):
                w = self.table.cellWidget(r, c)
                if isinstance(w, QComboBox):
                    row[f.key] = w.currentData()
                    continue
                item = self.table.item(r, c)
                if isinstance(f, BoolField):
                    row[f.key] = bool(item and item.checkState() == Qt.CheckState.Checked)
                else:
                    row[f.key] = item.text() if item else ""
            out.append(row)
        return out

    def set(self, value: Any) -> None:
        self.table.setRowCount(0)
        for row in value or []:
            self.add_row(dict(row))
        if not value and self.required:
            self.add_row()
        self._fit_height()

    def set_read_only(self, read_only: bool) -> None:
        self.table.setEnabled(not read_only)
        self.add_button.setEnabled(not read_only)
        self.remove_button.setEnabled(not read_only)


def make_editor(field: Field, *, required: bool | None = None) -> FieldEditor:
    if isinstance(field, GroupField):
        return GroupEditor(field, required=required)
    if isinstance(field, MultiChoiceField):
        return MultiChoiceEditor(field, required=required)
    if isinstance(field, ChoiceField):
        return ChoiceEditor(field, required=required)
    if isinstance(field, BoolField):
        return BoolEditor(field, required=required)
    if isinstance(field, DateTimeField):
        return DateTimeEditor(field, required=required)
    if isinstance(field, DateField):
        return DateEditor(field, required=required)
    if isinstance(field, IntField):
        return IntEditor(field, required=required)
    if isinstance(field, TextField) and field.multiline:
        return TextAreaEditor(field, required=required)
    return LineEditor(field, required=required)


def label_for(field: Field, required: bool) -> QLabel:
    text = field.label
    if required:
        text = f"{text}<span style='color:#b3261e'>＊</span>"
    label = QLabel(text)
    label.setObjectName(f"label_{field.key}")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    return label
