"""An imported record shows its ledger's own number (原台账编号) in the detail panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel

from tests.ui.qt_helpers import open_main_window
from xingan_desk.importing import ImportJob


def test_the_detail_panel_shows_the_ledgers_number(qtbot: Any, desk: Any, runner: Any,
                                                   tmp_path: Path) -> None:
    ledger = tmp_path / "咨询台账.csv"
    ledger.write_text("台账编号,咨询日期,首问责任人,单位名称,咨询类别,咨询内容\n"
                      "ZLT-2023-0117,2023-05-06,李娜,兴安新材料有限公司,其他,第一个问题\n",
                      encoding="utf-8")
    assert ImportJob(desk, "consultation", ledger).run().imported == 1
    win = open_main_window(qtbot, desk, runner)
    win.nav.setCurrentRow(0)  # 咨询登记
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=5000)
    win.table.selectRow(0)

    def shown() -> QLabel | None:
        return win.detail.findChild(QLabel, "value_source_no")

    qtbot.waitUntil(lambda: shown() is not None, timeout=5000)
    label = shown()
    assert label is not None and label.text() == "ZLT-2023-0117"
    row_labels = [w.text() for w in win.detail.findChildren(QLabel)
                  if w.property("role") == "field_label"]
    assert "原台账编号" in row_labels
