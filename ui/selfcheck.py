"""The window part of `xingan-desk self-test`: in the installed or frozen program, the Qt
platform, the shipped Chinese font, Qt's Chinese translations, the main window on a store,
and the PDF preview all work. Called by name from xingan_desk/cli.py (the core stays Qt-free).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xingan_desk.desk import Desk


def check_window(desk: Desk, pdf: Path | None) -> None:
    """Raise AssertionError (with a Chinese reason) if a clerk would not get a usable window."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFontInfo

    from .app import make_app
    from .main_window import MainWindow
    from .tasks import TaskRunner

    app = make_app()
    assert QFontInfo(app.font()).family() == "WenQuanYi Zen Hei", "界面字体未能加载"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消", "Qt中文翻译未能加载"
    runner = TaskRunner()
    win = MainWindow(desk, runner)
    try:
        win.resize(1366, 768)
        win.show()
        app.processEvents()
        assert win.nav.count() >= 7, "主窗口导航不完整"
        image = win.grab().toImage()
        assert not image.isNull() and image.width() > 0, "主窗口无法绘制"
        if pdf is not None:
            from .print_preview import PrintPreview

            preview = PrintPreview(pdf, win)
            assert preview.doc.pageCount() >= 1, "打印预览无法打开PDF"
            preview.close()
    finally:
        win.close()
        runner.shutdown()
        app.processEvents()
