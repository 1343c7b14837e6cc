"""The statistics report as an A4 PDF (统计报表): the bilingual office header of the window that
prints it, the period and scope, then one part per section of `StatsReport.sections()` (the
same tables the screen and the Excel file show), and the definitions of every rate.

Built with the shared page machinery (`layout.build_pdf`: header on every page, "第N页 共M页");
every text is checked before anything is laid out (`MissingGlyphError`), the file is written
beside the target and moved into place, and the export is recorded in the audit trail.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xingan_desk.stats import (
    CHART_CAP,
    Cell,
    ChartPoint,
    Ratio,
    Section,
    StatsReport,
    StatTable,
    cell_text,
    chart_points,
    generated_line,
)

from .fonts import ensure_printable
from .header import office_for
from .layout import Layout, Styles, build_pdf, get_layout, para, spacer, styles, table

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from ..desk import Desk

__all__ = ["render_report", "report_story", "report_texts"]

_NUMERALS = "一二三四五六七八九十"


def report_texts(report: StatsReport) -> Iterator[str]:
    """Every text the PDF prints (for the glyph check)."""
    yield report.title
    yield report.subtitle
    yield report.period.span_text
    yield generated_line(report)
    yield report.plan.citation
    for section in report.sections():
        yield section.title
        for label, value in section.summary:
            yield label
            yield cell_text(value)
        for tbl in section.tables:
            yield tbl.title
            yield tbl.note
            yield from tbl.header
            for row in tbl.rows:
                yield from (cell_text(c) for c in row)
        yield from section.notes
    for term, text in report.definitions:
        yield term
        yield text
    for point in chart_points(report.targets):
        yield point.axis_label
    yield _CHART_TITLE
    yield _CHART_LEGEND


def _is_number(value: Cell) -> bool:
    return value is None or isinstance(value, int | float | Ratio)


def _text_width(text: str, size: float) -> float:
    """Approximate printed width in points: CJK characters one em, others 0.6 em (digits)."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _widths(tbl: StatTable, total: float, size: float) -> list[float]:
    """Column widths: number columns as narrow as their header (wrapped to two lines) and
    figures allow; text columns share the rest in proportion to their longest text."""
    cols = len(tbl.header)
    pad = 7.0
    numeric = [all(_is_number(row[c]) for row in tbl.rows) if tbl.rows else c > 0
               for c in range(cols)]
    natural: list[float] = []
    figure: list[float] = []  # the widest figure of each column: never wrapped
    for c in range(cols):
        head = _text_width(tbl.header[c], size)
        cells = [_text_width(cell_text(row[c]), size) for row in tbl.rows]
        figure.append(max(cells, default=0.0) * 1.2 + pad)
        if numeric[c]:
            natural.append(max(head / 2 + size, *cells, 2.5 * size) + pad)
        else:
            natural.append(max(head, *cells, 4 * size) + pad)
    fixed = sum(w for w, n in zip(natural, numeric, strict=True) if n)
    text_cols = [c for c in range(cols) if not numeric[c]]
    if not text_cols:
        scale = total / fixed
        return [w * scale for w in natural]
    if fixed > total * 0.75:  # many number columns: squeeze them, keep a quarter for text
        scale = total * 0.75 / fixed
        natural = [max(w * scale, figure[c]) if numeric[c] else w
                   for c, w in enumerate(natural)]
        fixed = sum(w for w, n in zip(natural, numeric, strict=True) if n)
    room = total - fixed
    wanted = sum(natural[c] for c in text_cols)
    widths = list(natural)
    for c in text_cols:
        widths[c] = room * natural[c] / wanted if wanted > room else natural[c]
    # a table narrower than the page: widen the text columns, across the page for tables of
    # more than three columns, to about 60 % of it for short lists
    wide = cols > 3
    spare = (total if wide else max(total * 0.6, sum(natural) * 1.15)) - sum(widths)
    if spare > 0:
        for c in text_cols:
            widths[c] += min(spare, total - sum(widths)) / len(text_cols)
    return widths


def _small_styles(st: Styles, lay: Layout) -> tuple[Styles, Any, Any]:
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    small = ParagraphStyle("stat-cell", parent=st.body, fontSize=lay.small,
                           leading=lay.small * 1.35)
    label = ParagraphStyle("stat-label", parent=small)
    right = ParagraphStyle("stat-num", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle("stat-head", parent=small, alignment=TA_CENTER)
    return dataclasses.replace(st, body=small, label=label), right, head


def _table(tbl: StatTable, lay: Layout, st: Styles) -> list[Flowable]:
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether

    cell_st, right, head = _small_styles(st, lay)
    widths = _widths(tbl, lay.content_width, lay.small)
    rows: list[list[Any]] = [[para(h, head) for h in tbl.header]]
    for row in tbl.rows:
        rows.append([para(cell_text(v), right) if _is_number(v) else cell_text(v) for v in row])
    t = table(rows, widths, cell_st, label_cols=(), header_row=True, padding=2.5)
    if tbl.total_row and len(rows) > 1:
        t.setStyle([("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                     colors.HexColor("#F2F2F2"))])
    caption = para(tbl.title, st.subheading)
    out: list[Flowable] = [KeepTogether([caption, t]) if len(rows) <= 18 else caption]
    if len(rows) > 18:
        out.append(t)
    if tbl.note:
        out.append(para(tbl.note, st.notice))
    return out


def _summary(items: Sequence[tuple[str, Cell]], lay: Layout, st: Styles) -> Flowable:
    """Label/value pairs, two pairs a row (one for long values)."""
    cell_st, right, _head = _small_styles(st, lay)
    w = lay.content_width
    label_w, value_w = w * 0.26, w * 0.24
    rows: list[list[Any]] = []
    spans: list[int] = []
    pending: list[tuple[str, Cell]] = []

    def value(v: Cell) -> Any:
        return para(cell_text(v), right) if _is_number(v) else cell_text(v)

    def flush() -> None:
        if pending:
            (la, va), = pending
            rows.append([la, value(va), "", ""])
            pending.clear()

    for label, v in items:
        long = not _is_number(v) and _text_width(cell_text(v), lay.small) > value_w - 8
        if long:
            flush()
            spans.append(len(rows))
            rows.append([label, cell_text(v), "", ""])
            continue
        pending.append((label, v))
        if len(pending) == 2:
            (la, va), (lb, vb) = pending
            rows.append([la, value(va), lb, value(vb)])
            pending.clear()
    flush()
    t = table(rows, [label_w, value_w, label_w, value_w], cell_st, label_cols=(0, 2),
              padding=2.5)
    t.setStyle([("SPAN", (1, r), (3, r)) for r in spans])
    return t


_CHART_TITLE = "计划目标完成进度（完成数 ÷ 目标，%）"
_CHART_LEGEND = "深色：已完成或进度正常　浅色：未完成或滞后　竖线：100%　短竖线：年度目标按进度应达"


def progress_chart(points: Sequence[ChartPoint], width: float, font: str) -> Flowable:
    """A horizontal bar per target (its share of the target, capped at CHART_CAP %), a line
    at 100 % and, for annual targets, a tick where the year's schedule stands; drawn with
    ReportLab's graphics so it is vector art in the PDF."""
    from reportlab import rl_config
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    # the graphics renderer starts from this font (Helvetica by default, which no PDF of ours
    # may reference: it is not embedded); like fonts.register_fonts does for the canvas
    rl_config.defaultGraphicsFontName = font

    row_h, label_w, top, bottom = 15.0, width * 0.42, 14.0, 16.0
    height = top + bottom + row_h * len(points)
    plot_w = width - label_w - 30
    d = Drawing(width, height)
    x0 = label_w + 6

    def x_of(pct: float) -> float:
        return x0 + plot_w * min(pct, CHART_CAP) / CHART_CAP

    d.add(String(0, height - 10, _CHART_TITLE, fontName=font, fontSize=8))
    for pct in (0, 50, 100, 150, 200):
        x = x_of(pct)
        d.add(Line(x, bottom - 2, x, height - top, strokeColor=colors.HexColor("#d0d5dc"),
                   strokeWidth=0.4))
        d.add(String(x, 4, f"{pct}%", fontName=font, fontSize=6.5, textAnchor="middle"))
    for i, p in enumerate(points):
        y = height - top - row_h * (i + 1) + 3
        d.add(String(label_w, y + 2.5, p.axis_label, fontName=font, fontSize=7,
                     textAnchor="end"))
        fill = colors.HexColor("#1e7b34" if p.done else "#e0a040")
        d.add(Rect(x0, y, max(0.5, x_of(p.percent) - x0), row_h - 6, fillColor=fill,
                   strokeColor=None))
        if p.expected is not None:
            xe = x_of(p.expected)
            d.add(Line(xe, y - 2, xe, y + row_h - 4, strokeColor=colors.black,
                       strokeWidth=1.2))
    x100 = x_of(100)
    d.add(Line(x100, bottom - 2, x100, height - top, strokeColor=colors.HexColor("#a01010"),
               strokeWidth=1))
    return d


def _section(n: int, section: Section, lay: Layout, st: Styles,
             after_first: Sequence[Flowable] = ()) -> list[Flowable]:
    from reportlab.platypus import KeepTogether

    heading = para(f"{_NUMERALS[n]}、{section.title}", st.heading)
    out: list[Flowable] = [KeepTogether([heading, _summary(section.summary, lay, st)])
                           if section.summary else heading]
    for i, tbl in enumerate(section.tables):
        out.extend(_table(tbl, lay, st))
        if i == 0:
            out.extend(after_first)
    for note in section.notes:
        if not any(note == t.note for t in section.tables):
            out.append(para(note, st.notice))
    return out


def report_story(report: StatsReport) -> list[Flowable]:
    lay = get_layout("a4")
    st = styles(lay.key)
    story: list[Flowable] = [
        para(report.title, st.title),
        para(f"统计期：{report.period.label}（{report.period.span_text}）　"
             f"范围：{report.scope_label}", st.center),
        para(generated_line(report), st.small_center),
        spacer(2),
    ]
    for n, section in enumerate(report.sections()):
        chart: list[Flowable] = []
        if section.key == "targets" and report.targets:  # progress against each target
            from reportlab.platypus import KeepTogether

            from .fonts import register_fonts

            chart = [spacer(2), KeepTogether([
                progress_chart(chart_points(report.targets), lay.content_width,
                               register_fonts().han),
                para(_CHART_LEGEND, st.notice)])]
        story.extend(_section(n, section, lay, st, chart))
    story.append(para(f"{_NUMERALS[len(report.sections())]}、统计口径说明", st.heading))
    cell_st, _right, _head = _small_styles(st, lay)
    story.append(table([list(d) for d in report.definitions],
                       [lay.label_width, lay.content_width - lay.label_width], cell_st,
                       padding=2.5))
    return story


def render_report(desk: Desk, report: StatsReport, out: Path) -> Path:
    """Write the report as an A4 PDF to ``out`` and record the export. Raises
    MissingGlyphError (nothing written) or StoreError (``out`` cannot be written)."""
    from . import _write_atomically

    office = office_for(desk, desk.identity.county_code)
    ensure_printable("\n".join([office.chinese, office.mongolian, *report_texts(report)]))
    buffer = io.BytesIO()
    build_pdf(buffer, lay=get_layout("a4"), office=office, story=report_story(report),
              receipt_no=f"{report.period.label} {report.scope_label}", title=report.title,
              footer=f"{report.title}　{report.period.label}　{report.scope_label}")
    path = Path(out)
    _write_atomically(path, buffer.getvalue(), lambda: desk.log_export(
        f"统计报表 {report.period.label} {report.scope_label}", 0, False, str(path)))
    return path

