"""An import of one ledger file into one record kind: detect, check, write, report.

    job = ImportJob(desk, "consultation", Path("咨询台账.xlsx"))
    job.plans            # per sheet: the detected header row and column mapping (editable)
    result = job.run(dry_run=False, progress=..., cancelled=...)

Each row becomes what a clerk would have typed (`values.raw_value`) plus the workflow steps
that reach the ledger's status (`values.plan_status`, with the dates the ledger gives: a
mediation accepted in 2023 keeps its 受理日期 and its deadlines are derived from it), and goes
to the bulk path, `Desk.create_many` (xingan_desk/bulk.py): the kind's own normalisers and
validators, references, duplicate credit codes, the steps' legality and required values,
enterprise registration, receipt numbers, audit (who, "从 <文件> 导入") and outbox, as a
clerk's save. A refused row is reported with its sheet row number and the Chinese reason and
leaves nothing behind; the other rows go on.

Rows are written BATCH per transaction, each with its source key (the ledger's own number,
原台账编号, or a hash of its values; enterprises are matched by credit code) in
`record_source`; so a kill mid-import loses nothing committed, and running the same import
again skips every row already in and finishes the job. A dry run checks all of it and writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bulk import BulkAction, BulkRow
from ..errors import ValidationFailed
from ..records.fields import DateField, DateTimeField, Field, FieldError, GroupField, RefField
from ..records.kind import RecordKind
from ..records.kinds import KINDS, kind_by_name
from ..timeutil import CST
from ..views import Changes
from .columns import CREATED_AT, SOURCE_KEY, STATUS, ColumnMap, find_header, targets_of
from .sheet import Sheet, estimate_rows, open_sheets, read_rows
from .values import (
    ActionStep,
    cell_text,
    infer_status,
    plan_status,
    raw_value,
    row_hash,
    status_code,
)

if TYPE_CHECKING:
    from ..desk import Desk

__all__ = [
    "BATCH",
    "HEADER_SCAN_ROWS",
    "ImportJob",
    "ImportResult",
    "RowProblem",
    "SheetPlan",
    "write_error_report",
]

BATCH = 500  # rows per transaction
HEADER_SCAN_ROWS = 30  # rows looked at for the header
MAX_PROBLEMS_KEPT = 10_000  # rows with errors kept for the screen and the report (all counted)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SheetPlan:
    sheet: Sheet
    columns: ColumnMap | None  # None: no header of this kind found
    total_rows: int  # about how many rows are below the header (for the progress bar)


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    field: str  # the column's Chinese label ("" for the row as a whole)
    reason: str
    cells: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return (f"工作表“{self.sheet}”" if self.sheet else "") + f"第{self.row}行"

    def __str__(self) -> str:
        what = f"{self.field}：" if self.field and self.field not in self.reason else ""
        return f"{self.where}：{what}{self.reason}"


@dataclass
class ImportResult:
    kind: str
    file: str
    dry_run: bool
    rows: int = 0  # data rows read (blank rows not counted)
    imported: int = 0  # records made (would be made, in a dry run)
    skipped: int = 0  # rows already imported (or the enterprise already in the registry)
    bad_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    cancelled: bool = False
    changes: Changes = field(default_factory=Changes)
    headers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.bad_rows == 0 and not self.cancelled

    def summary(self) -> str:
        title = KINDS[self.kind].title
        verb = "可导入" if self.dry_run else "已导入"
        text = (f"{title}：读取 {self.rows} 行，{verb} {self.imported} 条，"
                f"已存在跳过 {self.skipped} 条，有错误 {self.bad_rows} 行")
        if self.cancelled:
            text += "（已取消，已导入的保留，再次导入会接着完成）"
        return text


@dataclass
class _Row:
    sheet: Sheet
    row_no: int
    sheet_cells: Sequence[Any]  # as read (shown as text only for a row with problems)
    width: int  # the header's columns
    raw: dict[str, Any]  # intake values as typed
    values: dict[str, Any]  # intake values cleaned (for the key and the auto actions)
    actions: tuple[BulkAction, ...]  # the steps that reach the ledger's status
    created_at: dt.datetime | None  # 登记时间, else the row's own date
    key: str | None  # the source key (ledger number or row hash)
    errors: dict[str, str]  # column label → reason

    @property
    def cells(self) -> tuple[str, ...]:
        """The row's cells as text (the preview, the screen's and the report's problems)."""
        cells = self.sheet_cells
        return tuple(cell_text(cells[i]) if i < len(cells) else "" for i in range(self.width))


def _kind(kind: RecordKind | str) -> RecordKind:
    if isinstance(kind, RecordKind):
        return kind
    return KINDS[kind] if kind in KINDS else kind_by_name(kind)


def ledger_number(source_key: str | None) -> str | None:
    """What the record shows as its 原台账编号: the ledger's own number (a bare running
    number with its file and sheet: "台账.xlsx · 2023年 · 17"); nothing for a row hash."""
    if not source_key or source_key.startswith("#"):
        return None
    return " · ".join(part for part in source_key.split("|") if part)  # a CSV has no sheet


class ImportJob:
    """One file into one kind. `plans` is detected when the job is made; the wizard may
    replace a sheet's mapping (`set_columns`) before `run`."""

    def __init__(self, desk: Desk, kind: RecordKind | str, path: Path,
                 sheet: str | None = None) -> None:
        self.desk = desk
        self.kind = _kind(kind)
        self.path = Path(path)
        self.plans: list[SheetPlan] = [self._detect(s) for s in open_sheets(self.path, sheet)]
        if not any(p.columns for p in self.plans):
            labels = "、".join(f.label for f in self.kind.intake_fields if f.required)
            raise ValidationFailed({"file": (
                f"在 {self.path.name} 中没有找到{self.kind.title}的表头"
                f"（前{HEADER_SCAN_ROWS}行中应有“{labels}”等列名）")})

    @cached_property
    def _intake(self) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The kind's intake keys and declared defaults (looked up once, not per row)."""
        fields = self.kind.intake_fields
        return (tuple(f.key for f in fields),
                {f.key: f.default for f in fields if f.default is not None})

    # --- detection ---------------------------------------------------------------------------
    def _detect(self, sheet: Sheet) -> SheetPlan:
        rows = read_rows(sheet)
        head = list(islice(rows, HEADER_SCAN_ROWS))
        columns = find_header(self.kind, head)
        total = 0
        if columns is not None:
            total = max(estimate_rows(sheet), len(head)) - columns.header_row
        return SheetPlan(sheet, columns, max(total, 0))

    def set_columns(self, index: int, columns: ColumnMap) -> None:
        self.plans[index] = replace(self.plans[index], columns=columns)

    @property
    def total_rows(self) -> int:
        return sum(p.total_rows for p in self.plans if p.columns)

    def missing_columns(self) -> list[str]:
        """Required fields no column of the first mapped sheet provides (labels)."""
        for p in self.plans:
            if p.columns:
                return p.columns.missing_required(self.kind)
        return []

    # --- rows --------------------------------------------------------------------------------
    def _rows(self, light: bool = False) -> Iterator[_Row]:
        """The data rows, prepared. `light`: values are parsed but not validated here (the
        bulk path validates them; `preview` checks them here)."""
        for plan in self.plans:
            if plan.columns is None:
                continue
            for rno, cells in read_rows(plan.sheet):
                if rno <= plan.columns.header_row or not _filled(cells):
                    continue
                yield self._prepare(plan.sheet, plan.columns, rno, cells, light)

    def first_row(self, index: int) -> tuple[str, ...]:
        """The first data row below sheet `index`'s header, as text (the mapping page)."""
        plan = self.plans[index]
        if plan.columns is None:
            return ()
        for rno, cells in islice(read_rows(plan.sheet), HEADER_SCAN_ROWS * 2):
            if rno > plan.columns.header_row and _filled(cells):
                return tuple(cell_text(c) for c in cells)
        return ()

    def by_target(self, sheet_name: str, cells: Sequence[str]) -> dict[str, str]:
        """A row's cells keyed by what their columns are imported as (sheets may differ)."""
        for p in self.plans:
            if p.columns is not None and p.sheet.name == sheet_name:
                return {t: cells[i] for i, t in p.columns.mapped if i < len(cells)}
        return {}

    def mapped_targets(self) -> list[str]:
        """What the columns of all sheets are imported as, in form order."""
        used = {t for p in self.plans if p.columns for _, t in p.columns.mapped}
        return [t for t, _ in targets_of(self.kind) if t in used]

    def result_headers(self) -> tuple[str, ...]:
        """The header of the first sheet with one (the preview's and the report's columns)."""
        for p in self.plans:
            if p.columns:
                return p.columns.headers
        return ()

    def preview(self, limit: int = 200) -> list[tuple[int, str, tuple[str, ...], dict[str, str]]]:
        """The first rows as (row number, sheet name, cells, errors found without the store)."""
        out = []
        for row in islice(self._rows(), limit):
            out.append((row.row_no, row.sheet.name, row.cells, row.errors))
        return out

    def _prepare(self, sheet: Sheet, cols: ColumnMap, rno: int, cells: Sequence[Any],
                 light: bool = False) -> _Row:
        kind = self.kind
        errors: dict[str, str] = {}
        raw: dict[str, Any] = {}
        action_raw: dict[str, Any] = {}
        status_text = key_text = ""
        created_at: dt.datetime | None = None
        for col, target in cols.mapped:
            value = cells[col] if col < len(cells) else None
            if target == CREATED_AT:
                try:
                    created_at = _CREATED.clean(raw_value(_CREATED, value, sheet.epoch))
                except FieldError as exc:
                    errors[cols.headers[col] or _CREATED.label] = str(exc)
                continue
            if target == STATUS:
                status_text = cell_text(value)
                continue
            if target == SOURCE_KEY:
                key_text = cell_text(value).translate(_FW).strip().upper()
                continue
            f = kind.field(target)
            if f.stage in ("derived", "system"):
                continue  # derived again from the dates, set by the application
            try:
                given = self._raw_value(f, value, sheet.epoch)
            except FieldError as exc:
                errors[cols.headers[col] or f.label] = str(exc)
                continue
            if given is None:
                continue
            (raw if f.stage == "intake" else action_raw)[f.key] = given
        intake, defaults = self._intake
        filled = {**{k: v for k, v in defaults.items() if k not in raw}, **raw}
        values, errs = (self._parsed(filled) if light
                        else kind.clean(filled, keys=intake))
        label = self._labels
        for k, msg in errs.items():
            errors.setdefault(self._column_label(cols, k, label), msg)
        steps: tuple[ActionStep, ...] = ()
        acted: dict[str, Any] = {}
        wf = kind.workflow
        if wf is not None:
            start = wf.initial
            if not errs:
                for a in kind.auto_actions(values):
                    start = wf.action(a).target
            action_keys = tuple(k for k in action_raw)
            aerrs: dict[str, str]
            if not action_raw:
                acted, aerrs = {}, {}
            elif light:
                acted, aerrs = self._parsed(action_raw)
            else:
                acted, aerrs = kind.clean(action_raw, keys=action_keys, existing=values)
            for k, msg in aerrs.items():
                errors.setdefault(self._column_label(cols, k, label), msg)
            present = frozenset(k for k, v in acted.items() if v not in (None, "", []))
            target = start
            if status_text:
                code = status_code(kind, status_text)
                if code is None:
                    names = "、".join(lbl for _, lbl in wf.states)
                    errors.setdefault("状态", f"“{status_text}”不是{kind.title}的状态（可选：{names}）")
                else:
                    target = code
            elif present:  # no status column: the status the row's own steps reach
                guessed = infer_status(kind, start, present)
                if guessed is None:
                    errors.setdefault("状态", "有办理信息（" + "、".join(
                        label[k] for k in sorted(present)) + "）时请填写状态")
                else:
                    target = guessed
            if not errs and target != start and "状态" not in errors:
                steps, why = plan_status(kind, start, target, present)
                if why:
                    errors.setdefault("状态", why)
        actions = tuple(BulkAction(s.action.key, {k: action_raw[k] for k in s.fields},
                                   at=_step_time(kind, s, acted)) for s in steps)
        if created_at is None:
            created_at = _row_time(kind, values)
        key: str | None
        if key_text and re.fullmatch(r"\d{1,6}", key_text):
            # a bare running number (编号 1, 2, 3 …) starts again in every sheet and file
            key = f"{self.path.name}|{sheet.name}|{key_text}"[:200]
        elif key_text:
            key = key_text[:200]
        elif kind.unique_fields:
            key = None  # the registry matches by its unique field (the credit code)
        else:
            key = row_hash(kind, {**values, **acted, "_status": status_text})
        return _Row(sheet, rno, cells, len(cols.headers), raw, values, actions, created_at, key,
                    errors)

    @cached_property
    def _labels(self) -> dict[str, str]:
        return {f.key: f.label for f in self.kind.fields}

    @cached_property
    def _memo(self) -> dict[tuple[Any, ...], tuple[str, Any]]:
        """Outcomes of `raw_value` and `parse` for cell values a ledger repeats (a clerk's
        name, a date, a category): worked out once per job."""
        return {}

    def _remember(self, key: tuple[Any, ...], work: Callable[[], Any]) -> Any:
        """work()'s outcome (its value, or its FieldError again), remembered under `key`; a
        list is kept as a tuple and handed out as a new list each time."""
        memo = self._memo
        hit = memo.get(key)
        if hit is None:
            try:
                value = work()
                hit = ("list", tuple(value)) if isinstance(value, list) else ("value", value)
            except FieldError as exc:
                hit = ("error", str(exc))
            if not isinstance(hit[1], dict) and len(memo) < _MEMO_MAX:
                memo[key] = hit
        how, value = hit
        if how == "error":
            raise FieldError(value)
        return list(value) if how == "list" else value

    def _raw_value(self, f: Field, value: Any, epoch: dt.datetime | None) -> Any:
        if not isinstance(value, str) or isinstance(f, GroupField):
            return raw_value(f, value, epoch)
        return self._remember(("raw", f.key, value, epoch), partial(raw_value, f, value, epoch))

    def _parsed(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Values parsed as `clean` parses them, without its checks (the bulk path runs
        those)."""
        out: dict[str, Any] = {}
        kind = self.kind
        for k, v in raw.items():
            f = kind.field(k)
            try:
                if f.is_empty(v):
                    out[k] = None
                elif isinstance(v, str | int | float | dt.date) and not isinstance(f, GroupField):
                    out[k] = self._remember(("parse", k, type(v), v), partial(f.parse, v))
                else:
                    out[k] = f.parse(v)
            except FieldError:
                out[k] = None
        return out, {}

    @staticmethod
    def _column_label(cols: ColumnMap, key: str, label: Mapping[str, str]) -> str:
        col = cols.column_of(key)
        if col is not None and cols.headers[col]:
            return cols.headers[col]
        return label.get(key, "")

    # --- writing -----------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False, progress: Progress | None = None,
            cancelled: Callable[[], bool] | None = None) -> ImportResult:
        """Import (or, with `dry_run`, check) every row; returns counts and the problems.
        Rows go to `Desk.create_many` (the bulk path) BATCH at a time: each batch is one
        transaction, its source keys committed with it."""
        self.desk.require_role("supervisor", "admin", what="导入台账")
        result = ImportResult(self.kind.key, self.path.name, dry_run)
        for p in self.plans:
            if p.columns:
                result.headers = p.columns.headers
                break
        total = self.total_rows
        batch: list[_Row] = []
        for row in self._rows(light=True):
            result.rows += 1
            if row.errors:
                self._problem(result, row, row.errors)
            else:
                batch.append(row)
            if len(batch) >= BATCH:
                if cancelled is not None and cancelled():
                    result.cancelled = True
                    break
                self._write(batch, result, dry_run)
                batch = []
                if progress:
                    progress(result.rows, max(total, result.rows))
        if batch and not result.cancelled:
            if cancelled is not None and cancelled():
                result.cancelled = True
            else:
                self._write(batch, result, dry_run)
        order = {p.sheet.name: i for i, p in enumerate(self.plans)}
        result.problems.sort(key=lambda p: (order.get(p.sheet, 0), p.row))  # stable per row
        if progress and not result.cancelled:
            progress(result.rows, result.rows)  # the estimate made way for the count
        if result.imported and not dry_run:
            self.desk.maintenance.optimize()  # once for the job, not per batch
            stopped = "（已取消，其余未导入）" if result.cancelled else ""
            with self.desk.writing() as w:
                w.audit("import", detail=(
                    f"从 {self.path.name} 导入{self.kind.title} {result.imported} 条"
                    f"（跳过已有 {result.skipped} 条，错误 {result.bad_rows} 行）{stopped}"))
        return result

    def _problem(self, result: ImportResult, row: _Row, errors: Mapping[str, str]) -> None:
        result.bad_rows += 1
        if len(result.problems) >= MAX_PROBLEMS_KEPT:
            return
        for label, reason in errors.items():
            result.problems.append(RowProblem(row.sheet.name, row.row_no, label, reason,
                                              row.cells))

    def _write(self, batch: list[_Row], result: ImportResult, dry_run: bool) -> None:
        """One batch through the bulk path (one transaction; a refused row writes nothing)."""
        kind = self.kind
        refs = self._translated_refs(batch)
        bulk_rows = [BulkRow(values={**row.raw, **refs.get(i, {})}, created_at=row.created_at,
                             actions=row.actions, source_key=row.key, row_no=i,
                             source_no=ledger_number(row.key))
                     for i, row in enumerate(batch)]
        sheet = "、".join(f"“{p.sheet.name}”" for p in self.plans if p.columns and p.sheet.name)
        note = f"从 {self.path.name}{' 工作表' + sheet if sheet else ''} 导入"
        out = self.desk.create_many(kind.key, bulk_rows, note=note, on_error="collect",
                                    skip_duplicates=True, dry_run=dry_run,
                                    batch_rows=len(bulk_rows) + 1, refresh_statistics=False)
        result.imported += out.count
        result.skipped += len(out.skipped)
        if out.count:
            result.changes |= Changes(kinds=frozenset({kind.key}), outbox=out.count)
        labels = {f.key: f.label for f in kind.fields}
        for i, errors in out.errors:
            row = batch[i]
            cols = next(p.columns for p in self.plans if p.sheet == row.sheet and p.columns)
            shown: dict[str, str] = {}
            for k, m in errors.items():
                where = "状态" if k == "_action" else (
                    "" if k.startswith("_") else self._column_label(cols, k, labels))
                shown.setdefault(where, m)
            self._problem(result, row, shown)

    def _translated_refs(self, batch: list[_Row]) -> dict[int, dict[str, str]]:
        """References to ledger numbers imported before (a case naming its filing by the old
        ledger's 登记编号) become the receipt numbers of the records made from them."""
        out: dict[int, dict[str, str]] = {}
        for f in self.kind.intake_fields:
            if not isinstance(f, RefField):
                continue
            wanted = {str(r.raw[f.key]).strip().upper() for r in batch if r.raw.get(f.key)}
            if not wanted:
                continue
            found: dict[str, str] = {}
            for target in f.target_kinds or tuple(KINDS):
                found.update(self.desk.imported_sources(target, wanted))
            for i, r in enumerate(batch):
                key = str(r.raw.get(f.key) or "").strip().upper()
                if key in found:
                    out.setdefault(i, {})[f.key] = found[key]
        return out


_FW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_MEMO_MAX = 20_000  # cell outcomes a job remembers at most (a few MiB; repeats come early)
_CREATED = DateTimeField(key="created_at", label="登记时间")


def _row_time(kind: RecordKind, values: Mapping[str, Any]) -> dt.datetime | None:
    """A row without 登记时间 is dated by its own first moment or required date (开始时间,
    申请日期, 引导日期, 评价时间 …); None (now) when it has none."""
    for f in kind.intake_fields:
        v = values.get(f.key)
        if isinstance(f, DateTimeField) and isinstance(v, dt.datetime):
            return v
        if isinstance(f, DateField) and f.required and isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time(9, 0), tzinfo=CST)
    return None


def _step_time(kind: RecordKind, step: ActionStep, values: Mapping[str, Any]
               ) -> dt.datetime | None:
    """When a step was taken: the first date it records (受理日期 …), else the row's time."""
    for k in step.fields:
        v = values.get(k)
        if isinstance(v, dt.datetime):
            return v
        if isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time(9, 0), tzinfo=CST)
    return None


def _filled(cells: Sequence[Any]) -> bool:
    return any(c is not None and str(c).strip() for c in cells)


def write_error_report(result: ImportResult, out: Path) -> int:
    """The rows with errors as an xlsx (工作表, 行号, 列, 原因, then the row's own cells);
    returns the number of lines written."""
    from ..export import write_xlsx

    header = ["工作表", "行号", "列", "原因", *result.headers]
    rows = ([p.sheet, str(p.row), p.field, p.reason, *p.cells] for p in result.problems)
    return write_xlsx(Path(out), header, rows, "导入错误")
