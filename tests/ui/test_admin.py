"""系统管理 as an admin uses it: accounts, the next year's holidays, print settings, backups,
the audit log; and what a supervisor and a clerk may see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton, QSpinBox

from tests.conftest import GOOD_CONSULTATION
from tests.ui.qt_helpers import child, type_chinese
from ui.admin import AdminDialog
from ui.main_window import MainWindow


def _dialog(qtbot: Any, desk: Any, runner: Any, tab: str | None = None) -> AdminDialog:
    dlg = AdminDialog(desk, runner, tab=tab)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    return dlg


def test_accounts_add_refuse_disable_and_reset(qtbot: Any, desk: Any, runner: Any) -> None:
    dlg = _dialog(qtbot, desk, runner, "users")
    page = dlg.page("users")
    assert page.table.rowCount() == 1 and page.table.item(0, 0).text() == "admin"
    qtbot.keyClicks(child(page, QLineEdit, "new_username"), "lina")
    type_chinese(child(page, QLineEdit, "new_display_name"), "李娜")
    qtbot.keyClicks(child(page, QLineEdit, "new_password"), "short")
    qtbot.keyClicks(child(page, QLineEdit, "new_password2"), "short")
    child(page, QPushButton, "btn_user_add").click()
    error = child(page, QLabel, "user_add_error")
    qtbot.waitUntil(lambda: error.isVisible() and "8" in error.text(), timeout=3000)
    for name in ("new_password", "new_password2"):
        child(page, QLineEdit, name).setText("Clerk2026a")
    child(page, QPushButton, "btn_user_add").click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=3000)
    assert "已新建账号 lina" in error.text()
    assert {u.username for u in desk.list_users()} == {"admin", "lina"}

    # the admin cannot disable their own account; lina can be disabled, then not log in
    page.table.selectRow(0)
    child(page, QPushButton, "btn_user_toggle").click()
    row_error = child(page, QLabel, "user_row_error")
    qtbot.waitUntil(lambda: "不能停用当前登录的账号" in row_error.text(), timeout=3000)
    page.table.selectRow(1)
    child(page, QPushButton, "btn_user_toggle").click()
    qtbot.waitUntil(lambda: page.table.item(1, 3).text() == "已停用", timeout=3000)
    assert not next(u for u in desk.list_users() if u.username == "lina").active
    role = child(page, QComboBox, "user_role")
    page.table.selectRow(1)
    role.setCurrentIndex(role.findData("mediator"))
    child(page, QPushButton, "btn_user_role").click()
    qtbot.waitUntil(lambda: page.table.item(1, 2).text() == "调解员", timeout=3000)
    child(page, QLineEdit, "user_new_password").setText("Newpass2026")
    child(page, QPushButton, "btn_user_password").click()
    qtbot.waitUntil(lambda: "已重置 lina 的密码" in row_error.text(), timeout=3000)


def test_next_years_holidays_entered_and_warning_cleared(qtbot: Any, desk: Any, runner: Any,
                                                         monkeypatch: Any) -> None:
    """On 2026-12-02 the 2027 schedule is missing: the status bar says so; the admin enters
    元旦 in 节假日安排 and deadlines across it move."""
    import xingan_desk.calendar_book as desk_mod

    monkeypatch.setattr(desk_mod, "today_cst", lambda: dt.date(2026, 12, 2))
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.show()
    warn = child(win, QPushButton, "status_calendar")
    qtbot.waitUntil(lambda: warn.isVisible(), timeout=3000)
    assert "2027年节假日安排尚未录入" in warn.text()
    warn.click()
    dlg = win.admin_dialog
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    page = dlg.page("calendar")
    assert dlg.tabs.currentWidget() is page
    year = child(page, QSpinBox, "calendar_year")
    year.setValue(2027)
    qtbot.waitUntil(lambda: "尚未录入" in child(page, QLabel, "calendar_coverage").text(),
                    timeout=3000)
    page.start.setDate(QDate(2027, 1, 1))
    page.end.setDate(QDate(2027, 1, 3))
    type_chinese(child(page, QLineEdit, "calendar_name"), "元旦")
    child(page, QPushButton, "btn_calendar_add").click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=3000)
    assert page.table.item(0, 2).text() == "放假" and page.table.item(0, 3).text() == "元旦"
    assert "本机录入" in page.table.item(0, 4).text()
    assert desk.calendar().add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    dlg.accept()
    qtbot.waitUntil(lambda: not warn.isVisible(), timeout=3000)
    win.close()


def test_print_settings_apply_to_the_next_receipt(qtbot: Any, desk: Any, runner: Any) -> None:
    dlg = _dialog(qtbot, desk, runner, "print")
    page = dlg.page("print")
    layout = child(page, QComboBox, "print_layout")
    layout.setCurrentIndex(layout.findData("roll80"))
    child(page, QSpinBox, "print_notice_days").setValue(7)
    phone = child(page, QLineEdit, "print_phone")
    phone.setText("12")
    child(page, QPushButton, "btn_print_save").click()
    message = child(page, QLabel, "print_message")
    assert "联系电话格式不对" in message.text()
    phone.setText("0482-6012345")
    direct = child(page, QCheckBox, "print_direct")
    assert not direct.isChecked()  # previews by default
    direct.setChecked(True)
    child(page, QPushButton, "btn_print_save").click()
    qtbot.waitUntil(lambda: "已保存" in message.text(), timeout=3000)
    assert desk.setting("receipt_layout") == "roll80" and desk.setting("notice_days") == 7
    assert desk.setting("print_direct") is True
    desk.set_setting("print_direct", False)  # the preview below

    from pypdf import PdfReader

    from xingan_desk.printing import render

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.show()
    win.show_record(rec.id)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=3000)
    win.print_record(None)
    qtbot.waitUntil(lambda: getattr(win, "preview", None) is not None, timeout=10000)
    reader = PdfReader(str(win.preview.path))
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    assert abs(width_mm - 80) < 1  # the roll-paper receipt
    assert "0482-6012345" in reader.pages[0].extract_text()
    win.preview.close()
    assert render is not None
    win.close()


def test_backup_now_lists_the_copy(qtbot: Any, desk: Any, runner: Any, tmp_path: Path) -> None:
    dlg = _dialog(qtbot, desk, runner, "backup")
    page = dlg.page("backup")
    assert page.table.rowCount() == 0
    child(page, QPushButton, "btn_backup_now").click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=5000)
    assert "已备份到" in child(page, QLabel, "backup_message").text()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    page.backup_to(blocker / "copy.sqlite3")
    qtbot.waitUntil(lambda: "备份失败" in child(page, QLabel, "backup_message").text(),
                    timeout=5000)


def test_audit_log_and_who_sees_what(qtbot: Any, desk: Any, runner: Any) -> None:
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    dlg = _dialog(qtbot, desk, runner, "audit")
    page = dlg.page("audit")
    qtbot.waitUntil(lambda: page.table.rowCount() >= 2, timeout=3000)
    numbers = [page.table.item(r, 2).text() for r in range(page.table.rowCount())]
    assert rec.receipt_no in numbers
    child(page, QLineEdit, "audit_filter").setText(rec.receipt_no)
    visible = [r for r in range(page.table.rowCount()) if not page.table.isRowHidden(r)]
    assert visible and all(page.table.item(r, 2).text() == rec.receipt_no for r in visible)
    assert [dlg.tabs.tabText(i) for i in range(dlg.tabs.count())] == [
        "账号管理", "节假日安排", "打印设置", "期限提醒", "数据备份", "中心同步", "审计日志"]
    dlg.accept()

    desk.add_user("boss", "王主任", "supervisor", "Super2026x")
    desk.add_user("lina", "李娜", "clerk", "Clerk2026a")
    desk.use_account("boss")
    sup = _dialog(qtbot, desk, runner)
    assert [sup.tabs.tabText(i) for i in range(sup.tabs.count())] == ["打印设置", "期限提醒", "审计日志"]
    sup.accept()
    desk.use_account("lina")
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.show()
    assert not child(win, QPushButton, "btn_admin").isVisible()
    assert win.open_admin() is None
    win.close()


def test_sync_tab_says_not_configured_and_opens_the_settings(qtbot: Any, desk: Any,
                                                             runner: Any) -> None:
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.show()
    dlg = win.open_admin("sync")
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    page = dlg.page("sync")
    assert "尚未设置同步" in child(page, QLabel, "sync_summary").text()
    child(page, QPushButton, "btn_sync_settings").click()
    assert win.sync_settings_dialog.isVisible()
    win.sync_settings_dialog.close()
    dlg.accept()
    win.close()
