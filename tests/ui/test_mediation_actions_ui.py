"""The mediation's action dialogs as a mediator meets them: 申请司法确认 refuses a late date
beside the date field, and a settled case offers one follow-up action (记录回访)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt

from tests.conftest import GOOD_MEDIATION
from ui.record_form import ActionDialog
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import today_cst


def test_a_late_confirmation_date_is_refused_beside_the_field(qtbot: Any, desk: Any,
                                                              runner: Any,
                                                              tmp_path: Path) -> None:
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    effective = today_cst() - dt.timedelta(days=60)
    desk.act(rec.id, "accept", {"accepted_on": effective - dt.timedelta(days=3),
                                "mediator": "赵敏"})
    desk.act(rec.id, "start", {"consent": "agreed",
                               "started_on": effective - dt.timedelta(days=2)})
    desk.act(rec.id, "settle", {"outcome": "written", "agreement": "被申请人赔偿2万元。",
                                "agreement_effective_on": effective})
    rec = desk.get(rec.id)
    assert [a.label for a in desk.actions_for(rec.id)].count("记录回访") == 1
    assert "记录履行情况" not in [a.label for a in desk.actions_for(rec.id)]
    wf = KINDS["mediation"].workflow
    assert wf is not None
    dlg = ActionDialog(desk, runner, rec, wf.action("apply_confirmation"))
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.editors["confirmation_applied_on"].get() == today_cst().isoformat()  # today
    dlg.submit()
    editor = dlg.editors["confirmation_applied_on"]
    qtbot.waitUntil(lambda: editor.error is not None, timeout=5000)
    assert editor.error is not None and editor.error.startswith("已超过申请司法确认期限")
    assert "人民调解法第三十三条" in editor.error
    assert dlg.isVisible() and desk.get(rec.id).status == "settled"
    qtbot.wait(100)
    label = editor.error_label  # the whole reason shows: the dialog made room for it
    text = label.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10_000),
                                            Qt.TextFlag.TextWordWrap, label.text())
    assert label.isVisible() and label.height() >= text.height()
    assert dlg.grab().save(str(tmp_path / "confirmation_late.png"))
