"""SCENARIOS.md, a day at the window, driven through the real main window (offscreen).

Scenario 1: a consultation becomes a pre-examination filing (League hall, window 01).
Scenario 3: acceptance, the statutory clock, agreement and the 司法确认 window, printed papers.
Scenario 5: a hard day for the machine (bad codes, an impossible birth date, a rare character).
The other scenarios live where their parts are: 2 and 4 in tests/sync (offline window, two
places editing one enterprise), 6 in the statistics tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from tests.conftest import ADMIN_PASSWORD, GOOD_MEDIATION
from tests.ui.qt_helpers import child, leave, open_main_window, type_chinese
from ui.main_window import MainWindow
from xingan_desk.catalogs import active_choices
from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.timeutil import format_date, today_cst

pypdf = pytest.importorskip("pypdf")


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    return open_main_window(qtbot, desk, runner)  # type: ignore[no-any-return]


def _print_via_menu(qtbot: Any, win: MainWindow, key: str) -> Path:
    """Open 打印文书… and pick a document; returns the previewed PDF."""
    win.preview = None  # type: ignore[assignment]
    button = child(win, QPushButton, "btn_print_document")
    menu = button.menu()
    assert menu is not None
    actions = {a.objectName(): a for a in menu.actions()}
    assert f"print_{key}" in actions, sorted(actions)
    actions[f"print_{key}"].trigger()
    qtbot.waitUntil(lambda: getattr(win, "preview", None) is not None, timeout=10000)
    path = Path(win.preview.path)
    win.preview.close()
    return path


@pytest.fixture
def league_hall(tmp_path: Path) -> Any:
    d = Desk.initialise(tmp_path / "hall", "152200", "01", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    d.add_user("clerk1", "李娜", "clerk", "Clerk2026a")
    d.use_account("clerk1")
    yield d
    d.close()


def test_scenario_1_consultation_becomes_preexam_filing(qtbot: Any, league_hall: Desk,
                                                        runner: Any) -> None:
    desk = league_hall
    desk.use_account("admin")
    desk.create("enterprise", {
        "uscc": "91152201MA0N12340P", "name": "兴安新材料有限公司", "county_code": "152201",
        "industry": "new_materials", "invention_patents": 1, "contact_name": "王芳",
        "contact_phone": "13812345678"})
    desk.use_account("clerk1")
    win = _window(qtbot, desk, runner)

    # 09:10 Ms 王 asks how to get patents examined faster: a consultation, keyboard first.
    qtbot.keyClick(win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    form = win.form
    assert form is not None and form.kind.key == "consultation"
    type_chinese(child(form, QLineEdit, "field_visitor_name"), "王芳")
    qtbot.keyClicks(child(form, QLineEdit, "field_visitor_phone"), "13812345678")
    uscc = child(form, QLineEdit, "field_enterprise_uscc")
    qtbot.keyClicks(uscc, "91152201ma0n12340p")  # lower case, as typed in a hurry
    leave(uscc)
    # the enterprise comes from the registry
    assert form.editors["enterprise_name"].get() == "兴安新材料有限公司"
    qtbot.mouseClick(child(form, QCheckBox, "field_topics_preexam"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(child(form, QCheckBox, "field_topics_policy"), Qt.MouseButton.LeftButton)
    type_chinese(child(form, QPlainTextEdit, "field_question"), "新材料企业如何加快专利审查？")
    type_chinese(child(form, QPlainTextEdit, "field_answer"), "可办理专利预审备案，走快速预审通道。")
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is None and win.detail.record is not None, timeout=5000)
    consultation = win.detail.record
    assert consultation is not None and consultation.kind == "consultation"
    assert consultation.receipt_no.startswith("ZX-152200-01-")
    assert set(consultation.values["topics"]) == {"preexam", "policy"}

    # One click: hand over to a 预审备案; enterprise and contact carry across.
    qtbot.mouseClick(child(win, QPushButton, "btn_handover_preexam_filing"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    filing_form = win.form
    assert filing_form.kind.key == "preexam_filing"
    ed = filing_form.editors
    assert ed["enterprise_uscc"].get() == "91152201MA0N12340P"
    assert ed["enterprise_name"].get() == "兴安新材料有限公司"
    assert ed["contact_name"].get() == "王芳"
    assert ed["contact_phone"].get() == "13812345678"
    assert ed["county_code"].get() == "152201"
    assert ed["field"].get() == "new_materials"
    assert ed["invention_patents"].get() == 1
    assert ed["source_consultation"].get() == consultation.receipt_no

    # Two materials are missing: the clerk ticks the rest as received.
    materials = dict(active_choices("preexam_materials"))
    missing = {materials["social_insurance"], materials["rd_expense"]}
    rows = ed["materials"].get()
    for r, row in enumerate(rows):
        combo = child(filing_form, QComboBox, f"field_materials_{r}_status")
        combo.setCurrentIndex(combo.findData("missing" if row["item"] in missing else "received"))
    qtbot.mouseClick(child(filing_form, QPushButton, "btn_save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is None and win.detail.record is not None
                    and win.detail.record.kind == "preexam_filing", timeout=5000)
    filing = win.detail.record
    assert filing.receipt_no.startswith("BA-152200-01-")
    assert desk.get(consultation.id).values["handed_over_to"] == filing.receipt_no

    # The 一次性告知书 lists exactly those two, with the deadline in working days.
    pdf = _print_via_menu(qtbot, win, "onetime_notice")
    text = _pdf_text(pdf).replace("\n", "")
    for item in materials.values():
        assert (item in text) == (item in missing), item
    assert "尚需补充或补正以下2项材料" in text
    days = int(desk.setting("notice_days", 5) or 5)
    due = desk.calendar().add_workdays(today_cst(), days)
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert f"{days}个工作日内" in text
    assert filing.receipt_no in text

    # Ms 王 rates the service 满意 on the way out.
    qtbot.mouseClick(child(win, QPushButton, "btn_rate"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    rating_form = win.form
    assert rating_form.kind.key == "rating"
    assert rating_form.editors["service_no"].get() == filing.receipt_no
    level = child(rating_form, QComboBox, "field_level")
    level.setCurrentIndex(level.findData("4"))
    assert level.currentText().endswith("满意")
    qtbot.mouseClick(child(rating_form, QPushButton, "btn_save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.form is None and win.detail.record is not None
                    and win.detail.record.kind == "rating", timeout=5000)
    rating = win.detail.record
    assert rating.values["service_no"] == filing.receipt_no and rating.values["level"] == "4"
    win.close()


def test_scenario_3_acceptance_clock_agreement_and_papers(qtbot: Any, desk: Any,
                                                          runner: Any) -> None:
    """The committee accepts, assigns, the respondent agrees, an agreement is signed: the app
    keeps the statutory dates (7 working days, 30 days, 30-day 司法确认 window rolled over a
    holiday) and prints the 受理通知书 and 人民调解协议书 with the free-of-charge statement."""
    desk.add_user("mediator1", "包银山", "mediator", "Mediator2026")
    cal = desk.calendar()
    # An agreement whose 30-day window ends in a (weekday) holiday of the shipped calendar; the
    # case was applied for and accepted a couple of weeks before it.
    effective = _day_whose_30_day_window_ends_on_a_holiday(cal, dt.date(2026, 1, 1))
    applied_on = effective - dt.timedelta(days=14)
    accepted_on = cal.add_workdays(applied_on, 2)
    case, _ = desk.create("mediation", {**GOOD_MEDIATION, "applied_on": format_date(applied_on)})
    desk.use_account("mediator1")
    desk.act(case.id, "accept", {"accepted_on": format_date(accepted_on), "mediator": "包银山"})
    rec = desk.get(case.id)
    assert rec.values["start_by"] == cal.add_workdays(accepted_on, 7)
    assert rec.values["finish_by"] == cal.add_days_with_rollover(accepted_on, 30)

    desk.act(case.id, "start", {"consent": "agreed", "started_on": format_date(accepted_on)})
    # The last day of the 司法确认 window falls in a holiday: it rolls over to a working day.
    with pytest.raises(ValidationFailed) as refused:  # a written agreement needs its text
        desk.act(case.id, "settle", {"outcome": "written",
                                     "agreement_effective_on": format_date(effective)})
    assert refused.value.errors["agreement"].startswith("达成书面调解协议时请填写协议内容")
    desk.act(case.id, "settle", {"outcome": "written",
                                 "agreement": "一、被申请人停止生产销售涉案播种机。\n"
                                              "二、被申请人赔偿申请人经济损失人民币8万元。",
                                 "agreement_effective_on": format_date(effective)})
    rec = desk.get(case.id)
    plain_end = effective + dt.timedelta(days=30)
    window_end = rec.values["confirmation_deadline"]
    assert not cal.is_workday(plain_end)
    assert window_end > plain_end and cal.is_workday(window_end)
    assert window_end == cal.add_days_with_rollover(effective, 30)

    win = _window(qtbot, desk, runner)
    win.show_record(case.id)
    qtbot.waitUntil(lambda: win.detail.record is not None
                    and win.detail.record.id == case.id, timeout=3000)
    assert child(win, QLabel, "detail_status").text() == "调解成功"
    assert child(win, QLabel, "value_confirmation_deadline").text() == format_date(window_end)
    acceptance = _pdf_text(_print_via_menu(qtbot, win, "acceptance_notice"))
    agreement = _pdf_text(_print_via_menu(qtbot, win, "agreement")).replace("\n", "")
    assert "受理通知书" in acceptance and case.receipt_no in acceptance
    assert "人民调解协议书" in agreement and "不收取任何费用" in agreement
    assert "扎赉特旗丰收农机制造有限公司" in agreement and "签名" in agreement
    assert "盖章" in agreement
    win.close()


# --- scenario 3, the whole case file (卷宗) -------------------------------------------------------

PARTY_ID = "152223198001011235"
PARTY_ID_MASKED = "152***********1235"
PARTY_MOBILE = "13947112345"
PERSON_PARTY = {"party_type": "person", "name": "王建军", "id_number": PARTY_ID,
                "phone": PARTY_MOBILE, "gender": "male", "ethnicity": "蒙古族",
                "address": "扎赉特旗音德尔镇"}
CASE_FILE_TITLES = (
    "人民调解卷宗", "卷内目录", "人民调解申请书", "调解申请回执", "人民调解受理登记表",
    "当事人权利义务告知书", "受理通知书", "人民调解调查笔录", "人民调解笔录（第一次调解）",
    "人民调解笔录（第二次调解）", "人民调解协议书", "人民调解回访记录", "司法确认申请书",
    "司法确认结果登记表", "人民调解结案报告")


def _pages(path: Path) -> list[str]:
    return ["".join((page.extract_text() or "").split())
            for page in pypdf.PdfReader(str(path)).pages]


def _session(day: dt.date, n: int, result: str) -> dict[str, Any]:
    return {"date": format_date(day), "time": "9:00—11:30", "place": "调委会调解室",
            "mediators": "包银山", "recorder": "李娜", "present": "张建国、王建军、赵明",
            "statements": f"第{n}次调解：申请人陈述侵权事实，被申请人对赔偿数额提出异议。",
            "result": result, "result_note": "双方同意赔偿8万元" if result == "agreed" else ""}


def _open_dossier(qtbot: Any, win: MainWindow, case_id: str) -> Path:
    """打印卷宗 in the detail panel; returns the previewed PDF."""
    win.show_record(case_id)
    qtbot.waitUntil(lambda: win.detail.record is not None and win.detail.record.id == case_id
                    and win.findChild(QPushButton, "btn_print_dossier") is not None,
                    timeout=5000)
    win.preview = None  # type: ignore[assignment]
    qtbot.mouseClick(child(win, QPushButton, "btn_print_dossier"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(win, "preview", None) is not None, timeout=20000)
    path = Path(win.preview.path)
    win.preview.close()
    return path


def test_scenario_3_full_case_file_from_intake_to_judicial_confirmation(
        qtbot: Any, desk: Any, runner: Any, tmp_path: Path) -> None:
    """intake → 受理 → 调查 → two sessions → agreement → 回访 → 司法确认 → 结案: every part is
    recorded once, the mediator comes from the roster, and 打印卷宗 gives the cover, a 卷内目录
    whose page numbers are right, every document, the full ID on the agreement (audited) and a
    masked one on the receipt."""
    import shutil
    import subprocess

    desk.add_user("mediator1", "包银山", "mediator", "Mediator2026")
    roster_entry, _ = desk.create("mediator", {
        "name": "包银山", "post": "主任", "specialty": "专利侵权纠纷",
        "qualification": "律师执业资格", "employment": "part", "active": True})
    desk.create("mediator", {"name": "吴德力格尔", "post": "委员", "active": False})
    assert [e.name for e in desk.mediator_roster(active_only=True)] == ["包银山"]
    applied = dt.date(2026, 3, 2)
    case, _ = desk.create("mediation", {
        **GOOD_MEDIATION, "applied_on": format_date(applied),
        "applicants": [*GOOD_MEDIATION["applicants"], PERSON_PARTY]})
    desk.use_account("mediator1")
    day = applied + dt.timedelta(days=1)
    desk.act(case.id, "accept", {"accepted_on": format_date(day), "mediator": "包银山"})
    desk.act(case.id, "record_investigation", {"investigations": [{
        "date": format_date(day + dt.timedelta(days=1)), "place": "被申请人厂区",
        "investigators": "包银山", "recorder": "李娜", "subject": "赵明（被申请人生产主管）",
        "content": "问：涉案播种机何时开始生产？答：2025年10月。"}]})
    desk.act(case.id, "start", {"consent": "agreed", "started_on": format_date(day)})
    first, second = day + dt.timedelta(days=2), day + dt.timedelta(days=9)
    desk.act(case.id, "record_session", {"sessions": [_session(first, 1, "continue")]})
    desk.act(case.id, "record_session", {"sessions": [_session(second, 2, "agreed")]})
    desk.act(case.id, "settle", {
        "outcome": "written", "agreement": "一、被申请人停止生产销售涉案播种机。\n"
                                           "二、被申请人赔偿申请人经济损失人民币8万元。",
        "performance_terms": "2026年4月30日前一次性转账支付",
        "agreement_effective_on": format_date(second)})
    desk.act(case.id, "record_followup", {"followups": [{
        "date": format_date(second + dt.timedelta(days=5)), "visitor": "包银山",
        "visited": "张建国", "method": "phone", "performance": "partial",
        "findings": "已支付5万元", "next_steps": "月底再次回访"}]})
    desk.act(case.id, "apply_confirmation", {
        "confirmation_applied_on": format_date(second + dt.timedelta(days=6)),
        "confirmation_court": "扎赉特旗人民法院"})
    desk.act(case.id, "confirm", {"confirmation_result_on": format_date(second
                                                                        + dt.timedelta(days=9)),
                                  "confirmation_case_no": "（2026）内2223民特12号"})
    desk.act(case.id, "record_followup_confirmed", {"followups": [{
        "date": format_date(second + dt.timedelta(days=30)), "visitor": "包银山",
        "visited": "张建国", "method": "visit", "performance": "done", "findings": "已全部履行"}]})
    desk.act(case.id, "close_file_confirmed", {
        "closing_summary": "双方达成书面协议，经人民法院司法确认有效，已全部履行。",
        "filed_on": format_date(second + dt.timedelta(days=31)), "filed_by": "李娜",
        "retention": "long"})
    rec = desk.get(case.id)
    assert rec.status == "confirmed"
    # the repeating parts keep every row, in order; the latest visit is the case's 履行情况
    assert [r["result"] for r in rec.values["sessions"]] == ["continue", "agreed"]
    assert [r["performance"] for r in rec.values["followups"]] == ["partial", "done"]
    assert rec.values["performance"] == "done"
    entry = next(e for e in desk.mediator_roster() if e.name == "包银山")
    assert (entry.cases, entry.open_cases) == (1, 0)
    assert entry.record_id == roster_entry.id

    win = _window(qtbot, desk, runner)
    win.show_record(roster_entry.id)  # the roster entry shows the cases its mediator holds
    qtbot.waitUntil(lambda: win.detail.record is not None
                    and win.detail.record.id == roster_entry.id, timeout=5000)
    assert child(win, QLabel, "value__extra0").text() == "1件（在办0件）"
    path = _open_dossier(qtbot, win, case.id)
    win.close()
    pages = _pages(path)
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页共{total}页" in page  # numbered within the file
    whole = "".join(pages)
    for title in CASE_FILE_TITLES:
        assert title in whole, title
    # the 卷内目录 says on which page each document starts; check two of them
    lines = [ln.strip() for ln in
             (pypdf.PdfReader(str(path)).pages[1].extract_text() or "").splitlines()]
    assert "卷内目录" in lines

    def listed_page(title: str) -> int:
        return listed_pages(title)[0]

    def listed_pages(title: str) -> tuple[int, int]:
        i = lines.index(title)  # 序号 / 文件名称 / 日期 / 页号 ("14–15") one cell a line
        first, _, last = lines[i + 2].partition("–")
        return int(first), int(last or first)

    for title in ("人民调解协议书", "司法确认申请书"):
        start = listed_page(title)
        assert title in pages[start - 1] and title not in "".join(pages[2:start - 1])
    # full numbers where the document legally identifies the party; masked on the receipt
    a, b = listed_pages("人民调解协议书")
    agreement = "".join(pages[a - 1:b])
    assert listed_page("人民调解申请书") == 3  # after the cover and the 卷内目录
    assert PARTY_ID in agreement and PARTY_MOBILE in agreement
    application = pages[listed_page("司法确认申请书") - 1]
    assert PARTY_ID in application
    receipt = next(p for p in pages if "调解申请回执（存档联）" in p)
    assert PARTY_ID_MASKED in receipt and PARTY_ID not in receipt
    assert "ZL201310699744.2（发明专利）" in whole  # the type comes from the number
    assert "记录人" in agreement and "职务" in agreement
    assert "此表由人民调解委员会填写" in whole
    # printing it (not the preview) is logged as a paper with the full numbers (audited)
    from xingan_desk.printing import log_output

    log_output(desk, case.receipt_no, document="dossier")
    _, audit = desk.history(case.id)
    assert any(a.detail.startswith("人民调解卷宗（含完整证件号码和电话）") for a in audit)
    # rendered to PNG (one image per page, not blank)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")],
                       check=True)
        images = sorted(tmp_path.glob("p-*.png"))
        assert len(images) == total and all(i.stat().st_size > 2000 for i in images)


def test_scenario_3_second_case_ends_in_termination(qtbot: Any, desk: Any, runner: Any) -> None:
    """No agreement after a session: 终止调解 with its reason and notice (人民调解法 §26, other
    routes named), then 结案; the 卷宗 holds the termination notice and no agreement."""
    desk.add_user("mediator1", "包银山", "mediator", "Mediator2026")
    applied = dt.date(2026, 3, 2)
    case, _ = desk.create("mediation", {**GOOD_MEDIATION, "applied_on": format_date(applied)})
    desk.use_account("mediator1")
    day = applied + dt.timedelta(days=1)
    desk.act(case.id, "accept", {"accepted_on": format_date(day), "mediator": "包银山"})
    desk.act(case.id, "start", {"consent": "agreed", "started_on": format_date(day)})
    desk.act(case.id, "record_session", {"sessions": [_session(day, 1, "none")]})
    with pytest.raises(ValidationFailed) as refused:
        desk.act(case.id, "terminate", {"closed_on": format_date(day)})
    assert "termination_reason" in refused.value.errors
    desk.act(case.id, "terminate", {
        "termination_reason": "no_agreement", "termination_note": "双方对赔偿数额分歧过大",
        "closed_on": format_date(day + dt.timedelta(days=3)),
        "termination_notified_on": format_date(day + dt.timedelta(days=4))})
    desk.act(case.id, "close_file_terminated", {
        "closing_summary": "经一次调解未能达成协议，已终止调解并告知当事人其他救济途径。",
        "filed_on": format_date(day + dt.timedelta(days=5)), "filed_by": "李娜"})
    assert desk.get(case.id).status == "terminated"

    win = _window(qtbot, desk, runner)
    path = _open_dossier(qtbot, win, case.id)
    win.close()
    whole = "".join(_pages(path))
    for title in ("人民调解卷宗", "卷内目录", "人民调解笔录（第一次调解）", "终止人民调解通知书",
                  "人民调解结案报告"):
        assert title in whole, title
    assert "人民调解协议书" not in whole and "司法确认申请书" not in whole
    assert "经调解未能达成协议" in whole and "第二十六条" in whole and "提起诉讼" in whole
    assert "双方对赔偿数额分歧过大" in whole


def _day_whose_30_day_window_ends_on_a_holiday(cal: Any, start: dt.date) -> dt.date:
    day = start
    for _ in range(400):
        end = day + dt.timedelta(days=30)
        if not cal.is_workday(end) and end.weekday() < 5:  # a weekday holiday, not a weekend
            return day
        day += dt.timedelta(days=1)
    raise AssertionError("no holiday within a year of the calendar")


def test_scenario_5_bad_codes_dates_and_a_rare_character(qtbot: Any, desk: Any,
                                                         runner: Any) -> None:
    """A wrong credit-code check character, an ID born on 2023-02-29 and a name with 𠮷: each
    gets a clear message beside its field, and 𠮷 prints (from the fallback font)."""
    win = _window(qtbot, desk, runner)
    qtbot.keyClick(win, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.form is not None, timeout=3000)
    form = win.form
    assert form.kind.key == "mediation"
    values = {**GOOD_MEDIATION}
    values["applicants"] = [{"party_type": "org", "name": "扎赉特旗丰收农机制造有限公司",
                             "uscc": "93152223MA0R5K6L3A", "legal_rep": "张建国"}]
    values["respondents"] = [{"party_type": "person", "name": "𠮷田", "gender": "male",
                              "id_number": "152223202302290011"}]
    for key, value in values.items():
        if key in form.editors:
            form.editors[key].set(value)
    form.save()
    qtbot.waitUntil(lambda: form.editors["applicants"].error is not None, timeout=5000)
    applicant_error = form.editors["applicants"].error or ""
    respondent_error = form.editors["respondents"].error or ""
    assert "统一社会信用代码" in applicant_error and "校验" in applicant_error
    assert "出生日期" in respondent_error
    assert win.form is form  # nothing lost: the form is still open with what was typed
    assert form.editors["respondents"].get()[0]["name"] == "𠮷田"

    fixed = [{**values["applicants"][0], "uscc": "93152223MA0R5K6L3R"}]
    form.editors["applicants"].set(fixed)
    form.editors["respondents"].set([{"party_type": "person", "name": "𠮷田",
                                      "gender": "male", "id_number": "11010519491231002X"}])
    form.save()
    qtbot.waitUntil(lambda: win.form is None and win.detail.record is not None, timeout=5000)
    case = win.detail.record
    qtbot.keyClick(win, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(win, "preview", None) is not None, timeout=10000)
    text = _pdf_text(Path(win.preview.path))
    assert "𠮷田" in text and case.receipt_no in text
    assert "11010519491231002X" not in text  # the ID number is masked on the receipt
    win.preview.close()
    win.close()


_TYPING_CLERK = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QPlainTextEdit
from ui.app import make_app
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from xingan_desk.desk import Desk

app = make_app()
from tests.conftest import ADMIN_PASSWORD
desk = Desk.open(sys.argv[1], password=ADMIN_PASSWORD)
desk.use_account("admin")
win = MainWindow(desk, TaskRunner())
win.show()
form = win.new_record("mediation")
facts = form.findChild(QPlainTextEdit, "field_facts")
facts.setFocus()
event = QInputMethodEvent()
event.setCommitString(sys.argv[2])
app.sendEvent(facts, event)
print("typed", flush=True)
app.exec()  # the autosave timer runs until the power goes
"""


def test_scenario_5_power_loss_keeps_the_long_statement(qtbot: Any, desk: Any, runner: Any,
                                                        tmp_path: Path) -> None:
    """The clerk types a long statement; the PC loses power (SIGKILL of the real app process,
    no chance to clean up); on restart the draft is offered back, word for word."""
    import os
    import signal
    import subprocess
    import sys
    import time

    statement = "申请人称被申请人仿制其专利播种机并在旗内销售，" * 120 + "请求调解。"
    store = desk.directory
    proc = subprocess.Popen(
        [sys.executable, "-c", _TYPING_CLERK, str(store), statement],
        cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "typed"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(d[3]["raw"].get("facts") == statement for d in desk.drafts()):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the typed statement never reached the draft store")
        proc.send_signal(signal.SIGKILL)  # the power goes
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert desk.check() == []  # the store survived whole

    win = _window(qtbot, desk, runner)
    win.offer_drafts()  # read on the DB lane, then offered
    qtbot.waitUntil(lambda: win.drafts_dialog is not None, timeout=3000)
    dlg = win.drafts_dialog
    assert dlg is not None and dlg.list.count() == 1
    qtbot.mouseClick(child(dlg, QPushButton, "btn_draft_restore"), Qt.MouseButton.LeftButton)
    assert win.form is not None and win.form.kind.key == "mediation"
    assert win.form.editors["facts"].get() == statement
    win.form.cancel(ask=False)
    win.close()
