"""Who may run statistics, over which scope, and `compute`: the report of a period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..catalogs import COUNTY_CODES, LEAGUE_CODE, county_name
from ..errors import PermissionDenied, ValidationFailed
from ..timeutil import utcnow
from .mediation_table import count as count_mediation_table
from .period import Period
from .queries import Reader, ledgers, staff
from .sections import DEFINITIONS, StatsReport
from .targets import load_targets

if TYPE_CHECKING:
    from ..desk import Desk

__all__ = ["STATS_ROLES", "check_role", "compute", "resolve_scope", "scope_choices"]

STATS_ROLES = ("supervisor", "admin")


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


def check_role(desk: Desk) -> None:
    if desk.user.role not in STATS_ROLES:
        raise PermissionDenied("“统计报表”需要主管或管理员权限，当前账号无此权限")


def compute(desk: Desk, period: Period, county: str | None = None, *,
            today: dt.date | None = None) -> StatsReport:
    """The statistics of `period` for `county` (None: the whole League at a League window, the
    window's own county elsewhere). Supervisors and admins only."""
    check_role(desk)
    scope = resolve_scope(desk, county)
    catalog = load_targets()
    calendar = desk.calendar()
    with desk.reading() as s:
        r = Reader(s, scope, period, today)
        consultations = r.consultations()
        ratings = r.ratings()
        filings = r.filings()
        cases = r.cases()
        mediation = r.mediation(calendar)
        counties = COUNTY_CODES if scope is None else (scope,)
        mediation_table = count_mediation_table(r, counties)
        targets = r.targets(catalog)
        ledger_figures = ledgers(r)
        staff_figures = staff(r)
    user = desk.user
    return StatsReport(period, scope, utcnow(), user.display_name, desk.identity.label,
                       consultations, ratings, filings, cases, mediation, targets, catalog.plan,
                       catalog.not_measured, DEFINITIONS, counties, mediation_table, ledger_figures,
                       staff_figures)


