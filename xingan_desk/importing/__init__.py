"""Import of the League's existing Excel/CSV ledgers (台账) into the store.

`sheet` reads files row by row (xlsx streamed, merged cells filled, CSV in UTF-8 or GB18030);
`columns` maps the header's Chinese labels to fields (the export's labels and common
variants); `values` turns cells into what a clerk would type and a status into the workflow
actions that reach it; `run.ImportJob` checks and writes through the Desk's own create and
action rules, remembers each ledger row (`import_source`) so nothing is imported twice, and
reports the rows it refused. Used by `xingan-desk import` and the app's import wizard.
"""

from __future__ import annotations

from .columns import SOURCE_KEY, STATUS, ColumnMap, target_label, targets_of
from .run import ImportJob, ImportResult, RowProblem, SheetPlan, write_error_report
from .sheet import SUFFIXES, sheet_names

__all__ = [
    "SOURCE_KEY",
    "STATUS",
    "SUFFIXES",
    "ColumnMap",
    "ImportJob",
    "ImportResult",
    "RowProblem",
    "SheetPlan",
    "sheet_names",
    "target_label",
    "targets_of",
    "write_error_report",
]
