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
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, distinct, func, or_, select

from .catalogs import COUNTY_CODES, LEAGUE_CODE, active_choices, county_name, label_of
from .errors import PermissionDenied, ValidationFailed
from .paths import resource_path
from .records.fields import to_halfwidth
from .records.kinds import BAD_LEVELS, KINDS
from .storage.schema import DETAIL, Record, RecordEvent
from .timeutil import CST, format_datetime, today_cst, utcnow

if TYPE_CHECKING:
    from .desk import Desk

__all__ = [
    "DEFINITIONS",
    "Period",
    "Ratio",
    "Section",
    "StatTable",
    "StatsReport",
    "Target",
    "TargetProgress",
    "cell_text",
    "compute",
    "load_targets",
    "resolve_scope",
]

STATS_ROLES = ("supervisor", "admin")
GOOD_LEVELS = ("5", "4", "3")

# --- periods -------------------------------------------------------------------------------------

_QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
_PERIOD_HELP = ("可写 2026-03（月）、2026-Q1（季度）、2026-H1（半年）、2026（年）"
                "或 2026-01-01..2026-03-15（任意期间）")


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Period:
    """A statistics period: `start` to `end`, both days included (China time)."""

    start: dt.date
    end: dt.date
    kind: str = "range"  # month | quarter | half | year | range

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed({"period": "统计期的结束日期不能早于开始日期"})
        if self.start.year < 2000 or self.end.year > 2100:
            raise ValidationFailed({"period": "统计期的年份不合理"})

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise ValidationFailed({"period": f"月份应为1到12，不能是{month}"})
        last = pycal.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValidationFailed({"period": f"季度应为1到4，不能是{quarter}"})
        first = 3 * quarter - 2
        last = pycal.monthrange(year, first + 2)[1]
        return cls(dt.date(year, first, 1), dt.date(year, first + 2, last), "quarter")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        if half not in (1, 2):
            raise ValidationFailed({"period": "半年应为上半年（H1）或下半年（H2）"})
        if half == 1:
            return cls(dt.date(year, 1, 1), dt.date(year, 6, 30), "half")
        return cls(dt.date(year, 7, 1), dt.date(year, 12, 31), "half")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Period:
        return cls(start, end, "range")

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026-03", "2026年3月", "2026-Q1", "2026年第1季度", "2026-H1", "2026上半年", "2026",
        "2026-01-01..2026-03-15" (also "~", "至"). Raises ValidationFailed (Chinese)."""
        raw = text
        t = to_halfwidth(str(text)).strip().upper().replace(" ", "")

        def bad() -> ValidationFailed:
            return ValidationFailed({"period": f"统计期“{raw}”格式不对，{_PERIOD_HELP}"})

        parts = re.split(r"\.\.|~|至", t)
        if len(parts) == 2:
            try:
                a, b = (_parse_day(p) for p in parts)
            except ValueError:
                raise bad() from None
            return cls.between(a, b)
        if len(parts) != 1:
            raise bad()
        m = re.fullmatch(r"(\d{4})年?", t)
        if m:
            return cls.year(int(m.group(1)))
        m = re.fullmatch(r"(\d{4})(?:-|年)?(?:Q|第)([1-4一二三四])(?:季度?)?", t)
        if m:
            q = "一二三四".find(m.group(2)) + 1 or int(m.group(2))
            return cls.quarter(int(m.group(1)), q)
        m = re.fullmatch(r"(\d{4})(?:-|年)?(?:H([12])|([上下])半年)", t)
        if m:
            return cls.half(int(m.group(1)), int(m.group(2)) if m.group(2) else
                            (1 if m.group(3) == "上" else 2))
        m = (re.fullmatch(r"(\d{4})(?:-|年|/|\.)(\d{1,2})月?", t)
             or re.fullmatch(r"(\d{4})(\d{2})", t))
        if m:
            return cls.month(int(m.group(1)), int(m.group(2)))
        try:
            day = _parse_day(t)
        except ValueError:
            raise bad() from None
        return cls.between(day, day)

    # --- presentation -----------------------------------------------------------------------
    @property
    def label(self) -> str:
        y = self.start.year
        if self.kind == "month":
            return f"{y}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{y}年{_QUARTER_NAMES[(self.start.month - 1) // 3]}"
        if self.kind == "half":
            return f"{y}年{'上' if self.start.month == 1 else '下'}半年"
        if self.kind == "year":
            return f"{y}年"
        return self.span_text

    @property
    def span_text(self) -> str:
        if self.start == self.end:
            return _cn_date(self.start)
        return f"{_cn_date(self.start)}至{_cn_date(self.end)}"

    @property
    def key(self) -> str:
        """A short identifier for file names: 2026-03, 2026-Q1, 2026-H1, 2026, 20260101-20260315."""
        y = self.start.year
        if self.kind == "month":
            return f"{y}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{y}-Q{(self.start.month + 2) // 3}"
        if self.kind == "half":
            return f"{y}-H{1 if self.start.month == 1 else 2}"
        if self.kind == "year":
            return str(y)
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    # --- bounds -----------------------------------------------------------------------------
    @property
    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware UTC datetimes: midnight China time of `start` and the day after
        `end`."""
        a = dt.datetime.combine(self.start, dt.time(), CST).astimezone(dt.UTC)
        b = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), CST).astimezone(dt.UTC)
        return a, b


def _parse_day(text: str) -> dt.date:
    m = re.fullmatch(r"(\d{4})\D{0,2}?(\d{1,2})\D{0,2}?(\d{1,2})日?", text.replace("年", "-")
                     .replace("月", "-"))
    if not m:
        raise ValueError(text)
    return dt.date(*(int(g) for g in m.groups()))


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A share with its parts, shown as "70.0%"; "—" when the denominator is 0."""

    num: int
    den: int

    @property
    def value(self) -> float | None:
        return None if self.den == 0 else self.num / self.den

    @property
    def text(self) -> str:
        v = self.value
        return "—" if v is None else f"{100 * v:.1f}%"

    @property
    def detail(self) -> str:
        """"70.0%（7/10）"."""
        return "—（无数据）" if self.den == 0 else f"{self.text}（{self.num}/{self.den}）"

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Ratio | None


def cell_text(value: Cell) -> str:
    """How a table cell reads on the screen and on paper."""
    if value is None:
        return "—"
    if isinstance(value, Ratio):
        return value.text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


# --- targets (resources/catalogs/targets.toml) ---------------------------------------------------

MEASURES = ("mediation_accepted", "key_support_new", "key_support_total", "gb29490_certified")
# measures that exist per year only (入库年度): no figure for a month or a quarter
_YEARLY_MEASURES = frozenset({"key_support_new"})
_STOCK_MEASURES = frozenset({"key_support_total", "gb29490_certified"})


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    unit: str
    period: str  # annual | cumulative
    value: int
    measure: str
    measure_note: str
    section: str
    quote: str
    by_year: int | None = None

    @property
    def kind_label(self) -> str:
        return "年度目标" if self.period == "annual" else f"{self.by_year}年累计目标"


@dataclass(frozen=True)
class PlanInfo:
    title: str
    document: str
    issued: str
    first_year: int
    last_year: int
    continue_after: bool

    @property
    def citation(self) -> str:
        return f"《{self.title}》（{self.document}）"


@dataclass(frozen=True)
class NotMeasured:
    label: str
    source: str
    quote: str


@dataclass(frozen=True)
class TargetCatalog:
    plan: PlanInfo
    targets: tuple[Target, ...]
    not_measured: tuple[NotMeasured, ...]


@cache
def load_targets() -> TargetCatalog:
    """The plan and its measurable targets; raises ValueError naming a bad entry."""
    with resource_path("catalogs", "targets.toml").open("rb") as fh:
        data = tomllib.load(fh)
    p = data["plan"]
    plan = PlanInfo(str(p["title"]), str(p["document"]), str(p["issued"]), int(p["first_year"]),
                    int(p["last_year"]), bool(p.get("continue_after", True)))
    targets: list[Target] = []
    for entry in data.get("targets", []):
        t = Target(key=str(entry["key"]), label=str(entry["label"]), unit=str(entry["unit"]),
                   period=str(entry["period"]), value=int(entry["value"]),
                   measure=str(entry["measure"]), measure_note=str(entry.get("measure_note", "")),
                   section=str(entry.get("section", "")), quote=str(entry["quote"]),
                   by_year=int(entry["by_year"]) if "by_year" in entry else None)
        if t.measure not in MEASURES:
            raise ValueError(f"targets.toml: {t.key}: unknown measure {t.measure!r}")
        if t.period not in ("annual", "cumulative"):
            raise ValueError(f"targets.toml: {t.key}: period must be annual or cumulative")
        if t.period == "cumulative" and t.by_year is None:
            raise ValueError(f"targets.toml: {t.key}: a cumulative target needs by_year")
        if t.value <= 0:
            raise ValueError(f"targets.toml: {t.key}: value must be positive")
        targets.append(t)
    if len({t.key for t in targets}) != len(targets):
        raise ValueError("targets.toml: duplicate target key")
    others = tuple(NotMeasured(str(e["label"]), str(e.get("source", "")), str(e.get("quote", "")))
                   for e in data.get("not_measured", []))
    return TargetCatalog(plan, tuple(targets), others)


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    year: int  # the calendar year measured (annual) / the target year (cumulative)
    as_of: dt.date  # counted up to this day
    in_period: int | None  # count within the statistics period (None: not meaningful)
    actual: int  # year to date (annual) or the stock at `as_of` (cumulative)
    expected: float | None  # prorated target at `as_of` (annual targets of the current year)
    carried: bool  # the plan's years are over: the figure is kept as the reference (沿用)
    league_wide: bool  # measured over the whole League (else one county's share)

    @property
    def ratio(self) -> Ratio:
        return Ratio(self.actual, self.target.value)

    @property
    def status(self) -> str:
        """已完成 / 进度正常 / 滞后于进度 / 未完成年度目标 (a year that is over) / 未完成."""
        if not self.league_wide:
            return "本旗县市数（全盟目标）"
        if self.actual >= self.target.value:
            return "已完成"
        if self.target.period == "annual":
            if self.as_of >= dt.date(self.year, 12, 31):
                return "未完成年度目标"
            if self.expected is not None:
                return "进度正常" if self.actual >= self.expected else "滞后于进度"
        return "未完成"

    @property
    def basis(self) -> str:
        """What `actual` covers, e.g. "2026年1月1日至3月31日累计"."""
        if self.target.period == "annual":
            start = dt.date(self.year, 1, 1)
            end = self.as_of
            if end.year != start.year:
                end = dt.date(self.year, 12, 31)
            tail = f"{end.month}月{end.day}日" if end != start else ""
            return f"{_cn_date(start)}至{tail}累计" if tail else f"{_cn_date(start)}"
        return f"截至{_cn_date(self.as_of)}"

    @property
    def kind_label(self) -> str:
        label = self.target.kind_label
        if not self.league_wide:
            label = "全盟" + label
        return label + ("，方案目标沿用" if self.carried else "")

    @property
    def figure(self) -> str:
        """"7 / 10 件（年度目标）"."""
        t = self.target
        return f"{self.actual} / {t.value} {t.unit}（{self.kind_label}）"

    @property
    def text(self) -> str:
        """"调解案件 7 / 10 件（年度目标）"."""
        return f"{self.target.label} {self.figure}"


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationStats:
    total: int
    by_topic_county: Mapping[tuple[str, str], int]  # (topic, county) → consultations
    by_topic: Mapping[str, int]
    by_county: Mapping[str, int]
    by_channel: Mapping[str, int]
    by_handling: Mapping[str, int]
    by_visitor_type: Mapping[str, int]
    followup_needed: int
    followed_up: int  # status 已回访
    support_leads: int  # 纳入重点帮扶企业线索

    @property
    def topic_mentions(self) -> int:
        return sum(self.by_topic.values())


@dataclass(frozen=True)
class RatingStats:
    total: int
    by_level: Mapping[str, int]
    by_county: Mapping[str, int]
    bad: int
    bad_by_status: Mapping[str, int]  # current workflow status of this period's 差评
    bad_by_verification: Mapping[str, int]  # "" = not verified yet
    bad_by_appeal: Mapping[str, int]
    bad_called_back: int
    bad_real_name: int
    bad_real_name_called_back: int
    rectified: int
    rectified_on_time: int

    @property
    def good(self) -> int:
        return sum(self.by_level.get(lv, 0) for lv in GOOD_LEVELS)

    @property
    def good_rate(self) -> Ratio:
        return Ratio(self.good, self.total)

    @property
    def callback_rate(self) -> Ratio:
        return Ratio(self.bad_called_back, self.bad)

    @property
    def real_name_callback_rate(self) -> Ratio:
        return Ratio(self.bad_real_name_called_back, self.bad_real_name)

    @property
    def on_time_rate(self) -> Ratio:
        return Ratio(self.rectified_on_time, self.rectified)


@dataclass(frozen=True)
class FilingStats:
    new: int  # 引导日期 in the period
    new_by_field_county: Mapping[tuple[str, str], int]
    submitted: int  # 备案提交日 in the period
    corrections: int  # 退回补正 taken in the period
    passed: int  # 结果日期 in the period, 通过
    failed: int  # 不通过
    by_status: Mapping[str, int]  # current status of filings guided up to the period's end
    approved_enterprises: int  # distinct enterprises with a valid filing now (备案主体)

    @property
    def pass_rate(self) -> Ratio:
        return Ratio(self.passed, self.passed + self.failed)


@dataclass(frozen=True)
class CaseStats:
    submitted_by_type: Mapping[str, int]  # 预审提交日 in the period
    concluded: Mapping[tuple[str, str], int]  # (patent type, conclusion) in the period
    filed_by_type: Mapping[str, int]  # 正式申请日 in the period
    granted_by_type: Mapping[str, int]  # 授权公告日 in the period
    granted_high_value: Mapping[str, int]  # category → granted cases in the period
    mean_days_to_qualify: float | None  # 预审提交日 → 结论日期, calendar days

    def count(self, conclusion: str, patent_type: str | None = None) -> int:
        return sum(n for (pt, c), n in self.concluded.items()
                   if c == conclusion and (patent_type is None or pt == patent_type))

    @property
    def submitted(self) -> int:
        return sum(self.submitted_by_type.values())

    @property
    def qualified(self) -> int:
        return self.count("qualified")

    @property
    def unqualified(self) -> int:
        return self.count("unqualified")

    @property
    def withdrawn(self) -> int:
        return self.count("withdrawn")

    @property
    def qualify_rate(self) -> Ratio:
        """合格率 = 预审合格 ÷（预审合格 + 预审不合格）; withdrawn cases are not in it."""
        return Ratio(self.qualified, self.qualified + self.unqualified)

    def qualify_rate_of(self, patent_type: str) -> Ratio:
        q = self.count("qualified", patent_type)
        return Ratio(q, q + self.count("unqualified", patent_type))


# mediation outcome columns, in the order of the source × outcome table
MEDIATION_STEPS: tuple[tuple[str, str], ...] = (
    ("applied", "新收申请"),
    ("accepted", "受理"),
    ("refused", "不予受理"),
    ("settled_written", "调解成功（书面协议）"),
    ("settled_oral", "调解成功（口头协议）"),
    ("terminated", "调解终止"),
    ("withdrawn", "申请人撤回"),
    ("confirmation_applied", "申请司法确认"),
    ("confirmed", "司法确认有效"),
    ("dismissed", "司法确认驳回"),
)


@dataclass(frozen=True)
class MediationStats:
    by_source_step: Mapping[tuple[str, str], int]  # (source, step) → cases, step per MEDIATION_STEPS
    by_right_type: Mapping[str, int]  # of the period's new applications
    by_dispute_type: Mapping[str, int]
    refusal_reasons: Mapping[str, int]
    termination_reasons: Mapping[str, int]
    withdrawn_after_acceptance: int
    performance: Mapping[str, int]  # of the period's settled cases ("" = not recorded)
    amount: float  # 标的额 of the period's new applications, yuan
    closed_after_acceptance: int  # settled + terminated + withdrawn after acceptance
    mean_workdays_to_close: float | None
    over_deadline: int  # closed after the 30-day 调解终结期限

    def step(self, step: str, source: str | None = None) -> int:
        return sum(n for (src, st), n in self.by_source_step.items()
                   if st == step and (source is None or src == source))

    @property
    def applied(self) -> int:
        return self.step("applied")

    @property
    def accepted(self) -> int:
        return self.step("accepted")

    @property
    def refused(self) -> int:
        return self.step("refused")

    @property
    def settled(self) -> int:
        return self.step("settled_written") + self.step("settled_oral")

    @property
    def terminated(self) -> int:
        return self.step("terminated")

    @property
    def acceptance_rate(self) -> Ratio:
        return Ratio(self.accepted, self.accepted + self.refused)

    @property
    def success_rate(self) -> Ratio:
        return Ratio(self.settled, self.closed_after_acceptance)


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


# --- scope and permissions -----------------------------------------------------------------------


def resolve_scope(desk: Desk, county: str | None) -> str | None:
    """The county to report on (None = the whole League), checked against this window: a county
    window reports on its own county only; the League window on the League or any county."""
    ident = desk.identity
    if county is not None:
        county = county.strip() or None
    if county is not None and county not in COUNTY_CODES:
        known = "、".join(f"{c}（{county_name(c)}）" for c in COUNTY_CODES)
        raise ValidationFailed({"county": f"县市代码“{county}”不是兴安盟的代码（可选：{known}）"})
    if ident.county_code == LEAGUE_CODE:
        return county
    if county is None or county == ident.county_code:
        return ident.county_code
    raise ValidationFailed({"county": (
        f"本窗口（{ident.county_name}）只保存本旗县市的数据，不能统计{county_name(county)}；"
        "全盟及其他旗县市的统计请在盟本级窗口进行")})


def scope_choices(desk: Desk) -> list[tuple[str | None, str]]:
    """What a picker offers at this window: [(None, "全盟"), (code, name), …] or its county."""
    ident = desk.identity
    if ident.county_code == LEAGUE_CODE:
        return [(None, "全盟"), *((c, county_name(c)) for c in COUNTY_CODES)]
    return [(ident.county_code, ident.county_name)]


def _check_role(desk: Desk) -> None:
    if desk.user.role not in STATS_ROLES:
        raise PermissionDenied("“统计报表”需要主管或管理员权限，当前账号无此权限")


# --- counting ------------------------------------------------------------------------------------

_R = Record.__table__
_E = RecordEvent.__table__


def _day(col: Any) -> Any:
    """The China-time date of a UTC datetime column (seconds kept: SQLite rounds fractions)."""
    return func.date(func.substr(col, 1, 19), "+8 hours")


class _Reader:
    def __init__(self, session: Any, county: str | None, period: Period,
                 today: dt.date | None = None) -> None:
        self.s = session
        self.county = county
        self.p = period
        self.today = today or today_cst()
        self._cache: dict[tuple[int, int], dict[str, int]] = {}
        self._known: dict[tuple[str, dt.date, dt.date], int] = {}

    @property
    def as_of(self) -> dt.date:
        """The last day counted for the targets: the period's end, or today if earlier."""
        return max(self.p.start, min(self.p.end, self.today))

    @property
    def year_to_date(self) -> tuple[dt.date, dt.date]:
        """1 January of the period's (last) year to the day annual targets count up to."""
        year = self.p.end.year
        upto = self.as_of if self.as_of.year == year else dt.date(year, 12, 31)
        return dt.date(year, 1, 1), upto

    def base(self, kind: str) -> tuple[Any, Any, list[Any]]:
        d = DETAIL[kind]
        conds: list[Any] = [_R.c.kind == kind, _R.c.voided.is_(False)]
        if self.county is not None:
            conds.append(_R.c.county_code == self.county)
        # the kind condition lets SQLite walk record's (kind, …) indexes for this kind's rows
        # only (each detail row is then found by its key), not every record of the store
        return d, _R.join(d, d.c.record_id == _R.c.id), conds

    def days(self, col: Any, start: dt.date | None = None, end: dt.date | None = None) -> Any:
        return and_(col >= (start or self.p.start), col <= (end or self.p.end))

    def moments(self, col: Any) -> Any:
        a, b = self.p.utc_bounds
        return and_(col >= a, col < b)

    def event_day(self, action: str) -> Any:
        """The China-time day of the record's applied `action` event (correlated)."""
        return (select(func.max(_day(_E.c.created_at)))
                .where(_E.c.record_id == _R.c.id, _E.c.action == action, _E.c.applied.is_(True))
                .scalar_subquery())

    def all(self, stmt: Any) -> list[Any]:
        return list(self.s.execute(stmt))

    def scalar(self, stmt: Any) -> Any:
        return self.s.execute(stmt).scalar()

    # --- sections ---------------------------------------------------------------------------
    # One scan of `record` ⋈ `<kind>_detail` per kind (the join is what costs): each figure is
    # a conditional count in that scan, grouped by the columns the tables break down by.

    def _when(self, cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    def consultations(self) -> ConsultationStats:
        d, j, conds = self.base("consultation")
        conds.append(self.moments(d.c.started_at))
        # grouped by the topic list as stored: the topics of each group are counted once per
        # consultation below (a list is a set of codes; a repeated code still counts once)
        rows = self.all(
            select(_R.c.county_code, d.c.channel, d.c.handling, d.c.visitor_type, d.c.topics,
                   func.count(), self._when(d.c.followup_needed.is_(True)),
                   self._when(d.c.support_lead.is_(True)),
                   self._when(_R.c.status == "followed_up"))
            .select_from(j).where(*conds)
            .group_by(_R.c.county_code, d.c.channel, d.c.handling, d.c.visitor_type,
                      d.c.topics))
        total = need = done = leads = 0
        county: Counter[str] = Counter()
        channel: Counter[str] = Counter()
        handling: Counter[str] = Counter()
        visitor: Counter[str] = Counter()
        by_tc: Counter[tuple[str, str]] = Counter()
        for cty, ch, hd, vt, topics, n, n_need, n_lead, n_done in rows:
            total += n
            county[cty] += n
            channel[ch or ""] += n
            handling[hd or ""] += n
            visitor[vt or ""] += n
            need += n_need or 0
            leads += n_lead or 0
            done += n_done or 0
            for topic in set(topics or ()):
                by_tc[(str(topic), cty)] += n
        by_topic: Counter[str] = Counter()
        for (t, _c), n in by_tc.items():
            by_topic[t] += n
        return ConsultationStats(total, dict(by_tc), dict(by_topic), dict(county),
                                 dict(channel), dict(handling), dict(visitor), need, done, leads)

    def ratings(self) -> RatingStats:
        d, j, conds = self.base("rating")
        conds.append(self.moments(d.c.rated_at))
        on_time = and_(d.c.rectified_on.is_not(None), d.c.rectify_by.is_not(None),
                       d.c.rectified_on <= d.c.rectify_by)
        rows = self.all(
            select(_R.c.county_code, d.c.level, _R.c.status, d.c.verification, d.c.appeal,
                   d.c.real_name, d.c.callback_on.is_not(None), d.c.rectified_on.is_not(None),
                   func.count(), self._when(on_time))
            .select_from(j).where(*conds)
            .group_by(_R.c.county_code, d.c.level, _R.c.status, d.c.verification, d.c.appeal,
                      d.c.real_name, d.c.callback_on.is_not(None),
                      d.c.rectified_on.is_not(None)))
        total = bad = called = real = real_called = rectified = timely = 0
        level: Counter[str] = Counter()
        county: Counter[str] = Counter()
        status_c: Counter[str] = Counter()
        verification: Counter[str] = Counter()
        appeal: Counter[str] = Counter()
        for cty, lv, status, ver, app, real_name, has_cb, has_fix, n, n_on_time in rows:
            total += n
            level[lv or ""] += n
            county[cty] += n
            if lv not in BAD_LEVELS:
                continue
            bad += n
            status_c[status] += n
            verification[ver or ""] += n
            if app:
                appeal[app] += n
            if has_cb:
                called += n
            if real_name:
                real += n
                if has_cb:
                    real_called += n
            if has_fix:
                rectified += n
                timely += n_on_time or 0
        return RatingStats(total, dict(level), dict(county), bad, dict(status_c),
                           dict(verification), dict(appeal), called, real, real_called,
                           rectified, timely)

    def filings(self) -> FilingStats:
        d, j, conds = self.base("preexam_filing")
        # 退回补正 leaves no date on the record: count the action's events of the period, only
        # for filings that were ever sent back (their 补正期限 is set)
        corrections = (select(func.count()).select_from(_E)
                       .where(_E.c.record_id == _R.c.id, _E.c.action == "request_correction",
                              _E.c.applied.is_(True), self.days(_day(_E.c.created_at)))
                       .scalar_subquery())
        rows = self.all(
            select(d.c.field, _R.c.county_code, _R.c.status,
                   self._when(self.days(d.c.guided_on)),
                   self._when(self.days(d.c.submitted_on)),
                   self._when(and_(d.c.result == "passed", self.days(d.c.result_on))),
                   self._when(and_(d.c.result == "failed", self.days(d.c.result_on))),
                   self._when(d.c.guided_on <= self.p.end),
                   func.sum(case((d.c.correction_deadline.is_not(None), corrections),
                                 else_=0)))
            .select_from(j).where(*conds).group_by(d.c.field, _R.c.county_code, _R.c.status))
        new_by: Counter[tuple[str, str]] = Counter()
        by_status: Counter[str] = Counter()
        submitted = passed = failed = n_corr = 0
        for fld, cty, status, n_new, n_sub, n_pass, n_fail, n_upto, n_c in rows:
            if n_new:
                new_by[(fld or "", cty)] += n_new
            if n_upto:
                by_status[status] += n_upto
            submitted += n_sub or 0
            passed += n_pass or 0
            failed += n_fail or 0
            n_corr += n_c or 0
        approved = self.scalar(  # walks the (kind, status) index: valid filings only
            select(func.count(distinct(d.c.enterprise_uscc))).select_from(j)
            .where(*conds, _R.c.status.in_(("approved", "review")))) or 0
        return FilingStats(sum(new_by.values()), dict(new_by), submitted, n_corr, passed,
                           failed, dict(by_status), int(approved))

    def cases(self) -> CaseStats:
        d, j, conds = self.base("preexam_case")
        withdrawn_day = func.coalesce(d.c.concluded_on, self.event_day("withdraw"))
        concluded_in = and_(d.c.conclusion.in_(("qualified", "unqualified")),
                            self.days(d.c.concluded_on))
        qualified_in = and_(d.c.conclusion == "qualified", self.days(d.c.concluded_on),
                            d.c.submitted_on.is_not(None))
        granted_in = self.days(d.c.granted_on)
        rows = self.all(
            select(d.c.patent_type, d.c.conclusion,
                   case((granted_in, d.c.high_value), else_=None),
                   self._when(self.days(d.c.submitted_on)),
                   self._when(concluded_in),
                   # the event is looked up only for withdrawn cases without a 结论日期
                   self._when(and_(d.c.conclusion == "withdrawn", self.days(withdrawn_day))),
                   self._when(self.days(d.c.filed_on)),
                   self._when(granted_in),
                   func.sum(case((qualified_in, func.julianday(d.c.concluded_on)
                                  - func.julianday(d.c.submitted_on)), else_=0)),
                   self._when(qualified_in))
            .select_from(j).where(*conds)
            .group_by(d.c.patent_type, d.c.conclusion, case((granted_in, d.c.high_value),
                                                            else_=None)))
        submitted: Counter[str] = Counter()
        filed: Counter[str] = Counter()
        granted: Counter[str] = Counter()
        high_value: Counter[str] = Counter()
        concluded: Counter[tuple[str, str]] = Counter()
        days_sum = 0.0
        days_n = 0
        for pt, conclusion, hv, n_sub, n_conc, n_wd, n_filed, n_granted, d_sum, d_n in rows:
            pt = str(pt or "")
            submitted[pt] += n_sub or 0
            filed[pt] += n_filed or 0
            granted[pt] += n_granted or 0
            if n_conc:
                concluded[(pt, str(conclusion))] += n_conc
            if n_wd:
                concluded[(pt, "withdrawn")] += n_wd
            for category in set(hv or ()):
                high_value[str(category)] += n_granted or 0
            days_sum += float(d_sum or 0)
            days_n += d_n or 0
        return CaseStats({k: v for k, v in submitted.items() if v}, dict(concluded),
                         {k: v for k, v in filed.items() if v},
                         {k: v for k, v in granted.items() if v}, dict(high_value),
                         days_sum / days_n if days_n else None)

    def mediation(self, calendar: Any) -> MediationStats:
        d, j, conds = self.base("mediation")
        refused_day = func.coalesce(d.c.closed_on, self.event_day("refuse"))
        withdrawn_day = func.coalesce(d.c.closed_on, self.event_day("withdraw"))
        # the event lookups run only for refused / withdrawn cases without a 结束日期
        refused_in = and_(_R.c.status == "refused", self.days(refused_day))
        withdrawn_in = and_(_R.c.status == "withdrawn", self.days(withdrawn_day))
        settled_in = and_(d.c.outcome.is_not(None), self.days(d.c.agreement_effective_on))
        terminated_in = and_(_R.c.status == "terminated", self.days(d.c.closed_on))
        applied_in = self.days(d.c.applied_on)
        keys = (d.c.source, d.c.right_type, d.c.dispute_type, d.c.refusal_reason,
                d.c.termination_reason, d.c.performance, d.c.outcome,
                d.c.confirmation_result, d.c.accepted_on.is_not(None))
        rows = self.all(
            select(*keys,
                   self._when(applied_in),
                   func.sum(case((applied_in, d.c.amount), else_=0)),
                   self._when(self.days(d.c.accepted_on)),
                   self._when(refused_in),
                   self._when(settled_in),
                   self._when(terminated_in),
                   self._when(withdrawn_in),
                   self._when(self.days(d.c.confirmation_applied_on)),
                   self._when(and_(d.c.confirmation_result.in_(("confirmed", "dismissed")),
                                   self.days(d.c.confirmation_result_on))),
                   self._when(self.days(d.c.accepted_on, *self.year_to_date)))
            .select_from(j).where(*conds).group_by(*keys))
        steps: Counter[tuple[str, str]] = Counter()
        right: Counter[str] = Counter()
        dispute: Counter[str] = Counter()
        refusal: Counter[str] = Counter()
        termination: Counter[str] = Counter()
        performance: Counter[str] = Counter()
        amount = 0.0
        after_acceptance = 0
        accepted_ytd = 0
        for (src, rt, dtype, r_reason, t_reason, perf, outcome, c_result, was_accepted,
             n_applied, total, n_acc, n_ref, n_set, n_term, n_wd, n_capp, n_cres, n_ytd) in rows:
            src = str(src or "")
            accepted_ytd += n_ytd or 0
            if n_applied:
                steps[(src, "applied")] += n_applied
                right[rt or ""] += n_applied
                dispute[dtype or ""] += n_applied
                amount += float(total or 0)
            steps[(src, "accepted")] += n_acc or 0
            if n_ref:
                steps[(src, "refused")] += n_ref
                refusal[r_reason or ""] += n_ref
            if n_set:
                steps[(src, f"settled_{outcome}")] += n_set
                performance[perf or ""] += n_set
            if n_term:
                steps[(src, "terminated")] += n_term
                termination[t_reason or ""] += n_term
            if n_wd:
                steps[(src, "withdrawn")] += n_wd
                if was_accepted:
                    after_acceptance += n_wd
            steps[(src, "confirmation_applied")] += n_capp or 0
            if n_cres:
                steps[(src, str(c_result))] += n_cres
        # working days to close need the holiday calendar: the dates of the cases closed
        # after acceptance in the period (few rows), counted with one pass over the calendar
        closed_on = case((settled_in, d.c.agreement_effective_on), else_=withdrawn_day)
        spans = self.all(
            select(d.c.accepted_on, closed_on, d.c.finish_by).select_from(j)
            .where(*conds, d.c.accepted_on.is_not(None),
                   _R.c.status.in_(("settled", "confirmation_applied", "confirmed",
                                    "dismissed", "terminated", "withdrawn")),
                   or_(settled_in, terminated_in, withdrawn_in)))
        durations = [(a, _as_date(b), due) for a, b, due in spans]
        workdays = _workdays(calendar, [(a, b) for a, b, _ in durations])
        mean = sum(workdays) / len(workdays) if workdays else None
        late = sum(1 for _a, b, due in durations if due is not None and b > due)
        closed = steps_total(steps, ("settled_written", "settled_oral", "terminated"))
        self._known[("mediation_accepted", *self.year_to_date)] = accepted_ytd
        self._known[("mediation_accepted", self.p.start, self.p.end)] = steps_total(
            steps, ("accepted",))
        return MediationStats({k: v for k, v in steps.items() if v}, dict(right), dict(dispute),
                              dict(refusal), dict(termination), after_acceptance,
                              dict(performance), amount, closed + after_acceptance, mean, late)

    # --- target measures --------------------------------------------------------------------
    def measure(self, name: str, start: dt.date, end: dt.date) -> int:
        known = self._known.get((name, start, end))
        if known is not None:
            return known
        if name == "mediation_accepted":
            d, j, conds = self.base("mediation")
            return int(self.scalar(select(func.count()).select_from(j)
                                   .where(*conds, self.days(d.c.accepted_on, start, end))) or 0)
        if name in ("key_support_new", "key_support_total", "gb29490_certified"):
            counts = self._enterprises(start.year if name == "key_support_new" else None,
                                       end.year)
            return counts[name]
        raise ValueError(f"unknown measure {name!r}")

    def _enterprises(self, first_year: int | None, year: int) -> dict[str, int]:
        """The enterprise registry's counts for the targets, in one scan (distinct credit
        codes): entered the 重点帮扶企业库 from `first_year` (default: `year`) to `year`, in it by
        `year`, with a GB/T 29490 certificate."""
        first = year if first_year is None else first_year
        cached = self._cache.get((first, year))
        if cached is not None:
            return cached
        d, j, conds = self.base("enterprise")

        def distinct_where(cond: Any) -> Any:
            return func.count(distinct(case((cond, d.c.uscc), else_=None)))

        support = d.c.key_support.is_(True)
        row = self.s.execute(
            select(distinct_where(and_(support, d.c.key_support_year.between(first, year))),
                   distinct_where(and_(support, d.c.key_support_year <= year)),
                   distinct_where(d.c.gb29490_certified.is_(True)))
            .select_from(j).where(*conds)).one()
        counts = {"key_support_new": int(row[0] or 0), "key_support_total": int(row[1] or 0),
                  "gb29490_certified": int(row[2] or 0)}
        self._cache[(first, year)] = counts
        return counts

    def targets(self, catalog: TargetCatalog) -> tuple[TargetProgress, ...]:
        plan = catalog.plan
        as_of = self.as_of
        year = self.p.end.year
        if year < plan.first_year or (year > plan.last_year and not plan.continue_after):
            return ()
        carried = year > plan.last_year
        out: list[TargetProgress] = []
        for t in catalog.targets:
            if t.period == "annual":
                y_start, upto = self.year_to_date
                actual = self.measure(t.measure, y_start, upto)
                if t.measure in _YEARLY_MEASURES:
                    in_period = actual if self.p.kind == "year" else None
                else:
                    in_period = self.measure(t.measure, self.p.start, self.p.end)
                days_in_year = 366 if pycal.isleap(year) else 365
                elapsed = (upto - y_start).days + 1
                expected = (t.value * elapsed / days_in_year
                            if elapsed < days_in_year else float(t.value))
                out.append(TargetProgress(t, year, upto, in_period, actual, expected, carried,
                                          self.county is None))
            else:
                assert t.by_year is not None
                actual = self.measure(t.measure, dt.date(plan.first_year, 1, 1), as_of)
                out.append(TargetProgress(t, t.by_year, as_of, None, actual, None,
                                          as_of.year > t.by_year, self.county is None))
        return tuple(out)


def steps_total(steps: Mapping[tuple[str, str], int], names: Iterable[str]) -> int:
    wanted = set(names)
    return sum(n for (_src, st), n in steps.items() if st in wanted)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _workdays(calendar: Any, spans: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
    """Working days from a to b (a not counted) for each span, with one pass over the calendar
    (a running count per day) instead of a day-by-day walk per span."""
    if not spans:
        return []
    lo = min(min(a, b) for a, b in spans)
    hi = max(max(a, b) for a, b in spans)
    running: dict[dt.date, int] = {}
    count = 0
    day = lo
    while day <= hi:
        if day != lo and calendar.is_workday(day):
            count += 1
        running[day] = count
        day += dt.timedelta(days=1)
    return [running[b] - running[a] for a, b in spans]


def compute(desk: Desk, period: Period, county: str | None = None, *,
            today: dt.date | None = None) -> StatsReport:
    """The statistics of `period` for `county` (None: the whole League at a League window, the
    window's own county elsewhere). Supervisors and admins only."""
    _check_role(desk)
    scope = resolve_scope(desk, county)
    catalog = load_targets()
    calendar = desk.calendar()
    with desk.reading() as s:
        r = _Reader(s, scope, period, today)
        consultations = r.consultations()
        ratings = r.ratings()
        filings = r.filings()
        cases = r.cases()
        mediation = r.mediation(calendar)
        targets = r.targets(catalog)
    user = desk.user
    counties = COUNTY_CODES if scope is None else (scope,)
    return StatsReport(period, scope, utcnow(), user.display_name, desk.identity.label,
                       consultations, ratings, filings, cases, mediation, targets, catalog.plan,
                       catalog.not_measured, DEFINITIONS, counties)


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
        rows.append((t.label, t.unit, tp.in_period, tp.actual, t.value, tp.ratio, expected,
                     tp.status, f"{tp.kind_label}；{tp.basis}"))
        notes.append(f"{t.label}：{t.measure_note}。方案原文（{t.section}）：“{t.quote}”")
    header = ("指标", "单位", "本期", "累计", "目标", "完成率", "按进度应达", "状态", "说明")
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
    return Section("targets", "计划目标完成情况", tuple(summary), (table, others), tuple(notes))


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


def _sections(rep: StatsReport) -> tuple[Section, ...]:
    return (_targets_section(rep), _consultation_section(rep), _rating_section(rep),
            _filing_section(rep), _case_section(rep), _mediation_section(rep))


def generated_line(rep: StatsReport) -> str:
    return f"生成：{format_datetime(rep.generated_at)}　{rep.generated_by}　{rep.window}"
