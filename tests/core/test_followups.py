"""A mediation's follow-up of the agreement's performance is one action, 记录回访: the former
记录履行情况 is folded into it. Its events (recorded by earlier releases, older windows or a
ledger import) still fold, show in the history, print in the 回访记录 and count in the
statistics as before."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GOOD_MEDIATION
from xingan_desk.bulk import BulkAction, BulkRow
from xingan_desk.errors import IllegalTransition
from xingan_desk.printing import render
from xingan_desk.printing.case_file import dossier_contents
from xingan_desk.stats import Period, compute
from xingan_desk.timeutil import today_cst

TODAY = today_cst()
EFFECTIVE = TODAY - dt.timedelta(days=3)
STEPS = (BulkAction("accept", {"accepted_on": EFFECTIVE - dt.timedelta(days=4),
                               "mediator": "赵敏"}),
         BulkAction("start", {"consent": "agreed",
                              "started_on": EFFECTIVE - dt.timedelta(days=3)}),
         BulkAction("settle", {"outcome": "written", "agreement": "被申请人赔偿2万元。",
                               "agreement_effective_on": EFFECTIVE}))


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _old_style(desk: Any, performance: str) -> str:
    """A settled case whose 履行情况 was recorded by the former 记录履行情况 (as an earlier
    release, an older window or a ledger import recorded it: the bulk path's history)."""
    result = desk.create_many("mediation", [BulkRow(GOOD_MEDIATION, actions=(
        *STEPS, BulkAction("record_performance", {"performance": performance})))])
    return str(result.created[0][1])


def _new_style(desk: Any, performance: str) -> str:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    for step in STEPS:
        desk.act(rec.id, step.action, dict(step.values))
    desk.act(rec.id, "record_followup", {"followups": [{
        "date": TODAY, "visitor": "赵敏", "visited": "张建国", "method": "phone",
        "performance": performance, "findings": "已按协议付款"}]})
    return str(rec.id)


@pytest.fixture
def admin(desk: Any) -> Any:
    desk.use_account("admin")
    return desk


def test_a_mediator_sees_one_follow_up_action(admin: Any) -> None:
    rec_id = _new_style(admin, "partial")
    labels = [a.label for a in admin.actions_for(rec_id)]
    assert labels.count("记录回访") == 1 and "记录履行情况" not in labels
    with pytest.raises(IllegalTransition, match="“记录履行情况”已并入“记录回访”"):
        admin.act(rec_id, "record_performance", {"performance": "done"})
    assert admin.get(rec_id).values["performance"] == "partial"
    from ui.shortcuts import action_keys

    assert "record_performance" not in action_keys("mediation")


def test_an_old_performance_event_still_folds_shows_and_prints(admin: Any,
                                                               tmp_path: Path) -> None:
    rec_id = _old_style(admin, "partial")
    rec = admin.get(rec_id)
    assert rec.status == "settled" and rec.values["performance"] == "partial"
    assert not rec.values.get("followups")
    events, _ = admin.history(rec_id)
    assert [e.action_label for e in events][-1] == "记录履行情况"
    # then a visit through 记录回访: both print, in the order recorded
    admin.act(rec_id, "record_followup", {"followups": [{
        "date": TODAY, "visitor": "赵敏", "visited": "张建国", "method": "visit",
        "performance": "done", "findings": "余款已付清"}]})
    rec = admin.get(rec_id)
    assert "followup_record" in [k for k, _ in dossier_contents(admin, rec)]
    from pypdf import PdfReader

    out = render(admin, rec.receipt_no, tmp_path / "回访.pdf", document="followup_record")
    pages = [_flat(p.extract_text()) for p in PdfReader(out).pages]
    assert len(pages) == 2
    assert "人民调解回访记录（第一次）" in pages[0] and "■部分履行" in pages[0]
    assert "以“记录履行情况”登记" in pages[0] and "登记人：系统管理员" in pages[0]
    assert "人民调解回访记录（第二次）" in pages[1] and "■履行完毕" in pages[1]
    assert "余款已付清" in pages[1]
    dossier = render(admin, rec.receipt_no, tmp_path / "卷宗.pdf", document="dossier")
    text = _flat("".join(p.extract_text() for p in PdfReader(dossier).pages))
    assert "以“记录履行情况”登记" in text


def test_an_old_performance_event_alone_prints_its_follow_up_page(admin: Any,
                                                                  tmp_path: Path) -> None:
    rec = admin.get(_old_style(admin, "done"))
    assert "followup_record" in [k for k, _ in dossier_contents(admin, rec)]
    from pypdf import PdfReader

    out = render(admin, rec.receipt_no, tmp_path / "回访.pdf", document="followup_record")
    text = _flat("".join(p.extract_text() for p in PdfReader(out).pages))
    assert "人民调解回访记录" in text and "■履行完毕" in text


def test_statistics_count_old_and_new_follow_ups_alike(admin: Any) -> None:
    """The figures of existing data do not change: the 履行情况 either action recorded counts
    in the performance table and in the MoJ layout."""
    _old_style(admin, "done")
    _old_style(admin, "partial")
    _new_style(admin, "done")
    month = Period.month(EFFECTIVE.year, EFFECTIVE.month)
    report = compute(admin, month)
    assert report.mediation.settled == 3
    assert dict(report.mediation.performance) == {"done": 2, "partial": 1}
    table = report.mediation_table
    assert table is not None
    assert (table.cell(None, "performance:done"), table.cell(None, "performance:partial"),
            table.cell(None, "performance:")) == (2, 1, 0)
