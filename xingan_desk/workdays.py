"""Working-day and deadline arithmetic with the Chinese holiday calendar (放假 and 调休上班).

Two rules are kept apart (domain.md §2.2–2.3):

* **working days** (hall service promises, committee acceptance): ``add_workdays``. The start day is
  not counted; the result is the n-th working day after it.
* **calendar days with roll-over** (statutory periods, 民事诉讼法 Art. 85): ``add_days_with_rollover``.
  The start day is not counted; if the last day is not a working day (a statutory holiday, or a
  weekend that is not an adjusted workday) the period ends on the next working day. An adjusted
  workday (调休 Saturday) does not roll.

Weekends are non-working unless listed as adjusted workdays. Years without holiday data still
compute (weekends only); ask ``is_covered`` / ``coverage_warning`` to tell the clerk.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xingan_desk.paths import resource_path

__all__ = ["HOLIDAY", "NORMAL", "WORKDAY", "Calendar", "SpecialDay"]

HOLIDAY = "holiday"
WORKDAY = "workday"
NORMAL = "normal"  # override only: drop a listed day, back to the plain weekday/weekend rule

_KINDS = {
    HOLIDAY: HOLIDAY,
    "放假": HOLIDAY,
    "节假日": HOLIDAY,
    WORKDAY: WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    NORMAL: NORMAL,
    "clear": NORMAL,
    "恢复": NORMAL,
}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SpecialDay:
    day: date
    kind: str  # HOLIDAY or WORKDAY
    name: str


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"日期格式不正确：{value!r}（应为 YYYY-MM-DD）")


def _as_row(row: object) -> tuple[date, str, str]:
    """(date, kind, name) from a tuple/sequence or an object with day|date, kind, name."""
    if isinstance(row, Mapping):
        d, kind, name = row.get("day", row.get("date")), row.get("kind"), row.get("name", "")
    elif hasattr(row, "kind"):
        d = getattr(row, "day", None) or getattr(row, "date", None)
        kind, name = row.kind, getattr(row, "name", "")
    else:
        d, kind, name = row  # type: ignore[misc]
    canonical = _KINDS.get(str(kind).strip().lower())
    if canonical is None:
        raise ValueError(f"节假日类型不正确：{kind!r}（应为 holiday/放假 或 workday/调休上班）")
    return _as_date(d), canonical, "" if name is None else str(name)


class Calendar:
    """Immutable working-day calendar: weekends off, plus listed holidays and adjusted workdays."""

    __slots__ = ("_special", "_years")

    def __init__(
        self,
        days: Iterable[object] = (),
        *,
        covered_years: Iterable[int] | None = None,
    ) -> None:
        """``days``: (date, kind, name) rows, kind "holiday"/"放假" or "workday"/"调休上班".

        ``covered_years``: the years whose schedule is complete; by default every year that has
        a listed day.
        """
        special: dict[date, SpecialDay] = {}
        for row in days:
            d, kind, name = _as_row(row)
            if kind == NORMAL:
                raise ValueError(f"{d} 的类型“{NORMAL}”只能用于本地修改")
            if d in special and special[d].kind != kind:
                raise ValueError(f"{d} 同时被标为放假和调休上班")
            special[d] = SpecialDay(d, kind, name)
        self._special: Mapping[date, SpecialDay] = MappingProxyType(special)
        years = {d.year for d in special} if covered_years is None else set(covered_years)
        self._years = frozenset(years)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_toml(cls, path: str | Path) -> Calendar:
        """Load the ``[[year]]`` / ``[[year.holiday]]`` format of resources/catalogs/holidays.toml."""
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
        rows: list[tuple[date, str, str]] = []
        years: set[int] = set()
        for block in data.get("year", []):
            years.add(int(block["year"]))
            for hol in block.get("holiday", []):
                rows.extend(_holiday_rows(hol))
        return cls(rows, covered_years=years)

    @classmethod
    def default(cls) -> Calendar:
        """The shipped table (resources/catalogs/holidays.toml), loaded once."""
        return _default_calendar()

    def with_overrides(
        self, rows: Iterable[object], *, covered_years: Iterable[int] = ()
    ) -> Calendar:
        """A new calendar with local admin edits on top: each row replaces the day's entry;
        kind "normal" removes it. Years of added holiday/workday rows become covered."""
        special = dict(self._special)
        years = set(self._years) | set(covered_years)
        for row in rows:
            d, kind, name = _as_row(row)
            if kind == NORMAL:
                special.pop(d, None)
            else:
                special[d] = SpecialDay(d, kind, name)
                years.add(d.year)
        return Calendar(special.values(), covered_years=years)

    # ------------------------------------------------------------------ queries

    def special_days(self) -> list[SpecialDay]:
        return sorted(self._special.values(), key=lambda s: s.day)

    def __iter__(self) -> Iterator[SpecialDay]:
        return iter(self.special_days())

    def kind_of(self, d: date) -> str | None:
        """HOLIDAY or WORKDAY for a listed day, else None."""
        entry = self._special.get(_as_date(d))
        return entry.kind if entry else None

    def name_of(self, d: date) -> str | None:
        """The holiday name for a listed day (e.g. 春节), else None."""
        entry = self._special.get(_as_date(d))
        return entry.name if entry else None

    def is_holiday(self, d: date) -> bool:
        """A listed statutory holiday (not a plain weekend)."""
        return self.kind_of(d) == HOLIDAY

    def is_workday(self, d: date) -> bool:
        d = _as_date(d)
        entry = self._special.get(d)
        if entry is not None:
            return entry.kind == WORKDAY
        return d.weekday() < 5

    def covered_years(self) -> frozenset[int]:
        return self._years

    def is_covered(self, d: date) -> bool:
        return _as_date(d).year in self._years

    def coverage_warning(self, start: date, end: date | None = None) -> str | None:
        """Return "2027年节假日安排尚未录入" if a year from start to end has no holiday data."""
        a, b = _as_date(start), _as_date(end if end is not None else start)
        lo, hi = min(a.year, b.year), max(a.year, b.year)
        missing = [str(y) for y in range(lo, hi + 1) if y not in self._years]
        return f"{'、'.join(missing)}年节假日安排尚未录入" if missing else None

    # ------------------------------------------------------------------ arithmetic

    def roll_forward(self, d: date) -> date:
        """d itself if it is a working day, else the next working day."""
        d = _as_date(d)
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (start not counted); n = 0 → start unchanged.

        A negative n counts backwards (the |n|-th working day before start).
        """
        d = _as_date(start)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d

    def add_days_with_rollover(self, start: date, n: int) -> date:
        """start + n calendar days (start not counted), rolled forward to a working day."""
        if n < 0:
            raise ValueError("期间天数不能为负数")
        return self.roll_forward(_as_date(start) + timedelta(days=n))

    def workdays_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b < a).

        Inverse of add_workdays: ``workdays_between(s, add_workdays(s, n)) == n`` for n >= 0.
        """
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            count += self.is_workday(d)
        return count

    def __repr__(self) -> str:
        years = ",".join(str(y) for y in sorted(self._years))
        return f"Calendar(years=[{years}], special_days={len(self._special)})"


def _holiday_rows(hol: Mapping[str, Any]) -> Iterator[tuple[date, str, str]]:
    name = str(hol["name"])
    start = _as_date(hol["start"])
    end = _as_date(hol.get("end", start))
    if end < start:
        raise ValueError(f"{name}的放假结束日期 {end} 早于开始日期 {start}")
    d = start
    while d <= end:
        yield d, HOLIDAY, name
        d += _ONE_DAY
    for w in hol.get("workdays", []):
        yield _as_date(w), WORKDAY, f"{name}调休上班"


@functools.cache
def _default_calendar() -> Calendar:
    return Calendar.from_toml(resource_path("catalogs", "holidays.toml"))
