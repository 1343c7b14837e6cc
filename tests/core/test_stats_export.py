"""The statistics report as files: the bilingual PDF (text, fonts, glyph check) and the Excel
workbook (reads back with the same numbers), the audit entries, and the `stats` command.

Run without Qt: .venv/bin/pytest tests/core/test_stats_export.py -p no:pytest-qt -q
Uses pypdf; poppler-utils (pdftotext, pdffonts) when present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import stats_data
from tests.conftest import ADMIN_PASSWORD
from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError, ValidationFailed
from xingan_desk.printing import MissingGlyphError
from xingan_desk.stats import Period, compute
from xingan_desk.stats_export import default_filename, export_report

ROOT = Path(__file__).resolve().parents[2]
MARCH = Period.month(2026, 3)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("stats-export")
    desk = Desk.initialise(base / "store", "152200", "01", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    stats_data.build(desk)
    report = compute(desk, MARCH)
    pdf = export_report(desk, report, "pdf", base / "march.pdf")
    xlsx = export_report(desk, report, "xlsx", base / "march.xlsx")
    yield desk, report, pdf, xlsx, base
    desk.close()


def _pdf_texts(path: Path) -> list[str]:
    from pypdf import PdfReader

    texts = ["\n".join(page.extract_text() for page in PdfReader(path).pages)]
    if shutil.which("pdftotext"):
        texts.append(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                                    capture_output=True, text=True, check=True).stdout)
    return texts


def test_pdf_has_the_sections_figures_and_definitions(exported: Any) -> None:
    pdf = exported[2]
    expected = [
        "知识产权服务窗口统计报表", "兴安盟市场监督管理局（知识产权局）",
        "统计期：2026年3月（2026年3月1日至2026年3月31日）", "范围：全盟",
        "一、计划目标完成情况", "二、咨询登记", "三、好差评", "四、专利预审备案",
        "五、专利预审案件", "六、知识产权纠纷调解", "七、人民调解统计表", "八、高价值专利培育与知识产权运用台账",
        "九、人员与窗口（主管）", "十、统计口径说明",
        "人民调解案件统计表（司法部表式）", "协议履行情况",
        "调解案件4/10件（年度目标，方案目标沿用）", "年调解案件不少于10件",
        "兴署办发〔2022〕47号",
        "好评率66.7%", "差评回访率50.0%", "备案通过率50.0%",
        "合格率＝预审合格÷（预审合格＋预审不合格），按结论日期；撤回不计入分母。",
        "受理率75.0%", "调解成功率33.3%", "平均办理工作日（受理至结案）12.0",
        "一次咨询可选多个事项，每个事项在该次咨询中只计1次",
        "按咨询事项和旗县市", "按案件来源和办理结果", "差评办理情况",
        "知识产权服务窗口统计报表2026年3月全盟",  # the footer
    ]
    for text in _pdf_texts(pdf):
        flat = _flat(text)
        missing = [e for e in expected if _flat(e) not in flat]
        assert not missing, missing
        # the 合计 row of the mediation table: 4 applied, 3 accepted, 1 refused, 1 written, …
        assert re.search(r"合计\s*4\s+3\s+1\s+1\s+0\s+1\s+1\s+1\s+1\s+0", text), "合计"


def test_pdf_fonts_are_embedded(exported: Any) -> None:
    pdf = exported[2]
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) not installed")
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    names = " ".join(r.split()[0] for r in rows)
    assert "NotoSansMongolian" in names and "WenQuanYiZenHei" in names  # both scripts
    for row in rows:
        emb = row.split()[-5]
        assert emb == "yes", row


def test_xlsx_reads_back_with_the_same_numbers(exported: Any) -> None:
    from openpyxl import load_workbook

    xlsx = exported[3]
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["计划目标完成情况", "咨询登记", "好差评", "专利预审备案", "专利预审案件",
                             "知识产权纠纷调解", "人民调解统计表", "高价值专利培育与知识产权运用台账",
                             "人员与窗口（主管）", "人民调解统计表（司法部表式）",
                             "统计口径说明"]

    def rows(sheet: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]

    def after(sheet: str, title: str) -> list[tuple[Any, ...]]:
        all_rows = rows(sheet)
        i = next(n for n, r in enumerate(all_rows) if r[0] == title)
        out = []
        for r in all_rows[i + 2:]:
            if r[0] is None or str(r[0]).startswith("注："):
                break
            out.append(r)
        return out

    mediation = after("知识产权纠纷调解", "按案件来源和办理结果")
    assert mediation[-1][:11] == ("合计", 4, 3, 1, 1, 0, 1, 1, 1, 1, 0)
    assert mediation[0][:4] == ("当事人申请", 2, 2, 1)  # M1 and M4 accepted, M3 refused
    moj = rows("人民调解统计表（司法部表式）")
    head = next(n for n, r in enumerate(moj) if r[0] == "填报单位")
    assert moj[head][1] == "受理" and "案件来源" in moj[head] and "司法确认" in moj[head]
    assert "当事人申请" in moj[head + 1] and "确认有效" in moj[head + 1]
    total = next(r for r in moj if r[0] == "合计")
    assert total[1] == 3  # cases accepted in March
    assert total[moj[head + 1].index("确认有效")] == 1
    summary = {r[0]: r[1] for r in rows("好差评") if r[0] and r[1] is not None}
    assert summary["评价总数"] == 6 and summary["差评数"] == 2
    assert summary["好评率"] == pytest.approx(4 / 6)
    rate_cell = next(c for c in wb["好差评"]["B"] if c.value == pytest.approx(4 / 6))
    assert rate_cell.number_format == "0.0%"
    cases = after("专利预审案件", "预审案件办理结果（按专利类型）")
    assert cases[-1][:6] == ("合计", 4, 1, 1, 0, 0.5)
    topics = after("咨询登记", "按咨询事项和旗县市")
    assert topics[10][:2] == ("专利预审备案", 2)
    targets = after("计划目标完成情况", "计划目标完成情况")
    assert targets[0][:7] == ("调解案件", "件", 3, 4, 4, 10, 0.4)  # 本期 本年 累计 目标 完成率
    head = rows("咨询登记")
    assert head[0][0] == "知识产权服务窗口统计报表（咨询登记）"
    assert head[1][0] == "统计期：2026年3月（2026年3月1日至2026年3月31日）"


def test_exports_are_audited(exported: Any) -> None:
    desk = exported[0]
    details = [a.detail for a in desk.audit_trail(50) if a.action == "export"]
    assert any(d.startswith("统计报表 2026年3月 全盟") and d.endswith("march.pdf") for d in details)
    assert any(d.endswith("march.xlsx") for d in details)


def test_unprintable_name_stops_the_pdf_before_writing(exported: Any) -> None:
    desk, _report, _pdf, _xlsx, base = exported
    desk.add_user("boss", "孙\U000F0000伟", "supervisor", ADMIN_PASSWORD)  # a private-use char
    desk.use_account("boss")
    try:
        report = compute(desk, MARCH)
        target = base / "never.pdf"
        with pytest.raises(MissingGlyphError):
            export_report(desk, report, "pdf", target)
        assert not target.exists()
    finally:
        desk.use_account("admin")


def test_bad_format_and_unwritable_target(exported: Any, tmp_path: Path) -> None:
    desk, report, *_ = exported
    with pytest.raises(ValidationFailed, match="xlsx 或 pdf"):
        export_report(desk, report, "csv", tmp_path / "a.csv")
    with pytest.raises(DeskError, match="文件夹不存在"):  # the export's file error
        export_report(desk, report, "xlsx", tmp_path / "missing" / "a.xlsx")
    assert default_filename(report, "xlsx") == "统计报表_2026-03_全盟.xlsx"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # the command line logs in (admin and lina share the test password)
    return subprocess.run([sys.executable, "-m", "xingan_desk", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300,  # the password unlocks the store
                          env={**os.environ, "XINGAN_DESK_PASSWORD": ADMIN_PASSWORD})


def test_stats_command(exported: Any, tmp_path: Path) -> None:
    desk = exported[0]
    data = str(desk.directory)
    if not any(u.username == "lina" for u in desk.list_users()):
        desk.add_user("lina", "李娜", "clerk", ADMIN_PASSWORD)
    out = tmp_path / "三月.xlsx"
    ok = _run("stats", "--data-dir", data, "--period", "2026-03", "--out", str(out))
    assert ok.returncode == 0, ok.stderr
    assert "已导出统计报表（2026年3月，全盟）" in ok.stdout
    assert "目标：调解案件 4 / 10 件（年度目标，方案目标沿用），进度正常" in ok.stdout
    assert out.stat().st_size > 0
    pdf = tmp_path / "q1.pdf"
    county = _run("stats", "--data-dir", data, "--period", "2026-Q1", "--county", "扎赉特旗",
                  "--format", "pdf", "--out", str(pdf))
    assert county.returncode == 0, county.stderr
    assert "（2026年第一季度，扎赉特旗）" in county.stdout and pdf.read_bytes()[:5] == b"%PDF-"
    clerk = _run("stats", "--data-dir", data, "--period", "2026-03", "--user", "lina",
                 "--out", str(tmp_path / "x.xlsx"))
    assert clerk.returncode == 1 and "主管或管理员" in clerk.stderr
    assert len(clerk.stderr.strip().splitlines()) == 1
    bad = _run("stats", "--data-dir", data, "--period", "三月", "--out", str(tmp_path / "y.xlsx"))
    assert bad.returncode == 2 and "2026-Q1" in bad.stderr
    assert _run("stats", "--data-dir", data, "--out", "z.xlsx").returncode == 2  # no --period
