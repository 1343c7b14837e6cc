"""附件 on the record detail: the materials scanned for a record.

The panel sits under the detail's values (`attach_attachment_panel(win)`): a material-type
choice (the record's checklist rows first, the missing ones marked) and 添加文件… / 粘贴图片 /
高拍仪拍照 — choosing a checklist row and attaching its scan is one step (the core ticks the row
已收). Files can also be dropped on the panel. Thumbnails (images scaled, a PDF's first page
rendered by QtPdf), double-click for the viewer (the PDF's pages rendered by QtPdf in memory,
images scaled to the window), a menu for 另存为… and 作废… (with a reason). The document camera uses QtMultimedia
where it can be loaded and a camera is connected; otherwise its button says why it is off.
Every Desk call is an operation (ui/ops.py); files are read and written on the I/O lane.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.attachments.part import AttachmentView, size_text

from .ops import DeskOp, Latest, QueryOp

if TYPE_CHECKING:
    from .main_window import MainWindow

THUMB = QSize(96, 96)
MAX_VIEW_PAGES = 60  # pages the viewer renders (a longer file: 另存为 and a PDF reader)
FILE_FILTER = "扫描件 (*.pdf *.jpg *.jpeg *.png *.tif *.tiff);;所有文件 (*)"


def thumbnail(data: bytes, mime: str, size: QSize = THUMB) -> QPixmap:
    """A thumbnail of an image or a PDF's first page (an empty pixmap when it cannot be read)."""
    if mime == "application/pdf":
        from PySide6.QtPdf import QPdfDocument

        doc = QPdfDocument()
        buf = QBuffer()
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        doc.load(buf)
        if doc.pageCount() < 1:
            return QPixmap()
        page = doc.pagePointSize(0)
        scale = min(size.width() / max(page.width(), 1), size.height() / max(page.height(), 1))
        image = doc.render(0, QSize(max(1, int(page.width() * scale)),
                                    max(1, int(page.height() * scale))))
        doc.close()
        paper = QImage(image.size(), QImage.Format.Format_RGB32)  # pages render transparent
        paper.fill(Qt.GlobalColor.white)
        painter = QPainter(paper)
        painter.drawImage(0, 0, image)
        painter.setPen(Qt.GlobalColor.gray)
        painter.drawRect(0, 0, paper.width() - 1, paper.height() - 1)
        painter.end()
        return QPixmap.fromImage(paper)
    image = QImage.fromData(data)
    if image.isNull():
        return QPixmap()
    return QPixmap.fromImage(image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))


def png_bytes(image: QImage) -> bytes:
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")  # type: ignore[call-overload]  # (the stubs say bytes; str works)
    return bytes(buf.data().data())


def camera_devices() -> tuple[list[Any], str]:
    """The cameras (高拍仪 are UVC cameras) and, when there are none, why."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # QtMultimedia cannot load here (no multimedia libraries)
        return [], "此电脑无法使用摄像头功能（缺少多媒体组件），请用扫描件添加"
    devices = list(QMediaDevices.videoInputs())
    return devices, "" if devices else "未检测到高拍仪或摄像头"


class AttachmentViewer(QDialog):
    """One attachment: a PDF's pages rendered by QtPdf, fit to width; an image scaled to the
    window."""

    def __init__(self, parent: QWidget | None, att: AttachmentView, data: bytes) -> None:
        super().__init__(parent)
        self.setObjectName("attachment_viewer")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"附件 {att.no}：{att.name}（{att.material}，{att.pages}页）")
        self.resize(900, 680)
        layout = QVBoxLayout(self)
        if att.mime == "application/pdf":
            # every page rendered by QtPdf (QPdfDocument) into the scroll area, fit to width:
            # no file on disk (the content stays in memory), no background renderer
            from PySide6.QtPdf import QPdfDocument

            doc = QPdfDocument(self)
            buf = QBuffer(self)
            buf.setData(QByteArray(data))
            buf.open(QIODevice.OpenModeFlag.ReadOnly)
            doc.load(buf)
            self.pages = doc.pageCount()
            box = QWidget()
            box.setObjectName("attachment_pdf")
            column = QVBoxLayout(box)
            column.setSpacing(12)
            self.page_labels: list[QLabel] = []
            width = 820
            for i in range(min(self.pages, MAX_VIEW_PAGES)):
                size = doc.pagePointSize(i)
                height = int(width * size.height() / max(size.width(), 1))
                image = doc.render(i, QSize(width, max(1, height)))
                paper = QImage(image.size(), QImage.Format.Format_RGB32)
                paper.fill(Qt.GlobalColor.white)
                painter = QPainter(paper)
                painter.drawImage(0, 0, image)
                painter.end()
                label = QLabel()
                label.setPixmap(QPixmap.fromImage(paper))
                label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                column.addWidget(label)
                self.page_labels.append(label)
            if self.pages > MAX_VIEW_PAGES:
                column.addWidget(QLabel(f"（共{self.pages}页，此处显示前{MAX_VIEW_PAGES}页；"
                                        "全部页面请“另存为”后用 PDF 阅读器查看）"))
            doc.close()
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            scroll.setWidget(box)
            layout.addWidget(scroll)
        else:
            self.image = QImage.fromData(data)
            self.pages = 1
            self.label = QLabel()
            self.label.setObjectName("attachment_image")
            self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(self.label)
            layout.addWidget(scroll)
            self._scale()
        close = QPushButton("关闭")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    def _scale(self) -> None:
        if self.image.isNull():
            self.label.setText("无法显示该图片")
            return
        box = self.size() - QSize(40, 80)
        self.label.setPixmap(QPixmap.fromImage(self.image.scaled(
            box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if hasattr(self, "label"):
            self._scale()


class CameraDialog(QDialog):
    """Capture one page from a document camera (QtMultimedia); `captured` carries the image."""

    captured = Signal(QImage)

    def __init__(self, parent: QWidget | None, device: Any) -> None:
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession
        from PySide6.QtMultimediaWidgets import QVideoWidget

        super().__init__(parent)
        self.setObjectName("camera_dialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("高拍仪拍照")
        self.resize(800, 640)
        self.camera = QCamera(device, self)
        self.session = QMediaCaptureSession(self)
        self.capture = QImageCapture(self)
        video = QVideoWidget(self)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.session.setVideoOutput(video)
        self.capture.imageCaptured.connect(self._got)
        shoot = QPushButton("拍照并添加")
        shoot.setProperty("primary", True)
        shoot.clicked.connect(lambda: self.capture.capture())
        cancel = QPushButton("取消")
        cancel.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(shoot)
        row.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(video, 1)
        layout.addLayout(row)
        self.camera.start()

    def _got(self, _id: int, image: QImage) -> None:
        self.captured.emit(image)
        self.close()

    def closeEvent(self, event: Any) -> None:
        self.camera.stop()
        super().closeEvent(event)


class AttachmentPanel(QWidget):
    """The attachments of the record shown in the detail panel."""

    def __init__(self, desk: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachments")
        self.desk = desk
        self.runner = runner
        self.record_id: str | None = None
        self.items: list[AttachmentView] = []
        self.missing: list[str] = []
        self._latest = Latest()
        self._thumbs: dict[str, QPixmap] = {}
        self.setAcceptDrops(True)

        self.title = QLabel("附件")
        self.title.setObjectName("attachments_title")
        self.title.setProperty("role", "field_label")
        self.material = QComboBox()
        self.material.setObjectName("attachment_material")
        self.material.setToolTip("材料类型：选清单中的材料并添加扫描件，该项即记为已收")
        self.material.setMinimumContentsLength(10)
        self.material.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.btn_add = QPushButton("添加文件…")
        self.btn_add.setObjectName("btn_attach_file")
        self.btn_add.clicked.connect(self.choose_files)
        self.btn_paste = QPushButton("粘贴图片")
        self.btn_paste.setObjectName("btn_attach_paste")
        self.btn_paste.setToolTip("把剪贴板中的图片（截图、复制的扫描页）添加为附件（Ctrl+Shift+V）")
        self.btn_paste.clicked.connect(self.paste_image)
        self.btn_camera = QPushButton("高拍仪拍照")
        self.btn_camera.setObjectName("btn_attach_camera")
        self.btn_camera.clicked.connect(self.open_camera)
        self.cameras, why = camera_devices()
        self.btn_camera.setEnabled(bool(self.cameras))
        self.btn_camera.setToolTip(why or "用高拍仪拍下一页材料并添加")
        QShortcut(QKeySequence("Ctrl+Shift+V"), self, self.paste_image)

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title)
        head.addWidget(self.material, 1)
        head.addWidget(self.btn_add)
        head.addWidget(self.btn_paste)
        head.addWidget(self.btn_camera)

        self.list = QListWidget()
        self.list.setObjectName("attachment_list")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(128, 150))
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setWordWrap(True)
        self.list.setFixedHeight(160)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemDoubleClicked.connect(lambda it: self.open_viewer(self._at(it)))
        self.hint = QLabel("可把扫描件拖到这里")
        self.hint.setObjectName("attachments_hint")
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)  # the list of missing materials can be long
        self.hint.setMinimumWidth(200)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        runner.bus.changed.connect(self._changed)
        self.setEnabled(False)

    # --- what is shown -------------------------------------------------------------------
    def show_for(self, record_id: str | None) -> None:
        self.record_id = record_id
        if record_id is None:
            self._latest.supersede()
            self.setEnabled(False)
            self.list.clear()
            self.items = []
            self.title.setText("附件")
            return
        desk = self.desk

        def load() -> tuple[bool, list[AttachmentView], list[str], list[str], dict[str, bytes]]:
            voided = desk.get(record_id).voided
            items = desk.list_attachments(record_id)
            types = desk.material_types(record_id)
            missing = desk.missing_materials(record_id)
            data: dict[str, bytes] = {}
            for a in items:
                if a.have_content and a.sha256 not in self._thumbs and a.sha256 not in data:
                    try:
                        data[a.sha256] = desk.attachment_content(a.id)
                    except Exception:  # a damaged file is reported by check; no thumbnail
                        data[a.sha256] = b""
            return voided, items, types, missing, data

        QueryOp(self, self.runner, load).latest(self._latest).success(self._show).run()

    def _show(self, result: tuple[bool, list[AttachmentView], list[str], list[str],
                                  dict[str, bytes]]) -> None:
        voided, items, types, missing, data = result
        self.items, self.missing = items, missing
        self.setEnabled(not voided)
        chosen = self.material.currentData()
        self.material.clear()
        for t in types:
            self.material.addItem(f"{t}（缺）" if t in missing else t, t)
        if chosen in types:
            self.material.setCurrentIndex(types.index(chosen))
        elif missing:
            self.material.setCurrentIndex(types.index(missing[0]))
        for a in items:
            if a.sha256 in data:
                self._thumbs[a.sha256] = thumbnail(data[a.sha256], a.mime)
        self.list.clear()
        live = [a for a in items if not a.voided]
        for a in items:
            text = f"{a.no}. {a.name}\n{a.material} · {a.pages}页"
            if a.voided:
                text += "\n（已作废）"
            elif not a.have_content:
                text += "\n（待下载）"
            item = QListWidgetItem(text)
            pix = self._thumbs.get(a.sha256)
            if pix is not None and not pix.isNull():
                item.setIcon(QIcon(pix))
            item.setToolTip(f"{a.name}\n{a.material}，{a.pages}页，{size_text(a.size)}\n"
                            f"{a.created_by} {a.created_at:%Y-%m-%d %H:%M}\nSHA-256 {a.sha256}"
                            + (f"\n作废原因：{a.void_reason}" if a.voided else ""))
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            if a.voided:
                item.setForeground(Qt.GlobalColor.gray)
            self.list.addItem(item)
        self.title.setText(f"附件（{len(live)}）")
        self.hint.setText("可把扫描件拖到这里" + (f"；尚缺：{'、'.join(missing)}" if missing else ""))

    def _changed(self, changes: Any, _origin: object) -> None:
        if self.record_id and (changes is None or self.record_id in changes.records):
            self.show_for(self.record_id)

    def _at(self, item: QListWidgetItem | None) -> AttachmentView | None:
        if item is None:
            return None
        att_id = item.data(Qt.ItemDataRole.UserRole)
        return next((a for a in self.items if a.id == att_id), None)

    # --- adding --------------------------------------------------------------------------
    def chosen_material(self) -> str | None:
        value = self.material.currentData()
        return str(value) if value else None

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "添加附件", "", FILE_FILTER)
        self.add_files([Path(n) for n in names])

    def add_files(self, paths: list[Path]) -> None:
        rid, material, desk = self.record_id, self.chosen_material(), self.desk
        if rid is None or not paths:
            return

        def work() -> Any:
            out = None
            for p in paths:
                out = desk.attach_file(rid, p, material)
            return out

        DeskOp(self, self.runner, work).error_title("附件未添加").with_progress(
            "正在添加附件…").run()

    def add_image(self, image: QImage, name: str) -> None:
        rid, material, desk = self.record_id, self.chosen_material(), self.desk
        if rid is None or image.isNull():
            return
        data = png_bytes(image)
        DeskOp(self, self.runner, lambda: desk.attach(rid, data, name, material)).error_title(
            "附件未添加").run()

    def paste_image(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            from xingan_desk.errors import ValidationFailed

            from .tasks import show_error

            show_error(self, ValidationFailed({"file": "剪贴板中没有图片"}), "附件未添加")
            return
        self.add_image(image, f"粘贴图片-{dt.datetime.now():%Y%m%d-%H%M%S}.png")

    def open_camera(self) -> None:
        if not self.cameras:
            return
        dlg = CameraDialog(self, self.cameras[0])
        dlg.captured.connect(
            lambda img: self.add_image(img, f"高拍仪-{dt.datetime.now():%Y%m%d-%H%M%S}.png"))
        dlg.open()

    def dragEnterEvent(self, event: Any) -> None:
        if self.isEnabled() and (event.mimeData().hasUrls() or event.mimeData().hasImage()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        mime = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            self.add_files(paths)
        elif mime.hasImage():
            self.add_image(QImage(mime.imageData()),
                           f"拖入图片-{dt.datetime.now():%Y%m%d-%H%M%S}.png")
        event.acceptProposedAction()

    # --- one attachment ------------------------------------------------------------------
    def _menu(self, pos: Any) -> None:
        att = self._at(self.list.itemAt(pos))
        if att is None:
            return
        menu = QMenu(self)
        menu.addAction("查看", lambda: self.open_viewer(att))
        menu.addAction("另存为…", lambda: self.save_as(att))
        if not att.voided:
            menu.addAction("作废…", lambda: self.void(att))
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def _content(self, att: AttachmentView) -> Any:
        """The file's bytes; one not downloaded yet is fetched from central first."""
        desk = self.desk
        if att.have_content:
            return QueryOp(self, self.runner, lambda: desk.attachment_content(att.id))

        def fetch() -> bytes:
            from xingan_desk.attachments.sync import fetch_now

            return fetch_now(desk, att.id)

        return QueryOp(self, self.runner, fetch).on_io().with_progress("正在从中心下载附件…")

    def open_viewer(self, att: AttachmentView | None) -> None:
        if att is None:
            return
        self._content(att).success(lambda data: self._view(att, data)).run()

    def _view(self, att: AttachmentView, data: bytes) -> None:
        self.viewer = AttachmentViewer(self.window(), att, data)
        self.viewer.show()
        if not att.have_content and self.record_id:
            self.show_for(self.record_id)

    def save_as(self, att: AttachmentView) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "另存附件", att.name)
        if not name:
            return

        def write(data: bytes) -> None:
            QueryOp(self, self.runner, lambda: Path(name).write_bytes(data)).on_io().run()

        self._content(att).success(write).run()

    def void(self, att: AttachmentView) -> None:
        reason, ok = QInputDialog.getText(self, "作废附件",
                                          f"作废附件 {att.no}（{att.name}）\n请填写原因：")
        if ok:
            self.void_with_reason(att, reason)

    def void_with_reason(self, att: AttachmentView, reason: str) -> None:
        desk = self.desk
        DeskOp(self, self.runner, lambda: desk.void_attachment(att.id, reason)).error_title(
            "附件未作废").run()


def attach_attachment_panel(win: MainWindow) -> AttachmentPanel:
    """Put the panel under the detail panel's values; it follows the record shown."""
    panel = AttachmentPanel(win.desk, win.runner, win.detail)
    layout = win.detail.layout()
    assert layout is not None
    layout.addWidget(panel)
    win.commands.record_shown.connect(panel.show_for)
    return panel


__all__ = ["AttachmentPanel", "AttachmentViewer", "CameraDialog", "attach_attachment_panel",
           "camera_devices", "thumbnail"]


# --- screenshots (ui/screenshots.py) -------------------------------------------------------------
def demo_scan(title: str, lines: list[str], *, paper: str = "#fbfaf6") -> QImage:
    """A page that looks like a scanned form (for the screenshots' demo attachments)."""
    from PySide6.QtGui import QColor, QFont

    page = QImage(1240, 1754, QImage.Format.Format_RGB32)
    page.fill(QColor(paper))
    p = QPainter(page)
    font = QFont()
    font.setPixelSize(64)
    font.setBold(True)
    p.setFont(font)
    p.drawText(0, 120, 1240, 120, Qt.AlignmentFlag.AlignCenter, title)
    font.setPixelSize(34)
    font.setBold(False)
    p.setFont(font)
    for i, line in enumerate(lines):
        p.drawText(140, 360 + i * 90, line)
        p.drawLine(140, 380 + i * 90, 1100, 380 + i * 90)
    p.setPen(QColor("#c0392b"))
    p.drawEllipse(820, 1300, 300, 300)
    p.end()
    return page


def demo_pdf(pages: list[QImage]) -> bytes:
    """A PDF with one page per image (QPdfWriter)."""
    from PySide6.QtGui import QPageSize, QPdfWriter

    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(150)
    p = QPainter(writer)
    for i, img in enumerate(pages):
        if i:
            writer.newPage()
        p.drawImage(p.viewport(), img)
    p.end()
    buf.close()
    return bytes(buf.data().data())


def render_attachment_screens(desk: Any, runner: Any, win: Any, out: Path,
                              save: Any, pump: Any) -> list[Path]:
    """attachments.png (the panel on a 预审备案 with scans) and attachment_viewer.png."""
    from xingan_desk.views import Query

    from .main_window import AREAS

    ids = desk.find_ids(Query(kind="preexam_filing", limit=20))
    ids = [i for i in ids if desk.can_edit(desk.get(i)) and not desk.get(i).voided]
    if not ids:
        return []
    rid = ids[0]
    if not desk.list_attachments(rid):
        items = desk.material_types(rid)
        licence = demo_pdf([demo_scan("营业执照", ["名称：兴安新材料有限公司",
                                                  "统一社会信用代码：91152201MA0N12340P",
                                                  "类型：有限责任公司", "住所：乌兰浩特市"])])
        desk.attach(rid, licence, "营业执照扫描件.pdf", items[1])
        form = demo_pdf([demo_scan("专利预审承诺书", ["本单位承诺所提交材料真实有效",
                                                   "不提交非正常专利申请"]),
                         demo_scan("专利预审承诺书（续）", ["法定代表人（签字）：", "单位（盖章）："])])
        desk.attach(rid, form, "承诺书.pdf", items[2])
        photo = demo_scan("社保缴纳证明", ["参保人：研发人员3名", "缴费月份：近3个月"],
                          paper="#e6eef5")
        desk.attach(rid, png_bytes(photo.scaled(620, 877)), "社保证明（高拍仪）.png", items[3])
    row = [k for k, _ in AREAS].index("preexam_filing")
    win.nav.setCurrentRow(row)
    pump(lambda: not runner.busy)
    win.records.search.setText(desk.get(rid).receipt_no)
    pump(lambda: not runner.busy and win.model is not None and win.model.rowCount() >= 1)
    win.table.selectRow(0)
    panel: AttachmentPanel = win.attachment_panel
    pump(lambda: not runner.busy and panel.list.count() >= 3)
    saved = [save(win, out, "attachments")]
    panel.open_viewer(panel.items[1])
    pump(lambda: getattr(panel, "viewer", None) is not None and not runner.busy)
    viewer = getattr(panel, "viewer", None)
    if viewer is not None:
        pump(timeout=2.5)  # QtPdf renders pages in the background
        saved.append(save(viewer, out, "attachment_viewer"))
        viewer.close()
    win.records.search.setText("")
    pump(lambda: not runner.busy)
    return saved
