"""导入台账: the wizard that brings a League ledger (xlsx/csv) into the store.

Four steps in one dialog: 1 选择文件 (kind, file, sheet) → 2 对应列 (the columns mapped from
their Chinese labels, each editable) → 3 预览与检查 (the rows with the errors a dry run finds,
row by row; an error report can be saved) → 4 导入 (progress bar, 取消; what committed stays,
importing again finishes the job). The work is `xingan_desk.importing.ImportJob` on the task
runner's lanes (reading the file on the I/O lane, checking and writing on the DB lane); the
finished import announces its changes on the bus, so the lists refresh themselves.
`attach_import(main_window)` adds the 导入台账 button to the top bar (supervisors and admins).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.importing import (
    ImportJob,
    ImportResult,
    sheet_names,
    target_label,
    targets_of,
    write_error_report,
)
from xingan_desk.records.kinds import KINDS

from .ops import DeskOp, QueryOp
from .tasks import TaskRunner

if TYPE_CHECKING:
    from .main_window import MainWindow

IMPORT_ROLES = ("supervisor", "admin")
STEPS = ("1 选择文件", "2 对应列", "3 预览与检查", "4 导入")
PREVIEW_ROWS = 200
ERROR_BRUSH = QBrush(QColor("#fde8e8"))


class _Progress(QObject):
    """Progress from the worker thread to the GUI thread (a queued signal)."""

    moved = Signal(int, int)


class ImportWizard(QDialog):
    """The import dialog. Tests drive it through `choose`, `next_step`, `start_import`."""

    finished_import = Signal(object)  # ImportResult, after the import (or its dry run) ended
    checked = Signal(object)  # ImportResult of the dry run

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.job: ImportJob | None = None
        self.check_result: ImportResult | None = None
        self.import_result: ImportResult | None = None
        self._cancel = threading.Event()
        self._importing = False
        self._progress = _Progress()
        self._progress.moved.connect(self._moved)
        self.setObjectName("import_wizard")
        self.setWindowTitle("导入台账")
        self.resize(1100, 660)

        outer = QVBoxLayout(self)
        self.step_label = QLabel()
        self.step_label.setObjectName("import_steps")
        outer.addWidget(self.step_label)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.pages.addWidget(self._file_page())
        self.pages.addWidget(self._columns_page())
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._import_page())

        buttons = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("import_message")
        self.message.setWordWrap(True)
        buttons.addWidget(self.message, 1)
        self.btn_back = QPushButton("上一步")
        self.btn_next = QPushButton("下一步")
        self.btn_next.setProperty("primary", True)
        self.btn_close = QPushButton("关闭")
        for b in (self.btn_back, self.btn_next, self.btn_close):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        self.btn_back.clicked.connect(self.back_step)
        self.btn_next.clicked.connect(self.next_step)
        self.btn_close.clicked.connect(self.reject)
        self._show_step(0)

    # --- pages -----------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("import_kind")
        for kind in KINDS.values():
            self.kind_box.addItem(kind.title, kind.key)
        form.addRow("导入为", self.kind_box)
        row = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("import_file")
        self.file_edit.setPlaceholderText("选择 Excel 工作簿（.xlsx）或 CSV 文件")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        form.addRow("台账文件", row)
        self.sheet_box = QComboBox()
        self.sheet_box.setObjectName("import_sheet")
        self.sheet_box.addItem("全部工作表（有表头的）", None)
        form.addRow("工作表", self.sheet_box)
        note = QLabel(
            "表头可以不在第一行（上方的标题行会跳过）；列名按本系统导出的列名和常见写法自动对应，"
            "下一步可以修改。已导入过的行（同一原台账编号、同一统一社会信用代码或完全相同的行）"
            "不会重复导入；中途取消或断电，再次导入会接着完成。")
        note.setWordWrap(True)
        form.addRow("", note)
        self.file_edit.editingFinished.connect(self._load_sheets)
        return page

    def _columns_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        top = QHBoxLayout()
        self.map_sheet = QComboBox()
        self.map_sheet.setObjectName("import_map_sheet")
        self.map_sheet.currentIndexChanged.connect(lambda _i: self._fill_columns())
        top.addWidget(QLabel("工作表"))
        top.addWidget(self.map_sheet)
        self.header_note = QLabel()
        top.addWidget(self.header_note, 1)
        box.addLayout(top)
        self.columns = QTableWidget(0, 3)
        self.columns.setObjectName("import_columns")
        self.columns.setHorizontalHeaderLabels(["台账中的列", "第一行的值", "导入为"])
        self.columns.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.columns.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.columns.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.ResizeToContents)
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        box.addWidget(self.columns, 1)
        self.missing_note = QLabel()
        self.missing_note.setObjectName("import_missing")
        self.missing_note.setStyleSheet("color: #b42318;")
        self.missing_note.setWordWrap(True)
        box.addWidget(self.missing_note)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        top = QHBoxLayout()
        self.check_summary = QLabel("正在检查…")
        self.check_summary.setObjectName("import_check_summary")
        top.addWidget(self.check_summary, 1)
        self.only_errors = QPushButton("只看有错误的行")
        self.only_errors.setCheckable(True)
        self.only_errors.toggled.connect(lambda _on: self._fill_preview())
        top.addWidget(self.only_errors)
        self.btn_report = QPushButton("保存错误报告…")
        self.btn_report.setObjectName("btn_import_report")
        self.btn_report.clicked.connect(self._save_report)
        top.addWidget(self.btn_report)
        box.addLayout(top)
        self.preview = QTableWidget(0, 0)
        self.preview.setObjectName("import_preview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        box.addWidget(self.preview, 1)
        self.check_bar = QProgressBar()
        box.addWidget(self.check_bar)
        return page

    def _import_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.import_label = QLabel("准备导入…")
        self.import_label.setObjectName("import_label")
        self.import_label.setWordWrap(True)
        box.addWidget(self.import_label)
        self.bar = QProgressBar()
        self.bar.setObjectName("import_progress")
        box.addWidget(self.bar)
        row = QHBoxLayout()
        self.btn_cancel = QPushButton("取消导入")
        self.btn_cancel.setObjectName("btn_import_cancel")
        self.btn_cancel.clicked.connect(self.cancel_import)
        self.btn_report_after = QPushButton("保存错误报告…")
        self.btn_report_after.setObjectName("btn_import_report_after")
        self.btn_report_after.clicked.connect(self._save_report)
        self.btn_report_after.setEnabled(False)
        row.addStretch(1)
        row.addWidget(self.btn_report_after)
        row.addWidget(self.btn_cancel)
        box.addLayout(row)
        self.import_errors = QLabel()
        self.import_errors.setObjectName("import_errors")
        self.import_errors.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.import_errors.setWordWrap(True)
        self.import_errors.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.import_errors, 1)
        return page

    # --- navigation ------------------------------------------------------------------------
    def _show_step(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.step_label.setText("　›　".join(
            f"<b>{s}</b>" if i == index else s for i, s in enumerate(STEPS)))
        self.btn_back.setEnabled(0 < index < 3)
        self.btn_next.setVisible(index < 3)
        self.btn_next.setText("开始导入" if index == 2 else "下一步")
        self.message.clear()

    @property
    def step(self) -> int:
        return self.pages.currentIndex()

    def back_step(self) -> None:
        if self.step == 2:
            self._cancel.set()  # a check under way stops after its batch
        if self.step > 0:
            self._show_step(self.step - 1)

    def next_step(self) -> None:
        if self.step == 0:
            self._detect()
        elif self.step == 1:
            self._show_step(2)
            self._check()
        elif self.step == 2:
            self.start_import()

    # --- step 1: file ------------------------------------------------------------------------
    def choose(self, path: Path, kind: str, sheet: str | None = None) -> None:
        """Fill step 1 (what 浏览… and the combo boxes do)."""
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
        self.file_edit.setText(str(path))
        self._load_sheets()
        if sheet is not None:
            self.sheet_box.setCurrentIndex(self.sheet_box.findData(sheet))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择台账文件", "",
                                              "台账文件 (*.xlsx *.xlsm *.csv)")
        if path:
            self.file_edit.setText(path)
            self._load_sheets()

    def _load_sheets(self) -> None:
        path = Path(self.file_edit.text().strip())
        self.sheet_box.clear()
        self.sheet_box.addItem("全部工作表（有表头的）", None)
        if not path.is_file() or path.suffix.lower() == ".csv":
            return
        try:
            names = sheet_names(path)
        except Exception:  # shown properly when 下一步 reads the file
            return
        for name in names:
            self.sheet_box.addItem(name, name)

    def _detect(self) -> None:
        text = self.file_edit.text().strip()
        if not text:
            self.message.setText("请先选择台账文件")
            return
        path, kind = Path(text), str(self.kind_box.currentData())
        sheet = self.sheet_box.currentData()
        desk = self.desk
        QueryOp(self, self.runner, lambda: ImportJob(desk, kind, path, sheet=sheet)) \
            .on_io().with_progress("正在读取台账…").error_title("无法读取台账") \
            .success(self._detected).run()

    def _detected(self, job: ImportJob) -> None:
        self.job = job
        self.check_result = None
        self.map_sheet.blockSignals(True)
        self.map_sheet.clear()
        for i, plan in enumerate(job.plans):
            if plan.columns is not None:
                self.map_sheet.addItem(plan.sheet.name or plan.sheet.path.name, i)
        self.map_sheet.blockSignals(False)
        self._fill_columns()
        self._show_step(1)

    # --- step 2: columns ---------------------------------------------------------------------
    def _plan_index(self) -> int:
        data = self.map_sheet.currentData()
        return int(data) if data is not None else 0

    def _fill_columns(self) -> None:
        job = self.job
        if job is None:
            return
        plan = job.plans[self._plan_index()]
        cols = plan.columns
        if cols is None:
            return
        self.header_note.setText(f"　表头在第{cols.header_row}行，约 {plan.total_rows} 行数据")
        first = job.first_row(self._plan_index())
        choices = [("", "（不导入）"), *targets_of(job.kind)]
        self.columns.setRowCount(len(cols.headers))
        for i, header in enumerate(cols.headers):
            self.columns.setItem(i, 0, QTableWidgetItem(header or f"（第{i + 1}列，无列名）"))
            self.columns.setItem(i, 1, QTableWidgetItem(first[i] if i < len(first) else ""))
            box = QComboBox()
            box.setObjectName(f"import_target_{i}")
            for target, label in choices:
                box.addItem(label, target)
            box.setCurrentIndex(max(box.findData(cols.targets[i]), 0))
            box.currentIndexChanged.connect(lambda _n, col=i, b=box: self.set_target(
                col, str(b.currentData())))
            self.columns.setCellWidget(i, 2, box)
        self._show_missing()

    def set_target(self, column: int, target: str) -> None:
        """Map a column to a field ("" = not imported); a column that held it lets go."""
        job = self.job
        if job is None:
            return
        index = self._plan_index()
        cols = job.plans[index].columns
        if cols is None:
            return
        job.set_columns(index, cols.with_target(column, target))
        self.check_result = None
        new = job.plans[index].columns
        assert new is not None
        for i, t in enumerate(new.targets):
            box = self.columns.cellWidget(i, 2)
            if isinstance(box, QComboBox) and box.currentData() != t:
                box.blockSignals(True)
                box.setCurrentIndex(max(box.findData(t), 0))
                box.blockSignals(False)
        self._show_missing()

    def _show_missing(self) -> None:
        job = self.job
        missing = job.missing_columns() if job else []
        self.missing_note.setText(
            ("缺少必填项的列：" + "、".join(missing) + "（没有这些值的行会报错）") if missing else "")

    # --- step 3: preview and check ----------------------------------------------------------
    def _check(self) -> None:
        job = self.job
        if job is None:
            return
        self.check_summary.setText("正在逐行检查（不写入）…")
        self.check_bar.setValue(0)
        self._fill_preview()
        self._cancel.clear()
        progress = self._progress

        cancel = self._cancel

        def work() -> ImportResult:
            return job.run(dry_run=True, progress=progress.moved.emit, cancelled=cancel.is_set)

        QueryOp(self, self.runner, work).error_title("无法检查台账").success(self._checked).run()

    def _checked(self, result: ImportResult) -> None:
        if result.cancelled:
            return  # left the page; the check starts again when it is shown
        self.check_result = result
        self.check_summary.setText(result.summary())
        self.btn_report.setEnabled(bool(result.problems))
        self.btn_next.setEnabled(result.imported > 0)
        self._fill_preview()
        self.checked.emit(result)

    def _fill_preview(self) -> None:
        job = self.job
        if job is None:
            return
        problems: dict[tuple[str, int], list[str]] = {}
        for p in self.check_result.problems if self.check_result else ():
            problems.setdefault((p.sheet, p.row), []).append(str(p).split("：", 1)[-1])
        rows: list[tuple[int, str, tuple[str, ...], dict[str, str]]]
        if self.only_errors.isChecked() and self.check_result is not None:
            seen: dict[tuple[str, int], tuple[str, ...]] = {}
            for p in self.check_result.problems:
                seen.setdefault((p.sheet, p.row), p.cells)
            rows = [(r, sh, cells, {}) for (sh, r), cells in list(seen.items())[:PREVIEW_ROWS]]
        else:
            rows = [(r, s, cells, errs) for r, s, cells, errs in job.preview(PREVIEW_ROWS)]
        targets = job.mapped_targets()
        self.preview.clear()
        self.preview.setColumnCount(len(targets) + 2)
        self.preview.setHorizontalHeaderLabels(
            ["行号", "错误", *(target_label(job.kind, t) for t in targets)])
        self.preview.setRowCount(len(rows))
        for n, (rno, sheet, cells, errs) in enumerate(rows):
            found = problems.get((sheet, rno), []) or [f"{k}：{m}" if k and k not in m else m
                                                       for k, m in errs.items()]
            where = f"{sheet} 第{rno}行" if sheet else f"第{rno}行"
            self.preview.setItem(n, 0, QTableWidgetItem(where))
            err = QTableWidgetItem("；".join(found) if found else "✓")
            if found:
                err.setToolTip("\n".join(found))
            self.preview.setItem(n, 1, err)
            values = job.by_target(sheet, cells)
            for c, target in enumerate(targets):
                self.preview.setItem(n, c + 2, QTableWidgetItem(values.get(target, "")))
            if found:
                for c in range(self.preview.columnCount()):
                    item = self.preview.item(n, c)
                    if item is not None:
                        item.setBackground(ERROR_BRUSH)
        self.preview.resizeColumnsToContents()
        for c in range(self.preview.columnCount()):
            self.preview.setColumnWidth(c, min(self.preview.columnWidth(c), 420 if c == 1 else 220))

    def _save_report(self) -> None:
        result = self.import_result or self.check_result
        if result is None or not result.problems or self.job is None:
            return
        default = self.job.path.with_name(f"{self.job.path.stem}-导入错误.xlsx")
        path, _ = QFileDialog.getSaveFileName(self, "保存错误报告", str(default), "Excel (*.xlsx)")
        if path:
            self.save_report(Path(path))

    def save_report(self, path: Path) -> None:
        done = self.import_result
        result = done if done is not None and done.problems else self.check_result
        if result is None:
            return
        QueryOp(self, self.runner, lambda: write_error_report(result, path)).on_io() \
            .error_title("无法保存错误报告") \
            .success(lambda _n: self.message.setText(f"错误报告已保存：{path}")).run()

    # --- step 4: import ----------------------------------------------------------------------
    def start_import(self) -> None:
        job = self.job
        if job is None:
            return
        self._show_step(3)
        self._importing = True
        self.btn_close.setEnabled(False)
        self.btn_cancel.setEnabled(True)
        self.bar.setValue(0)
        self.import_label.setText(f"正在导入 {job.path.name} 到{job.kind.title}…")
        self._cancel.clear()
        cancel, progress = self._cancel, self._progress

        def work() -> ImportResult:
            return job.run(progress=progress.moved.emit, cancelled=cancel.is_set)

        DeskOp(self, self.runner, work).error_title("导入未完成") \
            .changes(lambda r: r.changes).failure(self._failed).success(self._imported).run()

    def cancel_import(self) -> None:
        """Stop after the batch being written (what committed stays)."""
        self._cancel.set()
        self.btn_cancel.setEnabled(False)
        self.import_label.setText("正在取消（当前这一批写完后停止）…")

    def _moved(self, done: int, total: int) -> None:
        bar = self.bar if self.step == 3 else self.check_bar
        bar.setMaximum(max(total, 1))
        bar.setValue(min(done, total))
        bar.setFormat(f"{done}/{total} 行")

    def reject(self) -> None:
        if self._importing:  # Esc or the title bar's close while writing: cancel first
            self.message.setText("正在导入，请先点“取消导入”，当前这一批写完后即可关闭")
            return
        super().reject()

    def _failed(self, exc: BaseException) -> None:
        from .tasks import show_error

        self._importing = False
        self.btn_close.setEnabled(True)
        self.btn_cancel.setEnabled(False)
        self.import_label.setText("导入未完成。已写入的批次保留，再次导入会接着完成。")
        show_error(self, exc, "导入未完成")

    def _imported(self, result: ImportResult) -> None:
        self._importing = False
        self.import_result = result
        self.btn_close.setEnabled(True)
        self.btn_cancel.setEnabled(False)
        self.bar.setMaximum(max(result.rows, 1))
        self.bar.setValue(result.rows if not result.cancelled else self.bar.value())
        self.import_label.setText(result.summary())
        lines = [str(p) for p in result.problems[:50]]
        if len(result.problems) > 50:
            lines.append(f"……另有 {len(result.problems) - 50} 处，见错误报告")
        self.import_errors.setText("\n".join(lines))
        self.btn_report_after.setEnabled(bool(result.problems))
        self.finished_import.emit(result)


def attach_import(win: MainWindow) -> QPushButton:
    """The 导入台账 button in the main window's top bar, shown to supervisors and admins
    (`follow_role` after another clerk logs in)."""
    button = QPushButton("导入台账")
    button.setObjectName("btn_import")
    button.setToolTip("从 Excel/CSV 台账导入企业、咨询、调解等记录")
    layout = win.top.layout()
    assert isinstance(layout, QHBoxLayout)
    layout.insertWidget(layout.indexOf(win.top.btn_admin), button)

    def open_wizard() -> None:
        if win.desk.user.role not in IMPORT_ROLES:
            return
        wizard = ImportWizard(win.desk, win.runner, win)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()

    button.clicked.connect(open_wizard)
    follow_role(win, button)
    return button


def follow_role(win: MainWindow, button: QPushButton | None) -> None:
    if button is not None:
        button.setVisible(win.desk.user.role in IMPORT_ROLES)


__all__ = ["ImportWizard", "attach_import", "follow_role"]
