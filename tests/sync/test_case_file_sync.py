"""The mediation case file through central: the new actions and repeating parts are accepted
and folded the same everywhere (two windows recording sessions offline keep both), and the
mediator roster reaches every window League-wide."""

from __future__ import annotations

import pytest

from tests.conftest import GOOD_MEDIATION
from xingan_desk.records.kinds import KINDS

from .helpers import central_state, local_state, scope_of

pytestmark = pytest.mark.pg


def _session(day: str, who: str, result: str) -> dict[str, str]:
    return {"date": day, "place": "调解室", "mediators": who, "present": "双方当事人",
            "statements": f"{who}主持调解，双方陈述意见。", "result": result}


def test_sessions_recorded_offline_on_two_windows_keep_both(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "包银山"})
    a.desk.act(med.id, "start", {"consent": "agreed", "started_on": "2026-03-04"})
    assert a.sync().rejected == 0
    b.sync()
    # both windows record a session before either syncs again
    a.desk.act(med.id, "record_session", {"sessions": [_session("2026-03-05", "包银山",
                                                                "continue")]})
    b.desk.act(med.id, "record_session", {"sessions": [_session("2026-03-06", "刘海燕",
                                                                "continue")]})
    for w in (a, b, a):
        rep = w.sync()
        assert rep.rejected == 0, rep.rejections
    a.desk.act(med.id, "record_investigation_mediating", {"investigations": [{
        "date": "2026-03-07", "place": "厂区", "investigators": "包银山", "subject": "赵明",
        "content": "现场查看涉案产品。"}]})
    a.desk.act(med.id, "terminate", {"termination_reason": "no_agreement",
                                     "termination_note": "分歧过大", "closed_on": "2026-03-10",
                                     "termination_notified_on": "2026-03-11"})
    a.desk.act(med.id, "close_file_terminated", {"closing_summary": "终止调解。",
                                                 "filed_on": "2026-03-12", "filed_by": "李娜",
                                                 "retention": "short"})
    for w in (a, b):
        rep = w.sync()
        assert rep.rejected == 0, rep.rejections
    for w in (a, b):
        rec = w.desk.get(med.id)
        assert rec.status == "terminated" and not rec.needs_review
        assert sorted(r["mediators"] for r in rec.values["sessions"]) == ["刘海燕", "包银山"]
        assert rec.values["investigations"][0]["subject"] == "赵明"
        assert rec.values["termination_note"] == "分歧过大"
        assert rec.values["retention"] == "short"
    # both windows folded the sessions in the same order
    assert a.desk.get(med.id).values["sessions"] == b.desk.get(med.id).values["sessions"]
    # and both agree with central's digest: the sessions the events recorded are not taken
    # for damaged local values (no re-read of the county, nothing listed for the clerk)
    for w in (a, b):
        rep = w.sync()
        assert "county:152223" in rep.verified and not rep.rebaselined, rep
        assert not rep.digest_mismatch
    # central holds the status, the events and the form's values (it folds no action values)
    central = central_state(central_url, scope_of("152223"))
    intake = {f.key for f in KINDS["mediation"].intake_fields}
    for w in (a, b):
        got = local_state(w.desk)
        for rid, (no, voided, status, _fh, values, events) in central.items():
            g_no, g_voided, g_status, _gfh, g_values, g_events = got[rid]
            assert (g_no, g_voided, g_status, g_events) == (no, voided, status, events)
            assert {k: v for k, v in g_values.items() if k in intake} == \
                {k: v for k, v in values.items() if k in intake}


def test_the_roster_reaches_every_window(make_window, central_url) -> None:
    league = make_window("152200", "01")
    county = make_window("152224", "01")
    entry, _ = league.desk.create("mediator", {"name": "包银山", "post": "主任",
                                               "specialty": "专利侵权纠纷", "active": True})
    assert league.sync().rejected == 0
    county.sync()
    names = [e.name for e in county.desk.mediator_roster(active_only=True)]
    assert names == ["包银山"]
    assert county.desk.get(entry.id).values["specialty"] == "专利侵权纠纷"
