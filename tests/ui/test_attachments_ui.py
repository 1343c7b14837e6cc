"""附件 on the record detail, as a clerk uses it: choose the material, add a scan (file,
drop, paste), see thumbnails, open the viewer, void with a reason; the camera button is off
without a camera. Screenshot at 1366×768 (docs/screenshots/attachments.png)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from tests import attach_samples as samples
from tests.conftest import GOOD_CONSULTATION
from tests.ui.qt_helpers import open_main_window
from ui.attachments import AttachmentPanel, AttachmentViewer

ROOT = Path(__file__).resolve().parents[2]


def _filing(desk: Any) -> Any:
    cons, _ = desk.create("consultation", GOOD_CONSULTATION)
    pre = desk.handover(cons.id, "preexam_filing")
    filing, _ = desk.create("preexam_filing", {**pre, "field": "new_materials",
                                               "invention_patents": 1}, handover_from=cons.id)
    return filing


def _open(qtbot: Any, desk: Any, runner: Any) -> tuple[Any, AttachmentPanel]:
    win = open_main_window(qtbot, desk, runner)
    win.nav.setCurrentRow(2)  # 预审备案
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 1, timeout=5000)
    win.table.selectRow(0)
    panel: AttachmentPanel = win.attachment_panel
    qtbot.waitUntil(lambda: panel.isEnabled() and panel.material.count() > 0, timeout=5000)
    return win, panel


def test_choose_a_checklist_row_and_attach_its_scan_in_one_step(
        qtbot: Any, desk: Any, runner: Any, tmp_path: Path) -> None:
    filing = _filing(desk)
    win, panel = _open(qtbot, desk, runner)
    item = "营业执照或事业单位法人证书"
    texts = [panel.material.itemText(i) for i in range(panel.material.count())]
    assert f"{item}（缺）" in texts  # the missing rows are marked
    panel.material.setCurrentIndex(texts.index(f"{item}（缺）"))
    scan = tmp_path / "营业执照.pdf"
    scan.write_bytes(samples.pdf(2))
    panel.add_files([scan])
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=5000)
    first = panel.list.item(0)
    assert "营业执照.pdf" in first.text() and "2页" in first.text()
    assert not first.icon().isNull()  # the PDF's first page as its thumbnail
    rows = {r["item"]: r["status"] for r in desk.get(filing.id).values["materials"]}
    assert rows[item] == "received"  # ticked by attaching
    qtbot.waitUntil(lambda: f"{item}（缺）" not in
                    [panel.material.itemText(i) for i in range(panel.material.count())],
                    timeout=5000)
    assert panel.title.text() == "附件（1）"

    # a file dropped on the panel, an image pasted from the clipboard
    photo = tmp_path / "社保证明.png"
    photo.write_bytes(samples.png(120, 80))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    drop = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(drop)
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=5000)
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    QGuiApplication.clipboard().setImage(image)
    panel.btn_paste.click()
    qtbot.waitUntil(lambda: panel.list.count() == 3, timeout=5000)
    assert "粘贴图片" in panel.list.item(2).text()
    assert all(not panel.list.item(i).icon().isNull() for i in range(3))

    # the camera button is off without a camera, and says why
    assert not panel.btn_camera.isEnabled() and panel.btn_camera.toolTip()

    # screenshot at the hall monitor's size
    qtbot.wait(200)
    out = ROOT / "docs" / "screenshots" / "attachments.png"
    if os.environ.get("XINGAN_SCREENSHOTS"):
        assert win.grab().save(str(out))


def test_viewer_shows_pdf_pages_and_scaled_images_and_voiding_needs_a_reason(
        qtbot: Any, desk: Any, runner: Any) -> None:
    filing = _filing(desk)
    desk.attach(filing.id, samples.pdf(3), "申请表.pdf", "专利申请预审服务备案申请表")
    desk.attach(filing.id, samples.png(800, 600), "承诺书.png", "专利预审承诺书")
    _win, panel = _open(qtbot, desk, runner)
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=5000)
    panel.open_viewer(panel.items[0])
    qtbot.waitUntil(lambda: isinstance(getattr(panel, "viewer", None), AttachmentViewer),
                    timeout=5000)
    viewer = panel.viewer
    assert viewer.pages == 3 and "申请表.pdf" in viewer.windowTitle()
    assert len(viewer.page_labels) == 3
    assert all(not lab.pixmap().isNull() for lab in viewer.page_labels)
    viewer.close()
    panel.open_viewer(panel.items[1])
    qtbot.waitUntil(lambda: panel.viewer is not viewer, timeout=5000)
    shown = panel.viewer.label.pixmap()
    assert not shown.isNull() and shown.width() <= panel.viewer.width()
    panel.viewer.close()

    panel.void_with_reason(panel.items[1], "  ")  # refused: no reason
    qtbot.waitUntil(lambda: bool([w for w in QApplication.topLevelWidgets()
                                  if w.objectName() == "error_dialog" and w.isVisible()]),
                    timeout=5000)
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "error_dialog":
            assert "原因" in w.text()
            w.close()
    panel.void_with_reason(panel.items[1], "扫描不清")
    qtbot.waitUntil(lambda: "已作废" in panel.list.item(1).text(), timeout=5000)
    assert panel.title.text() == "附件（1）"
    assert desk.list_attachments(filing.id)[1].void_reason == "扫描不清"


def test_the_size_limit_is_set_in_the_settings_and_a_larger_file_is_refused_clearly(
        qtbot: Any, desk: Any, runner: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox

    from tests.ui.qt_helpers import child
    from ui.admin import AdminDialog

    dlg = AdminDialog(desk, runner, None, tab="print")
    qtbot.addWidget(dlg)
    dlg.show()
    page = dlg.page("print")
    spin = child(page, QSpinBox, "attachment_max_mb")
    qtbot.waitUntil(lambda: spin.value() == 20, timeout=3000)  # the default
    spin.setValue(1)
    child(page, QPushButton, "btn_print_save").click()
    qtbot.waitUntil(lambda: "已保存" in child(page, QLabel, "print_message").text(),
                    timeout=3000)
    dlg.close()
    assert desk.attachments.max_mb() == 1
    _filing(desk)
    _win, panel = _open(qtbot, desk, runner)
    big = tmp_path / "大扫描件.pdf"
    big.write_bytes(samples.big_pdf(1_500_000))
    panel.add_files([big])
    qtbot.waitUntil(lambda: bool([w for w in QApplication.topLevelWidgets()
                                  if w.objectName() == "error_dialog" and w.isVisible()]),
                    timeout=5000)
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "error_dialog" and w.isVisible():
            assert "大扫描件.pdf" in w.text() and "超过单个附件 1 MB 的上限" in w.text()
            w.close()
    assert panel.list.count() == 0
