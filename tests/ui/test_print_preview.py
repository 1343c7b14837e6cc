"""The print preview a clerk sees: pages, zoom, save as PDF, a clear word when no printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from tests.conftest import GOOD_MEDIATION


def _long_application(desk: Any, tmp_path: Path) -> Path:
    from xingan_desk.printing import render

    rec, _ = desk.create("mediation", {**GOOD_MEDIATION, "facts": "被申请人仿制播种机。" * 300})
    return render(desk, rec.receipt_no, tmp_path / "申请书.pdf",
                  document="mediation_application")


def test_preview_pages_zoom_and_save(qtbot: Any, desk: Any, tmp_path: Path) -> None:
    from ui.print_preview import PrintPreview

    pdf = _long_application(desk, tmp_path)
    dlg = PrintPreview(pdf)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.doc.pageCount() >= 2
    assert dlg.page_total.text() == f"页 / 共 {dlg.doc.pageCount()} 页"
    dlg.btn_zoom_in.click()
    assert dlg.zoom_label.text() == "125%" and abs(dlg.view.zoomFactor() - 1.25) < 1e-6
    dlg.btn_zoom_out.click()
    dlg.btn_zoom_out.click()
    assert dlg.zoom_label.text() == "75%"
    dlg.page.setValue(2)
    qtbot.waitUntil(lambda: dlg.view.pageNavigator().currentPage() == 1, timeout=2000)
    target = tmp_path / "副本"
    assert dlg.save_to(target)
    assert (tmp_path / "副本.pdf").read_bytes() == pdf.read_bytes()


def test_no_printer_is_said_in_chinese_and_keeps_the_preview(
    qtbot: Any, desk: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from PySide6.QtPrintSupport import QPrinterInfo

    from ui.print_preview import PrintPreview

    if QPrinterInfo.availablePrinters():
        import pytest

        pytest.skip("this machine has a printer")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text: shown.append(f"{title}：{text}"))
    dlg = PrintPreview(_long_application(desk, tmp_path))
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.btn_print.click()
    assert shown and "没有可用的打印机" in shown[0] and "另存为PDF" in shown[0]
    assert dlg.isVisible()


def test_printing_paints_every_page_on_the_documents_paper(qtbot: Any, desk: Any,
                                                           tmp_path: Path) -> None:
    """What goes to the printer: every page, on the PDF's own paper size, without margins,
    and the print is reported once (so it gets logged)."""
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    from ui.print_preview import PrintPreview

    pdf = _long_application(desk, tmp_path)
    printed: list[int] = []
    dlg = PrintPreview(pdf, on_output=lambda: printed.append(1))
    qtbot.addWidget(dlg)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    dlg.prepare(printer)
    assert dlg.print_to(printer)
    original, result = PdfReader(str(pdf)), PdfReader(str(out))
    assert len(result.pages) == len(original.pages) >= 2
    for a, b in zip(original.pages, result.pages, strict=True):
        assert abs(float(a.mediabox.width) - float(b.mediabox.width)) < 2
        assert abs(float(a.mediabox.height) - float(b.mediabox.height)) < 2
    assert out.stat().st_size > 50_000  # real page images, not blank pages
    assert printed == []  # print_to alone does not log; print_document reports the output
