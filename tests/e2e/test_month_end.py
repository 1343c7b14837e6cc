"""Scenario 6, a supervisor's month end, with the plan's ledgers: the League supervisor opens
统计 in the real main window, reads every numeric target of the League plan with its figure and
its progress chart, exports the month to Excel and to the bilingual PDF, and finds every target
with its figure in both (the PDF read back as text, and rendered to PNG with pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QListWidget

from tests import stats_data
from tests.conftest import ADMIN_PASSWORD
from tests.ledger_data import AGENCY, INSURANCE, NAVIGATION, PATENT, PLEDGE, PLEDGE_REGISTER
from tests.ui.qt_helpers import child, open_main_window
from ui.main_window import AREAS
from ui.stats_view import StatsView
from xingan_desk.desk import Desk
from xingan_desk.stats import Period, load_targets

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
                                reason="poppler-utils (pdftotext, pdftoppm) not installed")


def _ledgers_of_march(desk: Any) -> None:
    """The ledgers a supervisor keeps, with their steps in March 2026."""
    desk.create("patent", {**PATENT, "county_code": "152201"})
    pledge, _ = desk.create("pledge", {**PLEDGE, "surveyed_on": "2026-02-10"})
    desk.act(pledge.id, "register", {**PLEDGE_REGISTER, "registered_on": "2026-03-12"})
    desk.create("pledge", {**PLEDGE, "enterprise_name": "兴安盟稻米加工有限公司",
                           "surveyed_on": "2026-03-20"})  # an open demand for the banks
    desk.create("insurance", {**INSURANCE, "starts_on": "2026-03-01", "ends_on": "2027-02-28"})
    desk.create("navigation", {**NAVIGATION, "starts_on": "2026-03-05", "ends_on": "2027-03-04"})
    desk.create("agency", {**AGENCY, "serving_since": "2026-03-16"})


@pytest.fixture
def league_supervisor(tmp_path: Path) -> Any:
    d = Desk.initialise(tmp_path / "league", "152200", "01", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    stats_data.build(d)
    _ledgers_of_march(d)
    d.add_user("boss", "孙伟", "supervisor", ADMIN_PASSWORD)
    d.use_account("boss")
    yield d
    d.close()


def _flat(text: str) -> str:
    return "".join(text.split())


def test_month_end_shows_every_target_on_screen_in_excel_and_in_the_pdf(
        qtbot: Any, league_supervisor: Any, runner: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    win = open_main_window(qtbot, league_supervisor, runner)
    view = win.stats_view
    assert isinstance(view, StatsView)
    shown: list[Any] = []
    view.report_shown.connect(shown.append)
    child(win, QListWidget, "nav").setCurrentRow(len(AREAS))
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=10000)
    view.set_period(Period.month(2026, 3))
    shown.clear()
    view.refresh()
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=10000)
    report = shown[-1]
    assert report.scope_label == "全盟"

    # every numeric target of the plan, each with its figure, on screen
    targets = load_targets().targets
    assert len(targets) == 12 and len(report.targets) == 12
    figures = {tp.target.key: tp for tp in report.targets}
    for t in targets:
        card = view.cards[t.key]
        tp = figures[t.key]
        assert card.figure.text() == f"{tp.actual} / {t.value} {t.unit}", t.key
    assert figures["pledge_amount"].actual == 1200 and figures["pledge_amount"].in_period == 1200
    assert figures["high_value_patents"].actual == 1
    assert figures["insurance_policies"].status == "已完成"
    assert dict(figures["high_value_patents"].by_county)["152201"] == 1  # the patentee's county
    chart = view.pages["targets"].chart
    assert chart is not None
    assert [p.label for p in chart.points] == [t.label for t in targets]
    assert [p.caption for p in chart.points] == [
        f"{figures[t.key].actual} / {t.value} {t.unit}" for t in targets]
    assert next(p for p in chart.points if p.label == "知识产权保险业务").done
    # the targets' definitions are on the report
    notes = " ".join(view.pages["targets"].section.notes)
    assert all(t.measure_note in notes for t in targets)
    staff = view.pages["staff"].tables["staff_windows"].model()
    assert staff.rowCount() == 1 and staff.data(staff.index(0, 0)) == "兴安盟（盟本级） 01号窗口"

    # exported to Excel and PDF on the I/O lane
    exported: list[str] = []
    view.exported.connect(exported.append)
    xlsx, pdf = tmp_path / "三月.xlsx", tmp_path / "三月.pdf"
    view.export("xlsx", xlsx)
    qtbot.waitUntil(lambda: len(exported) == 1 and not runner.busy, timeout=15000)
    view.export("pdf", pdf)
    qtbot.waitUntil(lambda: len(exported) == 2 and not runner.busy, timeout=30000)

    sheet = [tuple(r) for r in load_workbook(xlsx)["计划目标完成情况"].iter_rows(values_only=True)]
    by_label: dict[Any, tuple[Any, ...]] = {}
    for r in sheet:  # the targets' table comes first (the by-county table repeats the labels)
        if r and r[0]:
            by_label.setdefault(r[0], r)
    for t in targets:
        row = by_label[t.label]
        tp = figures[t.key]
        # 本期 本年 累计 目标: the annual figure is the year to date, the cumulative the stock
        assert row[5] == t.value, t.key
        assert (row[3] if t.period == "annual" else row[4]) == tp.actual, t.key

    text = _flat(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
                                capture_output=True, text=True, check=True).stdout)
    for t in targets:
        tp = figures[t.key]
        # the chart's label names each target with its figure; the notes give its definition
        assert _flat(f"{t.label}（{tp.actual} / {t.value} {t.unit}）") in text, t.key
        # (its start: a note may run over a page break, with the page's header in between)
        assert _flat(f"{t.label}：{t.measure_note[:30]}") in text, t.key
    assert "计划目标完成进度" in text and "人员与窗口（主管）" in text
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(png)],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 10_000 for p in pages)
