"""The main window: areas with due counts, search, shortcuts, drafts, status bar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListWidget, QPushButton

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from tests.ui.qt_helpers import child, open_main_window, type_chinese
from ui.dialogs import DraftsDialog, FirstRunDialog, LoginDialog
from ui.main_window import AREAS, MainWindow
from ui.record_form import RecordForm


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    return open_main_window(qtbot, desk, runner)  # type: ignore[no-any-return]


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
    assert child(win, QLabel, "status_sync").text().startswith("未设置同步 · 待上传 ")
    assert win.width() <= 1366 and win.height() <= 768
    assert win.minimumSizeHint().width() <= 1366 and win.minimumSizeHint().height() <= 768
    # Ctrl+5 goes to 调解受理, Ctrl+7 to the due list
    qtbot.keyClick(win, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.area == "due" and win.model is not None
                    and win.model.rowCount() == 1, timeout=3000)
    assert win.model.data(win.model.index(0, 2)) == "调解受理"
    assert win.model.data(win.model.index(0, 1)) == "受理审查期限"
    assert not win.act_print.isEnabled() or win.printing is not None


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
    win2.offer_drafts()  # read on the DB lane, then offered
    qtbot.waitUntil(lambda: win2.drafts_dialog is not None, timeout=3000)
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
    if win.printing is None:
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
    assert desk.get(rec.id).print_count == 0  # looked at, not printed: no print logged


def test_print_is_logged_when_saved_and_the_next_one_is_a_reprint(
        qtbot: Any, desk: Any, runner: Any, tmp_path: Any) -> None:
    from pypdf import PdfReader

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    win = _window(qtbot, desk, runner)
    win.show_record(rec.id)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)

    def preview() -> Any:
        win.preview = None
        win.print_record(None)
        qtbot.waitUntil(lambda: win.preview is not None, timeout=15000)
        return win.preview

    first = preview()
    assert "补打" not in PdfReader(str(first.path)).pages[0].extract_text()
    assert first.save_to(tmp_path / "回执")
    qtbot.waitUntil(lambda: desk.get(rec.id).print_count == 1, timeout=3000)
    first.close()
    second = preview()
    assert "补打" in PdfReader(str(second.path)).pages[0].extract_text()
    second.close()
    assert desk.get(rec.id).print_count == 1
    win.close()


def test_filters_status_county_date_and_clerk(qtbot: Any, desk: Any, runner: Any) -> None:
    """The filter row narrows the list in SQL: status, county, registration date, clerk."""
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QComboBox, QDateEdit

    from xingan_desk.timeutil import today_cst

    desk.add_user("lina", "李娜", "clerk", "Clerk2026a")
    accepted, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.act(accepted.id, "accept", {"accepted_on": GOOD_MEDIATION["applied_on"],
                                     "mediator": "包银山"})
    desk.use_account("lina")
    mine, _ = desk.create("mediation", {**GOOD_MEDIATION, "claims": "请求赔偿。"})
    desk.use_account("admin")
    win = _window(qtbot, desk, runner)
    qtbot.keyClick(win, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.area == "mediation" and win.model is not None
                    and win.model.rowCount() == 2, timeout=3000)

    def shown() -> set[str]:
        assert win.model is not None
        return {win.model.record_id(r) or "" for r in range(win.model.rowCount())}

    def pick(name: str, data: Any, expect: set[str]) -> None:
        combo = child(win, QComboBox, name)
        combo.setCurrentIndex(combo.findData(data))
        qtbot.waitUntil(lambda: shown() == expect, timeout=3000)

    status = child(win, QComboBox, "filter_status")
    assert status.isVisible() and status.itemText(0) == "全部状态"
    assert status.findText("调解成功") > 0
    pick("filter_status", "accepted", {accepted.id})
    assert "（已筛选）" in child(win, QLabel, "count_label").text()
    pick("filter_status", None, {accepted.id, mine.id})
    pick("filter_clerk", "lina", {mine.id})
    pick("filter_clerk", None, {accepted.id, mine.id})
    pick("filter_county", "152224", set())  # both were registered in 扎赉特旗
    pick("filter_county", "152223", {accepted.id, mine.id})
    pick("filter_dates", "custom", {accepted.id, mine.id})  # this month so far
    yesterday = today_cst() - dt.timedelta(days=1)
    for name in ("filter_date_from", "filter_date_to"):  # registered before today: none
        child(win, QDateEdit, name).setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    qtbot.waitUntil(lambda: shown() == set(), timeout=3000)
    child(win, QPushButton, "btn_clear_filters").click()
    qtbot.waitUntil(lambda: shown() == {accepted.id, mine.id}, timeout=3000)
    assert not child(win, QPushButton, "btn_clear_filters").isEnabled()
    # Enterprises have no workflow: no status filter there.
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.area == "enterprise", timeout=3000)
    assert not status.isVisible()


def test_detail_shows_status_history_and_audit_trail(qtbot: Any, desk: Any,
                                                     runner: Any) -> None:
    """Opening a record shows what happened to it: who changed which field from what to what,
    and the status actions, newest first."""
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.update(rec.id, {"claims": "请求赔偿损失5万元。"}, rec.version)
    desk.act(rec.id, "accept", {"accepted_on": GOOD_MEDIATION["applied_on"],
                                "mediator": "包银山"})
    win = _window(qtbot, desk, runner)
    win.show_record(rec.id)
    qtbot.waitUntil(lambda: win.detail.record is not None and win.detail.record.id == rec.id,
                    timeout=3000)
    history = child(win, QLabel, "value__history").text()
    assert "受理" in history and "admin" in history
    audit = child(win, QLabel, "value__audit").text().splitlines()
    assert len(audit) == 3
    assert "受理" in audit[0] and "状态 已登记→已受理" in audit[0] and "调解员 →包银山" in audit[0]
    assert "修改" in audit[1] and "申请事项" in audit[1] and "→请求赔偿损失5万元。" in audit[1]
    assert "登记" in audit[2] and "admin@152223-02" in audit[2]


def test_lock_keeps_the_form_as_draft_and_the_next_clerk_logs_in(qtbot: Any, desk: Any,
                                                                  runner: Any) -> None:
    desk.add_user("lina", "李娜", "clerk", "Clerk2026a")
    win = _window(qtbot, desk, runner)
    form = win.new_record("consultation")
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dlg = win.login_dialog
    assert dlg.isVisible() and win.form is None
    dlg.username.setText("lina")
    dlg.password.setText("Clerk2026a")
    dlg.submit()
    qtbot.waitUntil(lambda: child(win, QLabel, "status_user").text() == "李娜（窗口人员）",
                    timeout=3000)
    assert not child(win, QPushButton, "btn_admin").isVisible()
    stats_row = win.nav.count() - 1
    assert win.nav.item(stats_row).text() == "统计" and win.nav.item(stats_row).isHidden()
    qtbot.keyClick(win, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    assert win.nav.currentRow() != stats_row  # a clerk's Ctrl+8 does nothing
    assert desk.drafts() == []  # lina does not get the admin's draft …
    win.close()
    desk.use_account("admin")  # … which waits for the admin
    assert [d[3]["raw"]["visitor_name"] for d in desk.drafts()] == ["王芳"]


def test_clerk_changes_own_password(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.add_user("lina", "李娜", "clerk", "Clerk2026a")
    desk.login("lina", "Clerk2026a")
    win = _window(qtbot, desk, runner)
    win.change_password()
    dlg = win.password_dialog
    dlg.old.setText("wrong")
    dlg.new.setText("Clerk2027b")
    dlg.new2.setText("Clerk2027b")
    dlg.submit()
    assert child(dlg, QLabel, "password_error").text() == "原密码不正确"
    dlg.old.setText("Clerk2026a")
    with qtbot.waitSignal(dlg.accepted, timeout=3000):
        dlg.submit()
    assert desk.login("lina", "Clerk2027b").username == "lina"
    win.close()


def _type_here(qtbot: Any, text: str) -> None:
    """Keys go where the keyboard focus is, as on a real display."""
    w = QApplication.focusWidget()
    assert w is not None
    qtbot.keyClicks(w, text)


def test_locked_window_hides_records_and_return_logs_in_after_a_wrong_try(
        qtbot: Any, desk: Any, runner: Any) -> None:
    """Issue 11.3: the lock hides the lists (no visitor's name readable behind the dialog);
    the dialog has the keyboard; after one wrong password the right one and Return log in;
    afterwards the main window has the keyboard again."""
    desk.create("consultation", GOOD_CONSULTATION)
    win = _window(qtbot, desk, runner)
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=3000)
    assert win.table.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dlg = win.login_dialog
    assert not win.table.isVisible() and not win.detail.isVisible()
    assert not win.search.isVisible()
    assert child(win, QLabel, "lock_cover").isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.password, timeout=2000)
    _type_here(qtbot, "Wrong2026x")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.error.text() == "用户名或密码不正确"
    assert QApplication.focusWidget() is dlg.password and dlg.password.text() == ""
    _type_here(qtbot, "Admin2026x")
    assert not dlg.error.isVisible()  # the old message goes as the clerk types again
    with qtbot.waitSignal(dlg.accepted, timeout=3000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert desk.user.username == "admin"
    assert win.table.isVisible() and not child(win, QLabel, "lock_cover").isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    failures = [a for a in desk.audit_trail() if a.action == "login_failed"]
    assert len(failures) == 1  # one Return, one try
    win.close()


def test_main_window_takes_the_keyboard_after_login(qtbot: Any, desk: Any,
                                                    runner: Any) -> None:
    """Issue 11.4: on a display without a window manager nothing gives the new window the
    focus; it takes it itself (the search field, ready to type)."""
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.take_focus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    assert QApplication.activeWindow() is win
    win.close()


def _active(qtbot: Any, win: Any) -> None:
    """Window shortcuts need the window active (offscreen, nobody re-activates it after a
    dialog closed)."""
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)


def test_record_actions_have_shortcuts_from_the_declarations(qtbot: Any, desk: Any,
                                                             runner: Any) -> None:
    """Issue 11.4: 受理 (the mediation workflow's first declared action) is Alt+1, shown on
    its button; 转预审备案/转调解受理 are F6/F7 in the order links.py declares them."""
    desk.create("mediation", GOOD_MEDIATION)
    win = open_main_window(qtbot, desk, runner)
    win.goto_area("mediation")
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=3000)
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None and not runner.busy, timeout=3000)
    accept = child(win, QPushButton, "btn_action_accept")
    assert accept.isVisible()
    assert accept.text() == "受理（Alt+1）" and "Alt+1" in accept.toolTip()
    assert child(win, QPushButton, "btn_edit").text() == "修改（F2）"
    _active(qtbot, win)
    qtbot.keyClick(win.table, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: win.action_dialog is not None, timeout=3000)
    assert win.action_dialog.action.key == "accept"
    win.action_dialog.reject()

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    win.goto_area("consultation")
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=3000)
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None
                    and win.detail.record.id == rec.id and not runner.busy, timeout=3000)
    assert child(win, QPushButton, "btn_handover_preexam_filing").text() == "转预审备案（F6）"
    assert child(win, QPushButton, "btn_handover_mediation").text() == "转调解受理（F7）"
    _active(qtbot, win)
    qtbot.keyClick(win.table, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    assert win.form.kind.key == "mediation" and win.form.handover_from == rec.id
    win.form.cancel(ask=False)
    win.close()


def test_ctrl_p_prints_straight_to_the_printer_when_set(qtbot: Any, desk: Any, runner: Any,
                                                       tmp_path: Any) -> None:
    """Issue 11.9: with 直接打印 on, Ctrl+P sends the receipt to the default printer (here a
    PDF printer) without a preview and logs the print; Ctrl+Shift+P still previews."""
    from PySide6.QtPrintSupport import QPrinter

    from ui.print_preview import PrintPreview

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    desk.set_setting("print_direct", True)
    win = open_main_window(qtbot, desk, runner)
    if win.printing is None:
        import pytest

        pytest.skip("xingan_desk.printing.render is not available")
    target = tmp_path / "printed.pdf"

    def pdf_printer() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return printer

    win.commands.direct_printer = pdf_printer
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)
    _active(qtbot, win)
    qtbot.keyClick(win.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: desk.get(rec.id).print_count == 1, timeout=15000)
    assert target.read_bytes().startswith(b"%PDF")
    assert win.preview is None  # no preview on the way
    _active(qtbot, win)
    qtbot.keyClick(win.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(win.preview, PrintPreview), timeout=15000)
    win.preview.close()
    win.close()


def test_closing_with_a_half_filled_form_says_the_draft_is_kept(qtbot: Any, desk: Any,
                                                                runner: Any) -> None:
    """Issue 11 §7: Alt+F4 with a typed form closes, keeps the draft and says so."""
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QApplication, QMessageBox

    def alt_f4(win: MainWindow) -> None:  # what the window manager sends (a spontaneous close)
        QApplication.sendEvent(win.windowHandle(), QCloseEvent())

    win = _window(qtbot, desk, runner)
    win.new_record("consultation")
    alt_f4(win)  # an untouched form: nothing to say
    assert not win.isVisible() and win.draft_notice is None
    win = _window(qtbot, desk, runner)
    form = win.new_record("consultation")
    assert isinstance(form, RecordForm)
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    alt_f4(win)
    notice = win.draft_notice
    assert isinstance(notice, QMessageBox) and notice.isVisible() and not win.isVisible()
    assert notice in QApplication.topLevelWidgets()  # keeps the program open until read
    assert "已作为草稿保留" in notice.text() and "咨询登记" in notice.text()
    assert len(desk.drafts()) == 1
    notice.close()


def test_window_titles_do_not_repeat_the_app_name(qtbot: Any, desk: Any, runner: Any,
                                                  tmp_path: Any) -> None:
    """Qt appends the application's display name to every title (X11 and Windows alike)."""
    from ui.dialogs import APP_TITLE

    win = _window(qtbot, desk, runner)
    assert APP_TITLE not in win.windowTitle() and "扎赉特旗" in win.windowTitle()
    first = FirstRunDialog(str(tmp_path / "new"))
    login = LoginDialog(desk)
    qtbot.addWidget(first)
    qtbot.addWidget(login)
    for w in (first, login):
        assert APP_TITLE not in w.windowTitle() and w.windowTitle()
