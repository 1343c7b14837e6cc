"""Export of a statistics report (`xingan_desk.stats`) to Excel or to a bilingual PDF.

Excel: one sheet per section (计划目标完成情况, 咨询登记, 好差评, 专利预审备案, 专利预审案件,
知识产权纠纷调解) plus 统计口径说明; each sheet starts with the report's title, period, scope and
who made it, then the section's main figures and its tables with Chinese headers. Counts are
number cells and rates are percentages (cells Excel can sum and chart), so the file reads back
with exactly the figures shown on the screen. Text cells are neutralised like every export
(`export.neutralise`) and the file is written beside the target and moved into place.

PDF: `xingan_desk.printing.statistics.render_report` (A4, the office header in Mongolian and
Chinese). Both record the export in the audit trail.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ValidationFailed
from .export import atomic_target, check_target, display_width, neutralise, sheet_title
from .stats import Cell, Ratio, StatsReport, generated_line
from .stats.sections import MOJ_NOTE

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .desk import Desk

__all__ = ["FORMATS", "default_filename", "export_report", "write_xlsx"]

FORMATS = ("xlsx", "pdf")
_MAX_WIDTH = 48


def default_filename(report: StatsReport, fmt: str) -> str:
    """e.g. 统计报表_2026-03_全盟.xlsx"""
    return f"统计报表_{report.period.key}_{report.scope_label}.{fmt}"


def _value(cell: Cell) -> tuple[Any, str | None]:
    """(cell value, number format) for openpyxl."""
    if cell is None:
        return "—", None
    if isinstance(cell, Ratio):
        v = cell.value
        return ("—", None) if v is None else (v, "0.0%")
    if isinstance(cell, bool):
        return ("是" if cell else "否"), None
    if isinstance(cell, int):
        return cell, "0"
    if isinstance(cell, float):
        return round(cell, 1), "0.0"
    return neutralise(cell), None


def write_xlsx(report: StatsReport, path: Path) -> int:
    """Write the workbook; returns the number of table rows written (all sheets)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    check_target(Path(path))
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    grey = PatternFill("solid", fgColor="F2F2F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    for blank_sheet in list(wb.worksheets):
        wb.remove(blank_sheet)
    wb.properties.creator = "兴安盟知识产权服务窗口系统"
    wb.properties.title = f"{report.title} {report.subtitle}"
    written = 0

    next_row: dict[str, int] = {}  # per sheet: blank rows leave no cells, so count ourselves

    def start(title: str) -> Worksheet:
        ws: Worksheet = wb.create_sheet(sheet_title(title))
        next_row[ws.title] = 1
        put_row(ws, [f"{report.title}（{title}）"], font=title_font)
        put_row(ws, [f"统计期：{report.period.label}（{report.period.span_text}）",
                     f"范围：{report.scope_label}"])
        put_row(ws, [generated_line(report)])
        blank(ws)
        return ws

    def blank(ws: Worksheet) -> None:
        next_row[ws.title] += 1

    def put_row(ws: Worksheet, cells: list[Cell], *, font: Font | None = None,
                fill: PatternFill | None = None) -> None:
        row = next_row[ws.title]
        next_row[ws.title] += 1
        for col, cell in enumerate(cells, start=1):
            value, fmt = _value(cell)
            c = ws.cell(row=row, column=col, value=value)
            if fmt:
                c.number_format = fmt
            if font is not None:
                c.font = font
            if fill is not None:
                c.fill = fill

    def size(ws: Worksheet) -> None:
        widths: dict[int, int] = {}
        for row in ws.iter_rows(min_row=5):
            for c in row:
                if c.value is None:
                    continue
                text = c.value if isinstance(c.value, str) else "000000.0%"
                widths[c.column] = max(widths.get(c.column, 0), display_width(text))
        for col, w in widths.items():
            ws.column_dimensions[get_column_letter(col)].width = min(max(w + 2, 8), _MAX_WIDTH)

    for section in report.sections():
        ws = start(section.title)
        if section.summary:
            put_row(ws, ["主要指标"], font=bold)
            for label, value in section.summary:
                put_row(ws, [label, value])
            blank(ws)
        for tbl in section.tables:
            put_row(ws, [tbl.title], font=bold)
            put_row(ws, list(tbl.header), font=bold, fill=grey)
            for i, row in enumerate(tbl.rows):
                last = tbl.total_row and i == len(tbl.rows) - 1
                put_row(ws, list(row), font=bold if last else None, fill=grey if last else None)
                written += 1
            if tbl.note:
                put_row(ws, [f"注：{tbl.note}"])
            blank(ws)
        for note in section.notes:
            if not any(note == t.note for t in section.tables):
                put_row(ws, [f"注：{note}"])
        size(ws)
        ws.freeze_panes = "A5"

    if report.mediation_table is not None:
        written += _moj_sheet(report, start, put_row, blank, next_row, bold, grey)

    ws = start("统计口径说明")
    put_row(ws, ["名词", "口径"], font=bold, fill=grey)
    for term, text in report.definitions:
        put_row(ws, [term, text])
        ws.cell(row=next_row[ws.title] - 1, column=2).alignment = wrap
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100

    with atomic_target(Path(path)) as tmp:
        wb.save(tmp)
    return written


def _moj_sheet(report: StatsReport, start: Any, put_row: Any, blank: Any,
               next_row: dict[str, int], bold: Any, grey: Any) -> int:
    """The mediation figures as the MoJ statistics table lays them out: one row per reporting
    unit (旗县市) and 合计, the columns under merged group headings (案件来源, 纠纷类型, …)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from .stats.mediation_table import columns

    table = report.mediation_table
    assert table is not None
    ws = start("人民调解统计表（司法部表式）")
    cols = columns()
    group_row = next_row[ws.title]
    put_row(ws, ["填报单位", *(c.group for c in cols)], font=bold, fill=grey)
    put_row(ws, ["", *(c.label for c in cols)], font=bold, fill=grey)
    # merge each group's heading over its columns, and 填报单位 over both heading rows
    first = 2
    for n in range(1, len(cols) + 1):
        last_of_group = n == len(cols) or cols[n].group != cols[n - 1].group
        if last_of_group:
            col = n + 1
            if col > first:
                ws.merge_cells(start_row=group_row, start_column=first, end_row=group_row,
                               end_column=col)
            first = col + 1
    ws.merge_cells(start_row=group_row, start_column=1, end_row=group_row + 1, end_column=1)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in ws.iter_rows(min_row=group_row, max_row=group_row + 1):
        for c in row:
            c.alignment = centred
    written = 0
    for name, cells in table.rows():
        put_row(ws, [name, *cells], font=bold if name == "合计" else None,
                fill=grey if name == "合计" else None)
        written += 1
    blank(ws)
    put_row(ws, [f"注：{MOJ_NOTE}"])
    ws.column_dimensions["A"].width = 12
    for n in range(2, len(cols) + 2):
        ws.column_dimensions[get_column_letter(n)].width = 11
    ws.freeze_panes = ws.cell(row=group_row + 2, column=2)
    return written


def export_report(desk: Desk, report: StatsReport, fmt: str, out: Path) -> Path:
    """Write `report` as "xlsx" or "pdf" to `out` and record the export in the audit trail.
    Raises ValidationFailed (format), StoreError (`out` cannot be written), MissingGlyphError
    (PDF: a character no shipped font has; nothing written)."""
    fmt = fmt.strip().lower().lstrip(".")
    out = Path(out)
    if fmt not in FORMATS:
        raise ValidationFailed({"format": f"统计报表的导出格式应为 xlsx 或 pdf，不支持“{fmt}”"})
    check_target(out)
    if fmt == "pdf":
        from .printing.statistics import render_report

        return render_report(desk, report, out)
    rows = write_xlsx(report, out)
    desk.log_export(f"统计报表 {report.period.label} {report.scope_label}", rows, False, str(out))
    return out
