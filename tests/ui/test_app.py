"""Start-up: Qt's Chinese translations, the shipped font, first run → login → main window."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QDialog

from ui import app as app_mod
from ui.dialogs import FirstRunDialog, LoginDialog
from ui.main_window import MainWindow
from ui.theme import register_fonts


def test_theme_font_and_translations(qapp: QApplication) -> None:
    assert "WenQuanYi Zen Hei" in register_fonts()
    assert QFontInfo(qapp.font()).family() == "WenQuanYi Zen Hei"
    assert qapp.font().pointSizeF() == 10.5
    # Qt's own dialogs speak Chinese (qtbase_zh_CN)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    assert "invalid" in qapp.styleSheet()


def test_main_first_run_login_then_window(qapp: QApplication, tmp_path: Path,
                                          monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    shown: list[MainWindow] = []
    earlier = set(map(id, QApplication.topLevelWidgets()))

    def first_run_exec(self: FirstRunDialog) -> int:
        self.county.setCurrentIndex(self.county.findData("152223"))
        self.window_no.setText("02")
        self.password.setText("Admin2026x")
        self.password2.setText("Admin2026x")
        self.submit()
        return int(self.result())

    def login_exec(self: LoginDialog) -> int:
        self.username.setText("admin")
        self.password.setText("Admin2026x")
        self.submit()
        return int(self.result())

    def app_exec(*_a: Any) -> int:
        shown.extend(w for w in QApplication.topLevelWidgets()
                     if isinstance(w, MainWindow) and id(w) not in earlier and w.isVisible())
        return 0

    monkeypatch.setattr(FirstRunDialog, "exec", first_run_exec)
    monkeypatch.setattr(LoginDialog, "exec", login_exec)
    monkeypatch.setattr(app_mod, "_event_loop", app_exec)
    assert app_mod.main(str(tmp_path / "store")) == 0
    assert len(shown) == 1
    win = shown[0]
    assert win.status_window.text().startswith("扎赉特旗 02号窗口")
    assert win.status_user.text() == "系统管理员（管理员）"
    for w in shown:
        w.close()
        w.deleteLater()
    assert int(QDialog.DialogCode.Accepted) == 1
