"""The figures of a statistics report: shares (`Ratio`), table cells and the counts of each
section as the queries return them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "GOOD_LEVELS",
    "MEDIATION_STEPS",
    "CaseStats",
    "Cell",
    "ConsultationStats",
    "FilingStats",
    "LedgerStats",
    "MediationStats",
    "RatingStats",
    "Ratio",
    "StaffRow",
    "StaffStats",
    "cell_text",
]

GOOD_LEVELS = ("5", "4", "3")


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


# --- the counts of each section -----------------------------------------------------------------


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




# --- the plan's ledgers and the supervisors' figures ------------------------------------------


@dataclass(frozen=True)
class LedgerStats:
    """The plan's ledgers in scope (current state, high-value patents on the day counted)."""

    patents: int  # live records of the 专利 ledger
    in_pool: int  # of them in the 高价值专利培育库
    high_value: int  # high-value on the day counted (the target's figure)
    high_value_by_category: Mapping[str, int]  # annex category → patents
    unconfirmed: int  # high-value by the derived categories only (not yet 核定)
    pledge_by_status: Mapping[str, tuple[int, float]]  # status → (pledges, 万元)
    insurance_by_product: Mapping[str, tuple[int, float, float]]  # → (policies, 保额, 保费)
    navigation_by_progress: Mapping[str, int]
    agencies: int  # serving the League on the day counted
    advantage_pool: int  # enterprises in the 知识产权优势企业培育库 by the period's year


@dataclass(frozen=True)
class StaffRow:
    """One clerk's or one window's work in the period (overdue items: as of today)."""

    key: str  # username or window code
    name: str  # display name or window label
    consultations: int
    records: int  # records of every kind registered in the period
    ratings: int  # ratings received (of the window / naming the clerk)
    good: int
    bad: int
    bad_followed_up: int  # 差评 whose 回访 is recorded
    overdue: int  # open items past their deadline today

    @property
    def good_rate(self) -> Ratio:
        return Ratio(self.good, self.ratings)

    @property
    def followup_rate(self) -> Ratio:
        return Ratio(self.bad_followed_up, self.bad)


@dataclass(frozen=True)
class StaffStats:
    clerks: tuple[StaffRow, ...]
    windows: tuple[StaffRow, ...]
