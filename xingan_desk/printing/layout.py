"""Page layout shared by receipts and documents: page sizes, paragraph styles, building blocks
(label/value tables, signature lines, seal areas, cut lines) and the page machinery (repeating
bilingual header, 补打 stamp, "第N页 共M页" footer).

Every text goes through `fonts.markup`, so a character Zen Hei lacks is drawn with the fallback
font and an unprintable one raises `MissingGlyphError` instead of printing a blank.
ReportLab is imported inside functions only: importing this module is cheap.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from xingan_desk.timeutil import CST, as_utc

if TYPE_CHECKING:
    from reportlab.platypus import Flowable, Paragraph, Table

    from .header import OfficeText

__all__ = [
    "LAYOUTS",
    "Layout",
    "Styles",
    "build_pdf",
    "fmt_date",
    "fmt_datetime",
    "get_layout",
    "styles",
]

MM = 72 / 25.4  # points per millimetre (reportlab.lib.units.mm without importing ReportLab)


@dataclass(frozen=True, slots=True)
class Layout:
    key: str
    page_width: float
    page_height: float | None  # None: fitted to the content (roll paper)
    margin_x: float
    margin_top: float
    margin_bottom: float
    body: float  # body font size, pt
    small: float
    header: float  # office name, both scripts
    title: float
    label_width: float  # label column of label/value tables
    qr: float  # QR code side
    header_min: float = 0.0  # the office name may shrink to this to stay on one line

    @property
    def content_width(self) -> float:
        return self.page_width - 2 * self.margin_x

    @property
    def is_roll(self) -> bool:
        return self.page_height is None


LAYOUTS: dict[str, Layout] = {
    "a4": Layout("a4", 210 * MM, 297 * MM, 20 * MM, 12 * MM, 16 * MM,
                 body=10.5, small=8.5, header=13, title=18, label_width=34 * MM, qr=30 * MM,
                 header_min=11),
    "roll80": Layout("roll80", 80 * MM, None, 4 * MM, 4 * MM, 6 * MM,
                     body=8, small=6.5, header=8.5, title=11, label_width=17 * MM, qr=26 * MM,
                     header_min=6.5),
}
ROLL_MAX_HEIGHT = 1200 * MM  # longer content continues on a second "page" (another cut)


def get_layout(key: str) -> Layout:
    try:
        return LAYOUTS[key]
    except KeyError:
        known = "、".join(LAYOUTS)
        raise ValueError(f"未知的打印版式“{key}”（可选：{known}）") from None


# --- formatting ---------------------------------------------------------------------------------


def fmt_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = as_utc(value).astimezone(CST).date()
    return f"{value.year}年{value.month}月{value.day}日"


def fmt_datetime(value: dt.datetime | None) -> str:
    """China time, e.g. 2026年3月2日 09:10."""
    if value is None:
        return ""
    local = as_utc(value).astimezone(CST)
    return f"{fmt_date(local.date())} {local.hour:02d}:{local.minute:02d}"


# --- styles -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Styles:
    body: Any
    indent: Any  # body text with a two-character first-line indent (Chinese documents)
    small: Any
    label: Any
    subheading: Any  # a label above a table, with some space before it
    title: Any
    center: Any
    small_center: Any
    right: Any
    heading: Any
    notice: Any
    stamp: Any


# Chinese punctuation that must not start a line (GB/T 15834 and common typesetting practice).
# ReportLab's CJK wrap knows the ideographic comma and full stop but not the full-width comma,
# colon, semicolon, ! and ?, so lines started with "，" or "：".
_NO_LINE_START = "，：；！？）》」』】〕〉〗”’…·％"


def _patch_cjk_line_breaking() -> None:
    """Add `_NO_LINE_START` to the characters ReportLab's CJK wrap keeps on the previous line.

    Two module globals hold the list, read at call time: ``textsplit.ALL_CANNOT_START`` (by
    ``wordSplit``, paragraphs in one font) and ``paragraph.ALL_CANNOT_START`` (by
    ``cjkFragSplit``, paragraphs with font runs). Already patched: no change."""
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):
        current: str = module.ALL_CANNOT_START
        missing = "".join(ch for ch in _NO_LINE_START if ch not in current)
        if missing:
            module.ALL_CANNOT_START = current + missing


@functools.cache
def styles(layout_key: str) -> Styles:
    """Paragraph styles of a layout (created once; ParagraphStyle objects are reusable)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    from .fonts import register_fonts

    _patch_cjk_line_breaking()
    lay = get_layout(layout_key)
    han = register_fonts().han
    body = ParagraphStyle("body", fontName=han, fontSize=lay.body, leading=lay.body * 1.6,
                          wordWrap="CJK")
    return Styles(
        body=body,
        indent=ParagraphStyle("indent", parent=body, firstLineIndent=2 * lay.body,
                              spaceAfter=lay.body * 0.3),
        small=ParagraphStyle("small", parent=body, fontSize=lay.small, leading=lay.small * 1.55),
        label=ParagraphStyle("label", parent=body, textColor=colors.HexColor("#333333")),
        subheading=ParagraphStyle("subheading", parent=body, textColor=colors.HexColor("#333333"),
                                  spaceBefore=lay.body * 0.5, spaceAfter=lay.body * 0.15),
        title=ParagraphStyle("title", parent=body, fontSize=lay.title, leading=lay.title * 1.4,
                             alignment=TA_CENTER, spaceBefore=lay.body * 0.4,
                             spaceAfter=lay.body * 0.6),
        center=ParagraphStyle("center", parent=body, alignment=TA_CENTER),
        small_center=ParagraphStyle("small_center", parent=body, fontSize=lay.small,
                                    leading=lay.small * 1.55, alignment=TA_CENTER),
        right=ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        heading=ParagraphStyle("heading", parent=body, fontSize=lay.body * 1.1,
                               leading=lay.body * 1.8, spaceBefore=lay.body * 0.6,
                               spaceAfter=lay.body * 0.15),
        notice=ParagraphStyle("notice", parent=body, fontSize=lay.small,
                              leading=lay.small * 1.55, textColor=colors.HexColor("#222222")),
        stamp=ParagraphStyle("stamp", parent=body, fontSize=lay.body * 1.25,
                             leading=lay.body * 1.6, alignment=TA_CENTER,
                             textColor=colors.HexColor("#C00000")),
    )


# --- building blocks ----------------------------------------------------------------------------


_PRINTABLE: set[str] = set()  # characters already checked by fonts.ensure_printable


def rich(text: str) -> str:
    """Paragraph markup of plain text; line breaks are kept, and so are ideographic spaces
    (a paragraph collapses any run of whitespace into one space; no-break spaces survive, three
    of them are about one ideographic space wide). Blanks to fill in by hand rely on this.

    Unprintable characters raise `MissingGlyphError`; characters once found printable are
    remembered, so the per-paragraph check costs a set lookup.
    """
    from .fonts import ensure_printable

    text = str(text)
    chars = set(text)
    if not chars <= _PRINTABLE:
        ensure_printable(text)
        _PRINTABLE.update(chars)
    return "<br/>".join(_line_markup(line) for line in text.split("\n"))


@functools.lru_cache(maxsize=4096)
def _line_markup(line: str) -> str:
    """Markup of one checked line (cached: labels and fixed sentences recur on every paper)."""
    from .fonts import markup

    return markup(line, check=False).replace("\u3000", "\xa0\xa0\xa0")


def para(text: str, style: Any) -> Paragraph:
    from reportlab.platypus import Paragraph

    return Paragraph(rich(text), style)


def paras(text: str, style: Any) -> list[Flowable]:
    """One paragraph per non-empty line (long text flows across pages line by line)."""
    from reportlab.platypus import Paragraph

    return [Paragraph(rich(line.strip()), style) for line in str(text).split("\n") if line.strip()]


def _cell(value: Any, style: Any) -> Any:
    if isinstance(value, str):
        return para(value, style)
    return value


_GRID = "#8C8C8C"


def table_style(*commands: tuple[Any, ...]) -> Any:
    """A TableStyle that also sets the cells' font: ReportLab's cell style default is the
    Helvetica of ``rl_config`` at import time, referenced (not embedded) in every PDF with a
    table even when all cells are paragraphs."""
    from reportlab.platypus import TableStyle

    from .fonts import register_fonts

    return TableStyle([("FONTNAME", (0, 0), (-1, -1), register_fonts().han), *commands])


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float], st: Styles, *,
          label_cols: Sequence[int] = (0,), grid: bool = True, header_row: bool = False,
          padding: float = 3) -> Table:
    """A table of paragraphs: str cells are wrapped (CJK), other cells are used as they are."""
    from reportlab.lib import colors
    from reportlab.platypus import Table

    data = [
        [_cell(value, st.label if col in label_cols else st.body) for col, value in enumerate(row)]
        for row in rows
    ]
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding * 0.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding * 0.9),
    ]
    if grid:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor(_GRID)))
    for col in label_cols:
        commands.append(("BACKGROUND", (col, 0), (col, -1), colors.HexColor("#F2F2F2")))
    if header_row:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")))
    tbl = Table(data, colWidths=list(widths), repeatRows=1 if header_row else 0, hAlign="LEFT")
    tbl.setStyle(table_style(*commands))
    return tbl


def kv_table(rows: Sequence[tuple[str, Any]], lay: Layout, st: Styles,
             width: float | None = None) -> Table:
    """Label/value rows: two columns on A4; on roll paper one column of "label：value" lines
    (a narrow label column would wrap, and text extraction would interleave the columns)."""
    from reportlab.lib import colors

    total = width if width is not None else lay.content_width
    if not lay.is_roll:
        return table([list(r) for r in rows], [lay.label_width, total - lay.label_width], st)
    from reportlab.platypus import Paragraph

    grey = colors.HexColor("#555555").hexval()[2:]
    cells = [[Paragraph(f'<font color="#{grey}">{rich(label)}：</font>{rich(value)}', st.body)
              if isinstance(value, str) else value] for label, value in rows]
    return table(cells, [total], st, label_cols=())


def spacer(height_mm: float) -> Flowable:
    from reportlab.platypus import Spacer

    return Spacer(1, height_mm * MM)


def qr_code(value: str, size: float) -> Flowable:
    """A QR code of exactly ``value`` (ReportLab's encoder, error correction M, 4-module quiet
    zone), ``size`` points square.

    Drawn as one filled path in module units, one rectangle per run of dark modules: a fill of
    one path has no seams between neighbouring modules, and it costs a fraction of
    ReportLab's widget (a Drawing of one Rect shape per run, encoded twice).
    """
    from reportlab.graphics.barcode import qrencoder
    from reportlab.platypus import Flowable

    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.make()
    modules: list[list[bool]] = qr.modules
    count = qr.getModuleCount()
    border = 4
    runs: list[str] = []
    for r, row in enumerate(modules):
        y = count - 1 - r + border  # PDF y grows upwards
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                runs.append(f"{start + border} {y} {c - start} 1 re")
            else:
                c += 1
    path = " ".join(runs) + " f"
    unit = size / (count + 2 * border)

    class Qr(Flowable):  # type: ignore[misc]
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            return size, size

        def draw(self) -> None:
            canvas = self.canv
            canvas.saveState()
            canvas.scale(unit, unit)
            canvas.setFillGray(0)
            canvas.addLiteral(path)
            canvas.restoreState()

    flowable = Qr()
    flowable.width = flowable.height = size
    return flowable


def notice_box(title: str, text: str, lay: Layout, st: Styles) -> Table:
    """A framed small-print block (个人信息告知 and similar)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table

    tbl = Table([[para(f"{title}：{text}", st.notice)]], colWidths=[lay.content_width])
    tbl.setStyle(table_style(
        ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor(_GRID)),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ))
    return tbl


def signature_rows(rows: Sequence[tuple[str, str]], lay: Layout, st: Styles, *,
                   dated: bool = True, row_mm: float = 11) -> Table:
    """Places to sign: per row "who" | a line to sign on, with a small hint such as
    "签名、盖章或按指印" under it | "年 月 日"."""
    from reportlab.lib import colors
    from reportlab.platypus import Table

    w = lay.content_width
    widths = [w * 0.48, w * 0.30, w * 0.22] if dated else [w * 0.5, w * 0.5]
    data: list[list[Any]] = []
    heights: list[float | None] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    for n, (who, hint) in enumerate(rows):
        top: list[Any] = [para(who, st.body), ""]
        below: list[Any] = ["", para(hint, st.small_center)]
        if dated:
            top.append(para("　　年　　月　　日", st.right))
            below.append("")
        data += [top, below]
        heights += [row_mm * MM, None]
        commands.append(("LINEBELOW", (1, 2 * n), (1, 2 * n), 0.6, colors.black))
    tbl = Table(data, colWidths=widths, rowHeights=heights, hAlign="LEFT")
    tbl.setStyle(table_style(*commands))
    return tbl


def seal_area(lines: Sequence[str], lay: Layout, *, diameter_mm: float = 40) -> Flowable:
    """The signing-off block of a notice, on the right: ``lines`` (the unit's name, the date)
    with a dashed circle the size of an official round seal over them, as the seal is pressed
    onto the name and date in practice. The seal itself is stamped by hand."""
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    from .fonts import register_fonts

    han = register_fonts().han
    diameter = diameter_mm * MM
    size = lay.body
    # paragraphs, not drawString: an office name may need the fallback font for a character
    texts = [para(t, styles(lay.key).center) for t in lines]

    class SealArea(Flowable):  # type: ignore[misc]
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            self.width = avail_width
            self.height = diameter + 4
            return self.width, self.height

        def draw(self) -> None:
            c = self.canv
            text_width = max(diameter, min(self.width * 0.6, max(
                sum(c.stringWidth(ch, han, size) for ch in p.getPlainText()) + 2 * size
                for p in texts)))
            cx = self.width - text_width / 2 - 4 * MM
            cy = self.height / 2
            c.saveState()
            c.setStrokeColor(colors.HexColor("#A8A8A8"))
            c.setDash(3, 2)
            c.setLineWidth(0.6)
            c.circle(cx, cy, diameter / 2)
            c.setFillColor(colors.HexColor("#9A9A9A"))
            c.setFont(han, lay.small)
            c.drawCentredString(cx, cy + diameter * 0.22, "（盖章处）")
            c.restoreState()
            top = cy + size * 0.4
            for p in texts:
                _, h = p.wrap(text_width, self.height)
                p.drawOn(c, cx - text_width / 2, top - h)
                top -= h

    return SealArea()


def cut_line(text: str, lay: Layout) -> Flowable:
    """A dashed line across the page with a note in the middle (stubs, 存根)."""
    from reportlab.platypus import Flowable

    from .fonts import register_fonts

    han = register_fonts().han
    size = lay.small

    class CutLine(Flowable):  # type: ignore[misc]
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            self.width, self.height = avail_width, size * 3
            return self.width, self.height

        def draw(self) -> None:
            c = self.canv
            y = self.height / 2
            text_width = c.stringWidth(text, han, size) + 8
            c.saveState()
            c.setDash(4, 3)
            c.setLineWidth(0.6)
            c.line(0, y, (self.width - text_width) / 2, y)
            c.line((self.width + text_width) / 2, y, self.width, y)
            c.setFont(han, size)
            c.drawCentredString(self.width / 2, y - size / 3, text)
            c.restoreState()

    return CutLine()


def stamp_box(text: str, lay: Layout, st: Styles) -> Table:
    """A red framed stamp in the flow of text (补打 on roll paper)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table

    tbl = Table([[para(text, st.stamp)]], colWidths=[lay.content_width * 0.7], hAlign="CENTER")
    tbl.setStyle(table_style(("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor("#C00000")),
                             ("TOPPADDING", (0, 0), (-1, -1), 2),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 4)))
    return tbl


# --- the page machinery -------------------------------------------------------------------------


def reprint_label(reprint: int) -> str:
    return f"补打（第{reprint}次）"


@functools.cache
def _numbered_canvas() -> type:
    """A canvas that holds its pages back until the end, so each footer can say "共M页"."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, page_footer: Callable[[Any, int, int], None],
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._page_footer = page_footer
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                self._page_footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def _story_height(story: Sequence[Flowable], width: float) -> float:
    total = 0.0
    for flowable in story:
        _, h = flowable.wrap(width, ROLL_MAX_HEIGHT)
        total += h + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


def build_pdf(
    out: IO[bytes],
    *,
    lay: Layout,
    office: OfficeText,
    story: list[Flowable],
    receipt_no: str,
    title: str,
    reprint: int = 0,
    footer: str | None = None,
) -> None:
    """Lay out ``story`` below the repeating bilingual header and write the PDF to ``out``.

    Every page gets the office header (Mongolian above Chinese), a rule, the receipt number
    (or ``footer``, for papers that are not about one record) and "第N页 共M页" at the foot
    (on roll paper only when there is more than one page), and, for a reprint, a red
    "补打（第N次）" stamp (top right on A4; in the text on roll paper).
    """
    from functools import partial

    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    from .fonts import register_fonts
    from .header import fit_header

    fonts = register_fonts()
    # Binary (Flate only) streams: ASCII85 on top makes the file 25 % bigger and costs time.
    rl_config.useA85 = 0
    st = styles(lay.key)
    stamp = reprint_label(reprint) if reprint > 0 else ""
    stamp_w = (lay.body * 1.25 * (len(stamp) + 1.5)) if stamp and not lay.is_roll else 0.0
    header_w = lay.content_width - 2 * stamp_w
    # the Mongolian name on one line (an 80 mm roll is narrow): both scripts smaller, at
    # equal size, and if need be the Mongolian line condensed
    fitted = fit_header(office, lay.header, header_w, min_size=lay.header_min or lay.header)
    mongolian, chinese, mn_scale = fitted.mongolian, fitted.chinese, fitted.scale
    _, mn_h = mongolian.wrap(header_w / mn_scale, 10_000)
    _, zh_h = chinese.wrap(header_w, 10_000)
    gap = lay.header * 0.15
    rule_gap = lay.header * 0.45
    header_h = mn_h + gap + zh_h + rule_gap
    if stamp and lay.is_roll:
        story = [stamp_box(stamp, lay, st), spacer(1.5), *story]

    top = lay.margin_top + header_h + rule_gap
    if lay.page_height is None:
        needed = top + _story_height(story, lay.content_width) + lay.margin_bottom + 10 * MM
        page_h = min(max(needed, 100 * MM), ROLL_MAX_HEIGHT)
    else:
        page_h = lay.page_height
    footer_size = lay.small

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        y = page_h - lay.margin_top - mn_h
        canvas.saveState()
        canvas.translate(lay.margin_x + stamp_w, y)
        canvas.scale(mn_scale, 1)
        mongolian.drawOn(canvas, 0, 0)
        canvas.restoreState()
        y -= gap + zh_h
        chinese.drawOn(canvas, lay.margin_x + stamp_w, y)
        y -= rule_gap
        canvas.setStrokeColor(colors.HexColor("#404040"))
        canvas.setLineWidth(0.8)
        canvas.line(lay.margin_x, y, lay.page_width - lay.margin_x, y)
        if stamp_w:
            box_h = lay.body * 2.2
            x = lay.page_width - lay.margin_x - stamp_w + 4
            by = page_h - lay.margin_top - box_h
            canvas.setStrokeColor(colors.HexColor("#C00000"))
            canvas.setFillColor(colors.HexColor("#C00000"))
            canvas.setLineWidth(1.2)
            canvas.rect(x, by, stamp_w - 4, box_h)
            canvas.setFont(fonts.han, lay.body * 1.25)
            canvas.drawCentredString(x + (stamp_w - 4) / 2, by + box_h / 2 - lay.body * 0.45, stamp)
        canvas.restoreState()

    def page_footer(canvas: Any, number: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(fonts.han, footer_size)
        canvas.setFillColor(colors.HexColor("#404040"))
        y = lay.margin_bottom * 0.45
        if lay.is_roll:
            if total > 1:
                canvas.drawCentredString(lay.page_width / 2, y, f"第{number}页 共{total}页")
        else:
            canvas.drawString(lay.margin_x, y,
                              footer if footer is not None else f"编号：{receipt_no}")
            canvas.drawRightString(lay.page_width - lay.margin_x, y, f"第{number}页 共{total}页")
        canvas.restoreState()

    doc = BaseDocTemplate(
        out,
        pagesize=(lay.page_width, page_h),
        leftMargin=lay.margin_x,
        rightMargin=lay.margin_x,
        topMargin=top,
        bottomMargin=lay.margin_bottom,
        title=f"{title} {receipt_no}",
        author=office.chinese,
        subject=title,
        creator="xingan-desk",
        initialFontName=fonts.han,
    )
    frame = Frame(lay.margin_x, lay.margin_bottom, lay.content_width,
                  page_h - top - lay.margin_bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    doc.build(story, canvasmaker=partial(_numbered_canvas(), page_footer=page_footer))
