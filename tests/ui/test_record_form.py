"""Forms built from the record-kind declarations: editors, inline errors, saving."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QPushButton, QWidget

from tests.conftest import GOOD_CONSULTATION
from tests.ui.qt_helpers import child, leave, type_chinese
from ui.editors import (
    BoolEditor,
    ChoiceEditor,
    DateEditor,
    DateTimeEditor,
    GroupEditor,
    IntEditor,
    LineEditor,
    MultiChoiceEditor,
    TextAreaEditor,
)
from ui.record_form import ActionDialog, RecordForm
from xingan_desk.records.fields import (
    BoolField,
    ChoiceField,
    DateField,
    DateTimeField,
    GroupField,
    IntField,
    MultiChoiceField,
    TextField,
)
from xingan_desk.records.kinds import KINDS
from xingan_desk.views import Query

BAD_USCC = "91152201MA0N12340A"  # check character should be P


def _form(qtbot: Any, desk: Any, runner: Any, kind: str, **kw: Any) -> RecordForm:
    form = RecordForm(desk, runner, kind, **kw)
    qtbot.addWidget(form)
    form.resize(800, 700)
    form.show()
    return form


def _expected_editor(f: Any) -> type:
    if isinstance(f, GroupField):
        return GroupEditor
    if isinstance(f, MultiChoiceField):
        return MultiChoiceEditor
    if isinstance(f, ChoiceField):
        return ChoiceEditor
    if isinstance(f, BoolField):
        return BoolEditor
    if isinstance(f, DateTimeField):
        return DateTimeEditor
    if isinstance(f, DateField):
        return DateEditor
    if isinstance(f, IntField):
        return IntEditor
    if isinstance(f, TextField) and f.multiline:
        return TextAreaEditor
    return LineEditor


@pytest.mark.parametrize("kind_key", list(KINDS))
def test_form_has_one_named_editor_per_intake_field(qtbot: Any, desk: Any, runner: Any,
                                                    kind_key: str) -> None:
    kind = KINDS[kind_key]
    form = _form(qtbot, desk, runner, kind_key)
    intake = [f.key for f in kind.intake_fields]
    assert list(form.editors) == intake  # paper-form order
    for f in kind.intake_fields:
        ed = form.editors[f.key]
        assert type(ed) is _expected_editor(f), f.key
        assert form.findChild(QWidget, f"field_{f.key}") is ed.widget
        if f.required and not isinstance(f, BoolField):
            label = child(form, QLabel, f"label_{f.key}")
            assert "＊" in label.text()
    # action-only and derived fields are not typed in the intake form
    assert all(form.findChild(QWidget, f"field_{f.key}") is None
               for f in kind.fields if f.stage != "intake")
    assert child(form, QWidget, "btn_save").isEnabled()


GOOD_USCC = "91152201MA0N12340P"
BAD_VALUES = {  # kind: (field, bad value, part of the message, a good value)
    "consultation": ("enterprise_uscc", BAD_USCC, "校验位", GOOD_USCC),
    "enterprise": ("uscc", BAD_USCC, "校验位", GOOD_USCC),
    "preexam_filing": ("enterprise_uscc", BAD_USCC, "校验位", GOOD_USCC),
    "preexam_case": ("applicant_uscc", BAD_USCC, "校验位", GOOD_USCC),
    "mediation": ("applied_on", "2026-02-30", "不是有效日期", "2026-02-27"),
    "rating": ("rater_phone", "1381234567", "11位", "13812345678"),
    "mediator": ("phone", "1381234567", "11位", "13812345678"),
    # the plan's ledgers
    "patent": ("patent_no", "ZL201310699744.3", "校验位", "ZL201310699744.2"),
    "pledge": ("enterprise_uscc", BAD_USCC, "校验位", GOOD_USCC),
    "insurance": ("insured_uscc", BAD_USCC, "校验位", GOOD_USCC),
    "navigation": ("starts_on", "2026-02-30", "不是有效日期", "2026-02-27"),
    "agency": ("serving_since", "2026-02-30", "不是有效日期", "2026-02-27"),
}


@pytest.mark.parametrize("kind_key", list(KINDS))
def test_bad_value_shows_validator_message_beside_field(qtbot: Any, desk: Any, runner: Any,
                                                        kind_key: str) -> None:
    key, value, expected, good = BAD_VALUES[kind_key]
    form = _form(qtbot, desk, runner, kind_key)
    ed = form.editors[key]
    ed.widget.setFocus()
    ed.widget.clear()
    qtbot.keyClicks(ed.widget, value)  # ASCII only
    leave(ed.widget)
    label = child(form, QLabel, f"error_{key}")
    assert label.isVisibleTo(form)
    _, errors = KINDS[kind_key].clean({key: value}, keys=(key,))
    assert label.text() == errors[key]  # exactly the validator's Chinese message
    assert expected in label.text()
    assert ed.widget.property("invalid") is True
    # fixing it clears the message
    ed.widget.clear()
    qtbot.keyClicks(ed.widget, good)
    leave(ed.widget)
    assert not label.isVisibleTo(form)
    assert ed.widget.property("invalid") is False


def test_long_paste_keeps_text_and_shows_length_message(qtbot: Any, desk: Any,
                                                        runner: Any) -> None:
    form = _form(qtbot, desk, runner, "consultation")
    name = child(form, QLineEdit, "field_visitor_name")
    QApplication.clipboard().setText("王" * 5000)
    name.setFocus()
    name.paste()
    assert len(name.text()) == 5000
    leave(name)
    label = child(form, QLabel, "error_visitor_name")
    assert label.isVisibleTo(form)
    assert "不能超过50个字" in label.text() and "5000" in label.text()
    form.save()  # refused before reaching the store: text still there, focus on the field
    assert len(name.text()) == 5000
    assert "不能超过50个字" in label.text()
    assert desk.count(Query(kind="consultation")) == 0


def test_save_refused_keeps_input_and_focuses_first_bad_field(qtbot: Any, desk: Any,
                                                              runner: Any) -> None:
    form = _form(qtbot, desk, runner, "consultation")
    qtbot.waitExposed(form)
    phone = child(form, QLineEdit, "field_visitor_phone")
    qtbot.keyClicks(phone, "13812345678")
    type_chinese(child(form, QLineEdit, "field_enterprise_name"), "兴安新材料有限公司")
    qtbot.mouseClick(child(form, QWidget, "btn_save"), Qt.MouseButton.LeftButton)
    errors = {k: ed.error for k, ed in form.editors.items() if ed.error}
    assert set(errors) == {"topics", "question"}
    assert errors["question"] == "请填写咨询内容摘要"
    first = form.editors["topics"]
    qtbot.waitUntil(lambda: any(b.hasFocus() for b in first.checks.values()), timeout=2000)
    assert phone.text() == "13812345678"
    assert child(form, QLineEdit, "field_enterprise_name").text() == "兴安新材料有限公司"
    assert "有2处需要修改" in child(form, QLabel, "form_error").text()


def _fill_good_consultation(form: RecordForm) -> None:
    for key, value in GOOD_CONSULTATION.items():
        form.editors[key].set(value)


def test_double_click_on_save_saves_once(qtbot: Any, desk: Any, runner: Any) -> None:
    form = _form(qtbot, desk, runner, "consultation")
    _fill_good_consultation(form)
    saved: list[Any] = []
    form.saved.connect(lambda view, _changes: saved.append(view))
    btn = child(form, QWidget, "btn_save")
    qtbot.mouseDClick(btn, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
    form.save()  # Ctrl+S pressed as well
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert runner.wait_idle()
    assert len(saved) == 1
    assert desk.count(Query(kind="consultation")) == 1


def test_store_side_errors_come_back_beside_the_field(qtbot: Any, desk: Any,
                                                      runner: Any) -> None:
    desk.create("enterprise", {"uscc": "91152201MA0N12340P", "name": "兴安新材料有限公司",
                               "county_code": "152201"})
    form = _form(qtbot, desk, runner, "enterprise")
    form.editors["uscc"].set("91152201MA0N12340P")
    form.editors["name"].set("另一家公司")
    form.editors["county_code"].set("152201")
    form.save()
    qtbot.waitUntil(lambda: form.editors["uscc"].error is not None, timeout=5000)
    assert "已在企业库中" in (form.editors["uscc"].error or "")
    assert child(form, QWidget, "btn_save").isEnabled()
    assert form.editors["name"].get() == "另一家公司"


def test_known_credit_code_fills_enterprise_and_contact(qtbot: Any, desk: Any,
                                                        runner: Any) -> None:
    desk.create("enterprise", {"uscc": "91152201MA0N12340P", "name": "兴安新材料有限公司",
                               "county_code": "152201", "contact_name": "王芳",
                               "contact_phone": "13812345678"})
    form = _form(qtbot, desk, runner, "preexam_filing")
    form.editors["contact_name"].set("李娜")  # typed already: kept
    uscc = child(form, QLineEdit, "field_enterprise_uscc")
    qtbot.keyClicks(uscc, "91152201ma0n12340p")
    leave(uscc)
    assert form.editors["enterprise_uscc"].error is None
    assert form.editors["enterprise_name"].get() == "兴安新材料有限公司"
    assert form.editors["county_code"].get() == "152201"
    assert form.editors["contact_phone"].get() == "13812345678"
    assert form.editors["contact_name"].get() == "李娜"


def test_group_editor_rows_and_multichoice(qtbot: Any, desk: Any, runner: Any) -> None:
    form = _form(qtbot, desk, runner, "mediation")
    applicants = form.editors["applicants"]
    assert isinstance(applicants, GroupEditor)
    assert applicants.row_count() == 1  # required group starts with one card
    qtbot.mouseClick(child(form, QWidget, "field_applicants_add"), Qt.MouseButton.LeftButton)
    assert applicants.row_count() == 2
    qtbot.mouseClick(child(form, QWidget, "field_applicants_1_remove"), Qt.MouseButton.LeftButton)
    assert applicants.row_count() == 1
    cform = _form(qtbot, desk, runner, "consultation")
    box = child(cform, QCheckBox, "field_topics_preexam")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert cform.editors["topics"].get() == ["preexam"]


def test_draft_autosave_and_restore(qtbot: Any, desk: Any, runner: Any) -> None:
    form = _form(qtbot, desk, runner, "consultation")
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    form.autosave(wait=True)
    drafts = desk.drafts()
    assert len(drafts) == 1 and drafts[0][1] == "consultation"
    assert drafts[0][3]["raw"]["visitor_name"] == "王芳"
    again = _form(qtbot, desk, runner, "consultation", values=drafts[0][3]["raw"],
                  draft_id=drafts[0][0])
    assert again.editors["visitor_name"].get() == "王芳"
    again.cancel(ask=False)
    assert runner.wait_idle()
    assert desk.drafts() == []


def test_action_dialog_has_the_action_fields_and_required_marks(qtbot: Any, desk: Any,
                                                                runner: Any) -> None:
    from tests.conftest import GOOD_MEDIATION

    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    wf = KINDS["mediation"].workflow
    assert wf is not None
    dlg = ActionDialog(desk, runner, rec, wf.action("accept"))
    qtbot.addWidget(dlg)
    assert list(dlg.editors) == ["accepted_on", "mediator"]
    assert "＊" in child(dlg, QLabel, "label_mediator").text()
    assert dlg.editors["accepted_on"].get()  # today, prefilled
    dlg.submit()  # admin may accept; mediator name missing → message beside the field
    qtbot.waitUntil(lambda: dlg.editors["mediator"].error is not None, timeout=5000)
    assert dlg.editors["mediator"].error == "请填写调解员"


def test_mediator_field_offers_the_roster_and_a_session_starts_empty(qtbot: Any, desk: Any,
                                                                     runner: Any) -> None:
    from tests.conftest import GOOD_MEDIATION

    desk.create("mediator", {"name": "包银山", "post": "主任", "active": True})
    desk.create("mediator", {"name": "吴德力格尔", "post": "委员", "active": False})
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    wf = KINDS["mediation"].workflow
    assert wf is not None
    dlg = ActionDialog(desk, runner, rec, wf.action("accept"))
    qtbot.addWidget(dlg)
    edit = dlg.editors["mediator"].widget
    qtbot.waitUntil(lambda: edit.completer() is not None, timeout=5000)
    model = edit.completer().model()
    names = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert names == ["包银山"]  # active entries only
    assert "包银山（在办0件）" in edit.toolTip()
    desk.act(rec.id, "accept", {"accepted_on": "2026-03-03", "mediator": "包银山"})
    desk.act(rec.id, "start", {"consent": "agreed", "started_on": "2026-03-03"})
    desk.act(rec.id, "record_session", {"sessions": [{
        "date": "2026-03-04", "place": "调解室", "mediators": "包银山", "present": "双方",
        "statements": "陈述", "result": "continue"}]})
    again = ActionDialog(desk, runner, desk.get(rec.id), wf.action("record_session"))
    qtbot.addWidget(again)
    rows = again.editors["sessions"].get()  # one blank row for the new session, no old ones
    assert all(not any(row.values()) for row in rows or [])


@pytest.mark.parametrize(("pragma", "words"), [
    ("query_only = ON", "只读"),  # what SQLite says when the file or disk became read-only
    ("max_page_count = 1", "磁盘空间已满"),  # and when the disk is full
])
def test_store_that_cannot_write_keeps_the_form_and_says_why(
        qtbot: Any, desk: Any, runner: Any, pragma: str, words: str) -> None:
    """The data file became read-only (or the disk filled up) while the clerk typed: saving
    says so in Chinese, the form keeps every value, and saving works once it is fixed."""
    from PySide6.QtWidgets import QMessageBox
    from sqlalchemy import event

    long_answer = "可先办理预审备案，备案通过后提交预审。" * 100  # needs new pages in the file
    form = _form(qtbot, desk, runner, "consultation",
                 values={**GOOD_CONSULTATION, "answer": long_answer})
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳芳")
    typed = form.raw()
    engine = desk.engine

    def refuse_writes(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA {pragma}")

    engine.dispose()
    event.listen(engine, "connect", refuse_writes)
    try:
        form.save()
        qtbot.waitUntil(lambda: form.findChild(QMessageBox, "error_dialog") is not None,
                        timeout=5000)
        box = form.findChild(QMessageBox, "error_dialog")
        assert words in box.text() and "Traceback" not in box.text()
        assert form.raw() == typed and form.btn_save.isEnabled()
        box.close()
    finally:
        event.remove(engine, "connect", refuse_writes)
        engine.dispose()
    assert desk.count(Query(kind="consultation")) == 0  # nothing half-written
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    assert desk.count(Query(kind="consultation", text="王芳芳")) == 1


REGISTRY_CONTACT = {"uscc": GOOD_USCC, "name": "兴安新材料有限公司", "county_code": "152201",
                    "contact_name": "姚佳琪", "contact_phone": "13657174179"}


def test_handover_keeps_the_consultations_contact_when_the_code_is_left(qtbot: Any, desk: Any,
                                                                         runner: Any) -> None:
    desk.create("enterprise", REGISTRY_CONTACT)
    cons, _ = desk.create("consultation", GOOD_CONSULTATION)
    form = _form(qtbot, desk, runner, "preexam_filing",
                 values=desk.handover(cons.id, "preexam_filing"), handover_from=cons.id)
    assert form.editors["contact_name"].get() == "王芳"
    uscc = child(form, QLineEdit, "field_enterprise_uscc")
    uscc.setFocus()
    leave(uscc)  # the registry lookup runs: it must not replace what the visitor said
    assert form.editors["contact_name"].get() == "王芳"
    assert form.editors["contact_phone"].get() == "13812345678"


def test_registry_never_gives_a_visitor_the_contacts_phone(qtbot: Any, desk: Any,
                                                           runner: Any) -> None:
    desk.create("enterprise", REGISTRY_CONTACT)
    form = _form(qtbot, desk, runner, "consultation")
    said: list[str] = []
    form.message.connect(said.append)
    uscc = child(form, QLineEdit, "field_enterprise_uscc")
    qtbot.keyClicks(uscc, GOOD_USCC)
    leave(uscc)
    assert form.editors["enterprise_name"].get() == "兴安新材料有限公司"
    assert form.editors["visitor_phone"].get() in (None, "")
    assert form.editors["visitor_name"].get() in (None, "")
    assert said and "单位名称" in said[-1] and "联系电话" not in said[-1]


def _tab_walk(qtbot: Any, start: QWidget, stop: str, limit: int = 80) -> list[str]:
    """Press Tab from `start` until the widget named `stop` has the focus; the names seen."""
    start.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is start.window(), timeout=2000)
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen = [start.objectName()]
    for _ in range(limit):
        w = QApplication.focusWidget()
        assert w is not None
        qtbot.keyClick(w, Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        assert now is not None
        seen.append(now.objectName())
        if now.objectName() == stop:
            return seen
    raise AssertionError(f"Tab never reached {stop}: {seen}")


def test_party_cards_by_keyboard_with_chinese_and_paste(qtbot: Any, desk: Any,
                                                        runner: Any) -> None:
    """Issue 11.2: Tab goes through each party card, 添加, the next group and on to the rest
    of the form (no trap); Chinese arrives whole; Ctrl+V pastes; nothing scrolls sideways at
    1366×768 and a phone number is shown in full."""
    from tests.ui.qt_helpers import open_main_window

    win = open_main_window(qtbot, desk, runner)
    win.goto_area("mediation")
    form = win.new_record("mediation")
    qtbot.waitUntil(lambda: form.isVisible())
    first = child(form, QWidget, "field_applicants_0_party_type")
    seen = _tab_walk(qtbot, first, "btn_save")
    order = [n for n in seen if n.startswith(("field_applicants", "field_respondents",
                                             "field_right_type"))]
    assert order[:12] == [
        "field_applicants_0_party_type", "field_applicants_0_name", "field_applicants_0_uscc",
        "field_applicants_0_legal_rep", "field_applicants_0_id_number",
        "field_applicants_0_gender", "field_applicants_0_ethnicity",
        "field_applicants_0_occupation", "field_applicants_0_phone",
        "field_applicants_0_address", "field_applicants_0_remove", "field_applicants_add"]
    assert order[12] == "field_respondents_0_party_type"
    assert order.index("field_respondents_add") < order.index("field_right_type")
    assert len(seen) == len(set(seen))  # every stop once: no cycle inside a group

    # 增加一行 by keyboard: the new card is in the Tab order between the first and 添加
    add = child(form, QPushButton, "field_applicants_add")
    add.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(add, Qt.Key.Key_Space)
    assert form.editors["applicants"].row_count() == 2
    assert QApplication.focusWidget() is child(form, QWidget, "field_applicants_1_party_type")
    seen = _tab_walk(qtbot, child(form, QWidget, "field_applicants_0_address"),
                     "field_respondents_0_party_type")
    assert seen[1:3] == ["field_applicants_0_remove", "field_applicants_1_party_type"], seen
    assert seen[-2] == "field_applicants_add"

    # Chinese typed through an input method arrives whole, in a real line edit
    name = child(form, QLineEdit, "field_applicants_1_name")
    type_chinese(name, "王芳")
    assert name.text() == "王芳"
    # Ctrl+V pastes into a party's blank
    QApplication.clipboard().setText("13800138000")
    phone = child(form, QLineEdit, "field_applicants_1_phone")
    phone.setFocus()
    qtbot.keyClick(phone, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert phone.text() == "13800138000"
    assert form.editors["applicants"].get()[1]["name"] == "王芳"
    assert form.editors["applicants"].get()[1]["phone"] == "13800138000"

    # fits: no sideways scrolling, the phone shown in full
    assert form.scroll_area.horizontalScrollBar().maximum() == 0
    assert phone.width() > phone.fontMetrics().horizontalAdvance("13800138000") + 10
    win.close()


def test_party_group_error_waits_for_leaving_and_summary_clears(qtbot: Any, desk: Any,
                                                                runner: Any) -> None:
    """Issue 11.5: entering the empty 当事人 group shows no error; the error summary of a
    failed save goes away once every field is fixed."""
    form = _form(qtbot, desk, runner, "mediation")
    form.resize(900, 700)
    applicants = form.editors["applicants"]
    kind = child(form, QWidget, "field_applicants_0_party_type")
    kind.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(kind, Qt.Key.Key_Tab)  # into the card's next blank: still inside
    qtbot.wait(20)
    assert applicants.error is None
    assert not child(form, QLabel, "error_applicants").isVisible()

    form.save()  # empty form: errors and a summary
    summary = child(form, QLabel, "form_error")
    assert summary.isVisible() and "申请人" in summary.text()
    values = {
        "applied_on": "2026-03-02",
        "applicants": [{"party_type": "person", "name": "王芳", "phone": "13800138000"}],
        "respondents": [{"party_type": "person", "name": "李强"}],
        "right_type": "patent", "dispute_type": "infringement",
        "facts": "对方未经许可制造销售。", "claims": "请求停止侵权。",
    }
    for key, value in values.items():
        ed = form.editors[key]
        ed.set(value)
        ed._on_edited()
        ed._on_left()
    qtbot.wait(20)
    assert all(ed.error is None for ed in form.editors.values()), \
        {k: ed.error for k, ed in form.editors.items() if ed.error}
    assert not summary.isVisible()


FILING = {"enterprise_uscc": GOOD_USCC, "enterprise_name": "兴安新材料有限公司",
          "county_code": "152201", "field": "new_materials", "contact_name": "王芳",
          "contact_phone": "13812345678", "invention_patents": 1, "guided_on": "2026-03-05",
          "materials": []}


def test_enterprise_name_looks_the_registry_up(qtbot: Any, desk: Any, runner: Any) -> None:
    """Issue 11.4: 单位名称 finds the enterprise by part of its name; choosing it fills the
    credit code (and the registry fills the rest as usual)."""
    desk.create("enterprise", REGISTRY_CONTACT)
    desk.create("enterprise", {"uscc": "92152224MA7Q000118", "name": "突泉县某农机有限公司",
                               "county_code": "152224"})
    form = _form(qtbot, desk, runner, "consultation")
    name = child(form, QLineEdit, "field_enterprise_name")
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form, timeout=2000)
    type_chinese(name, "新材料")
    name.textEdited.emit(name.text())  # an input method's commit counts as typing
    shown = form.lookups[0].list
    qtbot.waitUntil(shown.isVisible, timeout=3000)
    assert name.hasFocus()  # the list never takes the keyboard (input methods keep working)
    assert [shown.item(i).text() for i in range(shown.count())] == [
        f"兴安新材料有限公司　{GOOD_USCC}"]
    qtbot.keyClick(name, Qt.Key.Key_Down)
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert not shown.isVisible()
    assert name.text() == "兴安新材料有限公司"
    assert form.editors["enterprise_uscc"].get() == GOOD_USCC
    assert form.editors["visitor_region"].get() == "152201"  # the registry's county
    assert form.editors["visitor_phone"].get() in (None, "")  # never the contact's phone


def test_second_active_filing_for_an_enterprise_asks_first(qtbot: Any, desk: Any,
                                                           runner: Any) -> None:
    """Issue 11.4: a second 预审备案 for an enterprise with an active one is not saved
    without the clerk's confirmation."""
    first, _ = desk.create("preexam_filing", FILING)
    form = _form(qtbot, desk, runner, "preexam_filing", values=dict(FILING))
    form.save()
    qtbot.waitUntil(lambda: form.duplicate_box is not None, timeout=3000)
    box = form.duplicate_box
    assert first.receipt_no in box.text()
    qtbot.mouseClick(child(box, QPushButton, "btn_duplicate_back"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.btn_save.isEnabled(), timeout=3000)
    assert desk.count(Query(kind="preexam_filing")) == 1
    form.save()
    qtbot.waitUntil(lambda: form.duplicate_box is not None, timeout=3000)
    with qtbot.waitSignal(form.saved, timeout=5000):
        qtbot.mouseClick(child(form.duplicate_box, QPushButton, "btn_duplicate_save"),
                         Qt.MouseButton.LeftButton)
    assert desk.count(Query(kind="preexam_filing")) == 2
    # a cancelled one does not count
    desk.act(first.id, "cancel", {"cancel_reason": "企业放弃"})
    again = _form(qtbot, desk, runner, "preexam_filing",
                  values={**FILING, "enterprise_uscc": "92152224MA7Q000118",
                          "enterprise_name": "突泉县某农机有限公司"})
    with qtbot.waitSignal(again.saved, timeout=5000):
        again.save()
    assert again.duplicate_box is None


def test_topics_are_one_tab_stop_with_arrow_keys(qtbot: Any, desk: Any, runner: Any) -> None:
    """Issue 11.4: the 15 topic boxes are one Tab stop; arrows move, Space ticks."""
    form = _form(qtbot, desk, runner, "consultation")
    topics = form.editors["topics"]
    boxes = list(topics.checks.values())
    assert len(boxes) >= 10
    region = child(form, QWidget, "field_visitor_region")
    seen = _tab_walk(qtbot, region, "field_ip_numbers")
    assert seen == ["field_visitor_region", boxes[0].objectName(), "field_ip_numbers"]
    boxes[0].setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(boxes[0], Qt.Key.Key_Right)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert QApplication.focusWidget() is boxes[1 + topics.COLUMNS]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert topics.get() == [list(topics.checks)[1 + topics.COLUMNS]]
    # Shift+Tab leaves the group backwards in one step, Tab comes back to the box last used
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is region
    qtbot.keyClick(region, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is boxes[1 + topics.COLUMNS]


def test_mediation_intake_with_two_parties_by_keyboard_only(qtbot: Any, desk: Any,
                                                            runner: Any) -> None:
    """Issue 11.4: a mediation intake with an applicant and a respondent, typed from the
    keyboard only (keyClicks/keyClick: Ctrl+N, Tab, ↓ in lists, Ctrl+S), at 1366×768."""
    from tests.ui.qt_helpers import open_main_window

    win = open_main_window(qtbot, desk, runner)

    def keys(text: str) -> None:
        qtbot.keyClicks(QApplication.focusWidget(), text)

    def key(k: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
            times: int = 1) -> None:
        for _ in range(times):
            w = QApplication.focusWidget()
            assert w is not None
            qtbot.keyClick(w, k, mod)

    def tab_to(name: str) -> None:
        for _ in range(40):
            if QApplication.focusWidget().objectName() == name:
                return
            key(Qt.Key.Key_Tab)
        raise AssertionError(f"Tab did not reach {name}")

    key(Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # 调解受理
    assert win.area == "mediation"
    key(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    form = win.form
    assert form.isAncestorOf(QApplication.focusWidget())
    tab_to("field_applied_on")
    key(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    keys("2026-03-02")
    tab_to("field_applicants_0_party_type")
    key(Qt.Key.Key_Down)  # 自然人
    key(Qt.Key.Key_Tab)
    keys("Wang Fang")
    tab_to("field_applicants_0_phone")
    keys("13800138000")
    tab_to("field_respondents_0_party_type")
    key(Qt.Key.Key_Down, times=2)  # 法人或其他组织
    key(Qt.Key.Key_Tab)
    keys("Tuquan Nongji Co")
    key(Qt.Key.Key_Tab)
    keys("92152224MA7Q000118")
    tab_to("field_right_type")
    key(Qt.Key.Key_Down)  # 专利
    tab_to("field_dispute_type")
    key(Qt.Key.Key_Down)
    tab_to("field_facts")
    keys("Infringing seeders sold since 2025.")
    key(Qt.Key.Key_Tab)
    keys("Stop and pay damages.")
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        key(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    view = saved.args[0]
    assert view.kind == "mediation"
    parties = (view.values["applicants"], view.values["respondents"])
    assert parties[0][0]["name"] == "Wang Fang" and parties[0][0]["phone"] == "13800138000"
    assert parties[1][0]["party_type"] == "org"
    assert parties[1][0]["uscc"] == "92152224MA7Q000118"
    win.close()


def test_an_error_fixed_through_another_field_goes_with_the_summary(qtbot: Any, desk: Any,
                                                                    runner: Any) -> None:
    """Issue 11.5: 委托代理机构 ticked without a name → error; unticking it fixes the form, so
    the name's error and the summary go."""
    form = _form(qtbot, desk, runner, "preexam_filing", values={**FILING, "uses_agency": True})
    form.save()
    assert form.editors["agency_name"].error
    summary = child(form, QLabel, "form_error")
    assert summary.isVisible()
    agency = form.editors["uses_agency"]
    agency.set(False)
    agency._on_edited()
    agency._on_left()
    assert form.editors["agency_name"].error is None
    assert not summary.isVisible()
