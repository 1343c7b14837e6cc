"""The main window: areas with due counts, search, shortcuts, drafts, status bar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from tests.ui.qt_helpers import child, type_chinese
from ui.dialogs import DraftsDialog, FirstRunDialog, LoginDialog
from ui.main_window import AREAS, MainWindow
from ui.record_form import RecordForm


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    return win


def test_layout_areas_and_status_bar(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.create("consultation", GOOD_CONSULTATION)
    today = dt.date.today().isoformat()
    desk.create("mediation", {**GOOD_MEDIATION, "applied_on": today})  # 受理审查 due soon
    win = _window(qtbot, desk, runner)
    nav = child(win, QListWidget, "nav")
    titles = [t for _, t in AREAS] + ["统计"]  # 统计: supervisors and admins (stats_view.py)
    assert [nav.item(i).text().split("　")[0] for i in range(nav.count())] == titles
    qtbot.waitUntil(lambda: nav.item(4).text() == "调解受理　1", timeout=3000)
    assert nav.item(6).text() == "待办/到期　1"
    assert child(win, QLabel, "status_sync").text().startswith("离线 · 待上传 ")
    assert win.width() <= 1366 and win.height() <= 768
    assert win.minimumSizeHint().width() <= 1366 and win.minimumSizeHint().height() <= 768
    # Ctrl+5 goes to 调解受理, Ctrl+7 to the due list
    qtbot.keyClick(win, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.area == "due" and win.model is not None
                    and win.model.rowCount() == 1, timeout=3000)
    assert win.model.data(win.model.index(0, 2)) == "调解受理"
    assert win.model.data(win.model.index(0, 1)) == "受理审查期限"
    assert not win.act_print.isEnabled() or win._printing is not None


def test_search_as_you_type_is_debounced(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.create("consultation", GOOD_CONSULTATION)
    desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "李娜",
                                 "enterprise_name": "扎赉特旗丰收农机制造有限公司",
                                 "enterprise_uscc": None})
    win = _window(qtbot, desk, runner)
    loads: list[int] = []
    win.list_loaded.connect(loads.append)
    search = child(win, QLineEdit, "search")
    for part in ("扎", "赉", "特"):  # three quick keystrokes, one query
        type_chinese(search, part)
    qtbot.waitUntil(lambda: bool(loads), timeout=2000)
    qtbot.wait(300)
    assert loads == [1]
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # Esc clears the search
    qtbot.waitUntil(lambda: loads[-1] == 2, timeout=2000)


def test_new_record_shortcut_uses_current_area_and_esc_cancels(qtbot: Any, desk: Any,
                                                               runner: Any) -> None:
    win = _window(qtbot, desk, runner)
    win.nav.setCurrentRow(5)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is not None, timeout=2000)
    assert win.form.kind.key == "rating"
    assert child(win, QPushButton, "btn_new").text().startswith("新建好差评")
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # nothing typed: closes without asking
    qtbot.waitUntil(lambda: win.form is None, timeout=2000)


def test_rating_for_any_record_prefills_service_no(qtbot: Any, desk: Any, runner: Any) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    win = _window(qtbot, desk, runner)
    win.nav.setCurrentRow(4)
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=3000)
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)
    qtbot.mouseClick(child(win, QPushButton, "btn_rate"), Qt.MouseButton.LeftButton)
    assert win.form is not None and win.form.kind.key == "rating"
    assert win.form.editors["service_no"].get() == rec.receipt_no


def test_drafts_saved_on_close_and_offered_on_start(qtbot: Any, desk: Any,
                                                    runner: Any) -> None:
    win = _window(qtbot, desk, runner)
    form = win.new_record("consultation")
    assert isinstance(form, RecordForm)
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    win.close()  # e.g. the clerk closes the window (or the PC loses power before)
    drafts = desk.drafts()
    assert len(drafts) == 1
    win2 = _window(qtbot, desk, runner)
    win2.offer_drafts()
    dlg = win2.drafts_dialog
    assert isinstance(dlg, DraftsDialog) and "王芳" in dlg.list.item(0).text()
    qtbot.mouseClick(child(dlg, QPushButton, "btn_draft_restore"), Qt.MouseButton.LeftButton)
    assert win2.form is not None
    assert win2.form.editors["visitor_name"].get() == "王芳"


def test_login_and_first_run_dialogs(qtbot: Any, desk: Any, tmp_path: Any) -> None:
    login = LoginDialog(desk)
    qtbot.addWidget(login)
    qtbot.keyClicks(child(login, QLineEdit, "login_username"), "admin")
    login.submit()
    assert child(login, QLabel, "login_error").text() == "请输入密码"
    first = FirstRunDialog(str(tmp_path / "new"))
    qtbot.addWidget(first)
    first.county.setCurrentIndex(first.county.findData("152224"))
    qtbot.keyClicks(first.password, "short")
    qtbot.keyClicks(first.password2, "short")
    first.submit()
    assert first.errors["admin_password"].text()  # the core's strength message
    first.password.setText("Admin2026x")
    first.password2.setText("Admin2026x")
    with qtbot.waitSignal(first.accepted, timeout=3000):
        first.submit()
    assert first.desk.identity.window_code == "152224-01"
    first.desk.close()


def test_ctrl_p_prints_receipt_to_preview(qtbot: Any, desk: Any, runner: Any) -> None:
    from ui.print_preview import PrintPreview

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    win = _window(qtbot, desk, runner)
    if win._printing is None:
        import pytest

        pytest.skip("xingan_desk.printing.render is not available")
    assert win.act_print.isEnabled()
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)
    assert child(win, QPushButton, "btn_print").isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(getattr(win, "preview", None), PrintPreview),
                    timeout=15000)
    assert win.preview.doc.pageCount() >= 1
    assert win.preview.path.read_bytes().startswith(b"%PDF")
    win.preview.close()
    assert desk.get(rec.id).print_count == 1
