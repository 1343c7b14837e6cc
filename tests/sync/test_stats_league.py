"""League statistics over synced data: two counties' windows push, the League window pulls,
and its report counts each county in its own column (real PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.stats import Period, compute

pytestmark = pytest.mark.pg

MARCH = Period.month(2026, 3)


def test_league_report_counts_every_county(make_window) -> None:
    zlt = make_window("152223", "02")
    tq = make_window("152224", "01")
    league = make_window("152200", "01")
    for topics in (["preexam", "policy"], ["preexam"]):
        zlt.desk.create("consultation", {**GOOD_CONSULTATION, "topics": topics})
    tq.desk.create("consultation", {**GOOD_CONSULTATION, "topics": ["trademark", "preexam"]})
    voided, _ = tq.desk.create("consultation", {**GOOD_CONSULTATION, "topics": ["preexam"]})
    tq.desk.void(voided.id, "重复登记")
    med, _ = tq.desk.create("mediation", GOOD_MEDIATION)
    tq.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"})
    for w in (zlt, tq):
        assert w.sync().rejected == 0
    league.sync()

    report = compute(league.desk, MARCH)
    c = report.consultations
    assert c.total == 3
    assert c.by_county == {"152223": 2, "152224": 1}
    assert c.by_topic_county == {("preexam", "152223"): 2, ("policy", "152223"): 1,
                                 ("trademark", "152224"): 1, ("preexam", "152224"): 1}
    assert report.mediation.accepted == 1
    progress = report.target("mediation_accepted")
    assert progress is not None and progress.actual == 1 and progress.league_wide
    topics = next(t for t in report.sections()[1].tables if t.key == "consultation_topics")
    preexam = next(r for r in topics.rows if r[0] == "专利预审备案")
    # 合计, share, then 盟本级 乌兰浩特市 阿尔山市 科右前旗 科右中旗 扎赉特旗 突泉县
    assert preexam[1] == 3 and preexam[3:] == (0, 0, 0, 0, 0, 2, 1)

    one = compute(league.desk, MARCH, "152224")
    assert one.consultations.total == 1 and one.mediation.accepted == 1
    assert not one.target("mediation_accepted").league_wide
    # a county window sees only its own county
    assert compute(zlt.desk, MARCH).consultations.by_county == {"152223": 2}
