"""The mediation figures in the layout of the Ministry of Justice's people's-mediation statistics
table (人民调解案件统计表): one row per reporting unit (旗县市) and a 合计 row; column groups
受理 — 案件来源 — 纠纷类型 — 调解结果 — 协议履行情况 — 司法确认.

The official table's exact columns were not found (reference/ledgers-dossier.md §7); the groups
are the ones the committees report, with this committee's own catalogs (案件来源, 纠纷类型,
调解结果, 履行情况, 司法确认结果) as the columns, so a new catalog entry becomes a new column.

Each column counts by the date of its own step, as the rest of the report does: 受理, 案件来源
and 纠纷类型 by 受理日期; 调解成功 by 协议生效日期; 终止 and 撤回 by 结束日期; 履行情况 of the
cases settled in the period; 司法确认 by 申请日期 and 裁定日期.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalogs import active_choices, label_of

if TYPE_CHECKING:
    from .queries import Reader

__all__ = ["MojColumn", "MojTable", "columns", "count"]


@dataclass(frozen=True)
class MojColumn:
    key: str  # "group:code"
    group: str  # 案件来源, 纠纷类型, …
    label: str


def _choices(group_key: str, group: str, catalog: str) -> list[MojColumn]:
    return [MojColumn(f"{group_key}:{code}", group, label)
            for code, label in active_choices(catalog)]


def columns() -> tuple[MojColumn, ...]:
    """The table's columns, in order (grouped)."""
    return (
        MojColumn("accepted", "受理", "受理件数"),
        *_choices("source", "案件来源", "mediation_sources"),
        *_choices("dispute", "纠纷类型", "dispute_types"),
        MojColumn("result:written", "调解结果", "调解成功（书面协议）"),
        MojColumn("result:oral", "调解结果", "调解成功（口头协议）"),
        MojColumn("result:terminated", "调解结果", "调解不成（终止调解）"),
        MojColumn("result:withdrawn", "调解结果", "当事人撤回"),
        *_choices("performance", "协议履行情况", "performance"),
        MojColumn("performance:", "协议履行情况", "尚未回访"),
        MojColumn("confirmation:applied", "司法确认", "申请司法确认"),
        MojColumn("confirmation:confirmed", "司法确认", "确认有效"),
        MojColumn("confirmation:dismissed", "司法确认", "驳回申请"),
    )


@dataclass(frozen=True)
class MojTable:
    counties: tuple[str, ...]  # the rows (county codes), in order
    counts: Mapping[tuple[str, str], int]  # (county, column key) → cases

    def cell(self, county: str | None, column: str) -> int:
        """One cell; county None is the 合计 row."""
        return sum(n for (c, k), n in self.counts.items()
                   if k == column and (county is None or c == county))

    def rows(self) -> list[tuple[str, list[int]]]:
        """(unit name, cells) per county, then 合计."""
        cols = [c.key for c in columns()]
        out = [(label_of("county_short_names", c) or c, [self.cell(c, k) for k in cols])
               for c in self.counties]
        out.append(("合计", [self.cell(None, k) for k in cols]))
        return out


def count(reader: Reader, counties: Sequence[str]) -> MojTable:
    """The table over `reader`'s period and scope (one scan of the mediation records).
    SQLAlchemy is imported here, so the report's sections stay importable without it."""
    from sqlalchemy import and_, case, func, select

    from ..storage.schema import Record

    _R = Record.__table__

    def _when(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    d, j, conds = reader.base("mediation")
    accepted_in = reader.days(d.c.accepted_on)
    settled_in = and_(d.c.outcome.is_not(None), reader.days(d.c.agreement_effective_on))
    terminated_in = and_(_R.c.status == "terminated", reader.days(d.c.closed_on))
    withdrawn_in = and_(_R.c.status == "withdrawn", d.c.accepted_on.is_not(None),
                        reader.days(d.c.closed_on))
    applied_in = reader.days(d.c.confirmation_applied_on)
    ruled_in = and_(d.c.confirmation_result.in_(("confirmed", "dismissed")),
                    reader.days(d.c.confirmation_result_on))
    keys = (_R.c.county_code, d.c.source, d.c.dispute_type, d.c.outcome, d.c.performance,
            d.c.confirmation_result)
    rows = reader.all(
        select(*keys, _when(accepted_in), _when(settled_in), _when(terminated_in),
               _when(withdrawn_in), _when(applied_in), _when(ruled_in))
        .select_from(j).where(*conds).group_by(*keys))
    counts: Counter[tuple[str, str]] = Counter()
    for (county, source, dispute, outcome, performance, result,
         n_acc, n_set, n_term, n_wd, n_app, n_ruled) in rows:
        c = str(county)
        if n_acc:
            counts[(c, "accepted")] += n_acc
            counts[(c, f"source:{source or ''}")] += n_acc
            counts[(c, f"dispute:{dispute or ''}")] += n_acc
        if n_set:
            counts[(c, f"result:{outcome}")] += n_set
            counts[(c, f"performance:{performance or ''}")] += n_set
        counts[(c, "result:terminated")] += n_term or 0
        counts[(c, "result:withdrawn")] += n_wd or 0
        counts[(c, "confirmation:applied")] += n_app or 0
        if n_ruled:
            counts[(c, f"confirmation:{result}")] += n_ruled
    return MojTable(tuple(counties), {k: v for k, v in counts.items() if v})
