"""PDF preview (QtPdf): zoom, page navigation, print through QPrinter, save as PDF.

The PDF was written by `xingan_desk.printing.render(..., log=False)` (补打 already stamped on
a reprint); the print is logged through `on_output` only when the paper is printed or saved.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.errors import file_error_reason

ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
PRINT_DPI = 300  # pages are rasterised at this resolution for the printer


def default_printer() -> Any:
    """A QPrinter on this PC's default printer, or None when there is none."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    info = QPrinterInfo.defaultPrinter()
    if info.isNull():
        return None
    return QPrinter(info, QPrinter.PrinterMode.HighResolution)


class PrintPreview(QDialog):
    """`on_output()` is called once the paper really leaves the program (printed or saved), so
    a preview the clerk closes unprinted is not logged as a print."""

    def __init__(self, path: Path, parent: QWidget | None = None,
                 on_output: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("print_preview")
        self.setWindowTitle(f"打印预览 — {path.name}")
        self.path = path
        self.on_output = on_output
        self.doc = QPdfDocument(self)
        self.doc.load(str(path))
        lay = QVBoxLayout(self)

        bar = QHBoxLayout()
        self.btn_zoom_out = self._button("缩小", "btn_zoom_out", bar)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("zoom_label")
        bar.addWidget(self.zoom_label)
        self.btn_zoom_in = self._button("放大", "btn_zoom_in", bar)
        self.btn_fit = self._button("适合宽度", "btn_fit_width", bar)
        bar.addSpacing(16)
        bar.addWidget(QLabel("第"))
        self.page = QSpinBox()
        self.page.setObjectName("page_number")
        self.page.setRange(1, max(1, self.doc.pageCount()))
        bar.addWidget(self.page)
        self.page_total = QLabel(f"页 / 共 {self.doc.pageCount()} 页")
        bar.addWidget(self.page_total)
        bar.addStretch(1)
        lay.addLayout(bar)

        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setDocument(self.doc)
        lay.addWidget(self.view, 1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.btn_save = self._button("另存为PDF…", "btn_save_pdf", buttons)
        self.btn_print = self._button("打印…（Ctrl+P）", "btn_do_print", buttons)
        self.btn_print.setDefault(True)
        self._button("关闭（Esc）", "btn_close", buttons).clicked.connect(self.reject)
        lay.addLayout(buttons)

        self._zoom = 1.0
        self.btn_zoom_in.clicked.connect(lambda: self.step_zoom(+1))
        self.btn_zoom_out.clicked.connect(lambda: self.step_zoom(-1))
        self.btn_fit.clicked.connect(self.fit_width)
        self.page.valueChanged.connect(self.go_to_page)
        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
        self.btn_save.clicked.connect(self.save_as)
        self.btn_print.clicked.connect(self.print_document)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_document)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.step_zoom(+1))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.step_zoom(-1))
        self.resize(820, 720)
        self.set_zoom(1.0)

    @staticmethod
    def _button(text: str, name: str, layout: QHBoxLayout) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        layout.addWidget(b)
        return b

    # --- view ------------------------------------------------------------------------------
    def set_zoom(self, factor: float) -> None:
        self._zoom = factor
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(factor)
        self.zoom_label.setText(f"{round(factor * 100)}%")

    def step_zoom(self, direction: int) -> None:
        steps = [s for s in ZOOM_STEPS if (s > self._zoom if direction > 0 else s < self._zoom)]
        if steps:
            self.set_zoom(steps[0] if direction > 0 else steps[-1])

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.zoom_label.setText("适合宽度")

    def go_to_page(self, number: int) -> None:
        nav = self.view.pageNavigator()
        if nav.currentPage() != number - 1:
            nav.jump(number - 1, QPointF(), nav.currentZoom())

    def _page_changed(self, index: int) -> None:
        if self.page.value() != index + 1:
            self.page.blockSignals(True)
            self.page.setValue(index + 1)
            self.page.blockSignals(False)

    # --- output ----------------------------------------------------------------------------
    def save_as(self) -> None:
        target, _ = QFileDialog.getSaveFileName(self, "另存为PDF", self.path.name, "PDF 文件 (*.pdf)")
        if target:
            self.save_to(Path(target))

    def save_to(self, target: Path) -> bool:
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            shutil.copyfile(self.path, target)
        except OSError as exc:
            QMessageBox.warning(self, "无法保存", f"无法写入 {target}：{file_error_reason(exc)}")
            return False
        self._output()
        return True

    def _output(self) -> None:
        if self.on_output is not None:
            self.on_output()

    def print_document(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo

        if not QPrinterInfo.availablePrinters():
            QMessageBox.information(
                self, "没有打印机",
                "本机没有可用的打印机。请检查打印机连接，或点“另存为PDF…”保存后到其他电脑打印。")
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.prepare(printer)
        dlg = QPrintDialog(printer, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        if self.print_to(printer):
            self._output()
            self.accept()

    def print_without_dialog(self, printer: Any) -> bool:
        """Straight to `printer` (the default one, for Ctrl+P with direct printing on); the
        print is logged like one from the dialog."""
        self.prepare(printer)
        if not self.print_to(printer):
            return False
        self._output()
        return True

    def prepare(self, printer: Any) -> None:
        """The paper of the PDF (A4 or the 80 mm roll), no extra margins."""
        from PySide6.QtCore import QMarginsF
        from PySide6.QtGui import QPageLayout, QPageSize

        if self.doc.pageCount():
            size = QPageSize(self.doc.pagePointSize(0), QPageSize.Unit.Point, "",
                             QPageSize.SizeMatchPolicy.FuzzyMatch)
            printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait,
                                              QMarginsF(0, 0, 0, 0)))
        printer.setFullPage(True)
        printer.setDocName(self.path.stem)

    def print_to(self, printer: Any) -> bool:
        """Paint every page onto `printer`, each rasterised at PRINT_DPI (a page at the
        printer's own 1200 dpi would need half a gigabyte of memory)."""
        painter = QPainter()
        if not painter.begin(printer):
            QMessageBox.warning(self, "无法打印", "打印机没有响应，请检查打印机后重试。")
            return False
        try:
            for i in range(self.doc.pageCount()):
                if i:
                    printer.newPage()
                points = self.doc.pagePointSize(i)
                image = self.doc.render(i, QSize(round(points.width() * PRINT_DPI / 72),
                                                 round(points.height() * PRINT_DPI / 72)))
                target = QRectF(painter.viewport())
                scaled = points.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRectF(QPointF(0, 0), scaled), image)
        finally:
            painter.end()
        return True
