"""The filter row above a list: status, county, registration date, clerk.

Filtering happens in SQL: the bar only turns the clerk's choices into `Query` fields
(`status`, `county`, `date_from`/`date_to`, `created_by`); `RecordList.base_query` applies
them. Choices are keyboard-reachable combos; the date range has presets and a custom range.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

from xingan_desk.catalogs import COUNTY_CODES, county_name
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import today_cst
from xingan_desk.views import Query, UserView

ALL = "全部"
DATE_PRESETS: tuple[tuple[str, str], ...] = (
    ("", "全部日期"),
    ("today", "今天"),
    ("week", "近7天"),
    ("month", "本月"),
    ("year", "本年"),
    ("custom", "自定义…"),
)


def _day(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


def preset_range(key: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The (from, to) dates, inclusive, of a preset; (None, None) for 全部日期/自定义."""
    if key == "today":
        return today, today
    if key == "week":
        return today - dt.timedelta(days=6), today
    if key == "month":
        return today.replace(day=1), today
    if key == "year":
        return today.replace(month=1, day=1), today
    return None, None




class FilterBar(QWidget):
    """Emits `changed` whenever a choice changes; `apply(query)` returns the filtered query."""

    changed = Signal()

    def __init__(self, users: Sequence[UserView] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filter_bar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)

        self.status = self._combo("filter_status", "按办理状态筛选")
        self.county = self._combo("filter_county", "按旗县市筛选")
        self.county.addItem("全部旗县市", None)
        for code in COUNTY_CODES:
            self.county.addItem(county_name(code), code)
        self.dates = self._combo("filter_dates", "按登记日期筛选")
        for key, label in DATE_PRESETS:
            self.dates.addItem(label, key)
        today = today_cst()
        self.date_from = self._date("filter_date_from", today.replace(day=1))
        self.date_to = self._date("filter_date_to", today)
        self.dash = QLabel("至")
        self.clerk = self._combo("filter_clerk", "按经办人筛选")
        self.set_users(users)
        self.clear_button = QPushButton("清除筛选")
        self.clear_button.setObjectName("btn_clear_filters")
        self.clear_button.setToolTip("恢复为全部记录")
        self.clear_button.clicked.connect(self.clear)

        for w in (self.status, self.county, self.dates, self.date_from,
                  self.dash, self.date_to, self.clerk, self.clear_button):
            lay.addWidget(w)
        lay.addStretch(1)
        self._show_custom(False)
        self.clear_button.setEnabled(False)
        self.set_kind(None)

        self.dates.currentIndexChanged.connect(self._dates_changed)
        for combo in (self.status, self.county, self.clerk):
            combo.currentIndexChanged.connect(self._changed)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._changed)

    # --- building ------------------------------------------------------------------------
    def _combo(self, name: str, tip: str) -> QComboBox:
        c = QComboBox()
        c.setObjectName(name)
        c.setToolTip(tip)
        c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return c

    def _date(self, name: str, value: dt.date) -> QDateEdit:
        d = QDateEdit(QDate(value.year, value.month, value.day))
        d.setObjectName(name)
        d.setDisplayFormat("yyyy-MM-dd")
        d.setCalendarPopup(True)
        return d

    def set_users(self, users: Sequence[UserView]) -> None:
        current = self.clerk.currentData()
        self.clerk.blockSignals(True)
        self.clerk.clear()
        self.clerk.addItem("全部经办人", None)
        for u in users:
            self.clerk.addItem(u.display_name, u.username)
        i = self.clerk.findData(current)
        self.clerk.setCurrentIndex(max(0, i))
        self.clerk.blockSignals(False)

    def set_kind(self, kind_key: str | None) -> None:
        """Offer the statuses of this kind (none for kinds without a workflow or mixed lists);
        a status that the new kind does not have is dropped."""
        wf = KINDS[kind_key].workflow if kind_key in KINDS else None
        current = self.status.currentData()
        self.status.blockSignals(True)
        self.status.clear()
        self.status.addItem("全部状态", None)
        for code, label in (wf.states if wf else ()):
            self.status.addItem(label, code)
        i = self.status.findData(current) if current else 0
        self.status.setCurrentIndex(max(0, i))
        self.status.blockSignals(False)
        self.status.setVisible(wf is not None)
        if current and i < 0:
            self._changed()

    # --- state ---------------------------------------------------------------------------
    def _show_custom(self, on: bool) -> None:
        for w in (self.date_from, self.dash, self.date_to):
            w.setVisible(on)

    def _dates_changed(self) -> None:
        self._show_custom(self.dates.currentData() == "custom")
        self._changed()

    def _changed(self) -> None:
        self.clear_button.setEnabled(self.active)
        self.changed.emit()

    @property
    def active(self) -> bool:
        return any(c.currentIndex() > 0 for c in (self.status, self.county, self.dates,
                                                   self.clerk))

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        key = self.dates.currentData() or ""
        if key == "custom":
            a, b = _day(self.date_from), _day(self.date_to)
            return (a, b) if a <= b else (b, a)
        return preset_range(key, today_cst())

    def apply(self, q: Query) -> Query:
        date_from, date_to = self.date_range()
        status = self.status.currentData() if self.status.isVisibleTo(self) else None
        return dataclasses.replace(
            q, status=status, county=self.county.currentData(), date_from=date_from,
            date_to=date_to, created_by=self.clerk.currentData())

    def clear(self) -> None:
        for c in (self.status, self.county, self.dates, self.clerk):
            c.blockSignals(True)
            c.setCurrentIndex(0)
            c.blockSignals(False)
        self._show_custom(False)
        self._changed()
