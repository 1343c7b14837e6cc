"""Counting in SQL (SQLAlchemy Core) over the local store, in one read transaction: one scan of
`record` ⋈ `<kind>_detail` per kind, each figure a conditional count in that scan."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Join, Table, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from ..records.kinds import BAD_LEVELS
from ..storage.schema import DETAIL, Record, RecordEvent
from ..timeutil import today_cst
from ..workdays import Calendar
from .figures import CaseStats, ConsultationStats, FilingStats, MediationStats, RatingStats
from .period import Period
from .targets import YEARLY_MEASURES, TargetCatalog, TargetProgress

__all__ = ["Reader", "steps_total"]

_R = Record.__table__
_E = RecordEvent.__table__


def _day(col: ColumnElement[Any]) -> ColumnElement[Any]:
    """The China-time date of a UTC datetime column (seconds kept: SQLite rounds fractions)."""
    return func.date(func.substr(col, 1, 19), "+8 hours")


class Reader:
    """The counts of one statistics period and scope, read in `session` (one read transaction)."""

    def __init__(self, session: Session, county: str | None, period: Period,
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

    def base(self, kind: str) -> tuple[Table, Join, list[ColumnElement[bool]]]:
        d = DETAIL[kind]
        conds: list[ColumnElement[bool]] = [_R.c.kind == kind, _R.c.voided.is_(False)]
        if self.county is not None:
            conds.append(_R.c.county_code == self.county)
        # the kind condition lets SQLite walk record's (kind, …) indexes for this kind's rows
        # only (each detail row is then found by its key), not every record of the store
        return d, _R.join(d, d.c.record_id == _R.c.id), conds

    def days(self, col: ColumnElement[Any], start: dt.date | None = None,
             end: dt.date | None = None) -> ColumnElement[bool]:
        return and_(col >= (start or self.p.start), col <= (end or self.p.end))

    def moments(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        a, b = self.p.utc_bounds
        return and_(col >= a, col < b)

    def event_day(self, action: str) -> ColumnElement[Any]:
        """The China-time day of the record's applied `action` event (correlated)."""
        return (select(func.max(_day(_E.c.created_at)))
                .where(_E.c.record_id == _R.c.id, _E.c.action == action, _E.c.applied.is_(True))
                .scalar_subquery())

    def all(self, stmt: Executable) -> list[Sequence[Any]]:
        return list(self.s.execute(stmt))

    def scalar(self, stmt: Executable) -> Any:
        return self.s.execute(stmt).scalar()

    # --- sections ---------------------------------------------------------------------------
    # One scan of `record` ⋈ `<kind>_detail` per kind (the join is what costs): each figure is
    # a conditional count in that scan, grouped by the columns the tables break down by.

    def _when(self, cond: ColumnElement[bool]) -> ColumnElement[Any]:
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

    def mediation(self, calendar: Calendar) -> MediationStats:
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
        workdays = _count_workdays(calendar, [(a, b) for a, b, _ in durations])
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

        def distinct_where(cond: ColumnElement[bool]) -> ColumnElement[int]:
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
                if t.measure in YEARLY_MEASURES:
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


def _count_workdays(calendar: Calendar, spans: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
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


