"""The progress of each plan target as a bar chart drawn with QPainter: the share of the target
reached (green when reached or on schedule, amber when behind), a line at 100 % and, for an
annual target, a tick where the year's schedule stands. The points are
`xingan_desk.stats.chart_points`, the same bars the PDF draws.

QtCharts is in PySide6-Addons, which the Windows build (Python 3.12+, PySide6-Essentials and
PySide6-Pdf) does not ship, so the chart is painted here rather than taken from QtCharts."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from xingan_desk.stats import CHART_CAP, ChartPoint, TargetProgress, chart_points

__all__ = ["ProgressChart", "progress_chart"]

_DONE = QColor("#1e7b34")
_BEHIND = QColor("#e0a040")
_GRID = QColor("#d0d5dc")
_HUNDRED = QColor("#a01010")
ROW_HEIGHT = 22
_TOP, _BOTTOM = 26, 40  # title above; the scale and the legend below
TITLE = "计划目标完成进度（完成数 ÷ 目标，%；超过200%按200%画）"
LEGEND = (("box", _DONE, "已完成或进度正常"), ("box", _BEHIND, "未完成或滞后于进度"),
          ("line", _HUNDRED, "100%"), ("line", QColor("#000000"), "年度目标按进度应达"))


class ProgressChart(QWidget):
    """One bar per target, in the report's order; `points` are what it draws."""

    def __init__(self, targets: tuple[TargetProgress, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("target_chart")
        self.points: list[ChartPoint] = chart_points(targets)
        self.setMinimumHeight(self._height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("\n".join(f"{p.label}：{p.caption}，{p.percent:.0f}%"
                                  + (f"，按进度应达 {p.expected:.0f}%" if p.expected is not None
                                     else "") for p in self.points))

    def _height(self) -> int:
        return _TOP + _BOTTOM + ROW_HEIGHT * len(self.points)

    def sizeHint(self) -> QSize:
        return QSize(900, self._height())

    @staticmethod
    def label_of(p: ChartPoint) -> str:
        return f"{p.label}  {p.caption}"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        width = self.width()
        label_w = min(width * 0.42, max((metrics.horizontalAdvance(self.label_of(p))
                                         for p in self.points), default=0) + 16)
        x0, x1 = label_w + 8, width - 24
        top = _TOP
        bottom = top + ROW_HEIGHT * len(self.points)

        def x_of(pct: float) -> float:
            return x0 + (x1 - x0) * min(pct, CHART_CAP) / CHART_CAP

        title = QFont(font)
        title.setBold(True)
        painter.setFont(title)
        painter.drawText(QRectF(0, 2, width, _TOP - 4), Qt.AlignmentFlag.AlignCenter, TITLE)
        painter.setFont(font)
        for pct in (0, 50, 100, 150, 200):
            x = x_of(pct)
            painter.setPen(QPen(_GRID, 1))
            painter.drawLine(int(x), top, int(x), bottom)
            painter.setPen(QColor("#444444"))
            painter.drawText(QRectF(x - 30, bottom + 2, 60, 16), Qt.AlignmentFlag.AlignCenter,
                             f"{pct}%")
        for i, p in enumerate(self.points):
            y = top + i * ROW_HEIGHT
            painter.setPen(QColor("#222222"))
            painter.drawText(QRectF(0, y, label_w, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.label_of(p))
            bar = QRectF(x0, y + 4, max(1.0, x_of(p.percent) - x0), ROW_HEIGHT - 8)
            painter.fillRect(bar, _DONE if p.done else _BEHIND)
            if p.expected is not None:
                xe = x_of(p.expected)
                painter.setPen(QPen(QColor("#000000"), 2))
                painter.drawLine(int(xe), y + 2, int(xe), y + ROW_HEIGHT - 2)
        painter.setPen(QPen(_HUNDRED, 1.5))
        painter.drawLine(int(x_of(100)), top, int(x_of(100)), bottom)
        self._legend(painter, metrics, bottom + 20)
        painter.end()

    def _legend(self, painter: QPainter, metrics: QFontMetrics, y: int) -> None:
        """The legend's marks in their own colours, centred under the chart."""
        gap, mark = 18, 12
        widths = [mark + 4 + metrics.horizontalAdvance(text) for _, _, text in LEGEND]
        x = (self.width() - sum(widths) - gap * (len(widths) - 1)) / 2
        for (shape, colour, text), w in zip(LEGEND, widths, strict=True):
            if shape == "box":
                painter.fillRect(QRectF(x, y + 3, mark, mark - 2), colour)
            else:
                painter.setPen(QPen(colour, 2))
                painter.drawLine(int(x + mark / 2), y + 1, int(x + mark / 2), y + mark + 1)
            painter.setPen(QColor("#444444"))
            painter.drawText(QRectF(x + mark + 4, y, w, mark + 4),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            x += w + gap


def progress_chart(targets: tuple[TargetProgress, ...], parent: QWidget | None = None
                   ) -> ProgressChart:
    """The targets' progress chart (one row each)."""
    return ProgressChart(targets, parent)
