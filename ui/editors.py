"""One editor per field type. Each exposes `widget` (the input, objectName `field_<key>`),
`box` (input + red error label), `get()` (the raw value handed to RecordKind.clean),
`set(value)`, `set_error(message)` and the `left` callback (called as the clerk leaves it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from xingan_desk.records import links
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

    def tab_widgets(self) -> list[QWidget]:
        """The widgets Tab stops at, in order (the form chains them)."""
        return [self.widget] if self.widget.focusPolicy() != Qt.FocusPolicy.NoFocus else []

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

    def tab_widgets(self) -> list[QWidget]:
        return [self.edit]

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


class _ArrowKeys(QObject):
    """Arrow keys move between the check boxes of one multiple choice (a single Tab stop)."""

    def __init__(self, editor: MultiChoiceEditor) -> None:
        super().__init__(editor.frame)
        self._editor = editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and isinstance(watched, QCheckBox):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                    Qt.Key.Key_Up: -self._editor.COLUMNS,
                    Qt.Key.Key_Down: self._editor.COLUMNS}.get(Qt.Key(event.key()))
            if step is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self._editor.move_focus(watched, step)
                return True
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QCheckBox):
            self._editor.make_tab_stop(watched)
        return False


class MultiChoiceEditor(FieldEditor):
    """Check boxes in three columns, one Tab stop for all of them: arrow keys move between
    them, Space ticks (the box last visited is where Tab comes back to)."""

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
        arrows = _ArrowKeys(self)
        for box in self.checks.values():
            box.installEventFilter(arrows)
            box.toggled.connect(self._on_edited)
        for box in self.checks.values():
            box.installEventFilter(_LeaveFilter(box, self._focus_out))
        first = next(iter(self.checks.values()), None)
        if first is not None:
            self.make_tab_stop(first)
            frame.setFocusProxy(first)
        if field.help:
            frame.setToolTip(f"{field.help}（方向键移动，空格勾选）")
        else:
            frame.setToolTip("方向键在各项之间移动，空格勾选或取消")

    def make_tab_stop(self, box: QCheckBox) -> None:
        for other in self.checks.values():
            other.setFocusPolicy(Qt.FocusPolicy.StrongFocus if other is box
                                 else Qt.FocusPolicy.ClickFocus)

    def move_focus(self, box: QCheckBox, step: int) -> None:
        boxes = list(self.checks.values())
        i = boxes.index(box) + step
        if 0 <= i < len(boxes):
            self.make_tab_stop(boxes[i])
            boxes[i].setFocus(Qt.FocusReason.OtherFocusReason)

    def _focus_out(self) -> None:
        QTimer.singleShot(0, self._maybe_left)

    def _maybe_left(self) -> None:
        focus = QApplication.focusWidget()
        try:
            inside = focus is not None and self.frame.isAncestorOf(focus)
        except RuntimeError:
            return
        if not inside:
            self._on_left()

    def get(self) -> Any:
        return [code for code, box in self.checks.items() if box.isChecked()]

    def set(self, value: Any) -> None:
        chosen = set(value or [])
        for code, box in self.checks.items():
            box.blockSignals(True)
            box.setChecked(code in chosen)
            box.blockSignals(False)

    def focus(self) -> None:
        stop = next((b for b in self.checks.values()
                     if b.focusPolicy() == Qt.FocusPolicy.StrongFocus), None)
        if stop is not None:
            stop.setFocus(Qt.FocusReason.OtherFocusReason)

    def tab_widgets(self) -> list[QWidget]:
        return list(self.checks.values())

    def set_read_only(self, read_only: bool) -> None:
        self.frame.setEnabled(not read_only)


class _Card(QFrame):
    """One row of a repeating group, laid out like the paper form: label and blank side by
    side, two to a line, long texts across the card; a heading and 删除 at the top."""

    SLOTS = 2

    def __init__(self, group: GroupField, key: str, index: int) -> None:
        super().__init__()
        self.setProperty("card", True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 6)
        outer.setSpacing(4)
        head = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setProperty("role", "card_title")
        head.addWidget(self.heading)
        head.addStretch(1)
        self.remove_button = QPushButton("删除")
        self.remove_button.setAutoDefault(False)
        head.addWidget(self.remove_button)
        outer.addLayout(head)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        for c in range(self.SLOTS):
            grid.setColumnStretch(2 * c + 1, 1)
        outer.addLayout(grid)
        self.editors: dict[str, FieldEditor] = {}
        self.labels: dict[str, QLabel] = {}
        row = col = 0
        for f in group.fields:
            ed = make_editor(f, required=f.required)
            self.editors[f.key] = ed
            wide = isinstance(f, TextField) and f.max_len >= 150
            span = self.SLOTS if wide else 1
            if col + span > self.SLOTS:
                row, col = row + 1, 0
            lab = QLabel("") if isinstance(f, BoolField) else label_for(f, f.required)
            lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            lab.setWordWrap(False)
            lab.setBuddy(ed.widget)
            self.labels[f.key] = lab
            grid.addWidget(lab, row, 2 * col)
            grid.addWidget(ed.box, row, 2 * col + 1, 1, 2 * span - 1)
            col += span
            if col >= self.SLOTS:
                row, col = row + 1, 0
        fm = self.fontMetrics()
        width = max((fm.horizontalAdvance(f.label + "＊") + 6 for f in group.fields), default=40)
        for lab in self.labels.values():
            lab.setFixedWidth(width)
        self.renumber(group, key, index)

    def renumber(self, group: GroupField, key: str, index: int) -> None:
        n = index + 1
        self.setObjectName(f"card_{key}_{index}")
        self.heading.setText(f"{group.label}　{group.row_label.format(n=n)}")
        self.remove_button.setObjectName(f"field_{key}_{index}_remove")
        self.remove_button.setToolTip(f"删除{group.label}{group.row_label.format(n=n)}")
        for sub, ed in self.editors.items():
            ed.widget.setObjectName(f"field_{key}_{index}_{sub}")
            ed.box.setObjectName(f"box_{key}_{index}_{sub}")
            ed.error_label.setObjectName(f"error_{key}_{index}_{sub}")
            self.labels[sub].setObjectName(f"label_{key}_{index}_{sub}")

    def tab_widgets(self) -> list[QWidget]:
        out: list[QWidget] = []
        for ed in self.editors.values():
            out.extend(ed.tab_widgets())
        out.append(self.remove_button)
        return out


class GroupEditor(FieldEditor):
    """A repeating group (当事人, 材料清单 …) as one card per row: real line edits and combo
    boxes (input methods and Ctrl+V work as in any field), Tab goes through a card's blanks,
    its 删除, the next card, then 添加…; nothing scrolls sideways. The group is checked as the
    clerk leaves it as a whole, not while moving inside it."""

    def __init__(self, field: GroupField, **kw: Any) -> None:
        self.group = field
        frame = QFrame()
        frame.setProperty("cards", True)
        outer = QVBoxLayout(frame)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self._cards_layout = QVBoxLayout()
        self._cards_layout.setSpacing(6)
        outer.addLayout(self._cards_layout)
        buttons = QHBoxLayout()
        party = links.is_party_group(field)
        self.add_button = QPushButton(f"＋ 添加{field.label}" if party else "＋ 增加一行")
        self.add_button.setObjectName(f"field_{field.key}_add")
        self.add_button.setAutoDefault(False)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        self.cards: list[_Card] = []
        # called after cards come or go (the panel puts them into the tab order)
        self.layout_changed: Callable[[], None] | None = None
        super().__init__(field, frame, **kw)
        self.frame = frame
        self.add_button.clicked.connect(self._add_clicked)

    # --- rows --------------------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self.cards)

    def _add_clicked(self) -> None:
        r = self.add_row()
        self.cards[r].editors[next(iter(self.cards[r].editors))].focus()

    def add_row(self, values: dict[str, Any] | None = None) -> int:
        r = len(self.cards)
        card = _Card(self.group, self.key, r)
        for sub, ed in card.editors.items():
            if values and sub in values:
                ed.set(values[sub])
            ed.edited = self._sub_edited
            ed.left = self._sub_left
        card.remove_button.clicked.connect(lambda _c=False, c=card: self._remove_card(c))
        card.setEnabled(self.add_button.isEnabled())
        self.cards.append(card)
        self._cards_layout.addWidget(card)
        card.show()  # now, not at the layout's queued show: Tab and setFocus need it visible
        self._changed()
        self._on_edited()
        return r

    def remove_row(self, index: int) -> None:
        if 0 <= index < len(self.cards):
            self._remove_card(self.cards[index], refocus=False)

    def _remove_card(self, card: _Card, *, refocus: bool = True) -> None:
        i = self.cards.index(card)
        self.cards.pop(i)
        self._cards_layout.removeWidget(card)
        card.hide()
        card.deleteLater()
        for j, c in enumerate(self.cards):
            c.renumber(self.group, self.key, j)
        self._changed()
        self._on_edited()
        if refocus:
            if i < len(self.cards):
                next(iter(self.cards[i].editors.values())).focus()
            else:
                self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _changed(self) -> None:
        if self.layout_changed is not None:
            self.layout_changed()

    def _sub_edited(self, _ed: FieldEditor) -> None:
        self._on_edited()

    def _sub_left(self, _ed: FieldEditor) -> None:
        # moving between the blanks of the group is not leaving it
        QTimer.singleShot(0, self._maybe_left)

    def _maybe_left(self) -> None:
        focus = QApplication.focusWidget()
        try:
            inside = focus is not None and self.box.isAncestorOf(focus)
        except RuntimeError:  # the form is gone
            return
        if not inside:
            self._on_left()

    # --- values ------------------------------------------------------------------------------
    def get(self) -> Any:
        return [{k: ed.get() for k, ed in card.editors.items()} for card in self.cards]

    def set(self, value: Any) -> None:
        for card in self.cards:
            self._cards_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.cards = []
        for row in value or []:
            self.add_row(dict(row))
        if not value and self.required:
            self.add_row()
        self._changed()

    def focus(self) -> None:
        if self.cards:
            next(iter(self.cards[0].editors.values())).focus()
        else:
            self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def tab_widgets(self) -> list[QWidget]:
        out: list[QWidget] = []
        for card in self.cards:
            out.extend(card.tab_widgets())
        out.append(self.add_button)
        return out

    def set_read_only(self, read_only: bool) -> None:
        for card in self.cards:
            card.setEnabled(not read_only)
        self.add_button.setEnabled(not read_only)


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
