"""The League plan's targets (resources/catalogs/targets.toml) and their progress."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache

from ..paths import resource_path
from .figures import Ratio
from .period import cn_date

__all__ = [
    "CHART_CAP",
    "MEASURES",
    "YEARLY_MEASURES",
    "ChartPoint",
    "NotMeasured",
    "PlanInfo",
    "Target",
    "TargetCatalog",
    "TargetProgress",
    "chart_points",
    "load_targets",
]

MEASURES = ("mediation_accepted", "key_support_new", "key_support_total", "gb29490_certified",
            # the plan's ledgers (records/ledger_kinds.py)
            "high_value_patents", "invention_granted", "hv_portfolios", "pledge_amount_wan",
            "navigation_projects", "insurance_policies", "patent_awards", "agencies")
# measures that exist per year only (入库年度): no figure for a month or a quarter
YEARLY_MEASURES = frozenset({"key_support_new"})


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
    # cumulative targets: what the year of the period added (1 January to `as_of`)
    in_year: int | None = None
    # since the plan's first year (1 January) to `as_of`: an annual target's running total
    # (a cumulative target's is `actual`)
    plan_total: int | None = None
    # at the League's scope: each county's figure (same basis as `actual`), in county order
    by_county: tuple[tuple[str, int], ...] = ()

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
    def on_track(self) -> bool:
        """Reached, or (an annual target) at or above where the year's schedule stands; also
        for a county's share, measured against the League's figure."""
        if self.actual >= self.target.value:
            return True
        return self.expected is not None and self.actual >= self.expected

    @property
    def basis(self) -> str:
        """What `actual` covers, e.g. "2026年1月1日至3月31日累计"."""
        if self.target.period == "annual":
            start = dt.date(self.year, 1, 1)
            end = self.as_of
            if end.year != start.year:
                end = dt.date(self.year, 12, 31)
            tail = f"{end.month}月{end.day}日" if end != start else ""
            return f"{cn_date(start)}至{tail}累计" if tail else f"{cn_date(start)}"
        return f"截至{cn_date(self.as_of)}"

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




CHART_CAP = 200.0  # a bar beyond twice its target is drawn at 200 % (the label says how much)


@dataclass(frozen=True)
class ChartPoint:
    """One target's bar on the progress charts (screen and PDF draw the same points)."""

    label: str  # the target's name
    percent: float  # actual ÷ target × 100, capped at CHART_CAP
    expected: float | None  # an annual target's prorated share of the year, in %
    caption: str  # "7 / 10 件"
    done: bool  # reached, or on schedule

    @property
    def axis_label(self) -> str:
        return f"{self.label}（{self.caption}）"


def chart_points(targets: tuple[TargetProgress, ...]) -> list[ChartPoint]:
    """The progress of each target as a share of it, in the report's order."""
    out: list[ChartPoint] = []
    for tp in targets:
        t = tp.target
        pct = 100.0 * tp.actual / t.value
        expected = (None if tp.expected is None or tp.target.period != "annual"
                    else min(CHART_CAP, 100.0 * tp.expected / t.value))
        out.append(ChartPoint(t.label, min(CHART_CAP, pct), expected,
                              f"{tp.actual} / {t.value} {t.unit}",
                              tp.on_track))
    return out
