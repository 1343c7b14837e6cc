"""Export of one record kind to Excel (xlsx) or CSV, columns straight from the declarations.

The header is the envelope (登记编号, 状态, 旗县市, 窗口, 登记人, 登记时间) followed by the labels of
the kind's `export` fields in form order; every cell is the field's display string (choice labels,
CST dates), so what a clerk reads in the app is what lands in the file. A repeating group's
cell holds its rows in full (`GroupField.full_text`: "单位 某某有限公司 统一社会信用代码：…"), so an
import reads the parties' credit codes, legal representatives and ID numbers back.

Personal data is masked by default (RecordView.display(masked=True)); an unmasked export needs
the admin role and leaves an `export_unmasked` audit entry, written *before* the file is.

Safety of the files:
* cells starting with = + - @ (or a tab / carriage return) get a leading apostrophe, so Excel
  and WPS never evaluate them as formulas (CSV/formula injection); so do the error literals
  (#N/A, #REF! …), which would otherwise become error values;
* in xlsx every cell is a string, so 18-digit credit codes and ID numbers stay intact;
* files are written to a temporary name next to the target and renamed at the end, so a failed
  export never leaves half a file and never clobbers an existing one.

Rows are streamed: ids come from one query, views are loaded 500 at a time, and the xlsx writer
runs in openpyxl's write-only mode, so 200,000 rows fit in a modest amount of memory.
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import itertools
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalogs import county_name
from .errors import OutputFileError, ValidationFailed, file_error_reason
from .fileperms import create_private
from .records.kind import RecordKind
from .records.kinds import KINDS, kind_by_name
from .timeutil import format_datetime
from .views import Query, RecordView

if TYPE_CHECKING:
    from .desk import Desk

__all__ = [
    "ENVELOPE_HEADER",
    "FORMATS",
    "PAGE_SIZE",
    "atomic_target",
    "check_target",
    "display_width",
    "export",
    "header_for",
    "iter_table_rows",
    "neutralise",
    "sheet_title",
    "table_for",
    "write_csv",
    "write_xlsx",
]

ENVELOPE_HEADER = ("登记编号", "状态", "旗县市", "窗口", "登记人", "登记时间")
FORMATS = ("xlsx", "csv")
PAGE_SIZE = 500  # views loaded per query while streaming an export

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# typed as text they would turn into Excel error values (openpyxl and Excel's CSV import both)
_ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
# characters XML 1.0 cannot hold (openpyxl refuses them); validation already keeps them out of
# typed text, this only guards rows synced from elsewhere
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60  # in "Latin character" units; wider text is still there, just not all visible
_WIDTH_SAMPLE = 500  # rows looked at when sizing the columns

Progress = Callable[[int, int], None]


# --- table -------------------------------------------------------------------------------------


def _kind(kind: RecordKind | str) -> RecordKind:
    if isinstance(kind, RecordKind):
        return kind
    return KINDS[kind] if kind in KINDS else kind_by_name(kind)


def header_for(kind: RecordKind | str) -> list[str]:
    k = _kind(kind)
    return [*ENVELOPE_HEADER, *(f.label for f in k.export_fields)]


def iter_table_rows(
    kind: RecordKind | str,
    records: Iterable[RecordView],
    *,
    masked: bool = True,
    users: Mapping[str, str] | None = None,
) -> Iterator[list[str]]:
    """One list of display strings per record, in `header_for(kind)` order (lazy)."""
    k = _kind(kind)
    keys = [f.key for f in k.export_fields]
    names = users or {}
    for rec in records:
        if rec.kind != k.key:
            raise ValueError(f"record {rec.receipt_no} is a {rec.kind}, not a {k.key}")
        yield [
            rec.receipt_no,
            rec.status_label,
            county_name(rec.county_code),
            rec.owner,
            names.get(rec.created_by, rec.created_by),
            format_datetime(rec.created_at),
            *(rec.display(key, masked=masked, full=True) for key in keys),
        ]


def table_for(
    kind: RecordKind | str,
    records: Iterable[RecordView],
    *,
    masked: bool = True,
    users: Mapping[str, str] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """(header, rows) for records of one kind. `users` maps usernames to display names for the
    登记人 column (the username is shown when missing)."""
    k = _kind(kind)
    return header_for(k), list(iter_table_rows(k, records, masked=masked, users=users))


# --- cell safety and sizing --------------------------------------------------------------------


def neutralise(value: Any) -> str:
    """The cell text as written: never a formula, never an XML-illegal character."""
    text = "" if value is None else str(value)
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
    if text.startswith(_FORMULA_START) or text in _ERROR_VALUES:
        return "'" + text
    return text


def display_width(text: str) -> int:
    """Width in Latin-character units of the longest line: CJK and full-width chars count 2."""
    best = 0
    for line in text.split("\n"):
        w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        best = max(best, w)
    return best


def sheet_title(title: str) -> str:
    """`title` made a valid worksheet name (no []:*?/\\, at most 31 characters)."""
    cleaned = _SHEET_TITLE_BAD.sub("", title).strip("'").strip()
    return (cleaned or "导出")[:31]


# --- writing files -----------------------------------------------------------------------------

def _unwritable(path: Path, reason: str) -> OutputFileError:
    return OutputFileError(f"无法写入导出文件：{path}（{reason}）")


def check_target(path: Path) -> None:
    """Raise OutputFileError (Chinese, naming the path) when `path` obviously cannot be written.
    Creates nothing; the write itself may still fail (disk full, file locked)."""
    parent = path.parent
    if path.is_dir():
        raise _unwritable(path, file_error_reason(OSError(errno.EISDIR, "")))
    if not parent.exists():
        # a component that is a file gives ENOTDIR, a missing folder ENOENT
        probe = parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        code = errno.ENOENT if probe.is_dir() else errno.ENOTDIR
        raise _unwritable(path, file_error_reason(OSError(code, "")))
    if not parent.is_dir():
        raise _unwritable(path, file_error_reason(OSError(errno.ENOTDIR, "")))
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _unwritable(path, file_error_reason(OSError(errno.EACCES, "")))


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`."""
    path = Path(path)
    check_target(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        create_private(tmp)  # exports hold personal data: owner-only, whatever the umask
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise _unwritable(path, file_error_reason(exc)) from exc
    finally:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UTF-8 with BOM (Excel and WPS detect it), CRLF lines, neutralised cells. Returns rows."""
    n = 0
    with atomic_target(Path(path)) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([neutralise(h) for h in header])
        for row in rows:
            w.writerow([neutralise(c) for c in row])
            n += 1
    return n


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> int:
    """One sheet named `title`: bold frozen header, columns sized to the content (CJK counts
    double), every cell a string, neutralised. Streams through openpyxl's write-only mode.
    Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    check_target(Path(path))  # before the work, not after
    it = iter(rows)
    sample = [[neutralise(c) for c in r] for r in itertools.islice(it, _WIDTH_SAMPLE)]
    head = [neutralise(h) for h in header]

    wb = Workbook(write_only=True)
    wb.properties.creator = "兴安盟知识产权服务窗口系统"
    ws = wb.create_sheet(sheet_title(title))
    ws.freeze_panes = "A2"
    for col, label in enumerate(head, start=1):
        widest = max([display_width(label), *(display_width(r[col - 1]) for r in sample
                                                if col - 1 < len(r))])
        ws.column_dimensions[get_column_letter(col)].width = min(max(widest + 2, 8), _MAX_WIDTH)

    bold = Font(bold=True)
    header_cells = []
    for label in head:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)

    # Plain str values are written as string cells (openpyxl never parses "123" as a number);
    # only a leading "=" would make a formula, and neutralise() has prefixed those.
    n = 0
    for r in sample:
        ws.append(r)
        n += 1
    for raw in it:
        ws.append([neutralise(c) for c in raw])
        n += 1
    if head:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{n + 1}"
    with atomic_target(Path(path)) as tmp:
        wb.save(tmp)
    return n


# --- the export action ---------------------------------------------------------------------


def _views(desk: Desk, ids: Sequence[str], progress: Progress | None) -> Iterator[RecordView]:
    total = len(ids)
    for start in range(0, total, PAGE_SIZE):
        page = ids[start : start + PAGE_SIZE]
        views = desk.rows_for_ids(page)
        for i in page:
            if i in views:
                yield views[i]
        if progress:
            progress(min(start + PAGE_SIZE, total), total)


def export(
    desk: Desk,
    kind_key: str,
    fmt: str,
    out: Path,
    *,
    unmasked: bool = False,
    query: Query | None = None,
    progress: Progress | None = None,
) -> int:
    """Export the non-voided records of one kind (optionally narrowed by `query`) to `out` as
    "xlsx" or "csv"; returns the number of rows written.

    Raises PermissionDenied (unmasked export by a non-admin) before anything is written,
    OutputFileError when `out` cannot be written, ValidationFailed for an unknown format."""
    kind = _kind(kind_key)
    fmt = fmt.strip().lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationFailed({"format": f"导出格式应为 xlsx 或 csv，不支持“{fmt}”"})
    out = Path(out)
    if query is None:
        q = Query(kind=kind.key, order_by="created_at", descending=False)
    else:
        if query.kind not in (None, kind.key):
            raise ValueError(f"query is for {query.kind!r}, export is for {kind.key!r}")
        q = dataclasses.replace(query, kind=kind.key)
    check_target(out)
    ids = desk.find_ids(q)
    desk.log_export(kind.title, len(ids), unmasked, str(out))  # refuses before writing
    users = {u.username: u.display_name for u in desk.list_users()}
    rows = iter_table_rows(kind, _views(desk, ids, progress), masked=not unmasked, users=users)
    header = header_for(kind)
    if fmt == "csv":
        return write_csv(out, header, rows)
    return write_xlsx(out, header, rows, kind.title)
