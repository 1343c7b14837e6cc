"""The report and its sections: the same labelled tables on the screen, in Excel and on paper,
so the three always agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..catalogs import COUNTY_CODES, active_choices, county_name, label_of
from ..records.kinds import KINDS
from ..timeutil import format_datetime
from .figures import (
    MEDIATION_STEPS,
    CaseStats,
    Cell,
    ConsultationStats,
    FilingStats,
    LedgerStats,
    MediationStats,
    RatingStats,
    Ratio,
    StaffRow,
    StaffStats,
)
from .mediation_table import MojTable
from .mediation_table import columns as moj_columns
from .period import Period
from .targets import NotMeasured, PlanInfo, TargetProgress

__all__ = ["DEFINITIONS", "Section", "StatTable", "StatsReport", "generated_line"]


DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("统计口径", "各项按其办理日期计入统计期：咨询按开始时间，评价按评价时间，备案按引导日期、提交日、结果日期，"
              "预审案件按提交日、结论日期（撤回按办理时间）、正式申请日、授权公告日，调解按申请日期、受理日期、"
              "协议生效日期、结束日期（未填写时按办理时间）、申请司法确认日期、裁定日期。已作废的记录一律不计入。"),
    ("旗县市", "按办理窗口所属旗县市统计（企业按注册地）。盟本级指盟政务服务大厅窗口。"),
    ("咨询事项", "一次咨询可选多个事项，每个事项在该次咨询中只计1次，因此各事项合计大于咨询总数。"),
    ("好评率", "（非常满意＋满意＋基本满意）÷ 评价总数。差评指“不满意”“非常不满意”。"),
    ("差评回访率", "本期差评中已回访办结的件数 ÷ 本期差评数；实名差评回访率只计实名差评。"),
    ("按期整改率", "整改完成日不晚于整改期限的件数 ÷ 已整改的件数。"),
    ("备案通过率", "备案通过 ÷（备案通过 ＋ 备案不通过），按结果日期；退回补正不计入。"),
    ("预审合格率", "预审合格 ÷（预审合格 ＋ 预审不合格），按结论日期；撤回的案件不计入分母。"),
    ("受理率", "受理 ÷（受理 ＋ 不予受理），按受理日期和不予受理的日期。"),
    ("调解成功率", "调解成功（书面或口头协议）÷（调解成功 ＋ 调解终止 ＋ 受理后撤回），按结案日期。"),
    ("平均办理工作日", "受理日期至协议生效日期（调解成功）或结束日期（调解终止、撤回），按工作日（含调休）计算。"),
    ("年度目标进度", "当年1月1日至统计期末的累计数 ÷ 年度目标；“按进度应达”＝ 年度目标 × 已过天数 ÷ 全年天数。"),
    ("累计目标", "自方案首年1月1日起至统计期末（不晚于今天）的累计数或当日存量；“本期”“本年”为本期、"
              "本年内的增加数（存量指标为净增）。各指标的计数方法见目标表下的说明。"),
    ("高价值专利", "方案附件五类：战略性新兴产业、海外有同族、维持满10年（自申请日起）、质押融资金额较高"
               "（质押登记金额累计500万元以上，本盟工作参数）、获国家科学技术奖或中国专利奖；"
               "只计有效的发明专利；窗口人员核定后按核定类别。"),
    ("人员与窗口", "咨询按开始时间、登记数按录入时间、评价按评价时间计入本期；人员的评价按“被评价工作人员”"
              "与账号姓名对应；超期未办为今天已过期限仍未办结的事项。"),
)


@dataclass(frozen=True)
class StatTable:
    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    total_row: bool = False  # the last row is a 合计 row


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    summary: tuple[tuple[str, Cell], ...]
    tables: tuple[StatTable, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatsReport:
    period: Period
    county: str | None  # None = the whole League
    generated_at: dt.datetime
    generated_by: str  # display name
    window: str  # e.g. 兴安盟（盟本级） 01号窗口
    consultations: ConsultationStats
    ratings: RatingStats
    filings: FilingStats
    cases: CaseStats
    mediation: MediationStats
    targets: tuple[TargetProgress, ...]
    plan: PlanInfo
    not_measured: tuple[NotMeasured, ...]
    definitions: tuple[tuple[str, str], ...] = DEFINITIONS
    counties: tuple[str, ...] = field(default=COUNTY_CODES)  # columns of the by-county tables
    # the mediation figures in the MoJ statistics table's layout (stats/mediation_table.py)
    mediation_table: MojTable | None = None
    ledgers: LedgerStats | None = None  # the plan's ledgers
    staff: StaffStats | None = None  # per clerk and per window, for supervisors

    @property
    def scope_label(self) -> str:
        return "全盟" if self.county is None else county_name(self.county)

    @property
    def title(self) -> str:
        return "知识产权服务窗口统计报表"

    @property
    def subtitle(self) -> str:
        return f"{self.period.label}　{self.scope_label}"

    def target(self, key: str) -> TargetProgress | None:
        return next((t for t in self.targets if t.target.key == key), None)

    def sections(self) -> tuple[Section, ...]:
        return _sections(self)


# --- presentation: the same tables on screen, in Excel and on paper ------------------------------


def _labels(catalog: str) -> list[tuple[str, str]]:
    return list(active_choices(catalog))


def _short(county: str) -> str:
    return label_of("county_short_names", county) or county_name(county)


def _counted_rows(counts: Mapping[str, int], catalog: str, total: int,
                  *, extra: Mapping[str, str] | None = None) -> tuple[tuple[Cell, ...], ...]:
    """(label, count, share) per catalog item, unknown codes after, and a 合计 row."""
    rows: list[tuple[Cell, ...]] = []
    seen: set[str] = set()
    for code, label in _labels(catalog):
        rows.append((label, counts.get(code, 0), Ratio(counts.get(code, 0), total)))
        seen.add(code)
    for code, n in counts.items():
        if code not in seen and n:
            name = (extra or {}).get(code) or (label_of(catalog, code) if code else "未填写")
            rows.append((name, n, Ratio(n, total)))
    rows.append(("合计", sum(counts.values()), Ratio(sum(counts.values()), total)))
    return tuple(rows)


def _status_rows(counts: Mapping[str, int], kind: str, states: Sequence[str] | None = None
                 ) -> tuple[tuple[Cell, ...], ...]:
    wf = KINDS[kind].workflow
    assert wf is not None
    codes = list(states) if states is not None else [c for c, _ in wf.states]
    total = sum(counts.values())
    rows: list[tuple[Cell, ...]] = [(wf.state_label(c), counts.get(c, 0),
                                     Ratio(counts.get(c, 0), total)) for c in codes]
    rows.append(("合计", total, Ratio(total, total)))
    return tuple(rows)


def _targets_section(rep: StatsReport) -> Section:
    rows: list[tuple[Cell, ...]] = []
    notes: list[str] = []
    for tp in rep.targets:
        t = tp.target
        expected = None if tp.expected is None else round(tp.expected, 1)
        this_year = tp.actual if t.period == "annual" else tp.in_year
        total = tp.plan_total
        rows.append((t.label, t.unit, tp.in_period, this_year, total, t.value, tp.ratio,
                     expected, tp.status, f"{tp.kind_label}；{tp.basis}"))
        notes.append(f"{t.label}：{t.measure_note}。方案原文（{t.section}）：“{t.quote}”")
    header = ("指标", "单位", "本期", "本年", "累计", "目标", "完成率", "按进度应达", "状态",
              "说明")
    summary: list[tuple[str, Cell]] = [("依据", rep.plan.citation)]
    if not rep.targets:
        summary.append(("说明", f"统计期不在方案年度（{rep.plan.first_year}—{rep.plan.last_year}年）内，"
                              "不对照目标"))
    if rep.targets and rep.targets[0].carried:
        notes.insert(0, f"方案年度为{rep.plan.first_year}—{rep.plan.last_year}年；新方案印发前沿用其目标作为参照。")
    if rep.county is not None:
        notes.insert(0, "目标为全盟目标，本表为所选旗县市的数。")
    others = StatTable("not_measured", "本系统不统计的方案指标", ("指标", "数据来源"),
                       tuple((n.label, n.source) for n in rep.not_measured))
    table = StatTable("targets", "计划目标完成情况", header, tuple(rows))
    tables = [table]
    with_counties = [tp for tp in rep.targets if tp.by_county]
    if with_counties:
        codes = [c for c, _ in with_counties[0].by_county]
        tables.append(StatTable(
            "targets_by_county", "计划目标分旗县市完成情况",
            ("指标", "单位", *(_short(c) for c in codes), "全盟"),
            tuple((tp.target.label, tp.target.unit, *(n for _, n in tp.by_county), tp.actual)
                  for tp in with_counties),
            "年度目标为当年累计数，累计目标为截至统计期末的累计数。"))
    if rep.not_measured:
        tables.append(others)
    return Section("targets", "计划目标完成情况", tuple(summary), tuple(tables), tuple(notes))


def _consultation_section(rep: StatsReport) -> Section:
    c = rep.consultations
    counties = rep.counties
    topic_rows: list[tuple[Cell, ...]] = []
    known = {code for code, _ in _labels("topics")}
    codes = [code for code, _ in _labels("topics")] + sorted(set(c.by_topic) - known)
    for code in codes:
        n = c.by_topic.get(code, 0)
        row: list[Cell] = [label_of("topics", code), n, Ratio(n, c.total)]
        if len(counties) > 1:
            row += [c.by_topic_county.get((code, cty), 0) for cty in counties]
        topic_rows.append(tuple(row))
    total_row: list[Cell] = ["咨询总数（人次）", c.total, Ratio(c.total, c.total)]
    if len(counties) > 1:
        total_row += [c.by_county.get(cty, 0) for cty in counties]
    topic_rows.append(tuple(total_row))
    header = ["咨询事项", "咨询数", "占咨询总数"]
    if len(counties) > 1:
        header += [_short(cty) for cty in counties]
    topic_note = (f"一次咨询可选多个事项，每个事项在该次咨询中只计1次；各事项合计{c.topic_mentions}，"
                  f"大于咨询总数{c.total}。")
    tables = (
        StatTable("consultation_topics", "按咨询事项和旗县市", tuple(header), tuple(topic_rows),
                  topic_note, total_row=True),
        StatTable("consultation_channels", "按来访渠道", ("来访渠道", "咨询数", "占比"),
                  _counted_rows(c.by_channel, "consult_channels", c.total), total_row=True),
        StatTable("consultation_handling", "按处理方式", ("处理方式", "咨询数", "占比"),
                  _counted_rows(c.by_handling, "handling", c.total), total_row=True),
        StatTable("consultation_visitors", "按来访人类型", ("来访人类型", "咨询数", "占比"),
                  _counted_rows(c.by_visitor_type, "visitor_types", c.total), total_row=True),
    )
    summary: tuple[tuple[str, Cell], ...] = (
        ("咨询总数", c.total),
        ("一次性告知", c.by_handling.get("notice", 0)),
        ("转办", c.by_handling.get("referred", 0)),
        ("需要回访", c.followup_needed),
        ("已回访", c.followed_up),
        ("纳入重点帮扶企业线索", c.support_leads),
    )
    return Section("consultation", "咨询登记", summary, tables, (topic_note,))


def _rating_section(rep: StatsReport) -> Section:
    r = rep.ratings
    bad_states = ("verifying", "rectifying", "appealed", "callback", "closed")
    tables = (
        StatTable("rating_levels", "按评价等级", ("评价等级", "评价数", "占比"),
                  _counted_rows(r.by_level, "rating_levels", r.total), total_row=True),
        StatTable("rating_followup", "差评办理情况（本期差评的当前状态）", ("办理状态", "差评数", "占比"),
                  _status_rows(r.bad_by_status, "rating", bad_states), total_row=True),
        StatTable("rating_verification", "差评核实结论", ("核实结论", "差评数", "占比"),
                  _counted_rows(r.bad_by_verification, "verification_results", r.bad,
                                extra={"": "尚未核实"}), total_row=True),
    )
    summary: tuple[tuple[str, Cell], ...] = (
        ("评价总数", r.total),
        ("好评率", r.good_rate),
        ("差评数", r.bad),
        ("差评已回访", r.bad_called_back),
        ("差评回访率", r.callback_rate),
        ("实名差评回访率", r.real_name_callback_rate),
        ("按期整改率", r.on_time_rate),
        ("申诉复核（复核撤销/维持）",
         f"{r.bad_by_appeal.get('revoked', 0)}/{r.bad_by_appeal.get('upheld', 0)}"),
    )
    return Section("rating", "好差评", summary, tables,
                   ("好评指非常满意、满意、基本满意；差评指不满意、非常不满意。",))


def _filing_section(rep: StatsReport) -> Section:
    f = rep.filings
    counties = rep.counties
    rows: list[tuple[Cell, ...]] = []
    fields = [code for code, _ in _labels("preexam_fields")]
    fields += sorted({fld for fld, _ in f.new_by_field_county} - set(fields))
    for code in fields:
        n = sum(v for (fld, _c), v in f.new_by_field_county.items() if fld == code)
        row: list[Cell] = [label_of("preexam_fields", code) or "未填写", n]
        if len(counties) > 1:
            row += [f.new_by_field_county.get((code, cty), 0) for cty in counties]
        rows.append(tuple(row))
    total: list[Cell] = ["合计", f.new]
    if len(counties) > 1:
        total += [sum(v for (_f, c), v in f.new_by_field_county.items() if c == cty)
                  for cty in counties]
    rows.append(tuple(total))
    header = ["产业领域", "新登记备案"] + ([_short(c) for c in counties] if len(counties) > 1 else [])
    results = (("提交备案", f.submitted), ("退回补正", f.corrections), ("备案通过", f.passed),
               ("备案不通过", f.failed), ("备案通过率", f.pass_rate))
    tables = (
        StatTable("filing_new", "新登记备案（按引导日期）", tuple(header), tuple(rows),
                  total_row=True),
        StatTable("filing_results", "本期办理结果", ("事项", "件数"), results),
        StatTable("filing_status", "备案当前状态（统计期末前引导的备案）", ("状态", "件数", "占比"),
                  _status_rows(f.by_status, "preexam_filing"), total_row=True),
    )
    summary: tuple[tuple[str, Cell], ...] = (
        ("新登记备案", f.new), ("提交备案", f.submitted), ("备案通过", f.passed),
        ("备案通过率", f.pass_rate), ("有效备案主体（当前）", f.approved_enterprises),
    )
    return Section("preexam_filing", "专利预审备案", summary, tables)


def _case_section(rep: StatsReport) -> Section:
    c = rep.cases
    rows: list[tuple[Cell, ...]] = []
    for code, label in _labels("patent_types"):
        rows.append((label, c.submitted_by_type.get(code, 0), c.count("qualified", code),
                     c.count("unqualified", code), c.count("withdrawn", code),
                     c.qualify_rate_of(code), c.filed_by_type.get(code, 0),
                     c.granted_by_type.get(code, 0)))
    rows.append(("合计", c.submitted, c.qualified, c.unqualified, c.withdrawn, c.qualify_rate,
                 sum(c.filed_by_type.values()), sum(c.granted_by_type.values())))
    header = ("专利类型", "提交预审", "预审合格", "预审不合格", "撤回", "合格率", "正式申请", "授权")
    definition = "合格率 ＝ 预审合格 ÷（预审合格 ＋ 预审不合格），按结论日期；撤回不计入分母。"
    hv_rows = tuple((label, c.granted_high_value.get(code, 0))
                    for code, label in _labels("high_value_categories"))
    tables = (
        StatTable("case_results", "预审案件办理结果（按专利类型）", header, tuple(rows), definition,
                  total_row=True),
        StatTable("case_high_value", "本期授权案件中的高价值专利类别", ("类别", "件数"), hv_rows),
    )
    summary: tuple[tuple[str, Cell], ...] = (
        ("提交预审", c.submitted), ("预审合格", c.qualified), ("预审不合格", c.unqualified),
        ("撤回", c.withdrawn), ("合格率", c.qualify_rate),
        ("平均预审周期（提交至合格，自然日）", c.mean_days_to_qualify),
    )
    return Section("preexam_case", "专利预审案件", summary, tables, (definition,))


def _mediation_section(rep: StatsReport) -> Section:
    m = rep.mediation
    sources = [code for code, _ in _labels("mediation_sources")]
    sources += sorted({src for src, _ in m.by_source_step} - set(sources))
    rows: list[tuple[Cell, ...]] = []
    for src in sources:
        rows.append((label_of("mediation_sources", src) or "未填写",
                     *(m.step(step, src) for step, _ in MEDIATION_STEPS)))
    rows.append(("合计", *(m.step(step) for step, _ in MEDIATION_STEPS)))
    header = ("案件来源", *(label for _, label in MEDIATION_STEPS))
    target = rep.target("mediation_accepted")
    summary: list[tuple[str, Cell]] = [
        ("新收申请", m.applied), ("受理", m.accepted), ("不予受理", m.refused),
        ("受理率", m.acceptance_rate), ("调解成功", m.settled), ("调解终止", m.terminated),
        ("受理后撤回", m.withdrawn_after_acceptance), ("调解成功率", m.success_rate),
        ("平均办理工作日（受理至结案）", m.mean_workdays_to_close),
        ("超过调解期限结案", m.over_deadline),
        ("申请司法确认", m.step("confirmation_applied")), ("司法确认有效", m.step("confirmed")),
        ("司法确认驳回", m.step("dismissed")),
        ("涉案标的额（元）", f"{m.amount:,.2f}"),
    ]
    if target is not None:
        summary.insert(0, ("对照计划目标", target.text))
    tables = (
        StatTable("mediation_outcomes", "按案件来源和办理结果", header, tuple(rows),
                  "各列按该步骤的日期计入本期，同一案件可在多列出现（如本期申请并受理）。",
                  total_row=True),
        StatTable("mediation_rights", "新收申请按权利类型", ("权利类型", "件数", "占比"),
                  _counted_rows(m.by_right_type, "right_types", m.applied), total_row=True),
        StatTable("mediation_disputes", "新收申请按纠纷类型", ("纠纷类型", "件数", "占比"),
                  _counted_rows(m.by_dispute_type, "dispute_types", m.applied), total_row=True),
        StatTable("mediation_refusals", "不予受理理由", ("理由", "件数", "占比"),
                  _counted_rows(m.refusal_reasons, "refusal_reasons", m.refused),
                  total_row=True),
        StatTable("mediation_terminations", "调解终止原因", ("原因", "件数", "占比"),
                  _counted_rows(m.termination_reasons, "termination_reasons", m.terminated),
                  total_row=True),
        StatTable("mediation_performance", "调解成功案件履行情况", ("履行情况", "件数", "占比"),
                  _counted_rows(m.performance, "performance", m.settled,
                                extra={"": "尚未记录"}), total_row=True),
    )
    return Section("mediation", "知识产权纠纷调解", tuple(summary), tables)


MOJ_NOTE = ("按司法部人民调解统计报表的分组（案件来源、纠纷类型、调解结果、协议履行情况、司法确认）列示；"
            "受理、案件来源和纠纷类型按受理日期，调解成功按协议生效日期，终止和撤回按结束日期，"
            "履行情况为本期调解成功案件的最近一次回访结果，司法确认按申请日期和裁定日期计入本期。"
            "Excel 导出另有一张按司法部表式（各旗县市为行）排列的工作表。")


def _mediation_table_section(rep: StatsReport) -> Section | None:
    """The MoJ-layout table, turned for the screen and paper: one row per column of the
    official table (grouped), one column per 旗县市 and 合计."""
    t = rep.mediation_table
    if t is None:
        return None
    counties = list(t.counties)
    header = ("分组", "指标", *(_short(c) for c in counties if len(counties) > 1), "合计")
    rows: list[tuple[Cell, ...]] = []
    for col in moj_columns():
        per_county = [t.cell(c, col.key) for c in counties] if len(counties) > 1 else []
        rows.append((col.group, col.label, *per_county, t.cell(None, col.key)))
    table = StatTable("mediation_moj", "人民调解案件统计表（司法部表式）", header, tuple(rows),
                      MOJ_NOTE)
    summary: tuple[tuple[str, Cell], ...] = (
        ("受理", t.cell(None, "accepted")),
        ("调解成功", t.cell(None, "result:written") + t.cell(None, "result:oral")),
        ("申请司法确认", t.cell(None, "confirmation:applied")),
    )
    return Section("mediation_moj", "人民调解统计表", summary, (table,), (MOJ_NOTE,))


def _ledger_section(rep: StatsReport, g: LedgerStats) -> Section:
    cats = _labels("high_value_categories")
    summary: list[tuple[str, Cell]] = [
        ("专利台账", g.patents), ("高价值专利培育库在库", g.in_pool),
        ("高价值专利（有效发明专利）", g.high_value), ("其中尚未核定", g.unconfirmed),
        ("在盟服务的专利代理机构", g.agencies),
        (f"知识产权优势企业培育库（截至{rep.period.end.year}年）", g.advantage_pool),
    ]
    hv = StatTable("hv_categories", "高价值专利按附件类别", ("类别", "件数"),
                   tuple((label, g.high_value_by_category.get(code, 0)) for code, label in cats),
                   "一件专利可同时属于多个类别。")
    workflow = KINDS["pledge"].workflow
    assert workflow is not None
    pledge_rows: list[tuple[Cell, ...]] = []
    for code, label in workflow.states:
        n, amount = g.pledge_by_status.get(code, (0, 0.0))
        pledge_rows.append((label, n, f"{amount:,.2f}"))
    pledges = StatTable("pledge_status", "质押融资台账按办理阶段", ("阶段", "笔数", "金额（万元）"),
                        tuple(pledge_rows),
                        "已登记及以后按质押登记金额，之前按融资需求金额；当前状态。")
    insurance = StatTable(
        "insurance_products", "知识产权保险按险种", ("险种", "保单数", "保险金额（万元）", "保费（万元）"),
        tuple((lab, *_ins(g.insurance_by_product.get(code)))
              for code, lab in _labels("ip_insurance_products")))
    navigation = StatTable(
        "navigation_progress", "专利导航项目按状态", ("状态", "项目数"),
        tuple((lab, g.navigation_by_progress.get(code, 0))
              for code, lab in _labels("navigation_status")))
    return Section("ledgers", "高价值专利培育与知识产权运用台账", tuple(summary),
                   (hv, pledges, insurance, navigation))


def _ins(v: tuple[int, float, float] | None) -> tuple[Cell, ...]:
    n, a, b = v or (0, 0.0, 0.0)
    return (n, f"{a:,.2f}", f"{b:,.2f}")


def _staff_rows(rows: tuple[StaffRow, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple((r.name, r.consultations, r.records, r.ratings, r.good_rate, r.bad,
                  r.bad_followed_up, r.followup_rate, r.overdue) for r in rows)


def _staff_section(rep: StatsReport, st: StaffStats) -> Section:
    header = ("{who}", "咨询", "登记", "评价", "好评率", "差评", "差评已回访", "差评回访率",
              "超期未办")
    clerks = StatTable("staff_clerks", "按工作人员", ("工作人员", *header[1:]),
                       _staff_rows(st.clerks))
    windows = StatTable("staff_windows", "按窗口", ("窗口", *header[1:]), _staff_rows(st.windows))
    summary: list[tuple[str, Cell]] = [
        ("工作人员", len(st.clerks)), ("窗口", len(st.windows)),
        ("超期未办（今天）", sum(r.overdue for r in st.windows)),
    ]
    return Section("staff", "人员与窗口（主管）", tuple(summary), (clerks, windows))


def _sections(rep: StatsReport) -> tuple[Section, ...]:
    out = [_targets_section(rep), _consultation_section(rep), _rating_section(rep),
           _filing_section(rep), _case_section(rep), _mediation_section(rep)]
    moj = _mediation_table_section(rep)
    if moj is not None:
        out.append(moj)
    if rep.ledgers is not None:
        out.append(_ledger_section(rep, rep.ledgers))
    if rep.staff is not None:
        out.append(_staff_section(rep, rep.staff))
    return tuple(out)


def generated_line(rep: StatsReport) -> str:
    return f"生成：{format_datetime(rep.generated_at)}　{rep.generated_by}　{rep.window}"
