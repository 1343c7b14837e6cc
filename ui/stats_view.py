"""The 统计 area (supervisors and admins): period and county pickers, progress against the
League plan's targets, one tab per section with its tables, and 导出Excel / 导出PDF.

The figures come from `xingan_desk.stats.compute` on the DB lane; exports run on the I/O lane.
The tables on screen are `StatsReport.sections()`, the same ones the Excel file and the PDF
contain. `attach_stats_area(main_window)` adds the area to the main window's navigation.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.stats import (
    STATS_ROLES,
    Period,
    Ratio,
    Section,
    StatsReport,
    StatTable,
    TargetProgress,
    cell_text,
    compute,
    generated_line,
    scope_choices,
)
from xingan_desk.timeutil import today_cst

from .ops import DeskOp, Latest, QueryOp
from .tasks import TaskRunner, show_error

if TYPE_CHECKING:
    from .main_window import MainWindow

STATS_AREA = "stats"
AUTO_REFRESH_MS = 250
PERIOD_KINDS = (("month", "月报"), ("quarter", "季报"), ("half", "半年报"), ("year", "年报"),
                ("range", "自定义"))
CARDS_PER_ROW = 6  # the plan's twelve targets in two rows
_GOOD = "#1e7b34"
_LATE = "#a15c00"

_Index = QModelIndex | QPersistentModelIndex


class StatTableModel(QAbstractTableModel):
    """A read-only model over one `StatTable`: numbers right-aligned, the 合计 row in bold."""

    def __init__(self, table: StatTable, parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.header)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.table.header[section]
        return None

    def value(self, row: int, column: int) -> Any:
        return self.table.rows[row][column]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        v = self.table.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(v)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = v is None or isinstance(v, int | float | Ratio)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        last = self.table.total_row and index.row() == len(self.table.rows) - 1
        if role == Qt.ItemDataRole.FontRole and last:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.BackgroundRole and last:
            return QBrush(QColor("#eef1f5"))
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(v, Ratio):
            return v.detail
        return None


class _FittedTable(QTableView):
    """A table as tall as its rows (the tab scrolls, not each table)."""

    def __init__(self, model: StatTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"table_{model.table.key}")
        self.setModel(model)
        model.setParent(self)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)
        self.setWordWrap(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        rows = model.rowCount()
        height = header.sizeHint().height() + 24 * rows + 2 * self.frameWidth() + 18
        self.setFixedHeight(height)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)


class TargetCard(QFrame):
    def __init__(self, progress: TargetProgress, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = progress
        t = progress.target
        self.setObjectName(f"target_{t.key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ background: #ffffff;"
                           " border: 1px solid #d0d5dc; border-radius: 4px; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(3)
        title = QLabel(t.label)
        title.setStyleSheet("font-weight: bold; font-size: 9pt;")
        title.setToolTip(t.label)
        lay.addWidget(title)
        self.bar = QProgressBar()
        self.bar.setObjectName("target_bar")
        self.bar.setRange(0, 100)
        ratio = progress.ratio.value or 0.0
        self.bar.setValue(min(100, round(100 * ratio)))
        self.bar.setFormat(progress.ratio.text)
        self.bar.setTextVisible(True)
        self.bar.setFixedHeight(16)
        good = progress.on_track
        colour = _GOOD if good else _LATE
        self.bar.setStyleSheet(f"QProgressBar {{ border: 1px solid #c9ced6; border-radius: 3px;"
                               f" background: #f0f2f5; text-align: center; }}"
                               f" QProgressBar::chunk {{ background: {colour}; }}")
        lay.addWidget(self.bar)
        self.figure = QLabel(f"{progress.actual} / {t.value} {t.unit}")
        self.figure.setObjectName("target_figure")
        self.figure.setStyleSheet(f"color: {colour}; font-weight: bold;")
        # a county's share of a League target: the scope line says so, the card stays short
        self.status = QLabel(progress.status if progress.league_wide else "全盟目标")
        self.status.setObjectName("target_status")
        self.status.setStyleSheet(f"color: {colour}; font-size: 8pt;")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.figure)
        row.addStretch(1)
        row.addWidget(self.status)
        lay.addLayout(row)
        basis = progress.kind_label
        if progress.expected is not None and progress.actual < t.value:
            basis += f"，按进度应达 {progress.expected:.1f}"
        self.basis = basis  # in the tooltip: twelve cards stay two compact rows
        self.setToolTip(f"{basis}\n{t.measure_note}\n{progress.basis}\n"
                        f"方案原文（{t.section}）：{t.quote}")


def _summary_grid(section: Section) -> QWidget:
    box = QFrame()
    box.setObjectName(f"summary_{section.key}")
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(14)
    grid.setVerticalSpacing(3)
    per_row = 3
    r = c = 0
    for i, (label, value) in enumerate(section.summary):
        text = cell_text(value)
        long = len(text) > 16  # a sentence (target progress, citation): a row of its own
        if long and c:
            r, c = r + 1, 0
        name = QLabel(f"{label}：")
        name.setProperty("role", "field_label")
        val = QLabel(text)
        val.setObjectName(f"value_{section.key}_{i}")
        val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        val.setStyleSheet("font-weight: bold;")
        if isinstance(value, Ratio):
            val.setToolTip(value.detail)
        grid.addWidget(name, r, 2 * c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        if long:
            val.setWordWrap(True)
            grid.addWidget(val, r, 1, 1, 2 * per_row - 1)
            r, c = r + 1, 0
            continue
        grid.addWidget(val, r, 2 * c + 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        c += 1
        if c == per_row:
            r, c = r + 1, 0
    for c in range(per_row):
        grid.setColumnStretch(2 * c + 1, 1)
    return box


class SectionPage(QScrollArea):
    def __init__(self, section: Section, parent: QWidget | None = None,
                 chart: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.setObjectName(f"page_{section.key}")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(8, 8, 14, 8)
        lay.setSpacing(6)
        if section.summary:
            lay.addWidget(_summary_grid(section))
        self.chart = chart
        if chart is not None:  # the targets' progress, above their tables
            lay.addWidget(chart)
        self.tables: dict[str, _FittedTable] = {}
        for table in section.tables:
            caption = QLabel(table.title)
            caption.setStyleSheet("font-weight: bold; color: #1d5fa6; margin-top: 6px;")
            lay.addWidget(caption)
            view = _FittedTable(StatTableModel(table))
            self.tables[table.key] = view
            lay.addWidget(view)
            if table.note:
                note = QLabel(f"注：{table.note}")
                note.setProperty("role", "hint")
                note.setWordWrap(True)
                lay.addWidget(note)
        for text in section.notes:
            if not any(text == t.note for t in section.tables):
                note = QLabel(f"注：{text}")
                note.setProperty("role", "hint")
                note.setWordWrap(True)
                lay.addWidget(note)
        lay.addStretch(1)
        self.setWidget(inner)


class StatsView(QWidget):
    """The statistics area; `refresh()` recomputes, `export(fmt, path)` writes a file."""

    report_shown = Signal(object)  # StatsReport, after the tables were filled
    exported = Signal(str)  # path, after an export finished

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.report: StatsReport | None = None
        self.pages: dict[str, SectionPage] = {}
        self.cards: dict[str, TargetCard] = {}
        self._runs = Latest()
        self.setObjectName("stats_view")
        # never widen the right-hand panel it shares with the record detail
        self.setMinimumSize(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 6)
        outer.setSpacing(6)

        # --- pickers and buttons
        bar = QHBoxLayout()
        bar.setSpacing(6)
        title = QLabel("统计")
        title.setProperty("role", "title")
        bar.addWidget(title)
        bar.addSpacing(8)
        today = today_cst()
        self.kind = QComboBox()
        self.kind.setObjectName("period_kind")
        for key, label in PERIOD_KINDS:
            self.kind.addItem(label, key)
        self.year = QSpinBox()
        self.year.setObjectName("period_year")
        self.year.setRange(2020, 2100)
        self.year.setValue(today.year)
        self.year.setSuffix(" 年")
        self.part = QComboBox()
        self.part.setObjectName("period_part")
        self.date_from = QDateEdit(QDate(today.year, today.month, 1))
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day))
        for w, name in ((self.date_from, "date_from"), (self.date_to, "date_to")):
            w.setObjectName(name)
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.to_label = QLabel("至")
        self.scope = QComboBox()
        self.scope.setObjectName("scope")
        for code, label in scope_choices(desk):
            self.scope.addItem(label, code)
        self.btn_run = QPushButton("统计")
        self.btn_run.setObjectName("btn_stats_run")
        self.btn_run.setProperty("primary", True)
        self.btn_xlsx = QPushButton("导出Excel")
        self.btn_xlsx.setObjectName("btn_export_xlsx")
        self.btn_pdf = QPushButton("导出PDF")
        self.btn_pdf.setObjectName("btn_export_pdf")
        pickers: tuple[QWidget, ...] = (QLabel("统计期"), self.kind, self.year, self.part,
                                        self.date_from, self.to_label, self.date_to)
        for picker in pickers:
            bar.addWidget(picker)
        bar.addSpacing(8)
        bar.addWidget(QLabel("范围"))
        bar.addWidget(self.scope)
        bar.addWidget(self.btn_run)
        bar.addStretch(1)
        bar.addWidget(self.btn_xlsx)
        bar.addWidget(self.btn_pdf)
        outer.addLayout(bar)

        self.info = QLabel("")
        self.info.setObjectName("stats_info")
        self.info.setProperty("role", "hint")
        outer.addWidget(self.info)

        # --- targets
        self.targets_box = QWidget()
        self.targets_box.setObjectName("targets_box")
        self.targets_layout = QGridLayout(self.targets_box)
        self.targets_layout.setContentsMargins(0, 0, 0, 0)
        self.targets_layout.setSpacing(8)
        outer.addWidget(self.targets_box)

        # --- sections
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stats_tabs")
        outer.addWidget(self.tabs, 1)

        # a changed choice recomputes by itself (once the area has been opened), debounced so
        # that several picker signals in a row make one query
        self._auto = QTimer(self)
        self._auto.setSingleShot(True)
        self._auto.setInterval(AUTO_REFRESH_MS)
        self._auto.timeout.connect(self.refresh)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.kind.currentIndexChanged, self.year.valueChanged,
                       self.part.currentIndexChanged, self.scope.currentIndexChanged,
                       self.date_from.dateChanged, self.date_to.dateChanged):
            signal.connect(self._choice_changed)
        self.btn_run.clicked.connect(self.refresh)
        self.btn_xlsx.clicked.connect(lambda: self.ask_export("xlsx"))
        self.btn_pdf.clicked.connect(lambda: self.ask_export("pdf"))
        self._kind_changed()
        self.part.setCurrentIndex(today.month - 1)
        self._set_busy(False)

    # --- period ----------------------------------------------------------------------------
    def _choice_changed(self, *_args: Any) -> None:
        if self.report is not None:
            self._auto.start()

    def _kind_changed(self) -> None:
        key = self.kind.currentData()
        self.part.blockSignals(True)
        self.part.clear()
        if key == "month":
            for m in range(1, 13):
                self.part.addItem(f"{m}月", m)
        elif key == "quarter":
            for q, name in enumerate(("第一季度", "第二季度", "第三季度", "第四季度"), start=1):
                self.part.addItem(name, q)
            self.part.setCurrentIndex((today_cst().month - 1) // 3)
        elif key == "half":
            self.part.addItem("上半年", 1)
            self.part.addItem("下半年", 2)
            self.part.setCurrentIndex(0 if today_cst().month <= 6 else 1)
        self.part.blockSignals(False)
        custom = key == "range"
        self.year.setVisible(not custom)
        self.part.setVisible(key in ("month", "quarter", "half"))
        for w in (self.date_from, self.to_label, self.date_to):
            w.setVisible(custom)

    def set_period(self, period: Period) -> None:
        """Show `period` in the pickers (tests, and a report opened from elsewhere)."""
        self.kind.setCurrentIndex([k for k, _ in PERIOD_KINDS].index(period.kind))
        self.year.setValue(period.start.year)
        if period.kind == "month":
            self.part.setCurrentIndex(period.start.month - 1)
        elif period.kind == "quarter":
            self.part.setCurrentIndex((period.start.month - 1) // 3)
        elif period.kind == "half":
            self.part.setCurrentIndex(0 if period.start.month == 1 else 1)
        elif period.kind == "range":
            self.date_from.setDate(QDate(period.start.year, period.start.month, period.start.day))
            self.date_to.setDate(QDate(period.end.year, period.end.month, period.end.day))

    def period(self) -> Period:
        key = self.kind.currentData()
        year = self.year.value()
        if key == "month":
            return Period.month(year, int(self.part.currentData()))
        if key == "quarter":
            return Period.quarter(year, int(self.part.currentData()))
        if key == "half":
            return Period.half(year, int(self.part.currentData()))
        if key == "year":
            return Period.year(year)
        a, b = self.date_from.date(), self.date_to.date()
        return Period.between(dt.date(a.year(), a.month(), a.day()),
                              dt.date(b.year(), b.month(), b.day()))

    def set_scope(self, county: str | None) -> None:
        i = self.scope.findData(county)
        if i >= 0:
            self.scope.setCurrentIndex(i)

    # --- computing -------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.btn_run.setEnabled(not busy)
        has = self.report is not None and not busy
        self.btn_xlsx.setEnabled(has)
        self.btn_pdf.setEnabled(has)

    def refresh(self) -> None:
        self._auto.stop()
        try:
            period = self.period()
        except Exception as exc:  # a custom range that ends before it starts
            self.info.setText(str(exc))
            self.info.setProperty("role", "error")
            _repolish(self.info)
            return
        county = self.scope.currentData()
        self._set_busy(True)
        self.info.setProperty("role", "hint")
        _repolish(self.info)
        self.info.setText(f"正在统计 {period.label}…")
        started = time.perf_counter()

        def done(report: StatsReport) -> None:
            self.show_report(report, time.perf_counter() - started)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            self.info.setText("统计未完成")
            show_error(self, exc, "统计未完成")

        desk = self.desk
        QueryOp(self, self.runner, lambda: compute(desk, period, county)).latest(self._runs) \
            .with_progress("正在统计…").success(done).failure(failed).run()

    def show_report(self, report: StatsReport, seconds: float | None = None) -> None:
        self.report = report
        took = f"　用时 {seconds:.2f} 秒" if seconds is not None else ""
        self.info.setText(f"{report.period.label}（{report.period.span_text}）　{report.scope_label}"
                          f"　{generated_line(report)}{took}")
        while self.targets_layout.count():
            item = self.targets_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.cards = {}
        for i, progress in enumerate(report.targets):
            card = TargetCard(progress)
            self.cards[progress.target.key] = card
            self.targets_layout.addWidget(card, i // CARDS_PER_ROW, i % CARDS_PER_ROW)
        if not report.targets:
            self.targets_layout.addWidget(QLabel("统计期不在方案年度内，不对照目标"), 0, 0, 1,
                                          CARDS_PER_ROW)
        current = self.tabs.currentIndex()
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if page is not None:
                page.deleteLater()
        self.pages = {}
        for section in report.sections():
            chart = None
            if section.key == "targets" and report.targets:
                from .target_chart import progress_chart

                chart = progress_chart(report.targets)
            page = SectionPage(section, chart=chart)
            self.pages[section.key] = page
            self.tabs.addTab(page, section.title)
        self.tabs.setCurrentIndex(max(0, current))
        self._set_busy(False)
        self.report_shown.emit(report)

    def activate(self) -> None:
        """Shown: compute the current choice the first time."""
        if self.report is None and self.btn_run.isEnabled():
            self.refresh()

    # --- exporting -------------------------------------------------------------------------
    def ask_export(self, fmt: str) -> None:
        if self.report is None:
            return
        from xingan_desk.stats_export import default_filename

        start = Path.home() / default_filename(self.report, fmt)
        filters = "Excel 工作簿 (*.xlsx)" if fmt == "xlsx" else "PDF 文件 (*.pdf)"
        path, _ = QFileDialog.getSaveFileName(self, "导出统计报表", str(start), filters)
        if path:
            if not path.lower().endswith(f".{fmt}"):
                path += f".{fmt}"
            self.export(fmt, Path(path))

    def export(self, fmt: str, path: Path) -> None:
        """Write the shown report to `path` on the I/O lane; `exported` is emitted when done."""
        report = self.report
        if report is None:
            return
        from xingan_desk.stats_export import export_report

        self.btn_xlsx.setEnabled(False)
        self.btn_pdf.setEnabled(False)

        def done(result: Any) -> None:
            self._set_busy(False)
            self.info.setText(f"已导出：{result}")
            self.exported.emit(str(result))

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            show_error(self, exc, "导出未完成")

        desk = self.desk  # the export is audited; nothing on screen changes
        DeskOp(self, self.runner, lambda: export_report(desk, report, fmt, path)) \
            .changes(None).on_io().with_progress("正在导出统计报表…").success(done) \
            .failure(failed).run()


def _repolish(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


def attach_stats_area(win: MainWindow) -> StatsView | None:
    """Add 统计 to the main window's navigation (supervisors and admins): a nav item after the
    record areas, Ctrl+8, and the view in the right-hand panel with the list hidden."""
    if win.desk.user.role not in STATS_ROLES:
        return None
    view = StatsView(win.desk, win.runner)
    win.right.addWidget(view)
    item = QListWidgetItem("统计")
    item.setData(Qt.ItemDataRole.UserRole, STATS_AREA)
    item.setToolTip("统计报表：咨询、好差评、预审、调解，对照计划目标")
    win.nav.addItem(item)
    row = win.nav.count() - 1
    middle = win.records  # the list pane, hidden while 统计 is shown
    state: dict[str, Any] = {"previous": 0, "sizes": None}

    def leave() -> None:
        middle.show()
        win.right.setCurrentWidget(win.form if win.form is not None else win.detail)
        if state["sizes"]:
            win.splitter.setSizes(state["sizes"])
        win.search.setEnabled(True)
        win.act_new.setEnabled(True)
        win.btn_new.show()

    def changed(current: int) -> None:
        if current != row:
            if current >= 0:
                state["previous"] = current
            if not middle.isVisible() and win.right.currentWidget() is view:
                leave()
            return
        if win.form is not None:  # an open form stays in front until saved or cancelled
            win.nav.blockSignals(True)
            win.nav.setCurrentRow(state["previous"])
            win.nav.blockSignals(False)
            win.statusBar().showMessage("请先保存或取消当前表单", 5000)
            return
        state["sizes"] = win.splitter.sizes()
        middle.hide()
        win.right.setCurrentWidget(view)
        total = sum(state["sizes"])
        win.splitter.setSizes([state["sizes"][0], 0, total - state["sizes"][0]])
        # nothing to create here: 新建 (which names the last area's kind) goes, Ctrl+N too
        win.search.setEnabled(False)
        win.act_new.setEnabled(False)
        win.btn_new.hide()
        view.activate()

    win.nav.currentRowChanged.connect(changed)
    act = QAction("统计", win)
    act.setObjectName("act_area_stats")
    act.setShortcut("Ctrl+8")
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.triggered.connect(lambda: win.nav.item(row).isHidden() or win.nav.setCurrentRow(row))
    win.addAction(act)
    return view
