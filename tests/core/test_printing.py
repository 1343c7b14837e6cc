"""Printed receipts and documents: text, fonts, QR code, masking, page flow, reprints, errors.

Run without Qt: .venv/bin/pytest tests/core/test_printing.py -p no:pytest-qt -q
Uses pypdf; poppler-utils (pdftotext, pdffonts, pdftoppm) and zbar-tools (zbarimg) when present.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.desk import Desk
from xingan_desk.errors import IllegalTransition, NotFound, OutputFileError, PermissionDenied
from xingan_desk.printing import MissingGlyphError, documents_for, render
from xingan_desk.printing.documents import DOCUMENTS
from xingan_desk.printing.header import office_for
from xingan_desk.printing.layout import fmt_date
from xingan_desk.timeutil import CST, today_cst

ID_NUMBER = "152201199003071238"
ID_MASKED = "152***********1238"
MOBILE = "13812345678"
MOBILE_MASKED = "138****5678"
TODAY = today_cst()
APPLIED = TODAY - dt.timedelta(days=10)

PERSON = {"party_type": "person", "name": "李明", "id_number": ID_NUMBER, "phone": MOBILE,
          "ethnicity": "蒙古族", "address": "乌兰浩特市兴安街道"}
MEDIATION = {**GOOD_MEDIATION, "applied_on": APPLIED,
             "respondents": [*GOOD_MEDIATION["respondents"], PERSON]}
AGREEMENT = "被申请人于2026年12月31日前向申请人支付经济损失人民币8万元，并停止生产涉案播种机。"
INVESTIGATION = "问：涉案播种机何时开始生产？答：2025年10月开始小批量生产。"
SESSION = "申请人陈述被申请人生产的播种机落入专利保护范围，被申请人认可并愿意协商赔偿数额"
COURT_CASE_NO = "（2026）内2223民特12号"


def _materials(desk: Desk) -> list[dict[str, Any]]:
    rows = desk.defaults("preexam_filing")["materials"]
    missing = {3: "missing", 4: "missing", 5: "correction"}
    return [{**row, "status": missing.get(i, "received")} for i, row in enumerate(rows)]


@dataclass(frozen=True)
class Paper:
    receipt_no: str
    document: str | None
    layout: str
    expected: tuple[str, ...]
    has_person: bool = False  # shows the natural-person party (masked ID and phone)
    phone_shown: bool = False  # shows the mobile number (masked)
    # legally identifies the parties: prints the full ID and phone numbers (audited)
    full_identity: bool = False


@dataclass
class Printed:
    path: Path
    pypdf: str
    poppler: str | None

    def texts(self) -> list[str]:
        return [t for t in (self.pypdf, self.poppler) if t is not None]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pypdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _poppler_text(path: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _extract(path: Path) -> Printed:
    return Printed(path, _pypdf_text(path), _poppler_text(path))


def _new_store(directory: Path) -> Desk:
    desk = Desk.initialise(directory, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    return desk


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One store with a record of every kind in the statuses each paper needs (built once)."""
    base = tmp_path_factory.mktemp("printing")
    desk = _new_store(base / "store")
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.use_account("lina")
    cons, _ = desk.create("consultation", {
        **GOOD_CONSULTATION, "handling": "notice",
        "notice_items": "近3个月社保缴纳证明\n上年度研发费用证明"})
    filing, _ = desk.create("preexam_filing", {
        **desk.handover(cons.id, "preexam_filing"), "field": "new_materials",
        "invention_patents": 1, "materials": _materials(desk)})
    case, _ = desk.create("preexam_case", {
        "filing_no": filing.receipt_no, "applicant_name": "兴安新材料有限公司",
        "patent_type": "invention", "title": "一种玄武岩纤维增强聚丙烯复合材料",
        "ipc_main": "C08K 3/04"})
    rating, _ = desk.create("rating", {"service_no": cons.receipt_no, "service_item": "咨询服务",
                                       "channel": "device", "level": "4",
                                       "rated_at": dt.datetime.now(dt.UTC)})
    enterprise = desk.enterprise_by_uscc("91152201MA0N12340P")
    assert enterprise is not None
    desk.use_account("admin")
    registered, _ = desk.create("mediation", MEDIATION)
    accepted, _ = desk.create("mediation", MEDIATION)
    settled, _ = desk.create("mediation", MEDIATION)
    refused, _ = desk.create("mediation", MEDIATION)
    accepted_on = APPLIED + dt.timedelta(days=1)
    for rec in (accepted, settled):
        desk.act(rec.id, "accept", {"accepted_on": accepted_on, "mediator": "赵敏"})
    desk.act(settled.id, "start", {"consent": "agreed", "started_on": TODAY})
    desk.act(settled.id, "settle", {"outcome": "written", "agreement": AGREEMENT,
                                    "agreement_effective_on": TODAY})
    desk.act(refused.id, "refuse", {"refusal_reason": "out_of_scope",
                                    "refusal_note": "双方系劳动关系争议", "closed_on": TODAY})
    # the case file: a case through every part, one ended by 终止调解, one oral agreement
    full, _ = desk.create("mediation", MEDIATION)
    terminated, _ = desk.create("mediation", MEDIATION)
    oral, _ = desk.create("mediation", MEDIATION)
    for rec in (full, terminated, oral):
        desk.act(rec.id, "accept", {"accepted_on": accepted_on, "mediator": "赵敏"})
    desk.act(full.id, "record_investigation", {"investigations": [{
        "date": APPLIED + dt.timedelta(days=2), "place": "突泉县某农机有限公司厂区",
        "investigators": "赵敏", "recorder": "李娜", "subject": "孙立（生产主管）",
        "content": INVESTIGATION}]})
    for rec in (full, terminated, oral):
        desk.act(rec.id, "start", {"consent": "agreed", "started_on": APPLIED + dt.timedelta(3)})
    for n, result in ((1, "continue"), (2, "agreed")):
        desk.act(full.id, "record_session", {"sessions": [{
            "date": APPLIED + dt.timedelta(days=3 + n), "time": "9:00—11:30",
            "place": "调解室", "mediators": "赵敏", "recorder": "李娜",
            "present": "张建国、李明、孙立", "statements": f"{SESSION}（第{n}次）",
            "result": result}]})
    desk.act(full.id, "settle", {"outcome": "written", "agreement": AGREEMENT,
                                 "performance_terms": "2026年12月31日前一次性转账",
                                 "agreement_effective_on": APPLIED + dt.timedelta(days=5)})
    desk.act(full.id, "apply_confirmation", {"confirmation_applied_on": APPLIED
                                             + dt.timedelta(days=6),
                                             "confirmation_court": "扎赉特旗人民法院"})
    desk.act(full.id, "confirm", {"confirmation_result_on": APPLIED + dt.timedelta(days=8),
                                  "confirmation_case_no": COURT_CASE_NO})
    desk.act(full.id, "record_followup_confirmed", {"followups": [{
        "date": TODAY, "visitor": "赵敏", "visited": "张建国", "method": "phone",
        "performance": "done", "findings": "已全部履行"}]})
    desk.act(full.id, "close_file_confirmed", {"closing_summary": "协议经司法确认并已履行。",
                                               "filed_on": TODAY, "filed_by": "李娜",
                                               "retention": "long"})
    desk.act(terminated.id, "terminate", {"termination_reason": "no_agreement",
                                          "termination_note": "双方对赔偿数额分歧过大",
                                          "closed_on": TODAY})
    desk.act(oral.id, "settle", {"outcome": "oral", "agreement": "被申请人当场赔礼道歉并停止销售。",
                                 "agreement_effective_on": TODAY})
    desk.use_account("lina")
    desk.use_account("admin")
    roster, _ = desk.create("mediator", {"name": "赵敏", "post": "专职调解员",
                                         "specialty": "专利侵权", "active": True})
    desk.use_account("lina")

    def created(rec: Any) -> str:
        return fmt_date(rec.created_at.astimezone(CST).date())

    parties = ("扎赉特旗丰收农机制造有限公司", "突泉县某农机有限公司", "李明")
    med_receipt = (*parties, "ZL 201310699744.2", fmt_date(APPLIED), "专利", "侵权纠纷")
    papers = {
        "receipt-consultation": Paper(cons.receipt_no, None, "a4", (
            "王芳", "兴安新材料有限公司", "李娜", created(cons), "咨询服务登记回执",
            "扎赉特旗 02号窗口", "个人信息告知", "依法履职"), phone_shown=True),
        "receipt-consultation-roll80": Paper(cons.receipt_no, None, "roll80", (
            "王芳", "兴安新材料有限公司", created(cons)), phone_shown=True),
        "receipt-enterprise": Paper(enterprise.receipt_no, None, "a4", (
            "兴安新材料有限公司", "91152201MA0N12340P", "企业信息登记回执")),
        "receipt-preexam_filing": Paper(filing.receipt_no, None, "a4", (
            "兴安新材料有限公司", "王芳", "专利预审备案受理回执", "近3个月社保缴纳证明",
            "已收", "缺失", "需补正"), phone_shown=True),
        "receipt-preexam_case": Paper(case.receipt_no, None, "a4", (
            "兴安新材料有限公司", "一种玄武岩纤维增强聚丙烯复合材料", filing.receipt_no)),
        "receipt-mediation": Paper(registered.receipt_no, None, "a4", (
            *med_receipt, "调解申请回执", "受理审查期限"), has_person=True, phone_shown=True),
        "receipt-mediation-roll80": Paper(registered.receipt_no, None, "roll80", med_receipt,
                                          has_person=True, phone_shown=True),
        "receipt-rating": Paper(rating.receipt_no, None, "a4", (
            cons.receipt_no, "服务评价登记回执", "满意", created(rating))),
        "mediation_application": Paper(registered.receipt_no, "mediation_application", "a4", (
            *parties, "张建国", fmt_date(APPLIED), "人民调解申请书", GOOD_MEDIATION["facts"],
            GOOD_MEDIATION["claims"], "现自愿申请人民调解委员会进行调解"),
            has_person=True, phone_shown=True),
        "mediation_register": Paper(registered.receipt_no, "mediation_register", "a4", (
            *parties, fmt_date(APPLIED), "人民调解受理登记表", GOOD_MEDIATION["facts"])),
        "rights_notice": Paper(registered.receipt_no, "rights_notice", "a4", (
            *parties, "当事人权利义务告知书", "本调解不收取任何费用")),
        "acceptance_notice": Paper(accepted.receipt_no, "acceptance_notice", "a4", (
            *parties, "受理通知书", "赵敏", fmt_date(APPLIED), fmt_date(accepted_on))),
        "refusal_notice": Paper(refused.receipt_no, "refusal_notice", "a4", (
            parties[0], "不予受理通知书", "不属于本委员会受理范围", "双方系劳动关系争议",
            "提起诉讼", "申请仲裁", "行政调解")),
        "agreement": Paper(settled.receipt_no, "agreement", "a4", (
            *parties, "人民调解协议书", AGREEMENT, GOOD_MEDIATION["facts"],
            "本调解不收取任何费用", "本协议一式四份", fmt_date(TODAY), "记录人", "职务"),
            full_identity=True),
        "onetime_notice": Paper(filing.receipt_no, "onetime_notice", "a4", (
            "兴安新材料有限公司", "一次性告知书", "近3个月社保缴纳证明", fmt_date(TODAY))),
        "onetime_notice-consultation": Paper(cons.receipt_no, "onetime_notice", "a4", (
            "王芳", "近3个月社保缴纳证明", "上年度研发费用证明")),
        "correction_notice": Paper(filing.receipt_no, "correction_notice", "a4", (
            "兴安新材料有限公司", "补正材料通知书", "存根", "李娜", fmt_date(TODAY))),
        "receipt-mediator": Paper(roster.receipt_no, None, "a4", ("赵敏", "专职调解员")),
        "investigation_record": Paper(full.receipt_no, "investigation_record", "a4", (
            "人民调解调查笔录", INVESTIGATION, "孙立（生产主管）", "被调查人")),
        "mediation_record": Paper(full.receipt_no, "mediation_record", "a4", (
            "人民调解笔录（第一次调解）", "人民调解笔录（第二次调解）签名页", SESSION,
            "记录与所述一致", "李明")),
        "oral_agreement": Paper(oral.receipt_no, "oral_agreement", "a4", (
            "人民调解口头协议登记表", "被申请人当场赔礼道歉并停止销售。", "第二十八条"),
            full_identity=True),
        "termination_notice": Paper(terminated.receipt_no, "termination_notice", "a4", (
            "终止人民调解通知书", "经调解未能达成协议", "双方对赔偿数额分歧过大", "第二十六条",
            "提起诉讼")),
        "followup_record": Paper(full.receipt_no, "followup_record", "a4", (
            "人民调解回访记录", "■履行完毕", "已全部履行", "回访人")),
        "confirmation_application": Paper(full.receipt_no, "confirmation_application", "a4", (
            *parties, "司法确认申请书", "扎赉特旗人民法院", "第三十三条", "三十日内"),
            full_identity=True),
        "confirmation_result": Paper(full.receipt_no, "confirmation_result", "a4", (
            "司法确认结果登记表", COURT_CASE_NO, "■裁定确认有效")),
        "closing_report": Paper(full.receipt_no, "closing_report", "a4", (
            "人民调解结案报告", "协议经司法确认并已履行。", "长期（60年）", "2次")),
        "dossier": Paper(full.receipt_no, "dossier", "a4", (
            "人民调解卷宗", "卷内目录", "人民调解申请书", "调解申请回执", "人民调解协议书",
            "人民调解笔录（第一次调解）", "司法确认申请书", "人民调解结案报告"),
            full_identity=True),
    }
    printed: dict[str, Printed] = {}
    for name, paper in papers.items():
        path = render(desk, paper.receipt_no, base / f"{name}.pdf", document=paper.document,
                      layout=paper.layout)
        printed[name] = _extract(path)
    records = {name: desk.get(rec.id) for name, rec in (
        ("cons", cons), ("filing", filing), ("registered", registered), ("accepted", accepted),
        ("settled", settled), ("refused", refused), ("rating", rating), ("case", case),
        ("enterprise", enterprise), ("full", full), ("terminated", terminated),
        ("oral", oral), ("roster", roster))}
    yield desk, papers, printed, records
    desk.close()


PAPERS = [
    "receipt-consultation", "receipt-consultation-roll80", "receipt-enterprise",
    "receipt-preexam_filing", "receipt-preexam_case", "receipt-mediation",
    "receipt-mediation-roll80", "receipt-rating", "mediation_application", "mediation_register",
    "rights_notice", "acceptance_notice", "refusal_notice", "agreement", "onetime_notice",
    "onetime_notice-consultation", "correction_notice", "receipt-mediator",
    "investigation_record", "mediation_record", "oral_agreement", "termination_notice",
    "followup_record", "confirmation_application", "confirmation_result", "closing_report",
    "dossier",
]
RECEIPTS = [p for p in PAPERS if p.startswith("receipt-")]


def test_every_document_key_and_receipt_kind_is_covered(store: Any) -> None:
    _, papers, _, _ = store
    assert {p.document for p in papers.values() if p.document} == set(DOCUMENTS)
    assert set(PAPERS) == set(papers)


# --- content ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAPERS)
def test_text_extracts_with_the_exact_values_entered(store: Any, name: str) -> None:
    _, papers, printed, _ = store
    paper, pdf = papers[name], printed[name]
    if pdf.poppler is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for tool, text in (("pypdf", pdf.pypdf), ("pdftotext", pdf.poppler)):
        flat = _flat(text)
        for value in (paper.receipt_no, *paper.expected):
            assert _flat(value) in flat, f"{tool}: “{value}” missing from {name}"


@pytest.mark.parametrize("name", PAPERS)
def test_every_font_is_embedded(store: Any, name: str) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    _, _, printed, _ = store
    out = subprocess.run(["pdffonts", str(printed[name].path)], capture_output=True, text=True,
                         check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        m = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert m and m.group(1) == "yes", f"font not embedded in {name}: {row}"
    assert "Helvetica" not in out
    assert "NotoSansMongolian" in out  # the header's Mongolian line


@pytest.mark.parametrize("name", PAPERS)
def test_id_and_phone_numbers_are_masked(store: Any, name: str) -> None:
    _, papers, printed, _ = store
    paper = papers[name]
    for text in printed[name].texts():
        flat = _flat(text)
        if paper.full_identity:  # the parties sign it / a court relies on it: full numbers
            assert ID_NUMBER in flat and MOBILE in flat
            continue
        assert ID_NUMBER not in flat and MOBILE not in flat
        if paper.has_person:
            assert ID_MASKED in flat
        if paper.phone_shown:
            assert MOBILE_MASKED in flat


@pytest.mark.parametrize("name", RECEIPTS)
def test_qr_code_decodes_to_exactly_the_receipt_number(store: Any, name: str,
                                                       tmp_path: Path) -> None:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (apt package zbar-tools) is not installed")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    _, papers, printed, _ = store
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                    str(printed[name].path), str(png)], check=True)
    result = subprocess.run(["zbarimg", "--raw", "-q", f"{png}.png"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [papers[name].receipt_no]


def test_header_has_mongolian_above_chinese_at_the_same_size(store: Any) -> None:
    from pypdf import PdfReader

    _, _, printed, _ = store
    for name, office_key in (("receipt-consultation", "152223"), ("agreement", "committee")):
        office = office_for(None, office_key)
        seen: list[tuple[str, float, float]] = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float,
                  into: list[tuple[str, float, float]] = seen) -> None:
            if text.strip() and font is not None:
                into.append((str(font.get("/BaseFont")), cm[5] + tm[5] * cm[3], size * tm[3]))

        for page in PdfReader(printed[name].path).pages:
            seen.clear()
            page.extract_text(visitor_text=visit)
            mongolian = [(y, s) for f, y, s in seen if "NotoSansMongolian" in f]
            assert mongolian, f"no Mongolian line on a page of {name}"
            assert office.chinese in _flat(page.extract_text())
            chinese_y = max(y for f, y, s in seen if "NotoSansMongolian" not in f)
            assert min(y for y, _ in mongolian) > chinese_y - 1  # above everything Chinese
            sizes = {round(s, 1) for f, y, s in seen if y >= chinese_y - 1}
            assert len(sizes) == 1, sizes  # the office name lines share one font size


def test_roll80_paper_is_80_mm_wide(store: Any) -> None:
    from pypdf import PdfReader

    _, _, printed, _ = store
    page = PdfReader(printed["receipt-consultation-roll80"].path).pages[0]
    assert abs(float(page.mediabox.width) - 80 * 72 / 25.4) < 0.5
    assert float(page.mediabox.height) > float(page.mediabox.width)


def test_mediation_papers_never_show_a_fee_and_count_the_copies(store: Any) -> None:
    _, papers, printed, _ = store
    for name, paper in papers.items():
        if paper.document not in {"mediation_application", "mediation_register",
                                  "rights_notice", "acceptance_notice", "refusal_notice",
                                  "agreement"} and name != "receipt-mediation":
            continue
        flat = _flat(printed[name].pypdf).replace("不收取任何费用", "")
        assert "费" not in flat, name
    assert "本调解不收取任何费用" in _flat(printed["agreement"].pypdf)
    # three parties (one applicant, two respondents) + the committee's copy
    assert "一式四份" in _flat(printed["agreement"].pypdf)


def test_onetime_notice_lists_exactly_the_missing_materials(store: Any) -> None:
    desk, _, printed, records = store
    flat = _flat(printed["onetime_notice"].pypdf)
    for m in records["filing"].values["materials"]:
        listed = _flat(m["item"]) in flat
        assert listed == (m["status"] in ("missing", "correction")), m["item"]
    due = desk.calendar().add_workdays(TODAY, 5)
    assert f"请于{fmt_date(due)}前（5个工作日内）" in flat


def test_notice_days_setting_moves_the_deadline(desk: Desk, tmp_path: Path) -> None:
    cons, _ = desk.create("consultation", GOOD_CONSULTATION)
    filing, _ = desk.create("preexam_filing", {
        **desk.handover(cons.id, "preexam_filing"), "field": "new_materials",
        "invention_patents": 1, "materials": _materials(desk)})
    desk.set_setting("notice_days", 3)
    pdf = render(desk, filing.receipt_no, tmp_path / "n.pdf", document="onetime_notice")
    due = desk.calendar().add_workdays(TODAY, 3)
    assert f"请于{fmt_date(due)}前（3个工作日内）" in _flat(_pypdf_text(pdf))


def test_office_texts_setting_overrides_the_shipped_header(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    desk.set_setting("office_texts", {"152223": {"chinese": "扎赉特旗市场监督管理局（知识产权局）",
                                                 "phone": "0482-6012345"}})
    flat = _flat(_pypdf_text(render(desk, rec.receipt_no, tmp_path / "o.pdf")))
    assert "扎赉特旗市场监督管理局（知识产权局）" in flat
    assert "联系电话：0482-6012345" in flat and "12345（政务服务便民热线）" not in flat


def test_committee_wording_replaces_the_fixed_texts(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("mediation", MEDIATION)
    desk.act(rec.id, "accept", {"accepted_on": APPLIED, "mediator": "赵敏"})
    desk.act(rec.id, "start", {"consent": "agreed", "started_on": APPLIED})
    desk.act(rec.id, "terminate", {"termination_reason": "party_withdrew", "closed_on": TODAY})
    default = _flat(_pypdf_text(render(desk, rec.receipt_no, tmp_path / "t1.pdf",
                                       document="termination_notice")))
    assert "第二十六条" in default
    desk.set_setting("mediation_wording", {"termination_remedies": "本委员会告知：可向法院起诉。"})
    own = _flat(_pypdf_text(render(desk, rec.receipt_no, tmp_path / "t2.pdf",
                                   document="termination_notice")))
    assert "本委员会告知：可向法院起诉。" in own and "第二十六条" not in own


def test_acceptance_notice_says_what_one_month_means_and_its_source(store: Any) -> None:
    _, _, printed, records = store
    flat = _flat(printed["acceptance_notice"].pypdf)
    finish_by = records["accepted"].values["finish_by"]
    assert "《人民调解工作若干规定》（司法部令第75号）第三十六条" in flat
    assert f"本案调解期限至{fmt_date(finish_by)}（含当日）届满" in flat
    assert "受理当日不计入" in flat


def test_dossier_pages_and_attachment_hook(store: Any) -> None:
    from xingan_desk.printing.case_file import attached_materials, dossier_contents

    desk, _, printed, records = store
    assert attached_materials(desk, records["full"]) == []  # nothing attached to it
    keys = [k for k, _ in dossier_contents(desk, records["full"])]
    assert keys[:3] == ["mediation_application", "receipt", "mediation_register"]
    assert keys[-1] == "closing_report" and "attachments" not in keys
    from pypdf import PdfReader

    pages = PdfReader(printed["dossier"].path).pages
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页共{len(pages)}页" in _flat(page.extract_text())


def test_documents_apply_by_kind_and_status(store: Any) -> None:
    _, _, _, r = store

    def keys(name: str) -> set[str]:
        return {spec.key for spec in documents_for(r[name])}

    assert keys("registered") == {"mediation_application", "mediation_register",
                                  "rights_notice", "dossier"}
    assert keys("accepted") == keys("registered") | {"acceptance_notice"}
    assert keys("settled") == keys("accepted") | {"agreement", "confirmation_application"}
    assert keys("refused") == {"mediation_application", "mediation_register", "refusal_notice",
                               "dossier"}
    assert keys("terminated") == keys("accepted") | {"termination_notice"}
    # 司法确认 needs the written agreement (法释〔2011〕5号): no application for an oral one
    assert keys("oral") == keys("accepted") | {"oral_agreement"}
    assert keys("full") == keys("settled") | {
        "investigation_record", "mediation_record", "followup_record", "confirmation_result",
        "closing_report"}
    assert keys("roster") == set()
    assert keys("filing") == {"onetime_notice", "correction_notice"}
    assert keys("cons") == {"onetime_notice"}
    assert keys("rating") == keys("case") == keys("enterprise") == set()
    assert all(spec.title for spec in DOCUMENTS.values())


# --- long text, rare characters -------------------------------------------------------------------


def _long_facts() -> str:
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < 3000:
        n += 1
        parts.append(f"第{n}点，被申请人于2025年{n % 12 + 1}月在第{n}届农机展会上展示并销售的"
                     f"2BMF-{n}型免耕播种机，其排种装置与涉案专利权利要求{n % 9 + 1}的技术特征相同；")
    return "".join(parts)[:3000]


def _body_text(text: str, office: str, receipt_no: str) -> str:
    """Page text without the repeating header and footer (for continuity checks)."""
    flat = _flat(text)
    flat = re.sub(r"[\ue000-\uf8ff\u1800-\u18af\u202f]", "", flat)  # shaped Mongolian
    flat = flat.replace(_flat(office), "").replace(f"编号：{receipt_no}", "")
    return re.sub(r"第\d+页共\d+页", "", flat)


def test_long_facts_flow_over_pages_with_nothing_lost(desk: Desk, tmp_path: Path) -> None:
    from pypdf import PdfReader

    facts = _long_facts()
    assert len(facts) == 3000
    rec, _ = desk.create("mediation", {**MEDIATION, "facts": facts})
    pdf = render(desk, rec.receipt_no, tmp_path / "long.pdf", document="mediation_application")
    pages = PdfReader(pdf).pages
    assert len(pages) >= 2
    office = office_for(desk, "committee").chinese
    for i, page in enumerate(pages, start=1):
        text = _flat(page.extract_text())
        assert office in text, "header repeated on every page"
        assert f"第{i}页共{len(pages)}页" in text
    texts = [_pypdf_text(pdf)]
    if shutil.which("pdftotext"):
        texts.append(_poppler_text(pdf) or "")
    for text in texts:
        assert _flat(facts) in _body_text(text, office, rec.receipt_no)


def test_rare_characters_print_with_the_fallback_font(desk: Desk, tmp_path: Path) -> None:
    name = "𠮷祥"
    rec, _ = desk.create("mediation", {
        **MEDIATION, "applicants": [{"party_type": "person", "name": name,
                                     "id_number": ID_NUMBER}]})
    for document in (None, "mediation_application"):
        pdf = render(desk, rec.receipt_no, tmp_path / f"{document}.pdf", document=document)
        assert name in _flat(_pypdf_text(pdf))
        poppler = _poppler_text(pdf)
        if poppler is not None:
            assert name in _flat(poppler)
        if shutil.which("pdffonts"):
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                                   check=True).stdout
            assert "XinganFallbackHan" in fonts


def test_markup_characters_in_user_text_print_literally(desk: Desk, tmp_path: Path) -> None:
    name = "兴安<b>新材料</b>&A公司"
    rec, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_name": name,
                                          "question": "“引号”与<br/>标签\n第二行"})
    flat = _flat(_pypdf_text(render(desk, rec.receipt_no, tmp_path / "x.pdf")))
    assert _flat(name) in flat and "“引号”与<br/>标签第二行" in flat


def test_unprintable_character_is_refused_before_anything_is_written(
    desk: Desk, tmp_path: Path
) -> None:
    rec, _ = desk.create("mediation", {
        **MEDIATION, "applicants": [{"party_type": "person", "name": "张䶶"}]})  # U+4DB6
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "x.pdf"
    for document in (None, "mediation_application"):
        with pytest.raises(MissingGlyphError) as info:
            render(desk, rec.receipt_no, out, document=document)
        assert info.value.chars == ("䶶",)
        assert "U+4DB6" in str(info.value) and "无法打印" in str(info.value)
    assert not out.exists() and list(folder.iterdir()) == []
    assert desk.get(rec.id).print_count == 0


def test_unprintable_office_text_is_refused_too(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    desk.set_setting("office_texts", {"152223": {"chinese": "扎赉特旗\U0001F600市场监督管理局"}})
    with pytest.raises(MissingGlyphError) as info:
        render(desk, rec.receipt_no, tmp_path / "x.pdf")
    assert "\U0001F600" in info.value.chars


# --- errors, reprints, writing --------------------------------------------------------------------


def test_unknown_receipt_number_is_not_found(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as info:
        render(desk, "ZX-152223-02-2026-999999-0", tmp_path / "x.pdf")
    assert "找不到编号为" in str(info.value)
    assert not (tmp_path / "x.pdf").exists()


def test_unknown_or_inapplicable_document_is_refused(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("mediation", MEDIATION)
    with pytest.raises(NotFound) as missing:
        render(desk, rec.receipt_no, tmp_path / "x.pdf", document="no_such_paper")
    assert "没有名为" in str(missing.value)
    with pytest.raises(IllegalTransition) as early:
        render(desk, rec.receipt_no, tmp_path / "x.pdf", document="agreement")
    assert "人民调解协议书" in str(early.value) and "已登记" in str(early.value)
    desk.void(rec.id, "录入重复")
    with pytest.raises(IllegalTransition) as voided:
        render(desk, rec.receipt_no, tmp_path / "x.pdf")
    assert "作废" in str(voided.value)


def test_reprint_is_stamped_and_logged_per_paper(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("mediation", MEDIATION)
    first = render(desk, rec.receipt_no, tmp_path / "1.pdf")
    form = render(desk, rec.receipt_no, tmp_path / "form.pdf", document="mediation_application")
    second = render(desk, rec.receipt_no, tmp_path / "2.pdf")
    third = render(desk, rec.receipt_no, tmp_path / "3.pdf", layout="roll80")
    assert "补打" not in _pypdf_text(first)
    assert "补打" not in _pypdf_text(form)  # another paper of the same record is no reprint
    assert "补打（第1次）" in _flat(_pypdf_text(second))
    assert "补打（第2次）" in _flat(_pypdf_text(third))
    assert desk.get(rec.id).print_count == 4
    _, audit = desk.history(rec.id)
    logged = [(a.action, a.detail) for a in audit if a.action in ("print", "reprint")]
    assert [d.split(" ")[0] for _, d in logged] == [
        "调解申请回执", "人民调解申请书", "调解申请回执", "调解申请回执"]
    assert [a for a, _ in logged] == ["print", "reprint", "reprint", "reprint"]


def test_reveal_only_on_forms_that_need_full_numbers(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("mediation", MEDIATION)
    with pytest.raises(PermissionDenied):
        render(desk, rec.receipt_no, tmp_path / "r.pdf", reveal=True)
    with pytest.raises(PermissionDenied):
        render(desk, rec.receipt_no, tmp_path / "n.pdf", document="rights_notice", reveal=True)
    pdf = render(desk, rec.receipt_no, tmp_path / "a.pdf", document="mediation_application",
                 reveal=True)
    flat = _flat(_pypdf_text(pdf))
    assert ID_NUMBER in flat and MOBILE in flat
    _, audit = desk.history(rec.id)
    assert any("含完整证件号码" in a.detail for a in audit if a.action == "print")


def test_unwritable_path_gives_a_chinese_reason_and_logs_nothing(desk: Desk,
                                                              tmp_path: Path) -> None:
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    folder = tmp_path / "out"
    folder.mkdir()
    blocker = folder / "not-a-folder"
    blocker.write_text("x")
    target = blocker / "receipt.pdf"
    with pytest.raises(OutputFileError) as info:
        render(desk, rec.receipt_no, target)
    assert str(target) in str(info.value) and "无法保存" in str(info.value)
    assert "同名文件" in str(info.value) or "不是文件夹" in str(info.value)
    with pytest.raises(OutputFileError):
        render(desk, rec.receipt_no, folder)  # a folder, not a file
    assert desk.get(rec.id).print_count == 0
    assert sorted(p.name for p in folder.iterdir()) == ["not-a-folder"]  # no temp files left


def test_writing_replaces_an_existing_file_whole(desk: Desk, tmp_path: Path) -> None:
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "receipt.pdf"
    out.write_bytes(b"old")
    assert render(desk, rec.receipt_no, out) == out
    assert out.read_bytes().startswith(b"%PDF") and out.read_bytes().rstrip().endswith(b"%%EOF")
    assert [p.name for p in folder.iterdir()] == ["receipt.pdf"]


def test_created_by_unknown_account_prints_the_username(desk: Desk, tmp_path: Path) -> None:
    from xingan_desk.printing.receipts import receipt_story  # noqa: F401 (import check)

    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    synced = replace(rec, created_by="zhangsan", owner="152201-01")
    from xingan_desk.printing.content import clerk_name, window_label

    assert clerk_name(desk, synced.created_by) == "zhangsan"
    assert clerk_name(desk, "admin") == "系统管理员"
    assert window_label(desk, synced.owner) == ("乌兰浩特市 01号窗口", "乌兰浩特市")


def test_warm_up_loads_what_the_first_print_needs() -> None:
    code = ("import sys, xingan_desk.printing as p; p.warm_up(); "
            "from xingan_desk.printing import fonts; "
            "print('reportlab.platypus' in sys.modules, fonts._registry is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.split() == ["True", "True"]


def test_importing_printing_does_not_load_reportlab() -> None:
    code = ("import sys, xingan_desk.printing, xingan_desk.printing.receipts, "
            "xingan_desk.printing.documents, xingan_desk.printing.header; "
            "print(any(m.startswith('reportlab') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("county", ["152200", "152221", "152222", "committee"])
def test_roll80_office_name_in_mongolian_fits_one_line(tmp_path: Path, county: str) -> None:
    """Issue 11.9: on the 80 mm roll the Mongolian office name is one line (both names
    smaller at the same size, the Mongolian condensed if need be), still above the Chinese."""
    from pypdf import PdfReader

    desk = Desk.initialise(tmp_path / "store", "152221" if county == "committee" else county,
                           "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    kind, values = (("mediation", GOOD_MEDIATION) if county == "committee"
                    else ("consultation", GOOD_CONSULTATION))
    rec, _ = desk.create(kind, values)
    out = render(desk, rec.receipt_no, tmp_path / "roll.pdf", layout="roll80", log=False)
    desk.close()
    seen: list[tuple[str, float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip() and font is not None:
            seen.append((str(font.get("/BaseFont")), cm[5] + tm[5] * cm[3], size * tm[3]))

    PdfReader(str(out or tmp_path / "roll.pdf")).pages[0].extract_text(visitor_text=visit)
    mongolian = [(y, s) for f, y, s in seen if "NotoSansMongolian" in f]
    assert len({round(y) for y, _ in mongolian}) == 1, mongolian  # one line
    top_chinese = max(y for f, y, s in seen if "NotoSansMongolian" not in f)
    assert mongolian[0][0] > top_chinese
    chinese_size = next(s for f, y, s in seen if y == top_chinese)
    assert round(mongolian[0][1], 1) == round(chinese_size, 1) >= 6.5


def test_dossier_lists_the_attached_materials(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from tests import attach_samples as samples
    from xingan_desk.printing.case_file import attached_materials, dossier_contents

    desk = _new_store(tmp_path / "store")
    rec, _ = desk.create("mediation", MEDIATION)
    assert attached_materials(desk, rec) == []
    assert "attachments" not in [k for k, _ in dossier_contents(desk, rec)]
    desk.attach(rec.id, samples.pdf(3), "侵权证据.pdf", "证据材料")
    wrong, _ = desk.attach(rec.id, samples.png(), "错传.png", "证据材料")
    desk.void_attachment(wrong.id, "传错文件")
    rows = attached_materials(desk, rec)
    assert (rows[0].name, rows[0].pages) == ("证据材料（侵权证据.pdf）", "3")
    assert "传错文件" in rows[1].note
    assert "attachments" in [k for k, _ in dossier_contents(desk, rec)]
    out = render(desk, rec.receipt_no, tmp_path / "dossier.pdf", document="dossier")
    text = _flat("".join(p.extract_text() for p in PdfReader(out).pages))
    assert "附件材料清单" in text and "侵权证据.pdf" in text


def test_dossier_cover_and_closing_report_leave_the_file_number_to_write_in(store: Any) -> None:
    """卷号 is the committee's number given when the file is filed; until one is recorded the
    cover and the 结案报告 print the year's form with a line to write it on, saying when."""
    _, _, printed, records = store
    year = records["full"].values["accepted_on"].year
    expected = f"（{year}）人调字第__________号（立卷归档时填写）"
    for name in ("dossier", "closing_report"):
        assert expected in _flat(printed[name].pypdf), name
    from pypdf import PdfReader

    cover = _flat(PdfReader(printed["dossier"].path).pages[0].extract_text())
    assert expected in cover
