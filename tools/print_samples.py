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

PASSWORD = "Admin2026x"


def _materials(desk: Desk) -> list[dict[str, Any]]:
    rows = desk.defaults("preexam_filing")["materials"]
    status = {0: "received", 1: "received", 2: "received", 3: "missing", 4: "missing",
              5: "correction", 6: "received"}
    notes = {3: "研发人员及联系人近3个月", 5: "缺少近一年运行记录"}
    return [{**row, "status": status[i], "note": notes.get(i)} for i, row in enumerate(rows)]


def build_sample_store(directory: Path) -> tuple[Desk, list[tuple[str, str, str | None, str]]]:
    """A store with one record per kind and mediation cases in each document's status.

    Returns the desk and (output name, receipt number, document key or None, layout) rows.
    """
    desk = Desk.initialise(directory, "152223", "02", admin_password=PASSWORD)
    desk.use_account("admin")
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.add_user("zhaomin", "赵敏", "mediator", "Mediator2026x")
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
        "facts": "申请人是专利号为ZL 201310699744.2的“一种免耕播种机排种装置”实用新型专利的专利权人。"
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
    paths = []
    for page, name in ((1, "statistics-report"), (2, "statistics-report-p2")):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(out_dir / name)], check=True)
        paths.append(out_dir / f"{name}.png")
    return paths


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
                subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                                "-singlefile", str(pdf), str(out_dir / name)], check=True)
                print(out_dir / f"{name}.png")
        finally:
            desk.close()
        for path in statistics_sample(Path(tmp) / "league", out_dir):
            print(path)


if __name__ == "__main__":
    main()
