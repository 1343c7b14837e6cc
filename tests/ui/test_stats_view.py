"""The 统计 area: a supervisor picks a period, reads the figures and the plan's progress, and
exports the month to Excel and PDF; clerks do not see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QPushButton

from tests import stats_data
from tests.conftest import ADMIN_PASSWORD
from tests.ui.qt_helpers import child
from ui.main_window import AREAS, MainWindow
from ui.stats_view import StatsView
from xingan_desk.stats import Period


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.started and not runner.busy, timeout=5000)
    return win


def test_supervisor_reads_march_and_exports_it(qtbot: Any, desk: Any, runner: Any,
                                               tmp_path: Path) -> None:
    stats_data.build(desk)
    desk.add_user("boss", "孙伟", "supervisor", ADMIN_PASSWORD)
    desk.use_account("boss")
    win = _window(qtbot, desk, runner)
    nav = child(win, QListWidget, "nav")
    assert nav.count() == len(AREAS) + 1 and nav.item(len(AREAS)).text() == "统计"
    view = win.stats_view
    assert isinstance(view, StatsView)
    shown: list[Any] = []
    view.report_shown.connect(shown.append)
    qtbot.keyClick(win, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=5000)  # this month first
    assert win.right.currentWidget() is view and not win.splitter.widget(1).isVisible()
    assert not child(win, QLineEdit, "search").isEnabled()
    assert view.scope.count() == 1 and view.scope.currentText() == "扎赉特旗"  # a county window

    view.set_period(Period.month(2026, 3))
    assert view.period() == Period.month(2026, 3)
    shown.clear()
    qtbot.mouseClick(child(view, QPushButton, "btn_stats_run"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=5000)
    report = shown[-1]
    assert report.period.label == "2026年3月" and report.scope_label == "扎赉特旗"
    assert "2026年3月（2026年3月1日至2026年3月31日）" in view.info.text()

    # the plan's mediation target on its card: the League's target, the county's figure
    card = view.cards["mediation_accepted"]
    assert card.figure.text() == "4 / 10 件" and card.status.text() == "全盟目标"
    assert card.bar.value() == 40 and card.bar.text() == "40.0%"

    # the mediation tab: source × outcome, the 合计 row as a supervisor reads it
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "计划目标完成情况", "咨询登记", "好差评", "专利预审备案", "专利预审案件", "知识产权纠纷调解",
        "人民调解统计表",
"高价值专利培育与知识产权运用台账", "人员与窗口（主管）"]
    # a progress chart of every target above the targets' table
    chart = view.pages["targets"].chart
    assert chart is not None and chart.objectName() == "target_chart"
    assert [p.label for p in chart.points] == [tp.target.label for tp in report.targets]
    assert len(report.targets) == 12 and chart.height() >= 12 * 22
    table = view.pages["mediation"].tables["mediation_outcomes"]
    model = table.model()
    last = model.rowCount() - 1
    assert [model.data(model.index(last, c)) for c in range(model.columnCount())] == [
        "合计", "4", "3", "1", "1", "0", "1", "1", "1", "1", "0"]
    assert model.data(model.index(last, 0), Qt.ItemDataRole.FontRole).bold()
    cases = view.pages["preexam_case"].tables["case_results"].model()
    rate_col = [cases.headerData(c, Qt.Orientation.Horizontal) for c in
                range(cases.columnCount())].index("合格率")
    assert cases.data(cases.index(cases.rowCount() - 1, rate_col)) == "50.0%"
    topics = view.pages["consultation"].tables["consultation_topics"].model()
    assert topics.data(topics.index(10, 0)) == "专利预审备案"
    assert topics.data(topics.index(10, 1)) == "2"

    # export on the I/O lane
    exported: list[str] = []
    view.exported.connect(exported.append)
    xlsx, pdf = tmp_path / "三月.xlsx", tmp_path / "三月.pdf"
    assert child(view, QPushButton, "btn_export_xlsx").isEnabled()
    view.export("xlsx", xlsx)
    qtbot.waitUntil(lambda: len(exported) == 1 and not runner.busy, timeout=10000)
    view.export("pdf", pdf)
    qtbot.waitUntil(lambda: len(exported) == 2 and not runner.busy, timeout=20000)
    assert exported == [str(xlsx), str(pdf)]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx)["知识产权纠纷调解"]
    assert ("合计", 4, 3, 1) in [tuple(r[:4]) for r in sheet.iter_rows(values_only=True)]
    assert view.info.text() == f"已导出：{pdf}"

    # changing a picker recomputes by itself: the first quarter at the county's scope
    shown.clear()
    view.kind.setCurrentIndex(1)  # 季报
    view.part.setCurrentIndex(0)
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=5000)
    assert len(shown) == 1 and shown[0].period == Period.quarter(2026, 1)
    assert shown[0].mediation.accepted == 4  # January's M7 and March's three

    # back to a record area: the list and the search return
    nav.setCurrentRow(0)
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    assert win.splitter.widget(1).isVisible() and win.right.currentWidget() is win.detail
    assert child(win, QLineEdit, "search").isEnabled()


def test_clerks_do_not_see_statistics(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.add_user("lina", "李娜", "clerk", ADMIN_PASSWORD)
    desk.use_account("lina")
    win = _window(qtbot, desk, runner)
    assert win.stats_view is None
    assert child(win, QListWidget, "nav").count() == len(AREAS)
    assert win.minimumSizeHint().width() <= 1366


def test_an_open_form_stays_in_front(qtbot: Any, desk: Any, runner: Any) -> None:
    win = _window(qtbot, desk, runner)
    form = win.new_record("consultation")
    assert form is not None
    nav = child(win, QListWidget, "nav")
    nav.setCurrentRow(len(AREAS))
    assert nav.currentRow() == 0 and win.right.currentWidget() is form
    assert win.statusBar().currentMessage() == "请先保存或取消当前表单"
    form.cancel(ask=False)
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)


def test_the_statistics_screen_offers_no_new_record(qtbot: Any, desk: Any, runner: Any,
                                                   tmp_path: Path) -> None:
    """On 统计 there is nothing to create: the toolbar's 新建 button (which named the last
    area's kind, e.g. "新建调解受理") is gone and Ctrl+N opens no form; back in an area it
    returns, naming that area's kind."""
    win = _window(qtbot, desk, runner)
    nav = child(win, QListWidget, "nav")
    btn = child(win, QPushButton, "btn_new")
    area = [key for key, _ in AREAS].index("mediation")
    nav.setCurrentRow(area)
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    assert btn.isVisible() and btn.text() == "新建调解受理（Ctrl+N）"
    shown: list[Any] = []
    assert win.stats_view is not None
    win.stats_view.report_shown.connect(shown.append)
    nav.setCurrentRow(len(AREAS))
    qtbot.waitUntil(lambda: bool(shown) and not runner.busy, timeout=5000)
    assert not btn.isVisible() and not win.act_new.isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert win.form is None and win.right.currentWidget() is win.stats_view
    assert win.grab().save(str(tmp_path / "stats_toolbar.png"))  # 1366×768, to look at
    nav.setCurrentRow(0)
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    assert btn.isVisible() and btn.isEnabled() and win.act_new.isEnabled()
    assert btn.text() == "新建咨询登记（Ctrl+N）"
