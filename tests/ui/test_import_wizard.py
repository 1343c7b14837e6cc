"""导入台账: an admin opens the wizard from the top bar, picks a messy ledger, sees the columns
mapped from their labels (and changes one), reads each bad row's reason in the preview, saves
the error report, imports with the progress bar, and finds the records in the list; clerks do
not see the button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from PySide6.QtWidgets import QComboBox, QPushButton

from tests.conftest import ADMIN_PASSWORD
from tests.core.test_import import messy_ledger
from tests.ui.qt_helpers import child
from ui.import_wizard import ImportWizard
from ui.main_window import MainWindow
from xingan_desk.views import Query

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _window(qtbot: Any, desk: Any, runner: Any) -> MainWindow:
    win = MainWindow(desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.started and not runner.busy, timeout=5000)
    return win


def test_admin_imports_a_ledger_through_the_wizard(qtbot: Any, desk: Any, runner: Any,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "咨询台账.xlsx"
    messy_ledger(path)
    win = _window(qtbot, desk, runner)
    button = child(win, QPushButton, "btn_import")
    assert button.isVisible()
    button.click()
    wizard = win.findChild(ImportWizard, "import_wizard")
    assert wizard is not None and wizard.isVisible()
    wizard.choose(path, "consultation")
    assert [wizard.sheet_box.itemText(i) for i in range(wizard.sheet_box.count())][1:] == [
        "2023年", "2024年"]
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.step == 1 and not runner.busy, timeout=10000)
    # the header under the two title rows, mapped from its labels
    assert "表头在第3行" in wizard.header_note.text()
    labels = {wizard.columns.item(i, 0).text(): wizard.columns.cellWidget(i, 2).currentText()
              for i in range(wizard.columns.rowCount())}
    assert labels["咨询日期"] == "开始时间" and labels["来访人"] == "来访人姓名"
    assert labels["咨询内容"] == "咨询内容摘要" and labels["序号"] == "（不导入）"
    # the clerk can change a column: 答复内容 not imported, then back
    row = [wizard.columns.item(i, 0).text() for i in range(wizard.columns.rowCount())].index(
        "答复内容")
    box: QComboBox = wizard.columns.cellWidget(row, 2)
    box.setCurrentIndex(box.findData(""))
    assert wizard.job is not None and wizard.job.plans[0].columns.targets[row] == ""
    box.setCurrentIndex(box.findData("answer"))
    assert wizard.job.plans[0].columns.targets[row] == "answer"
    wizard.resize(1366, 768)
    SHOTS.mkdir(parents=True, exist_ok=True)
    wizard.grab().save(str(SHOTS / "import_wizard_columns.png"))

    checked: list[Any] = []
    wizard.checked.connect(checked.append)
    wizard.next_step()  # 预览与检查: a dry run
    qtbot.waitUntil(lambda: bool(checked) and not runner.busy, timeout=20000)
    assert "可导入 5 条" in wizard.check_summary.text() and "有错误 3 行" in wizard.check_summary.text()
    assert desk.count(Query(kind="consultation")) == 0  # nothing written by the check
    shown = {wizard.preview.item(r, 0).text(): wizard.preview.item(r, 1).text()
             for r in range(wizard.preview.rowCount())}
    assert "请填写咨询内容摘要" in shown["2023年 第8行"]
    assert "末尾几位已丢失" in shown["2023年 第7行"]
    assert shown["2023年 第4行"] == "✓"
    wizard.grab().save(str(SHOTS / "import_wizard.png"))
    report = tmp_path / "错误报告.xlsx"
    wizard.save_report(report)
    qtbot.waitUntil(lambda: report.exists() and not runner.busy, timeout=10000)
    assert len(list(load_workbook(report).active.iter_rows())) == 4

    done: list[Any] = []
    wizard.finished_import.connect(done.append)
    wizard.next_step()  # 开始导入
    qtbot.waitUntil(lambda: bool(done) and not runner.busy, timeout=30000)
    assert wizard.step == 3 and "已导入 5 条" in wizard.import_label.text()
    assert wizard.bar.value() == wizard.bar.maximum()
    assert "第8行" in wizard.import_errors.text()
    assert desk.count(Query(kind="consultation")) == 5
    wizard.grab().save(str(SHOTS / "import_wizard_done.png"))
    wizard.close()


def test_cancel_stops_after_the_batch_and_importing_again_finishes(qtbot: Any, desk: Any,
                                                                    runner: Any,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "大台账.csv"
    with path.open("w", encoding="utf-8-sig") as fh:
        fh.write("台账编号,咨询日期,首问责任人,来访人,单位名称,咨询类别,咨询内容,状态\n")
        for n in range(1, 1201):
            fh.write(f"A{n},2023-05-06,李娜,王芳,兴安盟某某{n}有限公司,其他,问题{n},已办结\n")
    wizard = ImportWizard(desk, runner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.choose(path, "consultation")
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.step == 1 and not runner.busy, timeout=10000)
    assert wizard.job is not None
    batches: list[int] = []
    wizard._progress.moved.connect(lambda done, _total: (batches.append(done),
                                                         wizard.cancel_import()))
    done: list[Any] = []
    wizard.finished_import.connect(done.append)
    wizard.start_import()
    qtbot.waitUntil(lambda: bool(done) and not runner.busy, timeout=30000)
    result = done[0]
    assert result.cancelled and 0 < result.imported < 1200
    assert "已取消" in wizard.import_label.text()
    kept = desk.count(Query(kind="consultation"))
    assert kept == result.imported
    done.clear()
    wizard._progress.moved.disconnect()
    wizard._progress.moved.connect(wizard._moved)
    wizard.start_import()
    qtbot.waitUntil(lambda: bool(done) and not runner.busy, timeout=30000)
    assert done[0].imported == 1200 - kept and done[0].skipped == kept
    assert desk.count(Query(kind="consultation")) == 1200


def test_clerks_have_no_import_button(qtbot: Any, desk: Any, runner: Any) -> None:
    desk.add_user("clerk1", "李娜", "clerk", ADMIN_PASSWORD)
    desk.use_account("clerk1")
    win = _window(qtbot, desk, runner)
    assert not child(win, QPushButton, "btn_import").isVisible()
