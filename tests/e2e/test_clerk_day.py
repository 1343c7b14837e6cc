"""A clerk's flow end to end in the real main window (offscreen): consultation → search →
handover to a mediation intake → a mediator logs in and accepts the case."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from tests.ui.qt_helpers import child, open_main_window, type_chinese
from ui.dialogs import LoginDialog
from ui.main_window import MainWindow
from xingan_desk.timeutil import format_date, today_cst
from xingan_desk.views import Query

CLERK_PW = "Clerk2026a"
MEDIATOR_PW = "Mediator2026"


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    return open_main_window(qtbot, desk, runner)  # type: ignore[no-any-return]


def _login(qtbot: Any, desk: Any, username: str, password: str) -> None:
    dlg = LoginDialog(desk)
    qtbot.addWidget(dlg)
    qtbot.keyClicks(child(dlg, QLineEdit, "login_username"), username)
    qtbot.keyClicks(child(dlg, QLineEdit, "login_password"), "wrong-password")
    qtbot.mouseClick(child(dlg, QPushButton, "btn_login"), Qt.MouseButton.LeftButton)
    assert child(dlg, QLabel, "login_error").text() == "用户名或密码不正确"
    pw = child(dlg, QLineEdit, "login_password")
    pw.clear()
    qtbot.keyClicks(pw, password)
    with qtbot.waitSignal(dlg.accepted, timeout=3000):
        qtbot.mouseClick(child(dlg, QPushButton, "btn_login"), Qt.MouseButton.LeftButton)
    assert desk.user.username == username


def test_consultation_handover_and_acceptance(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.add_user("clerk1", "李娜", "clerk", CLERK_PW)
    desk.add_user("mediator1", "包银山", "mediator", MEDIATOR_PW)
    _login(qtbot, desk, "clerk1", CLERK_PW)
    win = _window(qtbot, desk, runner)
    assert child(win, QLabel, "status_user").text() == "李娜（窗口人员）"
    assert "扎赉特旗" in child(win, QLabel, "status_window").text()
    assert child(win, QLabel, "status_sync").text() == "未设置同步"  # no central on this PC

    # --- 09:10 a consultation, typed field by field (Ctrl+N in the 咨询登记 area)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is not None, timeout=2000)
    form = win.form
    assert form is not None and form.kind.key == "consultation"
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    qtbot.keyClicks(child(form, QLineEdit, "field_visitor_phone"), "13812345678")
    type_chinese(child(form, QLineEdit, "field_enterprise_name"), "兴安新材料有限公司")
    qtbot.keyClicks(child(form, QLineEdit, "field_enterprise_uscc"), "91152201MA0N12340P")
    qtbot.mouseClick(child(form, QCheckBox, "field_topics_preexam"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(child(form, QCheckBox, "field_topics_policy"), Qt.MouseButton.LeftButton)
    type_chinese(child(form, QPlainTextEdit, "field_question"),
                 "新材料企业如何通过预审通道加快专利审查？")
    type_chinese(child(form, QPlainTextEdit, "field_answer"), "可先办理预审备案。")
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is None, timeout=5000)
    qtbot.waitUntil(lambda: win.detail.record is not None, timeout=5000)
    consultation = win.detail.record
    assert consultation.kind == "consultation"
    assert consultation.values["visitor_name"] == "王芳"
    assert consultation.created_by == "clerk1"
    qtbot.waitUntil(lambda: child(win, QLabel, "status_sync").text().startswith(
        "未设置同步 · 待上传 "), timeout=3000)  # the save waits in the outbox

    # --- find it again by a two-character name (search as you type, Ctrl+F)
    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = child(win, QLineEdit, "search")
    with qtbot.waitSignal(win.list_loaded, timeout=3000) as found:
        type_chinese(search, "王芳")
    assert found.args == [1]
    assert win.model is not None and win.model.record_id(0) == consultation.id
    win.table.selectRow(0)
    qtbot.waitUntil(lambda: win.detail.record is not None
                    and win.detail.record.id == consultation.id, timeout=3000)

    # --- hand it over to a mediation intake: the applicant carries across
    qtbot.mouseClick(child(win, QPushButton, "btn_handover_mediation"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    med_form = win.form
    assert med_form.kind.key == "mediation" and med_form.handover_from == consultation.id
    applicants = med_form.editors["applicants"].get()
    assert applicants[0]["name"] == "兴安新材料有限公司"
    assert applicants[0]["party_type"] == "org"
    child(med_form, QComboBox, "field_respondents_0_party_type").setCurrentIndex(
        child(med_form, QComboBox, "field_respondents_0_party_type").findData("org"))
    type_chinese(child(med_form, QLineEdit, "field_respondents_0_name"), "突泉县某农机有限公司")
    qtbot.keyClicks(child(med_form, QLineEdit, "field_respondents_0_uscc"), "92152224MA7Q000118")
    right = child(med_form, QComboBox, "field_right_type")
    right.setCurrentIndex(right.findData("patent"))
    dispute = child(med_form, QComboBox, "field_dispute_type")
    dispute.setCurrentIndex(dispute.findData("infringement"))
    type_chinese(child(med_form, QPlainTextEdit, "field_claims"), "请求停止侵权并赔偿损失。")
    assert child(med_form, QPlainTextEdit, "field_facts").toPlainText().startswith("新材料企业")
    qtbot.mouseClick(child(med_form, QPushButton, "btn_save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is None, timeout=5000)
    qtbot.waitUntil(lambda: win.detail.record is not None
                    and win.detail.record.kind == "mediation", timeout=5000)
    case = win.detail.record
    assert case.status_label == "已登记"
    assert win.area == "mediation"
    assert desk.get(consultation.id).values["handed_over_to"] == case.receipt_no
    win.close()

    # --- next morning the committee's mediator logs in and accepts the case
    desk.logout()
    _login(qtbot, desk, "mediator1", MEDIATOR_PW)
    win2 = _window(qtbot, desk, runner)
    qtbot.keyClick(win2, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win2.area == "mediation" and win2.model is not None
                    and win2.model.rowCount() == 1, timeout=3000)
    win2.table.selectRow(0)
    qtbot.waitUntil(lambda: win2.detail.record is not None
                    and win2.detail.record.id == case.id, timeout=3000)
    qtbot.mouseClick(child(win2, QPushButton, "btn_action_accept"), Qt.MouseButton.LeftButton)
    dlg = win2.action_dialog
    assert dlg is not None and dlg.isVisible()
    assert child(dlg, QLineEdit, "field_accepted_on").text() == format_date(today_cst())
    type_chinese(child(dlg, QLineEdit, "field_mediator"), "包银山")
    qtbot.mouseClick(child(dlg, QPushButton, "btn_action_ok"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win2.action_dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: child(win2, QLabel, "detail_status").text() == "已受理",
                    timeout=5000)

    cal = desk.calendar()
    start_by = cal.add_workdays(today_cst(), 7)
    finish_by = cal.add_days_with_rollover(today_cst(), 30)
    assert child(win2, QLabel, "value_mediator").text() == "包银山"
    assert child(win2, QLabel, "value_start_by").text() == format_date(start_by)
    assert child(win2, QLabel, "value_finish_by").text() == format_date(finish_by)
    due = child(win2, QLabel, "detail_due")
    assert due.isVisibleTo(win2) and due.text() == f"开始调解期限：{format_date(start_by)}"
    assert desk.count(Query(kind="mediation", status="accepted")) == 1
    win2.close()
