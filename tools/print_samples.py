"""Render every receipt and document with realistic data and save page 1 of each as PNG.

Usage: python tools/print_samples.py [OUTPUT_DIR]     (default docs/print-samples; needs pdftoppm)

The store is a throw-away one in a temporary directory (window 152223-02, 扎赉特旗). The PNGs
are for people to look at: bilingual header, alignment, seal areas, masking. Names are
"receipt-<kind>.png", "receipt-<kind>-roll80.png" and "<document key>.png"; the League's
statistics report for last month (a League window with demo data) is "statistics-report.png"
(page 1) and "statistics-report-p2.png".
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.printing import render  # noqa: E402
from xingan_desk.timeutil import today_cst  # noqa: E402
from xingan_desk.validation import patent_type_of  # noqa: E402

PASSWORD = "Admin2026x"


def _materials(desk: Desk) -> list[dict[str, Any]]:
    rows = desk.defaults("preexam_filing")["materials"]
    status = {0: "received", 1: "received", 2: "received", 3: "missing", 4: "missing",
              5: "correction", 6: "received"}
    notes = {3: "研发人员及联系人近3个月", 5: "缺少近一年运行记录"}
    return [{**row, "status": status[i], "note": notes.get(i)} for i, row in enumerate(rows)]


def _case_file_cases(desk: Desk, mediation: dict[str, Any],
                     today: dt.date) -> tuple[Any, Any, Any]:
    """A case through the whole file (investigation, two sessions, agreement, 司法确认, 回访,
    结案), one ended by 终止调解 and one settled by an oral agreement."""
    start = today - dt.timedelta(days=40)
    desk.use_account("admin")
    full, _ = desk.create("mediation", {**mediation, "applied_on": start})
    terminated, _ = desk.create("mediation", {**mediation, "applied_on": start})
    oral, _ = desk.create("mediation", {**mediation, "applied_on": start})
    desk.use_account("zhaomin")
    day = start + dt.timedelta(days=1)
    for rec in (full, terminated, oral):
        desk.act(rec.id, "accept", {"accepted_on": day, "mediator": "赵敏"})
    desk.act(full.id, "record_investigation", {"investigations": [{
        "date": day + dt.timedelta(days=1), "time": "14:00—15:30",
        "place": "突泉县顺达农机有限公司生产车间", "investigators": "赵敏", "recorder": "刘海燕",
        "subject": "赵海（被申请人法定代表人）",
        "content": "问：2BMF-4型免耕播种机的排种装置是你公司自行设计的吗？\n"
                   "答：是参照市场上的产品改进的，2025年3月开始生产，共生产销售86台。\n"
                   "问：是否知道申请人的专利？\n答：2025年5月收到申请人的律师函后才知道。"}]})
    for rec in (full, terminated, oral):
        desk.act(rec.id, "start", {"consent": "agreed", "started_on": day + dt.timedelta(days=2)})
    sessions = (
        (day + dt.timedelta(days=2), "continue", "申请人陈述了专利权的取得和被申请人产品的销售情况，出示了"
         "购买发票和实物照片；被申请人认可生产销售事实，但认为赔偿15万元过高，愿意停止生产。", "双方同意"
         "各自核算损失后再次调解。"),
        (day + dt.timedelta(days=9), "agreed", "双方核算了销售数量和利润。经调解员释法说理，被申请人"
         "同意赔偿8万元，申请人同意放弃其余请求。", "达成书面调解协议。"),
    )
    for when, result, said, note in sessions:
        desk.act(full.id, "record_session", {"sessions": [{
            "date": when, "time": "9:00—11:30", "place": "兴安盟知识产权纠纷人民调解委员会调解室",
            "mediators": "赵敏", "recorder": "刘海燕", "present": "张建国、赵海、李明",
            "statements": said, "result": result, "result_note": note,
            "next_on": when + dt.timedelta(days=7) if result == "continue" else None}]})
    effective = day + dt.timedelta(days=9)
    desk.act(full.id, "settle", {
        "outcome": "written", "agreement_effective_on": effective,
        "agreement": "一、被申请人自本协议签订之日起停止生产、销售2BMF-4型免耕播种机。\n"
                     "二、被申请人向申请人支付经济损失人民币8万元。",
        "performance_terms": "被申请人于协议生效后20日内以银行转账方式一次性支付至申请人账户。"})
    desk.act(full.id, "apply_confirmation", {"confirmation_applied_on": effective
                                             + dt.timedelta(days=3),
                                             "confirmation_court": "扎赉特旗人民法院"})
    desk.act(full.id, "confirm", {"confirmation_result_on": effective + dt.timedelta(days=8),
                                  "confirmation_case_no": "（2026）内2223民特15号"})
    desk.act(full.id, "record_followup_confirmed", {"followups": [{
        "date": effective + dt.timedelta(days=22), "visitor": "赵敏", "visited": "张建国",
        "method": "phone", "performance": "done",
        "findings": "申请人确认已收到8万元，被申请人已停止生产，对调解工作满意。"}]})
    desk.act(full.id, "close_file_confirmed", {
        "closing_summary": "本案经两次调解达成书面协议，经扎赉特旗人民法院裁定确认有效，协议已全部履行。",
        "filed_on": effective + dt.timedelta(days=25), "filed_by": "刘海燕",
        "retention": "long"})
    desk.act(terminated.id, "record_session", {"sessions": [{
        "date": day + dt.timedelta(days=2), "place": "调解室", "mediators": "赵敏",
        "present": "张建国、赵海", "statements": "双方对赔偿数额分歧较大。", "result": "none"}]})
    desk.act(terminated.id, "terminate", {
        "termination_reason": "no_agreement", "closed_on": day + dt.timedelta(days=10),
        "termination_note": "经两次协商，被申请人坚持认为不构成侵权，双方无法达成一致。",
        "termination_notified_on": day + dt.timedelta(days=11)})
    desk.act(oral.id, "settle", {
        "outcome": "oral", "agreement_effective_on": day + dt.timedelta(days=3),
        "agreement": "被申请人当场向申请人赔礼道歉，并承诺不再销售涉案产品。",
        "performance_terms": "当场履行。"})
    desk.use_account("admin")
    return full, terminated, oral


def build_sample_store(directory: Path) -> tuple[Desk, list[tuple[str, str, str | None, str]]]:
    """A store with one record per kind and mediation cases in each document's status.

    Returns the desk and (output name, receipt number, document key or None, layout) rows.
    """
    desk = Desk.initialise(directory, "152223", "02", admin_password=PASSWORD)
    desk.use_account("admin")
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.add_user("zhaomin", "赵敏", "mediator", "Mediator2026x")
    roster, _ = desk.create("mediator", {
        "name": "赵敏", "gender": "female", "post": "专职调解员", "specialty": "专利侵权纠纷",
        "qualification": "二级人民调解员", "employment": "full", "active": True})
    today = today_cst()
    week_ago = today - dt.timedelta(days=7)

    desk.use_account("lina")
    cons, _ = desk.create("consultation", {
        "started_at": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25),
        "channel": "onsite", "first_responder": "李娜", "visitor_type": "enterprise",
        "visitor_name": "王芳", "visitor_phone": "13812345678",
        "enterprise_name": "兴安新材料有限公司", "enterprise_uscc": "91152201MA0N12340P",
        "topics": ["preexam", "policy"],
        "question": "新材料企业如何通过预审通道加快专利审查？需要准备哪些备案材料？",
        "answer": "可先在内蒙古知识产权保护中心办理预审备案，备案通过后提交预审；材料清单见一次性告知书。",
        "handling": "notice",
        "notice_items": "近3个月社保缴纳证明（研发人员及联系人）\n上年度研发费用证明（汇算清缴表或财务报表）",
    })
    filing, _ = desk.create("preexam_filing", {
        **desk.handover(cons.id, "preexam_filing"), "field": "new_materials",
        "invention_patents": 1, "materials": _materials(desk),
    }, handover_from=cons.id)
    case, _ = desk.create("preexam_case", {
        "filing_no": filing.receipt_no, "applicant_name": "兴安新材料有限公司",
        "applicant_uscc": "91152201MA0N12340P", "patent_type": "invention",
        "title": "一种玄武岩纤维增强聚丙烯复合材料及其制备方法", "ipc_main": "C08K 3/04",
        "inventors": "王芳、刘志强", "contact_name": "王芳", "contact_phone": "13812345678",
    })
    rating, _ = desk.create("rating", {
        "service_no": cons.receipt_no, "service_item": "咨询服务", "staff": "李娜",
        "channel": "device", "level": "4", "rated_at": dt.datetime.now(dt.UTC),
    })

    mediation = {
        "source": "application", "applied_on": week_ago,
        "applicants": [{"party_type": "org", "name": "扎赉特旗丰收农机制造有限公司",
                        "uscc": "93152223MA0R5K6L3R", "legal_rep": "张建国",
                        "phone": "0482-6012345", "address": "扎赉特旗音德尔镇工业园区"}],
        "respondents": [
            {"party_type": "org", "name": "突泉县顺达农机有限公司", "uscc": "92152224MA7Q000118",
             "legal_rep": "赵海", "address": "突泉县突泉镇"},
            {"party_type": "person", "name": "李明", "id_number": "152201199003071238",
             "ethnicity": "蒙古族", "occupation": "个体经营者", "phone": "13812345678",
             "address": "乌兰浩特市兴安街道"},
        ],
        "right_type": "patent", "right_no": "ZL 201310699744.2", "dispute_type": "infringement",
        "amount": "150000",
        # the type follows the number: ZL 2013 1 0699744.2, kind digit 1 = 发明 (patent_type_of)
        "facts": f"申请人是专利号为ZL 201310699744.2的“一种免耕播种机排种装置”"
                 f"{patent_type_of('ZL 201310699744.2')}专利的专利权人。"
                 "2025年春播期间，申请人发现被申请人生产、销售的2BMF-4型免耕播种机的排种装置与涉案专利"
                 "权利要求1记载的技术特征相同，落入专利权保护范围。双方曾多次协商未果。",
        "claims": "1．请求被申请人停止生产、销售侵权产品；\n2．请求被申请人赔偿经济损失15万元。",
        "evidence": "专利证书、专利年费缴纳凭证、购买侵权产品的发票及实物照片。",
    }
    desk.use_account("admin")
    registered, _ = desk.create("mediation", mediation)
    accepted, _ = desk.create("mediation", mediation)
    settled, _ = desk.create("mediation", mediation)
    refused, _ = desk.create("mediation", {**mediation, "respondents": mediation["respondents"][:1]})
    desk.use_account("zhaomin")
    for rec in (accepted, settled):
        desk.act(rec.id, "accept", {"accepted_on": week_ago + dt.timedelta(days=2),
                                    "mediator": "赵敏"})
    desk.act(settled.id, "start", {"consent": "agreed", "started_on": today})
    desk.act(settled.id, "settle", {
        "outcome": "written", "agreement_effective_on": today,
        "agreement": "一、被申请人突泉县顺达农机有限公司、李明自本协议签订之日起停止生产、销售2BMF-4型免耕播种机。\n"
                     "二、被申请人于2026年12月31日前一次性向申请人支付经济损失人民币8万元，以银行转账方式支付。\n"
                     "三、双方就本纠纷再无其他争议。",
    })
    desk.act(refused.id, "refuse", {"refusal_reason": "already_handled",
                                    "refusal_note": "该纠纷已由呼和浩特市中级人民法院立案受理。",
                                    "closed_on": today})
    full, terminated, oral = _case_file_cases(desk, mediation, today)
    desk.use_account("lina")

    jobs: list[tuple[str, str, str | None, str]] = [
        ("receipt-consultation", cons.receipt_no, None, "a4"),
        ("receipt-consultation-roll80", cons.receipt_no, None, "roll80"),
        ("receipt-preexam_filing", filing.receipt_no, None, "a4"),
        ("receipt-preexam_case", case.receipt_no, None, "a4"),
        ("receipt-mediation", registered.receipt_no, None, "a4"),
        ("receipt-mediation-roll80", registered.receipt_no, None, "roll80"),
        ("receipt-rating", rating.receipt_no, None, "a4"),
        ("mediation_application", registered.receipt_no, "mediation_application", "a4"),
        ("mediation_register", registered.receipt_no, "mediation_register", "a4"),
        ("rights_notice", registered.receipt_no, "rights_notice", "a4"),
        ("acceptance_notice", accepted.receipt_no, "acceptance_notice", "a4"),
        ("refusal_notice", refused.receipt_no, "refusal_notice", "a4"),
        ("agreement", settled.receipt_no, "agreement", "a4"),
        ("onetime_notice", filing.receipt_no, "onetime_notice", "a4"),
        ("onetime_notice-consultation", cons.receipt_no, "onetime_notice", "a4"),
        ("correction_notice", filing.receipt_no, "correction_notice", "a4"),
        ("investigation_record", full.receipt_no, "investigation_record", "a4"),
        ("mediation_record", full.receipt_no, "mediation_record", "a4"),
        ("oral_agreement", oral.receipt_no, "oral_agreement", "a4"),
        ("termination_notice", terminated.receipt_no, "termination_notice", "a4"),
        ("followup_record", full.receipt_no, "followup_record", "a4"),
        ("confirmation_application", full.receipt_no, "confirmation_application", "a4"),
        ("confirmation_result", full.receipt_no, "confirmation_result", "a4"),
        ("closing_report", full.receipt_no, "closing_report", "a4"),
        ("dossier", full.receipt_no, "dossier", "a4"),
        ("receipt-mediator", roster.receipt_no, None, "a4"),
        # printed a second time: stamped 补打（第1次）
        ("receipt-consultation-reprint", cons.receipt_no, None, "a4"),
    ]
    enterprise = desk.enterprise_by_uscc("91152201MA0N12340P")
    if enterprise is not None:
        jobs.insert(6, ("receipt-enterprise", enterprise.receipt_no, None, "a4"))
    return desk, jobs


def statistics_sample(directory: Path, out_dir: Path) -> list[Path]:
    """The League's statistics report for last month (demo data, League window 152200):
    pages 1 and 2 as statistics-report.png and statistics-report-p2.png."""
    from xingan_desk.demo import generate
    from xingan_desk.stats import Period, compute
    from xingan_desk.stats_export import export_report

    desk = Desk.initialise(directory, "152200", "01", admin_password=PASSWORD,
                           admin_name="孙伟")
    try:
        desk.use_account("admin")
        generate(desk, 1500, seed=2026)
        last = today_cst().replace(day=1) - dt.timedelta(days=1)
        report = compute(desk, Period.month(last.year, last.month))
        pdf = export_report(desk, report, "pdf", directory / "statistics.pdf")
    finally:
        desk.close()
    from pypdf import PdfReader

    moj = next((n for n, page in enumerate(PdfReader(pdf).pages, start=1)
                if "司法部表式" in (page.extract_text() or "")), 2)
    paths = []
    for page, name in ((1, "statistics-report"), (2, "statistics-report-p2"),
                       (moj, "statistics-report-mediation-moj")):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(out_dir / name)], check=True)
        paths.append(out_dir / f"{name}.png")
    return paths


# documents shown by more than their first page: the 卷宗's cover and 卷内目录, a session's
# signature page
EXTRA_PAGES: dict[str, tuple[tuple[int, str], ...]] = {
    "dossier": ((1, ""), (2, "-p2")),
    "mediation_record": ((1, ""), (2, "-p2")),
}


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "print-samples"
    out_dir.mkdir(parents=True, exist_ok=True)
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        desk, jobs = build_sample_store(Path(tmp) / "store")
        try:
            for name, receipt_no, document, layout in jobs:
                pdf = render(desk, receipt_no, Path(tmp) / f"{name}.pdf", document=document,
                             layout=layout)
                for page, suffix in EXTRA_PAGES.get(name, ((1, ""),)):
                    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l",
                                    str(page), "-singlefile", str(pdf),
                                    str(out_dir / f"{name}{suffix}")], check=True)
                    print(out_dir / f"{name}{suffix}.png")
        finally:
            desk.close()
        for path in statistics_sample(Path(tmp) / "league", out_dir):
            print(path)


if __name__ == "__main__":
    main()
