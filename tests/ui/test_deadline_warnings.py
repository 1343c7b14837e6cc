"""Issue 11 §8 on screen: staged deadline warnings in the list, 待办 and the status bar, and
the overdue view per window and per clerk."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.conftest import GOOD_MEDIATION
from tests.ui.qt_helpers import open_main_window
from xingan_desk.timeutil import today_cst


def _rows_by_receipt(model: Any) -> dict[str, int]:
    return {model.record(r).receipt_no: r for r in range(model.rowCount())}


def test_overdue_red_soon_yellow_in_list_status_bar_and_overdue_view(qtbot: Any, desk: Any,
                                                                     runner: Any) -> None:
    late, _ = desk.create("mediation", GOOD_MEDIATION)  # due 2026-03-05: long past
    soon, _ = desk.create("mediation", {**GOOD_MEDIATION,
                                        "applied_on": today_cst().isoformat()})
    win = open_main_window(qtbot, desk, runner)
    qtbot.waitUntil(lambda: win.status.due.isVisible(), timeout=5000)
    assert win.status.due.text() == "逾期 1 项 · 1 项即将到期"
    assert win.status.due.property("stage") == "overdue"

    for area in ("mediation", "due"):
        win.goto_area(area)
        qtbot.waitUntil(lambda: win.records.model is not None
                        and win.records.model.rowCount() == 2, timeout=5000)
        model = win.records.model
        rows = _rows_by_receipt(model)
        due_col = next(i for i, c in enumerate(model._columns) if c.label == "期限")
        fg = Qt.ItemDataRole.ForegroundRole
        bg = Qt.ItemDataRole.BackgroundRole
        late_row, soon_row = rows[late.receipt_no], rows[soon.receipt_no]
        assert model.data(model.index(late_row, 0), fg).color().name() == "#b3261e"
        assert model.data(model.index(soon_row, 0), fg).color().name() == "#8a5a00"
        assert model.data(model.index(late_row, due_col), bg).color().name() == "#fde7e9"
        assert model.data(model.index(soon_row, due_col), bg).color().name() == "#fff4ce"
        other = 1 if due_col == 0 else 0
        assert model.data(model.index(soon_row, other), bg) is None  # only the 期限 cell

    # a supervisor's view: per window and per clerk
    dlg = win.open_overdue_view()
    qtbot.waitUntil(lambda: dlg.by_window.rowCount() == 1, timeout=5000)
    assert [dlg.by_window.item(0, c).text() for c in range(3)] == ["152223-02", "1", "1"]
    assert dlg.by_clerk.item(0, 1).text() == "admin"
    dlg.close()

    # the warning stage follows the setting: 0 days ahead leaves only the red one
    desk.set_due_warn_workdays(0)
    win.refresh_counts()
    qtbot.waitUntil(lambda: win.status.due.text() == "逾期 1 项", timeout=5000)
    model = win.records.model
    soon_row = _rows_by_receipt(model)[soon.receipt_no]
    assert model.data(model.index(soon_row, 0), Qt.ItemDataRole.ForegroundRole) is None


def test_the_warning_days_are_a_setting_in_system_admin(qtbot: Any, desk: Any,
                                                        runner: Any) -> None:
    from PySide6.QtWidgets import QPushButton, QSpinBox

    from tests.ui.qt_helpers import child
    from ui.admin import AdminDialog

    dlg = AdminDialog(desk, runner, tab="deadlines")
    qtbot.addWidget(dlg)
    spin = child(dlg, QSpinBox, "due_warn_days")
    qtbot.waitUntil(lambda: spin.value() == 3, timeout=3000)
    spin.setValue(5)
    child(dlg, QPushButton, "btn_due_warn_save").click()
    qtbot.waitUntil(lambda: desk.due_warn_workdays() == 5, timeout=3000)
