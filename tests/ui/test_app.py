"""Start-up: Qt's Chinese translations, the shipped font, first run → login → main window."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

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


def test_a_damaged_store_offers_the_newest_good_backup(qapp: QApplication, qtbot: Any,
                                                       tmp_path: Path, monkeypatch: Any) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from tests.conftest import ADMIN_PASSWORD
    from tests.core.test_recovery import damage
    from xingan_desk.demo import generate
    from xingan_desk.desk import Desk

    store = tmp_path / "store"
    desk = Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    generate(desk, 150, seed=6)
    good = desk.auto_backup()
    assert good is not None
    before = desk.counts_by_kind()
    desk.close()
    damage(desk.path)

    seen: list[str] = []

    def answer() -> None:  # the clerk reads each box and answers it
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                seen.append(w.text())
                button = w.findChild(QPushButton, "btn_restore")
                if button is not None:
                    button.click()
                else:
                    w.accept()
        if len(seen) < 2:
            QTimer.singleShot(50, answer)

    monkeypatch.setattr(LoginDialog, "exec", lambda self: int(QDialog.DialogCode.Rejected))
    QTimer.singleShot(50, answer)
    assert app_mod.main(str(store)) == 0
    assert "数据文件已损坏" in seen[0] and good.name in seen[0] and "是否现在从这份备份恢复" in seen[0]
    assert "已从备份" in seen[1] and "第2代" in seen[1]
    with Desk.open(store) as restored:
        assert restored.check() == []
        assert restored.counts_by_kind() == before


def test_a_locked_store_opens_with_the_login_password(qtbot: Any, tmp_path: Path) -> None:
    """On a PC without a keyring the encrypted store waits for a login password: the login
    dialog says so, a wrong password is refused next to the fields (and counts towards the
    lock), the right one unlocks the store and logs the clerk in."""
    from tests.conftest import ADMIN_PASSWORD
    from xingan_desk.desk import Desk
    from xingan_desk.storage import keys

    d = tmp_path / "w"
    Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    keys.forget_all()  # as after a restart: the key is not in this process any more
    assert Desk.is_locked(d)
    dlg = LoginDialog(None, locked_dir=str(d))
    qtbot.addWidget(dlg)
    dlg.show()
    assert "登录密码同时用于解锁" in " ".join(
        w.text() for w in dlg.findChildren(type(dlg.error)))
    dlg.username.setText("admin")
    dlg.password.setText("Wrong2026x")
    dlg.submit()
    assert dlg.error.isVisible() and "用户名或密码不正确" in dlg.error.text()
    assert dlg.result() != QDialog.DialogCode.Accepted
    dlg.password.setText(ADMIN_PASSWORD)
    dlg.submit()
    assert dlg.result() == QDialog.DialogCode.Accepted
    desk = dlg.desk
    try:
        assert desk.user.username == "admin"
        failed = [a for a in desk.audit_trail() if a.action == "login_failed"]
        assert len(failed) == 1  # the wrong password that could not even unlock the file
    finally:
        desk.close()
