"""Counting in SQL (SQLAlchemy Core) over the local store, in one read transaction: one scan of
`record` ⋈ `<kind>_detail` per kind, each figure a conditional count in that scan."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Join, Table, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from ..catalogs import COUNTY_CODES, county_name
from ..records.kinds import BAD_LEVELS
from ..records.ledger_kinds import (
    LEDGER_COUNTY_FIELD,
    LEDGER_KINDS,
    PLEDGE_REGISTERED_STATES,
    high_value_categories,
)
from ..storage.schema import DETAIL, Record, RecordEvent, UserAccount
from ..timeutil import today_cst
from ..workdays import Calendar
from .figures import (
    CaseStats,
    ConsultationStats,
    FilingStats,
    LedgerStats,
    MediationStats,
    RatingStats,
    StaffRow,
    StaffStats,
)
from .period import Period
from .targets import YEARLY_MEASURES, TargetCatalog, TargetProgress

__all__ = ["Reader", "ledgers", "staff", "steps_total"]

_R = Record.__table__
_LEDGERS = frozenset(k.key for k in LEDGER_KINDS)
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
        self._patent_rows: list[dict[str, Any]] | None = None

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
            # a ledger counts in the county it names (a League window registers most of them)
            county = (d.c[LEDGER_COUNTY_FIELD] if kind in _LEDGERS else _R.c.county_code)
            conds.append(county == self.county)
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
        if name in LEDGER_MEASURES:
            return int(LEDGER_MEASURES[name](self, start, end))
        raise ValueError(f"unknown measure {name!r}")

    # --- the plan's ledgers (records/ledger_kinds.py) -----------------------------------------
    def patents(self) -> list[dict[str, Any]]:
        """The 专利 ledger's rows in scope (few: the League's 培育库), read once."""
        if self._patent_rows is None:
            d, j, conds = self.base("patent")
            keys = ("patent_no", "patent_type", "legal_status", "filed_on", "granted_on",
                    "lapsed_on", "sei_field", "overseas_family", "pledges", "awards",
                    "hv_confirmed", "hv_confirmed_on", "portfolio", "in_pool", "pool_year")
            rows = self.all(select(d.c[LEDGER_COUNTY_FIELD], *(d.c[k] for k in keys))
                            .select_from(j).where(*conds))
            self._patent_rows = [dict(zip(("county", *keys), r, strict=True)) for r in rows]
        return self._patent_rows

    def patent_categories(self, values: Mapping[str, Any], day: dt.date) -> list[str] | None:
        """The annex's categories a patent meets on `day` (None: not a granted patent in force
        that day). Confirmed categories win over the derived ones once a clerk confirmed them
        (by that day); pledges and awards count from their own dates."""
        granted = values.get("granted_on")
        if granted is None or granted > day:
            return None
        lapsed = values.get("lapsed_on")
        if values.get("legal_status") in ("lapsed", "expired") and (lapsed is None
                                                                    or lapsed <= day):
            return None
        confirmed_on = values.get("hv_confirmed_on")
        if confirmed_on is not None and confirmed_on <= day:
            return list(values.get("hv_confirmed") or [])
        as_of = {**values, "legal_status": "valid",
                 "pledges": [p for p in values.get("pledges") or []
                             if not p.get("registered_on") or _as_date(p["registered_on"]) <= day],
                 "awards": [a for a in values.get("awards") or []
                            if int(a.get("year") or 0) <= day.year]}
        return high_value_categories(as_of, day)

    def high_value_by_category(self, day: dt.date) -> dict[str, int]:
        out: Counter[str] = Counter()
        for row in self.patents():
            for c in set(self.patent_categories(row, day) or ()):
                out[c] += 1
        return dict(out)

    def _high_value(self, start: dt.date, end: dt.date) -> int:
        return sum(1 for row in self.patents() if self.patent_categories(row, end))

    def _invention_granted(self, start: dt.date, end: dt.date) -> int:
        return sum(1 for row in self.patents() if row.get("patent_type") == "invention"
                   and row.get("granted_on") and start <= row["granted_on"] <= end)

    def _portfolios(self, start: dt.date, end: dt.date) -> int:
        return len({str(row["portfolio"]).strip() for row in self.patents()
                    if row.get("portfolio") and self.patent_categories(row, end) is not None})

    def _awards(self, start: dt.date, end: dt.date) -> int:
        return sum(1 for row in self.patents() for a in row.get("awards") or []
                   if a.get("award") in ("cn_patent", "nm_patent")
                   and start.year <= int(a.get("year") or 0) <= end.year)

    def _pledge_amount(self, start: dt.date, end: dt.date) -> int:
        d, j, conds = self.base("pledge")
        total = self.scalar(select(func.sum(d.c.amount_wan)).select_from(j).where(
            *conds, _R.c.status.in_(PLEDGE_REGISTERED_STATES), self.days(d.c.registered_on,
                                                                         start, end)))
        return round(float(total or 0))

    def pledge_by_status(self) -> dict[str, tuple[int, float]]:
        """Current status → (pledges, 万元: registered amount, else the amount wanted)."""
        d, j, conds = self.base("pledge")
        rows = self.all(select(_R.c.status, func.count(),
                               func.sum(func.coalesce(d.c.amount_wan, d.c.amount_wanted_wan)))
                        .select_from(j).where(*conds).group_by(_R.c.status))
        return {str(st): (int(n), float(a or 0)) for st, n, a in rows}

    def _navigation(self, start: dt.date, end: dt.date) -> int:
        d, j, conds = self.base("navigation")
        return int(self.scalar(select(func.count()).select_from(j).where(
            *conds, d.c.starts_on <= end, d.c.progress != "stopped")) or 0)

    def navigation_by_progress(self) -> dict[str, int]:
        d, j, conds = self.base("navigation")
        return {str(p or ""): int(n) for p, n in self.all(
            select(d.c.progress, func.count()).select_from(j).where(*conds)
            .group_by(d.c.progress))}

    def _insurance(self, start: dt.date, end: dt.date) -> int:
        d, j, conds = self.base("insurance")
        return int(self.scalar(select(func.count()).select_from(j).where(
            *conds, self.days(d.c.starts_on, start, end))) or 0)

    def insurance_by_product(self) -> dict[str, tuple[int, float, float]]:
        """Product → (policies, sum insured 万元, premium 万元), all policies in scope."""
        d, j, conds = self.base("insurance")
        rows = self.all(select(d.c.product, func.count(), func.sum(d.c.sum_insured_wan),
                               func.sum(d.c.premium_wan))
                        .select_from(j).where(*conds).group_by(d.c.product))
        return {str(p or ""): (int(n), float(a or 0), float(b or 0)) for p, n, a, b in rows}

    def _agencies(self, start: dt.date, end: dt.date) -> int:
        d, j, conds = self.base("agency")
        return int(self.scalar(select(func.count()).select_from(j).where(
            *conds, d.c.serving_since <= end,
            or_(d.c.left_on.is_(None), d.c.left_on > end))) or 0)

    def advantage_pool(self, year: int) -> int:
        """Enterprises in the 知识产权优势企业培育库 by `year` (distinct credit codes)."""
        d, j, conds = self.base("enterprise")
        return int(self.scalar(select(func.count(distinct(d.c.uscc))).select_from(j).where(
            *conds, d.c.advantage_pool.is_(True), d.c.advantage_pool_year <= year)) or 0)

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
                plan_total = self.measure(t.measure, dt.date(plan.first_year, 1, 1), upto)
                out.append(TargetProgress(t, year, upto, in_period, actual, expected, carried,
                                          self.county is None, plan_total=plan_total))
            else:
                assert t.by_year is not None
                first = dt.date(plan.first_year, 1, 1)
                actual = self.measure(t.measure, first, as_of)
                before_year = dt.date(as_of.year - 1, 12, 31)
                before_period = self.p.start - dt.timedelta(days=1)
                in_year = actual - self.measure(t.measure, first, before_year)
                in_period = actual - self.measure(t.measure, first, before_period)
                out.append(TargetProgress(t, t.by_year, as_of, in_period, actual, None,
                                          as_of.year > t.by_year, self.county is None,
                                          in_year=in_year, plan_total=actual))
        if self.county is None:
            first = dt.date(plan.first_year, 1, 1)
            out = [replace(tp, by_county=self.county_figures(tp, first)) for tp in out]
        return tuple(out)

    def county_figures(self, tp: TargetProgress, first: dt.date
                       ) -> tuple[tuple[str, int], ...]:
        """Each county's figure for a target, on the same basis as the League's."""
        out: list[tuple[str, int]] = []
        for code in COUNTY_CODES:
            r = Reader(self.s, code, self.p, self.today)
            if tp.target.period == "annual":
                out.append((code, r.measure(tp.target.measure, *self.year_to_date)))
            else:
                out.append((code, r.measure(tp.target.measure, first, tp.as_of)))
        return tuple(out)


def _ledgers(r: Reader) -> LedgerStats:
    day = r.as_of
    rows = r.patents()
    cats = [r.patent_categories(row, day) for row in rows]
    high = [(row, c) for row, c in zip(rows, cats, strict=True) if c]
    unconfirmed = sum(1 for row, _c in high
                      if row.get("hv_confirmed_on") is None or row["hv_confirmed_on"] > day)
    return LedgerStats(
        patents=len(rows), in_pool=sum(1 for row in rows if row.get("in_pool")),
        high_value=len(high), high_value_by_category=r.high_value_by_category(day),
        unconfirmed=unconfirmed, pledge_by_status=r.pledge_by_status(),
        insurance_by_product=r.insurance_by_product(),
        navigation_by_progress=r.navigation_by_progress(),
        agencies=r._agencies(day, day), advantage_pool=r.advantage_pool(r.p.end.year))


def _staff(r: Reader) -> StaffStats:
    """Per clerk and per window: consultations and records registered in the period, ratings
    of the period (a clerk's: those naming them as 被评价工作人员), 差评 and their 回访, and the
    open items past their deadline today."""
    conds: list[ColumnElement[bool]] = [_R.c.voided.is_(False)]
    if r.county is not None:
        conds.append(_R.c.county_code == r.county)
    created = r.moments(_R.c.created_at)
    rows = r.all(select(_R.c.created_by, _R.c.owner, r._when(created),
                        r._when(and_(_R.c.due_date.is_not(None), _R.c.due_date < r.today)))
                 .where(*conds, or_(created, _R.c.due_date < r.today))
                 .group_by(_R.c.created_by, _R.c.owner))
    cd, cj, cconds = r.base("consultation")
    c_rows = r.all(select(_R.c.created_by, _R.c.owner, func.count()).select_from(cj)
                   .where(*cconds, r.moments(cd.c.started_at))
                   .group_by(_R.c.created_by, _R.c.owner))
    d, j, rconds = r.base("rating")
    bad = d.c.level.in_(BAD_LEVELS)
    r_rows = r.all(select(d.c.staff, _R.c.owner, func.count(),
                          r._when(d.c.level.in_(("5", "4", "3"))), r._when(bad),
                          r._when(and_(bad, d.c.callback_on.is_not(None))))
                   .select_from(j).where(*rconds, r.moments(d.c.rated_at))
                   .group_by(d.c.staff, _R.c.owner))
    names = {u: n for u, n in r.all(select(UserAccount.username, UserAccount.display_name))}
    by_name = {n: u for u, n in names.items()}
    clerk: dict[str, list[int]] = {}
    window: dict[str, list[int]] = {}

    def slot(table: dict[str, list[int]], key: str) -> list[int]:
        return table.setdefault(key, [0] * 7)

    for who, owner, n_new, late in rows:
        for row in (slot(clerk, who), slot(window, owner)):
            row[1] += int(n_new or 0)
            row[6] += int(late or 0)
    for who, owner, n in c_rows:
        slot(clerk, who)[0] += int(n)
        slot(window, owner)[0] += int(n)
    for staff, owner, n, good, n_bad, n_cb in r_rows:
        targets = [slot(window, owner)]
        if staff and staff in by_name:
            targets.append(slot(clerk, by_name[staff]))
        for row in targets:
            row[2] += int(n)
            row[3] += int(good or 0)
            row[4] += int(n_bad or 0)
            row[5] += int(n_cb or 0)

    def made(table: dict[str, list[int]], label: Any) -> tuple[StaffRow, ...]:
        return tuple(StaffRow(k, label(k), *v) for k, v in sorted(table.items())
                     if any(v))

    return StaffStats(made(clerk, lambda u: names.get(u, u)),
                      made(window, _window_label))


def _window_label(code: str) -> str:
    """"152223-02" → "扎赉特旗 02号窗口"."""
    county, _, number = code.partition("-")
    return f"{county_name(county)} {number}号窗口" if number else code


LEDGER_MEASURES: dict[str, Any] = {
    "high_value_patents": Reader._high_value,
    "invention_granted": Reader._invention_granted,
    "hv_portfolios": Reader._portfolios,
    "pledge_amount_wan": Reader._pledge_amount,
    "navigation_projects": Reader._navigation,
    "insurance_policies": Reader._insurance,
    "patent_awards": Reader._awards,
    "agencies": Reader._agencies,
}


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




def ledgers(r: Reader) -> LedgerStats:
    """The plan's ledgers in the reader's scope."""
    return _ledgers(r)


def staff(r: Reader) -> StaffStats:
    """The supervisors' figures per clerk and per window."""
    return _staff(r)
