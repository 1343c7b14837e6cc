"""PDF preview (QtPdf) with a print button (QPrinter)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget


class PrintPreview(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("print_preview")
        self.setWindowTitle(f"打印预览 — {path.name}")
        self.path = path
        self.doc = QPdfDocument(self)
        self.doc.load(str(path))
        lay = QVBoxLayout(self)
        view = QPdfView(self)
        view.setPageMode(QPdfView.PageMode.MultiPage)
        view.setDocument(self.doc)
        lay.addWidget(view, 1)
        box = QDialogButtonBox()
        btn = box.addButton("打印…", QDialogButtonBox.ButtonRole.AcceptRole)
        btn.setObjectName("btn_do_print")
        box.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        box.accepted.connect(self.print_document)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.resize(760, 700)

    def print_document(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dlg = QPrintDialog(printer, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        painter = QPainter(printer)
        try:
            for i in range(self.doc.pageCount()):
                if i:
                    printer.newPage()
                rect = painter.viewport()
                size = self.doc.pagePointSize(i).toSize().scaled(
                    rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QPointF(0, 0), self.doc.render(i, size))
        finally:
            painter.end()
        self.accept()
