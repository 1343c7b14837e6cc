"""Statistics against the plan's targets: the figures a supervisor checks for March 2026 on a
store with known records (tests/stats_data.py), voided records left out, the definitions of the
rates, the plan's targets, periods, scope and permissions.

Run without Qt: .venv/bin/pytest tests/core/test_stats.py -p no:pytest-qt -q
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests import stats_data
from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.desk import Desk
from xingan_desk.errors import PermissionDenied, ValidationFailed
from xingan_desk.stats import Period, Ratio, cell_text, compute, load_targets, resolve_scope
from xingan_desk.timeutil import today_cst

MARCH = Period.month(2026, 3)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A League window's store with the known records (built once for the module)."""
    desk = Desk.initialise(tmp_path_factory.mktemp("stats") / "store", "152200", "01",
                           admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    recs = stats_data.build(desk)
    yield desk, recs
    desk.close()


@pytest.fixture(scope="module")
def march(store: Any) -> Any:
    desk, _ = store
    return compute(desk, MARCH)


def test_consultations_by_topic_county_channel_and_handling(march: Any) -> None:
    c = march.consultations
    assert c.total == 3  # c4 voided, c5 is 1 April 00:10, c6 is 28 February (China time)
    assert c.by_topic == {"preexam": 2, "policy": 2, "mediation": 1, "trademark": 1}
    assert c.topic_mentions == 6  # multi-select: each topic once per consultation
    assert c.by_topic_county[("preexam", "152200")] == 2
    assert c.by_county == {"152200": 3}
    assert c.by_channel == {"onsite": 1, "phone": 1, "online": 1}
    assert c.by_handling == {"answered": 1, "notice": 1, "referred": 1}
    section = next(s for s in march.sections() if s.key == "consultation")
    topics = next(t for t in section.tables if t.key == "consultation_topics")
    assert "每个事项在该次咨询中只计1次" in topics.note and "各事项合计6" in topics.note
    assert topics.rows[-1][:2] == ("咨询总数（人次）", 3)
    assert topics.header[3:] == ("盟本级", "乌兰浩特市", "阿尔山市", "科右前旗", "科右中旗",
                                 "扎赉特旗", "突泉县")


def test_ratings_good_rate_and_bad_rating_follow_up(march: Any) -> None:
    r = march.ratings
    assert r.total == 6  # the voided 差评 and April's do not count
    assert r.by_level == {"5": 2, "4": 1, "3": 1, "2": 1, "1": 1}
    assert r.good_rate == Ratio(4, 6) and r.good_rate.text == "66.7%"
    assert r.bad == 2
    assert r.bad_by_status == {"closed": 1, "verifying": 1}
    assert (r.bad_called_back, r.callback_rate.text) == (1, "50.0%")
    assert r.real_name_callback_rate == Ratio(1, 1)
    assert (r.rectified, r.rectified_on_time) == (1, 1)
    assert r.bad_by_verification == {"true": 1, "": 1}


def test_preexam_filings_and_pass_rate(march: Any) -> None:
    f = march.filings
    assert f.new == 2 and f.new_by_field_county == {("new_materials", "152200"): 1,
                                                     ("bio", "152200"): 1}
    # F1 on 10 March, F2 on 11 and again on 20 March (counted once), F3 (guided in February)
    assert f.submitted == 3
    assert (f.passed, f.failed) == (1, 1)  # F3 passed in April
    assert f.pass_rate.text == "50.0%"
    assert f.by_status == {"approved": 2, "rejected": 1}


def test_preexam_cases_and_qualification_rate(march: Any) -> None:
    c = march.cases
    assert c.submitted_by_type == {"invention": 3, "utility": 1}  # K5 voided
    assert (c.qualified, c.unqualified, c.withdrawn) == (1, 1, 0)  # K4 concluded in April
    assert c.qualify_rate == Ratio(1, 2)
    assert c.mean_days_to_qualify == 9.0  # K1: 1 → 10 March
    assert c.filed_by_type == {"invention": 1} and c.granted_by_type == {"invention": 1}
    assert c.granted_high_value == {"strategic": 1}


def test_granted_cases_without_a_category_add_none(store: Any) -> None:
    desk, _ = store
    year = compute(desk, Period.between(dt.date(2026, 1, 1), dt.date(2026, 6, 30))).cases
    assert year.granted_by_type == {"invention": 2}  # K1 in March, K4 in April
    assert year.granted_high_value == {"strategic": 1}  # K4 has no category
    section = next(s for s in compute(desk, MARCH).sections() if s.key == "preexam_case")
    rows = dict(section.tables[1].rows)
    assert rows == {"战略性新兴产业发明专利": 1, "有海外同族专利": 0, "维持年限超过10年": 0,
                    "质押融资金额较高": 0, "获国家科学技术奖或中国专利奖": 0}


def test_qualification_rate_leaves_withdrawn_cases_out(store: Any) -> None:
    desk, _ = store
    today = today_cst()
    report = compute(desk, Period.between(dt.date(2026, 3, 1), today))
    c = report.cases
    # K1 and K4 qualified, K2 not; K3 was withdrawn (today, by its event): not in the rate
    assert (c.qualified, c.unqualified, c.withdrawn) == (2, 1, 1)
    assert c.qualify_rate.text == "66.7%"
    assert any("撤回的案件不计入分母" in text for _, text in report.definitions)
    section = next(s for s in report.sections() if s.key == "preexam_case")
    assert section.tables[0].rows[-1][5] == Ratio(2, 3)


def test_mediation_by_source_and_outcome(march: Any) -> None:
    m = march.mediation
    assert m.applied == 4 and m.accepted == 3 and m.refused == 1
    assert m.step("applied", "application") == 2
    assert m.step("applied", "court") == 1 and m.step("applied", "admin") == 1
    assert m.step("settled_written") == 1 and m.settled == 1
    assert m.terminated == 1 and m.step("withdrawn") == 1
    assert m.withdrawn_after_acceptance == 1
    assert m.acceptance_rate.text == "75.0%"  # 3 ÷ (3 + 1)
    assert m.success_rate == Ratio(1, 3)  # settled ÷ (settled + terminated + withdrawn)
    assert (m.step("confirmation_applied"), m.step("confirmed"), m.step("dismissed")) == (1, 1, 0)
    # working days (no holiday in March 2026): 3→20 March 13, 6→25 March 13, 1→15 March 10
    assert m.mean_workdays_to_close == 12.0
    assert m.refusal_reasons == {"out_of_scope": 1}
    assert m.termination_reasons == {"no_agreement": 1}
    assert m.over_deadline == 0
    section = next(s for s in march.sections() if s.key == "mediation")
    table = next(t for t in section.tables if t.key == "mediation_outcomes")
    assert table.rows[-1] == ("合计", 4, 3, 1, 1, 0, 1, 1, 1, 1, 0)
    assert table.rows[0][0] == "当事人申请"


def test_mediation_in_the_moj_table_layout(march: Any) -> None:
    """案件来源, 纠纷类型, 调解结果, 协议履行情况, 司法确认, per 旗县市 and 合计."""
    t = march.mediation_table
    assert t is not None
    assert t.cell(None, "accepted") == 3  # M1, M2, M4 accepted in March (M7 in January)
    assert (t.cell(None, "source:application"), t.cell(None, "source:court")) == (2, 1)
    assert t.cell(None, "dispute:infringement") == 3
    assert t.cell(None, "result:written") == 1 and t.cell(None, "result:oral") == 0
    assert t.cell(None, "result:terminated") == 1 and t.cell(None, "result:withdrawn") == 1
    assert t.cell(None, "performance:") == 1  # M1 settled, no follow-up recorded
    assert (t.cell(None, "confirmation:applied"), t.cell(None, "confirmation:confirmed"),
            t.cell(None, "confirmation:dismissed")) == (1, 1, 0)
    assert t.cell("152200", "accepted") == 3 and t.cell("152223", "accepted") == 0
    section = next(s for s in march.sections() if s.key == "mediation_moj")
    table = section.tables[0]
    groups = [row[0] for row in table.rows]
    for group in ("受理", "案件来源", "纠纷类型", "调解结果", "协议履行情况", "司法确认"):
        assert group in groups
    accepted_row = next(r for r in table.rows if r[1] == "受理件数")
    assert accepted_row[-1] == 3  # the 合计 column
    names = [name for name, _ in t.rows()]
    assert names[-1] == "合计" and len(names) == len(t.counties) + 1


def test_plan_target_progress(march: Any) -> None:
    mediation = march.target("mediation_accepted")
    assert mediation is not None
    assert mediation.in_period == 3
    assert mediation.actual == 4  # January's M7 + March's three
    assert mediation.text == "调解案件 4 / 10 件（年度目标，方案目标沿用）"
    assert mediation.ratio.text == "40.0%"
    assert mediation.expected == pytest.approx(10 * 90 / 365)
    assert mediation.status == "进度正常"
    key_new = march.target("key_support_new")
    assert key_new is not None and key_new.actual == 1 and key_new.in_period is None
    total = march.target("key_support_total")
    assert total is not None and total.actual == 2 and total.target.value == 40
    certified = march.target("gb29490_certified")
    assert certified is not None and certified.actual == 1 and certified.status == "未完成"
    section = march.sections()[0]
    assert section.key == "targets"
    assert any("年调解案件不少于10件" in note for note in section.notes)
    # 本期, 本年 (the annual figure), 累计 since the plan's first year, then the target
    row = section.tables[0].rows[0]
    assert row[:4] == ("调解案件", "件", 3, 4) and row[5:7] == (10, Ratio(4, 10))
    assert isinstance(row[4], int) and row[4] >= 4


def test_targets_come_from_the_catalog_with_the_plans_wording() -> None:
    catalog = load_targets()
    assert catalog.plan.document == "兴署办发〔2022〕47号"
    assert (catalog.plan.first_year, catalog.plan.last_year) == (2022, 2025)
    by_key = {t.key: t for t in catalog.targets}
    assert by_key["mediation_accepted"].value == 10
    assert "年调解案件不少于10件" in by_key["mediation_accepted"].quote
    assert by_key["key_support_total"].by_year == 2025
    assert all(t.quote and t.section for t in catalog.targets)
    # every numeric target of the plan is measured from the League's own ledgers; only the
    # 培育中心 (not a window's record) is listed as measured elsewhere
    assert [n.label for n in catalog.not_measured] == ["高水平建成1家高价值专利培育中心"]
    plan_targets = {  # the plan's words → (target key, figure)
        "高价值专利数量突破 50 件": ("high_value_patents", 50),
        "每年新增授权发明专利 30 件以上": ("invention_granted", 30),
        "质押融资额度累计 2 亿元以上": ("pledge_amount", 20000),
        "实施 1 个以上专利导航项目": ("navigation_projects", 1),
        "知识产权保险业务取得零突破": ("insurance_policies", 1),
        "专利奖零突破": ("patent_awards", 1),
        "专利代理机构零突破": ("agencies", 1),
        "高价值专利组合": ("hv_portfolios", 1),
        "贯标单位达到 2 家以上": ("gb29490_certified", 2),
        "入库企业达到 40 家以上": ("key_support_total", 40),
        "年调解案件不少于10件": ("mediation_accepted", 10),
    }
    for words, (key, value) in plan_targets.items():
        assert words in by_key[key].quote and by_key[key].value == value, key


def test_target_years_inside_and_outside_the_plan(store: Any) -> None:
    desk, _ = store
    in_plan = compute(desk, Period.year(2024))
    mediation = in_plan.target("mediation_accepted")
    assert mediation is not None and not mediation.carried
    assert mediation.text == "调解案件 0 / 10 件（年度目标）"
    assert mediation.status == "未完成年度目标"
    assert compute(desk, Period.year(2021)).targets == ()  # before the plan


def test_voided_records_are_left_out(tmp_path: Path) -> None:
    desk = Desk.initialise(tmp_path / "s", "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    a, _ = desk.create("consultation", GOOD_CONSULTATION)
    desk.create("consultation", GOOD_CONSULTATION)
    assert compute(desk, MARCH).consultations.by_topic == {"preexam": 2, "policy": 2}
    desk.void(a.id, "登记错误")
    after = compute(desk, MARCH).consultations
    assert after.total == 1 and after.by_topic == {"preexam": 1, "policy": 1}
    desk.close()


def test_scope_and_permissions(store: Any, tmp_path: Path) -> None:
    desk, _ = store
    assert resolve_scope(desk, None) is None  # the League window: the whole League
    assert resolve_scope(desk, "152223") == "152223"
    county_only = compute(desk, MARCH, "152223")
    assert county_only.scope_label == "扎赉特旗" and county_only.consultations.total == 0
    assert county_only.counties == ("152223",)
    with pytest.raises(ValidationFailed, match="不是兴安盟的代码"):
        compute(desk, MARCH, "110000")
    desk.add_user("clerk1", "李娜", "clerk", ADMIN_PASSWORD)
    desk.use_account("clerk1")
    try:
        with pytest.raises(PermissionDenied, match="主管或管理员"):
            compute(desk, MARCH)
    finally:
        desk.use_account("admin")
    county = Desk.initialise(tmp_path / "c", "152223", "02", admin_password=ADMIN_PASSWORD)
    county.use_account("admin")
    assert resolve_scope(county, None) == "152223"
    with pytest.raises(ValidationFailed, match="只保存本旗县市的数据"):
        resolve_scope(county, "152224")
    county.close()


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("2026-03", "2026-03-01", "2026-03-31", "2026年3月"),
    ("2026年2月", "2026-02-01", "2026-02-28", "2026年2月"),
    ("2024-02", "2024-02-01", "2024-02-29", "2024年2月"),
    ("2026-Q1", "2026-01-01", "2026-03-31", "2026年第一季度"),
    ("2026年第4季度", "2026-10-01", "2026-12-31", "2026年第四季度"),
    ("2026-H2", "2026-07-01", "2026-12-31", "2026年下半年"),
    ("2026上半年", "2026-01-01", "2026-06-30", "2026年上半年"),
    ("2026", "2026-01-01", "2026-12-31", "2026年"),
    ("2026-01-01..2026-03-15", "2026-01-01", "2026-03-15", "2026年1月1日至2026年3月15日"),
    ("２０２６－０３", "2026-03-01", "2026-03-31", "2026年3月"),
    ("2026/3", "2026-03-01", "2026-03-31", "2026年3月"),
    ("2026年1月1日至2026年1月31日", "2026-01-01", "2026-01-31", "2026年1月1日至2026年1月31日"),
])
def test_periods(text: str, start: str, end: str, label: str) -> None:
    p = Period.parse(text)
    assert (p.start, p.end, p.label) == (dt.date.fromisoformat(start),
                                         dt.date.fromisoformat(end), label)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "三月", "2026-03-15..2026-03-01", ""])
def test_bad_periods_say_what_to_write(text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        Period.parse(text)
    assert "统计期" in str(err.value) or "月份" in str(err.value) or "季度" in str(err.value)


def test_period_bounds_are_china_time() -> None:
    a, b = MARCH.utc_bounds
    assert a == dt.datetime(2026, 2, 28, 16, tzinfo=dt.UTC)
    assert b == dt.datetime(2026, 3, 31, 16, tzinfo=dt.UTC)


def test_cells_read_like_the_report() -> None:
    assert cell_text(Ratio(2, 3)) == "66.7%" and cell_text(Ratio(0, 0)) == "—"
    assert Ratio(7, 10).detail == "70.0%（7/10）"
    assert cell_text(None) == "—" and cell_text(12.04) == "12.0" and cell_text(5) == "5"
