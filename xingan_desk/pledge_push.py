"""The push list of open pledge-financing demands for banks and guarantors (质押融资需求推送清单).

The plan asks the bureau to 开展知识产权质押融资需求调查 and 定期向银行、担保等金融机构推送: this is
the list it sends. Rows are the 质押融资 ledger's records still at 需求调查 or 已对接 (the
workflow's open states, `PLEDGE_OPEN_STATES`), oldest demand first; columns are the fields a bank
needs, taken from the kind's declaration (labels and display strings as in the app). Contact
phones are masked unless an admin asks for the unmasked list (audited, like any export).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .catalogs import county_name
from .export import check_target, write_xlsx
from .records.kinds import KINDS
from .records.ledger_kinds import PLEDGE_OPEN_STATES
from .views import Query, RecordView

if TYPE_CHECKING:
    from .desk import Desk

__all__ = ["PUSH_FIELDS", "push_header", "push_list", "push_rows"]

# the demand as a bank reads it (field keys of the pledge kind, in this order)
PUSH_FIELDS = ("surveyed_on", "enterprise_name", "enterprise_uscc", "county_code",
               "amount_wanted_wan", "ip_offered", "preferred_bank", "purpose", "matched_bank",
               "contact_name", "contact_phone")
TITLE = "质押融资需求推送清单"


def push_header() -> list[str]:
    kind = KINDS["pledge"]
    return ["登记编号", "办理阶段", *(kind.field(k).label for k in PUSH_FIELDS)]


def push_rows(desk: Desk, *, masked: bool = True) -> list[RecordView]:
    """The open demands in this window's store, oldest survey first."""
    ids: list[str] = []
    for status in PLEDGE_OPEN_STATES:
        ids += desk.find_ids(Query(kind="pledge", status=status, order_by="created_at",
                                   descending=False))
    views = desk.rows_for_ids(ids)
    rows = [views[i] for i in ids if i in views]
    rows.sort(key=lambda v: (v.values.get("surveyed_on") or v.created_at.date(), v.receipt_no))
    return rows


def _cells(rows: list[RecordView], masked: bool) -> Iterator[list[str]]:
    for rec in rows:
        values = [rec.display(k, masked=masked) for k in PUSH_FIELDS]
        values[PUSH_FIELDS.index("county_code")] = county_name(rec.values.get("county_code")
                                                               or rec.county_code)
        yield [rec.receipt_no, rec.status_label, *values]


def push_list(desk: Desk, out: Path, *, unmasked: bool = False) -> int:
    """Write the push list as xlsx to `out`; returns the number of demands. Recorded in the
    audit trail as an export (an unmasked one needs an admin and is refused before writing)."""
    out = Path(out)
    check_target(out)
    rows = push_rows(desk)
    desk.log_export(TITLE, len(rows), unmasked, str(out))
    return write_xlsx(out, push_header(), _cells(rows, not unmasked), TITLE)
