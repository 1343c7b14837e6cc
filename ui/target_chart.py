"""The progress of each plan target as a bar chart (QtCharts, PySide6-Addons): the share of the
target reached, green when reached or on schedule, amber when behind; an annual target's
scheduled share is in its label. The points are `xingan_desk.stats.chart_points`, the same the
PDF draws. QtCharts is imported when the first chart is made (not at start-up)."""

from __future__ import annotations

from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

from xingan_desk.stats import CHART_CAP, ChartPoint, TargetProgress, chart_points

__all__ = ["progress_chart"]

_DONE = "#1e7b34"
_BEHIND = "#e0a040"
ROW_HEIGHT = 26


def _label(p: ChartPoint) -> str:
    text = f"{p.label}  {p.caption}"
    if p.expected is not None:
        text += f"（按进度应达 {p.expected:.0f}%）"
    return text


def progress_chart(targets: tuple[TargetProgress, ...], parent: QWidget | None = None
                   ) -> QWidget:
    """A chart view of the targets' progress, tall enough for one readable row each."""
    from PySide6.QtCharts import (
        QBarCategoryAxis,
        QBarSet,
        QChart,
        QChartView,
        QHorizontalStackedBarSeries,
        QValueAxis,
    )

    points = list(reversed(chart_points(targets)))  # the chart draws from the bottom up
    done = QBarSet("已完成或进度正常")
    behind = QBarSet("未完成或滞后于进度")
    done.setColor(QColor(_DONE))
    behind.setColor(QColor(_BEHIND))
    for p in points:
        done.append(p.percent if p.done else 0.0)
        behind.append(0.0 if p.done else p.percent)
    series = QHorizontalStackedBarSeries()
    series.append(done)
    series.append(behind)
    series.setBarWidth(0.6)
    chart = QChart()
    chart.addSeries(series)
    chart.setTitle("计划目标完成进度（完成数 ÷ 目标，%；超过200%按200%画）")
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    small = QFont()
    small.setPointSize(8)
    categories = QBarCategoryAxis()
    categories.append([_label(p) for p in points])
    categories.setLabelsFont(small)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    values = QValueAxis()
    values.setRange(0, CHART_CAP)
    values.setTickCount(5)
    values.setLabelFormat("%d%%")
    values.setLabelsFont(small)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(values)
    chart.setMargins(QMargins(4, 4, 4, 4))
    view = QChartView(chart, parent)
    view.setObjectName("target_chart")
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(90 + ROW_HEIGHT * len(points))
    view.setToolTip("\n".join(f"{p.label}：{p.caption}，{p.percent:.0f}%" for p in
                              reversed(points)))
    return view
