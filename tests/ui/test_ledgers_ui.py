"""The plan's ledgers in the window: their areas in the navigation, and the clerk confirming a
patent's high-value categories, which the dialog starts from the system's judgement."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QListWidget

from tests.ledger_data import PATENT
from tests.ui.qt_helpers import child, open_main_window
from ui.areas import AREAS, DAILY_AREAS
from ui.record_form import ActionDialog
from xingan_desk.records.kinds import KINDS


def test_ledger_areas_follow_the_daily_work(qtbot: Any, desk: Any, runner: Any) -> None:
    win = open_main_window(qtbot, desk, runner)
    nav = child(win, QListWidget, "nav")
    titles = [nav.item(i).text().split()[0] for i in range(DAILY_AREAS, len(AREAS))]
    assert titles[-1] == "调解员名册"  # the roster after the ledgers
    assert titles[:-1] == ["专利", "质押融资", "知识产权保险", "专利导航项目", "代理机构"]
    assert win.findChild(object, "act_area_patent").shortcut().toString() == "Ctrl+Shift+1"


def test_confirming_a_patent_starts_from_the_judged_categories(qtbot: Any, desk: Any,
                                                                runner: Any) -> None:
    rec, _ = desk.create("patent", PATENT)
    dlg = ActionDialog(desk, runner, rec, KINDS["patent"].workflow.action("confirm"))
    qtbot.addWidget(dlg)
    assert list(dlg.editors) == ["hv_confirmed", "hv_confirmed_on"]
    assert set(dlg.editors["hv_confirmed"].get()) == set(rec.values["hv_derived"])
    assert dlg.editors["hv_confirmed_on"].get()  # today
    dlg.submit()
    qtbot.waitUntil(lambda: desk.get(rec.id).status == "confirmed", timeout=5000)
    assert desk.get(rec.id).values["hv_confirmed"] == rec.values["hv_derived"]
