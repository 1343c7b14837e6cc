"""Operations and the change bus: a write run anywhere (a new dialog nobody wired into the
main window) shows up in the list, the counts and the detail panel; a failure is shown to the
clerk; a superseded answer is dropped; a form's save takes its draft with it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QListWidget, QMessageBox, QWidget

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from tests.ui.qt_helpers import child, open_main_window
from ui.ops import DeskOp, Latest, QueryOp


def test_a_write_from_an_unwired_widget_refreshes_list_counts_and_detail(
        qtbot: Any, desk: Any, runner: Any) -> None:
    from xingan_desk.timeutil import today_cst

    first, _ = desk.create("consultation", GOOD_CONSULTATION)
    win = open_main_window(qtbot, desk, runner)
    assert win.model.rowCount() == 1
    win.show_record(first.id)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)

    stranger = QWidget()  # e.g. a dialog added later, knowing nothing of the main window
    qtbot.addWidget(stranger)
    DeskOp(stranger, runner, lambda: desk.create("consultation", GOOD_CONSULTATION)).run()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2, timeout=3000)
    assert "共 2 条" in child(win, QLabel, "count_label").text()

    DeskOp(stranger, runner, lambda: desk.void(first.id, "重复登记")).run()
    qtbot.waitUntil(lambda: win.detail.record is not None and win.detail.record.voided,
                    timeout=3000)

    today = today_cst().isoformat()  # 受理审查 due within three workdays: counted
    DeskOp(stranger, runner,
           lambda: desk.create("mediation", {**GOOD_MEDIATION, "applied_on": today})).run()
    nav = child(win, QListWidget, "nav")
    qtbot.waitUntil(lambda: nav.item(4).text() == "调解受理　1", timeout=3000)
    win.close()


def test_failure_is_shown_and_a_superseded_answer_is_dropped(qtbot: Any, desk: Any,
                                                              runner: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    DeskOp(parent, runner, lambda: desk.void("no-such-record", "原因")).run()
    qtbot.waitUntil(lambda: parent.findChild(QMessageBox, "error_dialog") is not None,
                    timeout=3000)
    box = parent.findChild(QMessageBox, "error_dialog")
    assert "找不到" in box.text() or "不存在" in box.text()
    box.close()

    slot, answers = Latest(), []
    for n in (1, 2, 3):
        QueryOp(parent, runner, lambda n=n: n).latest(slot).success(answers.append).run()
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    assert answers == [3]


def test_saving_a_form_discards_its_draft_in_the_same_save(qtbot: Any, desk: Any,
                                                           runner: Any) -> None:
    win = open_main_window(qtbot, desk, runner)
    form = win.new_record("consultation", values=GOOD_CONSULTATION)
    assert form is not None
    form.editors["visitor_name"].set("赵敏")
    form.autosave(wait=True)
    assert [d[0] for d in desk.drafts()] == [form.draft_id]
    form.save()
    qtbot.waitUntil(lambda: win.form is None, timeout=5000)
    assert desk.drafts() == []
    win.close()
