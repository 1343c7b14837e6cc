"""司法确认 within 30 days (人民调解法 §33): 申请司法确认 refuses an application date after the
deadline the case shows (申请司法确认期限) or before the agreement took effect, with the reason
beside the date field; central runs the twin (tests/sync/test_mediation_file_sync.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import GOOD_MEDIATION
from xingan_desk.bulk import BulkAction, BulkRow
from xingan_desk.errors import ValidationFailed
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.mediation_file import confirmation_checks
from xingan_desk.timeutil import format_date_cn

EFFECTIVE = dt.date(2026, 3, 5)


def _settled(desk: Any, effective: dt.date = EFFECTIVE) -> Any:
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.act(rec.id, "accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"})
    desk.act(rec.id, "start", {"consent": "agreed", "started_on": "2026-03-04"})
    desk.act(rec.id, "settle", {"outcome": "written", "agreement": "被申请人赔偿2万元。",
                                "agreement_effective_on": effective})
    return desk.get(rec.id)


def test_a_late_application_is_refused_beside_the_date(desk: Any) -> None:
    rec = _settled(desk)
    deadline = rec.values["confirmation_deadline"]
    assert deadline >= EFFECTIVE + dt.timedelta(days=30)  # a last day on a holiday rolls over
    late = deadline + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        desk.act(rec.id, "apply_confirmation", {"confirmation_applied_on": late,
                                                "confirmation_court": "扎赉特旗人民法院"})
    assert list(refused.value.errors) == ["confirmation_applied_on"]
    message = refused.value.errors["confirmation_applied_on"]
    assert message == ("已超过申请司法确认期限：应自调解协议生效之日起三十日内申请，本案期限至"
                       f"{format_date_cn(deadline)}（人民调解法第三十三条）")
    assert desk.get(rec.id).status == "settled"
    early = EFFECTIVE - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as before:
        desk.act(rec.id, "apply_confirmation", {"confirmation_applied_on": early})
    assert before.value.errors["confirmation_applied_on"] == \
        "申请日期不能早于调解协议生效日期（2026年3月5日）"
    # the last day counts
    after, _ = desk.act(rec.id, "apply_confirmation", {"confirmation_applied_on": deadline})
    assert after.status == "confirmation_applied"


def test_a_ledger_import_with_a_late_application_is_refused(desk: Any) -> None:
    desk.use_account("admin")
    steps = (BulkAction("accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"}),
             BulkAction("start", {"consent": "agreed", "started_on": "2026-03-04"}),
             BulkAction("settle", {"outcome": "written", "agreement": "赔偿",
                                   "agreement_effective_on": EFFECTIVE}),
             BulkAction("apply_confirmation", {"confirmation_applied_on": "2026-05-20"}))
    result = desk.create_many("mediation", [BulkRow(GOOD_MEDIATION, actions=steps)],
                              on_error="collect")
    assert result.count == 0
    assert "已超过申请司法确认期限" in str(result.errors)


def test_the_rule_without_a_derived_deadline_counts_thirty_days() -> None:
    kind = KINDS["mediation"]
    assert confirmation_checks in kind.checks
    base = {"agreement_effective_on": EFFECTIVE}
    assert confirmation_checks({**base, "confirmation_applied_on": dt.date(2026, 4, 4)}) == {}
    assert "2026年4月4日" in confirmation_checks(
        {**base, "confirmation_applied_on": dt.date(2026, 4, 5)})["confirmation_applied_on"]
    assert confirmation_checks({"confirmation_applied_on": dt.date(2026, 4, 5)}) == {}


def test_a_closed_file_has_no_confirmation_deadline_left(desk: Any) -> None:
    """A settled case shows the parties' 申请司法确认期限 until its file is closed (结案归档
    keeps the status 调解成功): a filed case is not listed as due or overdue."""
    rec = _settled(desk)
    assert (rec.due_label, rec.due_date) == ("申请司法确认期限", rec.values["confirmation_deadline"])
    closed, _ = desk.act(rec.id, "close_file", {"closing_summary": "协议已履行，结案。",
                                                "filed_on": "2026-05-06", "filed_by": "李娜"})
    assert closed.status == "settled"
    assert (closed.due_label, closed.due_date) == (None, None)
    assert rec.id not in [r.id for r in desk.due()]
