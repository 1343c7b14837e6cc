"""Forms built from the record-kind declarations: editors, inline errors, saving."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QWidget

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
    assert applicants.table.rowCount() == 1  # required group starts with one row
    qtbot.mouseClick(child(form, QWidget, "field_applicants_add"), Qt.MouseButton.LeftButton)
    assert applicants.table.rowCount() == 2
    applicants.table.selectRow(1)
    qtbot.mouseClick(child(form, QWidget, "field_applicants_remove"), Qt.MouseButton.LeftButton)
    assert applicants.table.rowCount() == 1
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
