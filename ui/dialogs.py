"""Start-up dialogs: first run (window identity + admin), login, drafts offered back."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.catalogs import active_choices
from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError, PermissionDenied, ValidationFailed
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import format_datetime

from .tasks import show_error

APP_TITLE = "兴安盟知识产权服务窗口系统"


def error_label(name: str) -> QLabel:
    """A hidden red message line beside a field (shown by `_set_error`)."""
    lab = QLabel()
    lab.setObjectName(name)
    lab.setProperty("role", "error")
    lab.setWordWrap(True)
    lab.hide()
    return lab


def _set_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


class FirstRunDialog(QDialog):
    """This PC has no window identity yet: county, window number, admin password."""

    def __init__(self, data_dir: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("first_run")
        self.setWindowTitle("首次设置")  # Qt adds the application's display name
        self.data_dir = data_dir
        self.desk: Desk | None = None
        lay = QVBoxLayout(self)
        intro = QLabel("这台电脑第一次使用本系统。请设置本窗口所属的旗县市和窗口号，"
                       "并设置管理员密码（至少8位，含字母和数字）。")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.county = QComboBox()
        self.county.setObjectName("setup_county")
        for code, label in active_choices("counties"):
            self.county.addItem(f"{label}（{code}）", code)
        self.window_no = QLineEdit("01")
        self.window_no.setObjectName("setup_window")
        self.window_no.setMaxLength(2)
        self.window_no.setInputMask("99")
        self.admin_name = QLineEdit("系统管理员")
        self.admin_name.setObjectName("setup_admin_name")
        self.password = QLineEdit()
        self.password.setObjectName("setup_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = QLineEdit()
        self.password2.setObjectName("setup_password2")
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = {k: error_label(f"error_{k}") for k in
                       ("county", "window", "admin_password")}
        form.addRow("旗县市＊", self._with_error(self.county, "county"))
        form.addRow("窗口号＊", self._with_error(self.window_no, "window"))
        form.addRow("管理员姓名", self.admin_name)
        form.addRow("管理员密码＊", self._with_error(self.password, "admin_password"))
        form.addRow("再次输入密码＊", self.password2)
        lay.addLayout(form)
        self.general = error_label("error_general")
        lay.addWidget(self.general)
        box = QDialogButtonBox()
        ok = box.addButton("完成设置", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("btn_setup_ok")
        ok.setProperty("primary", True)
        box.addButton("退出", QDialogButtonBox.ButtonRole.RejectRole)
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.setMinimumWidth(480)

    def _with_error(self, w: QWidget, key: str) -> QWidget:
        holder = QWidget()
        v = QVBoxLayout(holder)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(w)
        v.addWidget(self.errors[key])
        return holder

    def submit(self) -> None:
        from xingan_desk.desk import Desk

        for lab in (*self.errors.values(), self.general):
            _set_error(lab, None)
        if self.password.text() != self.password2.text():
            _set_error(self.errors["admin_password"], "两次输入的密码不一致")
            return
        try:
            self.desk = Desk.initialise(self.data_dir, str(self.county.currentData()),
                                        self.window_no.text(),
                                        admin_password=self.password.text(),
                                        admin_name=self.admin_name.text().strip() or "系统管理员")
        except ValidationFailed as exc:
            for k, m in exc.errors.items():
                _set_error(self.errors.get(k, self.general), m)
            return
        except DeskError as exc:
            _set_error(self.general, str(exc))
            return
        self.accept()


class LoginDialog(QDialog):
    """Log in. With `locked_dir` instead of a desk (an encrypted store on a PC without a
    keyring) the same password first unlocks the store; `self.desk` is set on success."""

    def __init__(self, desk: Desk | None, parent: QWidget | None = None,
                 username: str = "", *, locked_dir: str | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self._locked_dir = locked_dir
        self.setObjectName("login")
        self.setWindowTitle("登录")  # Qt adds the application's display name
        lay = QVBoxLayout(self)
        title = QLabel(APP_TITLE)
        title.setProperty("role", "title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        where = QLabel(f"{desk.identity.label}（{desk.identity.window_code}）" if desk else
                       "数据文件已加密，本机没有系统密码库：登录密码同时用于解锁")
        where.setAlignment(Qt.AlignmentFlag.AlignCenter)
        where.setProperty("role", "hint")
        lay.addWidget(where)
        form = QFormLayout()
        self.username = QLineEdit(username)
        self.username.setObjectName("login_username")
        self.password = QLineEdit()
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("用户名", self.username)
        form.addRow("密码", self.password)
        lay.addLayout(form)
        self.error = error_label("login_error")
        lay.addWidget(self.error)
        box = QDialogButtonBox()
        self.btn_login = box.addButton("登录", QDialogButtonBox.ButtonRole.AcceptRole)
        self.btn_login.setObjectName("btn_login")
        self.btn_login.setProperty("primary", True)
        quit_button = box.addButton("退出", QDialogButtonBox.ButtonRole.RejectRole)
        # Return is handled in keyPressEvent: in a field it logs in (once), on a button it
        # presses that button; no default button that could fire a second time
        for b in (self.btn_login, quit_button):
            b.setDefault(False)
            b.setAutoDefault(False)
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        # a new try clears the old message: what is shown is always about the last try
        self.username.textEdited.connect(lambda _t: _set_error(self.error, None))
        self.password.textEdited.connect(lambda _t: _set_error(self.error, None))
        self.setMinimumWidth(400)
        self._first = self.password if username else self.username
        self._first.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        """Take the keyboard when shown (a bare X server has no window manager to give it):
        the clerk types the password straight away."""
        super().showEvent(event)
        QTimer.singleShot(0, self._take_focus)

    def _take_focus(self) -> None:
        if not self.isVisible():
            return
        self.raise_()
        self.activateWindow()
        focus = self.focusWidget()
        (focus if focus is not None and focus is not self.btn_login else self._first).setFocus(
            Qt.FocusReason.ActiveWindowFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            elif focus is self.username and not self.password.text():
                self.password.setFocus(Qt.FocusReason.TabFocusReason)
            else:
                self.submit()
            event.accept()
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        name = self.username.text().strip()
        if not name:
            _set_error(self.error, "请输入用户名")
            self.username.setFocus()
            return
        if not self.password.text():
            _set_error(self.error, "请输入密码")
            self.password.setFocus()
            return
        try:
            if self._desk is None:
                self._desk = Desk.open_with_login(self._locked_dir, name, self.password.text())
            else:
                self._desk.login(name, self.password.text())
        except PermissionDenied as exc:
            _set_error(self.error, str(exc))
            self.password.clear()  # the next try starts empty (no half-selected old text)
            self.activateWindow()
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except DeskError as exc:
            _set_error(self.error, str(exc))
            return
        except Exception as exc:
            show_error(self, exc, "登录失败")
            return
        self.accept()


    @property
    def desk(self) -> Desk:
        assert self._desk is not None, "not logged in"
        return self._desk


class DraftsDialog(QDialog):
    """Unsaved forms from last time, offered back one at a time."""

    restore_requested = Signal(object)
    discard_requested = Signal(str)

    def __init__(self, drafts: list[tuple[str, str, str | None, dict[str, Any], Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drafts")
        self.setWindowTitle("未保存的草稿")
        self.drafts = {d[0]: d for d in drafts}
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("上次有未保存的填写内容（如断电或未保存就关闭）。要恢复吗？"))
        self.list = QListWidget()
        self.list.setObjectName("draft_list")
        for d in drafts:
            draft_id, kind, record_id, payload, when = d
            raw = payload.get("raw") or {}
            hint = next((str(v) for k, v in raw.items()
                         if isinstance(v, str) and v.strip() and "name" in k), "")
            what = "修改" if record_id else "新建"
            item = QListWidgetItem(f"{format_datetime(when)}　{what}{KINDS[kind].title}"
                                   + (f"　{hint[:30]}" if hint else ""))
            item.setData(Qt.ItemDataRole.UserRole, draft_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        restore = QPushButton("恢复所选草稿")
        restore.setObjectName("btn_draft_restore")
        restore.setProperty("primary", True)
        discard = QPushButton("丢弃所选草稿")
        discard.setObjectName("btn_draft_discard")
        later = QPushButton("以后再说")
        later.setObjectName("btn_draft_later")
        row.addWidget(restore)
        row.addWidget(discard)
        row.addStretch(1)
        row.addWidget(later)
        lay.addLayout(row)
        restore.clicked.connect(self._restore)
        discard.clicked.connect(self._discard)
        later.clicked.connect(self.reject)
        self.setMinimumWidth(520)

    def _selected(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _restore(self) -> None:
        did = self._selected()
        if did is not None:
            self.restore_requested.emit(self.drafts[did])
            self.accept()

    def _discard(self) -> None:
        did = self._selected()
        if did is None:
            return
        self.discard_requested.emit(did)
        self.list.takeItem(self.list.currentRow())
        if self.list.count() == 0:
            self.accept()


class PasswordDialog(QDialog):
    """The logged-in clerk changes their own password (old one checked by the core)."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("password_dialog")
        self.setWindowTitle("修改密码")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"账号：{desk.user.username}（{desk.user.display_name}）"))
        form = QFormLayout()
        self.old = self._field("old_password")
        self.new = self._field("password")
        self.new2 = self._field("password2")
        form.addRow("原密码", self.old)
        form.addRow("新密码", self.new)
        form.addRow("再次输入新密码", self.new2)
        lay.addLayout(form)
        hint = QLabel("新密码至少8位，须同时含字母和数字。")
        hint.setProperty("role", "hint")
        lay.addWidget(hint)
        self.error = error_label("password_error")
        lay.addWidget(self.error)
        box = QDialogButtonBox()
        ok = box.addButton("确定", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("btn_password_ok")
        ok.setProperty("primary", True)
        box.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.setMinimumWidth(420)

    def _field(self, name: str) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        e.setEchoMode(QLineEdit.EchoMode.Password)
        return e

    def submit(self) -> None:
        if self.new.text() != self.new2.text():
            _set_error(self.error, "两次输入的新密码不一致")
            self.new2.setFocus()
            return
        try:
            self.desk.change_own_password(self.old.text(), self.new.text())
        except ValidationFailed as exc:
            _set_error(self.error, str(exc))
            field = {"old_password": self.old}.get(next(iter(exc.errors)), self.new)
            field.selectAll()
            field.setFocus()
            return
        except Exception as exc:
            show_error(self, exc, "密码未修改")
            return
        self.accept()
