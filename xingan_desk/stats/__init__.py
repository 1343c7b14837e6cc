"""Statistics of the windows' work (月报、季报、半年报、年报 or any range) against the League plan's
targets (reference/domain.md §6; targets in resources/catalogs/targets.toml).

`compute(desk, period, county)` returns a frozen `StatsReport`: consultations by topic × county,
channel and handling; ratings by level, 好评率 and the follow-up of 差评; pre-examination filings
and cases with 备案通过率 and 合格率; mediation cases by source and outcome with 受理率, 调解成功率,
working days to close and 司法确认; and the plan's targets with their progress. Counting is done
in SQL (SQLAlchemy Core) over the local store in one read transaction; voided records never
count. `StatsReport.sections()` turns the figures into the labelled tables that the screen, the
Excel file and the PDF all show, so the three always agree.

What counts in a period (printed on the report, `DEFINITIONS`): every figure is counted by the
date of its own step (consultation start, rating time, 引导日期, 提交日, 结论日期, 申请日期, 受理日期,
协议生效日期, …), not by the date the record was typed. Statuses ("当前状态") are as of now.

Scope: a county window's store holds its county (and the League-wide enterprise registry), so it
reports on its county; a League window (152200) holds everything and reports on the whole
League or any one county. The county of a record is the county of the window that handled it
(for enterprises: the registered county). Only supervisors and admins run statistics.

Modules: `period` (Period and its parsing), `targets` (the plan's targets and their progress),
`figures` (Ratio, cells, the counts of each section), `queries` (the SQL reader), `sections`
(StatsReport and its tables), `report` (scope, permission and `compute`).
"""

from __future__ import annotations

from .figures import (
    GOOD_LEVELS,
    MEDIATION_STEPS,
    CaseStats,
    Cell,
    ConsultationStats,
    FilingStats,
    MediationStats,
    RatingStats,
    Ratio,
    cell_text,
)
from .period import Period
from .report import STATS_ROLES, compute, resolve_scope, scope_choices
from .sections import DEFINITIONS, Section, StatsReport, StatTable, generated_line
from .targets import (
    CHART_CAP,
    MEASURES,
    ChartPoint,
    NotMeasured,
    PlanInfo,
    Target,
    TargetCatalog,
    TargetProgress,
    chart_points,
    load_targets,
)

__all__ = [
    "CHART_CAP",
    "DEFINITIONS",
    "GOOD_LEVELS",
    "MEASURES",
    "MEDIATION_STEPS",
    "STATS_ROLES",
    "CaseStats",
    "Cell",
    "ChartPoint",
    "ConsultationStats",
    "FilingStats",
    "MediationStats",
    "NotMeasured",
    "Period",
    "PlanInfo",
    "RatingStats",
    "Ratio",
    "Section",
    "StatTable",
    "StatsReport",
    "Target",
    "TargetCatalog",
    "TargetProgress",
    "cell_text",
    "chart_points",
    "compute",
    "generated_line",
    "load_targets",
    "resolve_scope",
    "scope_choices",
]
