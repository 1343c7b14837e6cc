"""An import of one ledger file into one record kind: detect, check, write, report.

    job = ImportJob(desk, "consultation", Path("咨询台账.xlsx"))
    job.plans            # per sheet: the detected header row and column mapping (editable)
    result = job.run(dry_run=False, progress=..., cancelled=...)

Each row becomes what a clerk would have typed (`values.raw_value`), then goes through the
Desk's own create rule (`record_writes.create_in`: the kind's normalisers and validators,
references, duplicate credit codes, automatic workflow steps, enterprise registration) and, to
reach the ledger's status, through the workflow actions it implies (`act_in`, with the dates
the ledger gives: a mediation accepted in 2023 keeps its 受理日期 and its deadlines are derived
from it). A row that fails anywhere is reported with its sheet row number and the Chinese
reason and leaves nothing behind; the other rows go on.

Rows are written BATCH rows per transaction, each row with its `import_source` entry (the
ledger's own number, or a hash of its values) and an `import` audit entry naming the file; so
a kill mid-import loses nothing committed, and running the same import again skips every row
already in (enterprises are also matched by credit code) and finishes the job. A dry run does
all of it and rolls every batch back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from .. import record_writes as rules
from ..errors import DeskError, IllegalTransition, PermissionDenied, ValidationFailed
from ..records import links
from ..records.fields import FieldError, RefField
from ..records.kind import RecordKind
from ..records.kinds import KINDS, kind_by_name
from ..storage.schema import Record, import_source
from ..storage.writer import Writer
from ..timeutil import utcnow
from ..validation import normalize_uscc
from ..views import Changes
from .columns import SOURCE_KEY, STATUS, ColumnMap, find_header
from .sheet import Sheet, open_sheets, read_rows
from .values import ActionStep, cell_text, plan_status, raw_value, row_hash, status_code

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
    total_rows: int  # rows below the header (an estimate for xlsx: blank rows count)


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
    cells: tuple[str, ...]
    raw: dict[str, Any]  # intake values as typed
    values: dict[str, Any]  # intake values cleaned (for the key and the auto actions)
    steps: tuple[ActionStep, ...]
    action_raw: dict[str, Any]
    key: str
    errors: dict[str, str]  # column label → reason


class _RowFailed(Exception):
    def __init__(self, row: _Row, errors: dict[str, str]) -> None:
        super().__init__(row.row_no)
        self.row = row
        self.errors = errors


class _DryRun(Exception):
    pass


def _kind(kind: RecordKind | str) -> RecordKind:
    if isinstance(kind, RecordKind):
        return kind
    return KINDS[kind] if kind in KINDS else kind_by_name(kind)


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

    # --- detection ---------------------------------------------------------------------------
    def _detect(self, sheet: Sheet) -> SheetPlan:
        rows = read_rows(sheet)
        head = list(islice(rows, HEADER_SCAN_ROWS))
        columns = find_header(self.kind, head)
        total = 0
        if columns is not None:
            total = sum(1 for rno, cells in head if rno > columns.header_row and _filled(cells))
            total += sum(1 for _ in rows)  # streamed, nothing kept
        return SheetPlan(sheet, columns, total)

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
    def _rows(self) -> Iterator[_Row]:
        for plan in self.plans:
            if plan.columns is None:
                continue
            for rno, cells in read_rows(plan.sheet):
                if rno <= plan.columns.header_row or not _filled(cells):
                    continue
                yield self._prepare(plan.sheet, plan.columns, rno, cells)

    def preview(self, limit: int = 200) -> list[tuple[int, str, tuple[str, ...], dict[str, str]]]:
        """The first rows as (row number, sheet name, cells, errors found without the store)."""
        out = []
        for row in islice(self._rows(), limit):
            out.append((row.row_no, row.sheet.name, row.cells, row.errors))
        return out

    def _prepare(self, sheet: Sheet, cols: ColumnMap, rno: int, cells: Sequence[Any]) -> _Row:
        kind = self.kind
        texts = tuple(cell_text(cells[i]) if i < len(cells) else ""
                      for i in range(len(cols.headers)))
        errors: dict[str, str] = {}
        raw: dict[str, Any] = {}
        action_raw: dict[str, Any] = {}
        status_text = key_text = ""
        for col, target in cols.mapped:
            value = cells[col] if col < len(cells) else None
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
                given = raw_value(f, value, sheet.epoch)
            except FieldError as exc:
                errors[cols.headers[col] or f.label] = str(exc)
                continue
            if given is None:
                continue
            (raw if f.stage == "intake" else action_raw)[f.key] = given
        intake = tuple(f.key for f in kind.intake_fields)
        filled = {**{f.key: f.default for f in kind.intake_fields
                     if f.default is not None and f.key not in raw}, **raw}
        values, errs = kind.clean(filled, keys=intake)
        label = {f.key: f.label for f in kind.fields}
        for k, msg in errs.items():
            errors.setdefault(self._column_label(cols, k, label), msg)
        steps: tuple[ActionStep, ...] = ()
        wf = kind.workflow
        if wf is not None:
            start = wf.initial
            if not errs:
                for a in kind.auto_actions(values):
                    start = wf.action(a).target
            action_keys = tuple(k for k in action_raw)
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
            elif present:
                errors.setdefault("状态", "有办理信息（" + "、".join(
                    label[k] for k in sorted(present)) + "）时请填写状态")
            if not errs and target != start and "状态" not in errors:
                steps, why = plan_status(kind, start, target, present)
                if why:
                    errors.setdefault("状态", why)
            used = {k for s in steps for k in s.fields}
            action_raw = {k: v for k, v in action_raw.items() if k in used}
        elif status_text:
            pass  # a kind without statuses: the export's empty 状态 column
        if kind.unique_fields and values.get(kind.unique_fields[0]):
            key = f"{kind.unique_fields[0]}:{normalize_uscc(str(values[kind.unique_fields[0]]))}"
        elif key_text:
            key = key_text[:80]
        else:
            key = row_hash(kind, {**values, **action_raw, "_status": status_text})
        return _Row(sheet, rno, texts, raw, values, steps, action_raw, key, errors)

    @staticmethod
    def _column_label(cols: ColumnMap, key: str, label: Mapping[str, str]) -> str:
        col = cols.column_of(key)
        if col is not None and cols.headers[col]:
            return cols.headers[col]
        return label.get(key, "")

    # --- writing -----------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False, progress: Progress | None = None,
            cancelled: Callable[[], bool] | None = None) -> ImportResult:
        """Import (or, with `dry_run`, check) every row; returns counts and the problems."""
        self.desk.require_role("supervisor", "admin", what="导入台账")
        result = ImportResult(self.kind.key, self.path.name, dry_run)
        for p in self.plans:
            if p.columns:
                result.headers = p.columns.headers
                break
        total = self.total_rows
        done = 0
        batch: list[_Row] = []
        for row in self._rows():
            result.rows += 1
            if row.errors:
                self._problem(result, row, row.errors)
            else:
                batch.append(row)
            if len(batch) >= BATCH:
                if cancelled is not None and cancelled():
                    result.cancelled = True
                    return result
                self._write(batch, result, dry_run)
                done = result.rows
                batch = []
                if progress:
                    progress(done, max(total, done))
        if batch:
            if cancelled is not None and cancelled():
                result.cancelled = True
                return result
            self._write(batch, result, dry_run)
        if progress:
            progress(result.rows, max(total, result.rows))
        if result.imported and not dry_run:
            self.desk.maintenance.optimize()
            with self.desk.writing() as w:
                w.audit("import_file", detail=(
                    f"从 {self.path.name} 导入{self.kind.title} {result.imported} 条"
                    f"（跳过已有 {result.skipped} 条，错误 {result.bad_rows} 行）"))
        return result

    def _problem(self, result: ImportResult, row: _Row, errors: Mapping[str, str]) -> None:
        result.bad_rows += 1
        if len(result.problems) >= MAX_PROBLEMS_KEPT:
            return
        for label, reason in errors.items():
            result.problems.append(RowProblem(row.sheet.name, row.row_no, label, reason,
                                              row.cells))

    def _write(self, batch: list[_Row], result: ImportResult, dry_run: bool) -> None:
        """Write a batch in one transaction; a row the store refuses is reported and the
        batch written again without it (so no row is ever half in)."""
        rows = list(batch)
        while rows:
            try:
                made, skipped, changes = self._transaction(rows, dry_run)
            except _RowFailed as failed:
                self._problem(result, failed.row, failed.errors)
                rows = [r for r in rows if r is not failed.row]
                continue
            result.imported += made
            result.skipped += skipped
            result.changes |= changes
            return

    def _transaction(self, rows: list[_Row], dry_run: bool) -> tuple[int, int, Changes]:
        made = skipped = 0
        changes = Changes()
        kind = self.kind
        try:
            with self.desk.writing() as w:
                keys = [r.key for r in rows]
                known = set(w.session.scalars(select(import_source.c.source_key).where(
                    import_source.c.kind == kind.key, import_source.c.source_key.in_(keys))))
                now = utcnow()
                for row in rows:
                    if row.key in known or self._in_registry(w, row):
                        skipped += 1
                        continue
                    known.add(row.key)
                    changes |= self._write_row(w, row, now)
                    made += 1
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return made, skipped, Changes(kinds=changes.kinds, outbox=changes.outbox)

    def _in_registry(self, w: Writer, row: _Row) -> bool:
        """An enterprise whose credit code is already in the registry (entered by hand, or
        registered by an imported consultation) is not imported again."""
        kind = self.kind
        if kind.key != links.registry_kind():
            return False
        uscc = links.uscc_of(kind, row.values)
        if not uscc:
            return False
        return w.session.scalar(select(Record.id).where(
            Record.kind == kind.key, Record.enterprise_uscc == uscc,
            Record.voided.is_(False))) is not None

    def _write_row(self, w: Writer, row: _Row, now: dt.datetime) -> Changes:
        kind = self.kind
        raw = dict(row.raw)
        for f in kind.intake_fields:
            if isinstance(f, RefField) and raw.get(f.key):
                raw[f.key] = self._translate_ref(w, f, str(raw[f.key]))
        try:
            view, changes = rules.create_in(w, kind.key, raw)
            for step in row.steps:
                payload = {k: row.action_raw[k] for k in step.fields}
                view, more = rules.act_in(w, view.id, step.action.key, payload)
                changes |= more
        except ValidationFailed as exc:
            label = {f.key: f.label for f in kind.fields}
            raise _RowFailed(row, {label.get(k, ""): m for k, m in exc.errors.items()}) from exc
        except (IllegalTransition, PermissionDenied) as exc:
            raise _RowFailed(row, {"状态": str(exc)}) from exc
        except DeskError as exc:
            raise _RowFailed(row, {"": str(exc)}) from exc
        w.session.execute(insert(import_source), dict(
            kind=kind.key, source_key=row.key, record_id=view.id, file=self.path.name[:260],
            sheet=row.sheet.name[:100], row_no=row.row_no, imported_by=w.username,
            imported_at=now))
        sheet = f"工作表“{row.sheet.name}”" if row.sheet.name else ""
        original = "" if row.key.startswith(("#", "uscc:")) else f"，原台账编号 {row.key}"
        w.audit("import", w.load(view.id),
                detail=f"从 {self.path.name} {sheet}第{row.row_no}行导入{original}")
        return changes

    def _translate_ref(self, w: Writer, f: RefField, value: str) -> str:
        """A reference to a ledger number imported before (a case naming its filing by the
        old ledger's 登记编号) becomes the receipt number of the record made from it."""
        key = value.strip().upper()
        stmt = (select(Record.receipt_no)
                .join(import_source, import_source.c.record_id == Record.id)
                .where(import_source.c.source_key == key))
        if f.target_kinds:
            stmt = stmt.where(import_source.c.kind.in_(f.target_kinds))
        found = w.session.scalar(stmt)
        return found or value


_FW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def _filled(cells: Sequence[Any]) -> bool:
    return any(c is not None and str(c).strip() for c in cells)


def write_error_report(result: ImportResult, out: Path) -> int:
    """The rows with errors as an xlsx (工作表, 行号, 列, 原因, then the row's own cells);
    returns the number of lines written."""
    from ..export import write_xlsx

    header = ["工作表", "行号", "列", "原因", *result.headers]
    rows = ([p.sheet, str(p.row), p.field, p.reason, *p.cells] for p in result.problems)
    return write_xlsx(Path(out), header, rows, "导入错误")
