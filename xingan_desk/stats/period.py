"""Statistics periods (月、季度、半年、年 or any range of days) and how a clerk may write them."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import re
from dataclasses import dataclass

from ..errors import ValidationFailed
from ..records.fields import to_halfwidth
from ..timeutil import CST

__all__ = ["Period", "cn_date"]

_QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
_PERIOD_HELP = ("可写 2026-03（月）、2026-Q1（季度）、2026-H1（半年）、2026（年）"
                "或 2026-01-01..2026-03-15（任意期间）")


def cn_date(d: dt.date) -> str:
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
            return cn_date(self.start)
        return f"{cn_date(self.start)}至{cn_date(self.end)}"

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

