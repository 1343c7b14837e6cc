"""The sync settings dialog: central's address, the window's database account and password,
TLS (by default verified against the League's CA, whose text the settings keep; weaker
connections only when an admin ticks "允许不验证服务器证书的连接"); "测试连接" on the I/O lane;
saving (admins only) puts the password in the OS keyring."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError, ValidationFailed
from xingan_desk.sync import settings as ss

from .dialogs import error_label
from .ops import DeskOp, Latest, QueryOp
from .tasks import TaskRunner, error_text

FIELDS = ("host", "port", "dbname", "user", "password", "sslmode", "sslrootcert")


def _repolish(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


class SyncSettingsDialog(QDialog):
    saved = Signal(str)  # where the password went (one Chinese sentence)

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.setObjectName("sync_settings")
        self.setWindowTitle("同步设置")
        self.current = ss.load(desk)
        self.is_admin = desk.user.role == "admin"
        self._tests = Latest()

        lay = QVBoxLayout(self)
        lay.setSpacing(8)
        intro = QLabel("本窗口与中心数据库同步所用的连接。账号和密码由中心管理员登记窗口时生成"
                       "（xingan-desk central add-window）。")
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        lay.addWidget(intro)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        cur = self.current
        self.host = QLineEdit(cur.host if cur else "")
        self.host.setObjectName("sync_host")
        self.host.setPlaceholderText("如 10.15.2.20 或 sync.xam.gov.cn")
        self.port = QLineEdit(str(cur.port if cur else 5432))
        self.port.setObjectName("sync_port")
        self.port.setValidator(QIntValidator(1, 65535, self.port))
        self.port.setMaximumWidth(110)
        self.dbname = QLineEdit(cur.dbname if cur else "")
        self.dbname.setObjectName("sync_dbname")
        self.user = QLineEdit(cur.user if cur else "")
        self.user.setObjectName("sync_user")
        self.user.setPlaceholderText("如 xw_152223_02_xingan")
        self.password = QLineEdit()
        self.password.setObjectName("sync_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("已保存；不修改请留空" if cur else "")
        self.sslmode = QComboBox()
        self.sslmode.setObjectName("sync_sslmode")
        for code, label in ss.SSL_MODES:
            self.sslmode.addItem(f"{label}（{code}）", code)
        self.sslmode.setCurrentIndex(max(0, self.sslmode.findData(cur.sslmode if cur
                                                                   else ss.VERIFIED_MODE)))
        self.allow_plain = QCheckBox("允许不验证服务器证书的连接（不安全）")
        self.allow_plain.setToolTip("不验证证书时可能连到冒充的中心服务器；勾选后状态栏会一直提示，"
                                    "取得根证书后请取消勾选。仅管理员可修改。")
        self.allow_plain.setObjectName("sync_allow_plain")
        self.allow_plain.setChecked(bool(cur and cur.allow_plain))
        self.sslrootcert = QLineEdit(cur.sslrootcert if cur and not cur.ca_pem else "")
        self.sslrootcert.setObjectName("sync_sslrootcert")
        self.sslrootcert.setPlaceholderText(
            "已保存；如需更换请选择新的根证书文件" if cur and cur.ca_pem
            else "中心的根证书（CA）文件，向中心管理员索取")
        self.btn_browse = QToolButton()
        self.btn_browse.setText("选择…")
        self.btn_browse.setObjectName("btn_sync_browse")
        self.btn_browse.clicked.connect(self._browse)
        cert_row = QWidget()
        cl = QHBoxLayout(cert_row)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.sslrootcert, 1)
        cl.addWidget(self.btn_browse)
        self.ca_hint = QLabel(ss.ca_summary(cur.ca_pem) if cur and cur.ca_pem else "")
        self.ca_hint.setObjectName("sync_ca_hint")
        self.ca_hint.setProperty("role", "hint")
        self.ca_hint.setWordWrap(True)
        self.ca_hint.setVisible(bool(self.ca_hint.text()))

        self.errors = {k: error_label(f"sync_error_{k}") for k in FIELDS}
        self.inputs: dict[str, QWidget] = {
            "host": self.host, "port": self.port, "dbname": self.dbname, "user": self.user,
            "password": self.password, "sslmode": self.sslmode, "sslrootcert": self.sslrootcert}
        form.addRow("服务器地址＊", self._with_error(self.host, "host"))
        form.addRow("端口＊", self._with_error(self.port, "port"))
        form.addRow("数据库＊", self._with_error(self.dbname, "dbname"))
        form.addRow("窗口账号＊", self._with_error(self.user, "user"))
        form.addRow("密码＊", self._with_error(self.password, "password"))
        form.addRow("加密方式", self._with_error(self.sslmode, "sslmode"))
        form.addRow("根证书文件", self._with_error(cert_row, "sslrootcert"))
        form.addRow("", self.ca_hint)
        form.addRow("", self.allow_plain)
        lay.addLayout(form)

        self.password_hint = QLabel(ss.where_stored(desk, cur))
        self.password_hint.setObjectName("sync_password_hint")
        self.password_hint.setProperty("role", "hint")
        self.password_hint.setWordWrap(True)
        lay.addWidget(self.password_hint)

        self.result_label = QLabel()
        self.result_label.setObjectName("sync_test_result")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        lay.addWidget(self.result_label)

        self.admin_only = QLabel("只有管理员可以修改同步设置；您可以测试连接。")
        self.admin_only.setObjectName("sync_admin_only")
        self.admin_only.setProperty("role", "hint")
        self.admin_only.setVisible(not self.is_admin)
        lay.addWidget(self.admin_only)

        row = QHBoxLayout()
        self.btn_test = QPushButton("测试连接")
        self.btn_test.setObjectName("btn_sync_test")
        self.btn_test.clicked.connect(self.test_connection)
        self.btn_save = QPushButton("保存")
        self.btn_save.setObjectName("btn_sync_save")
        self.btn_save.setProperty("primary", True)
        self.btn_save.clicked.connect(self.save)
        self.btn_cancel = QPushButton("取消")
        self.btn_cancel.setObjectName("btn_sync_cancel")
        self.btn_cancel.clicked.connect(self.reject)
        row.addWidget(self.btn_test)
        row.addStretch(1)
        row.addWidget(self.btn_save)
        row.addWidget(self.btn_cancel)
        lay.addLayout(row)

        self.sslmode.currentIndexChanged.connect(lambda _i: self._cert_enabled())
        for key in ("host", "port", "dbname", "user", "password", "sslrootcert"):  # typing clears
            edit = self.inputs[key]
            assert isinstance(edit, QLineEdit)
            edit.textChanged.connect(lambda _t, k=key: self._clear_one(k))
        self.sslmode.currentIndexChanged.connect(lambda _i: self._clear_one("sslrootcert"))
        for w in (self.host, self.port, self.dbname, self.user, self.password):
            w.setEnabled(self.is_admin)
        self.sslmode.setEnabled(self.is_admin)
        self.allow_plain.setEnabled(self.is_admin)
        self.allow_plain.toggled.connect(lambda _on: self._clear_one("sslmode"))
        self.allow_plain.toggled.connect(lambda _on: self._clear_one("sslrootcert"))
        self.btn_save.setEnabled(self.is_admin)
        self._cert_enabled()
        self.setMinimumWidth(680)

    def _with_error(self, w: QWidget, key: str) -> QWidget:
        holder = QWidget()
        v = QVBoxLayout(holder)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(w)
        v.addWidget(self.errors[key])
        return holder

    def _cert_enabled(self) -> None:
        on = self.is_admin and self.sslmode.currentData() == "verify-full"
        self.sslrootcert.setEnabled(on)
        self.btn_browse.setEnabled(on)

    def _browse(self) -> None:
        path, _f = QFileDialog.getOpenFileName(self, "选择根证书文件", "",
                                               "证书 (*.crt *.pem *.cer);;所有文件 (*)")
        if path:
            self.sslrootcert.setText(path)

    # --- values and messages -------------------------------------------------------------
    def settings(self) -> ss.SyncSettings:
        verify = self.sslmode.currentData() == ss.VERIFIED_MODE
        cert = self.sslrootcert.text().strip() if verify else ""
        # no new file chosen: the CA the settings already carry
        keep = self.current.ca_pem if verify and not cert and self.current else ""
        port = int(self.port.text()) if self.port.text().strip().isdigit() else 0
        return ss.SyncSettings(host=self.host.text().strip(), port=port,
                               dbname=self.dbname.text().strip(), user=self.user.text().strip(),
                               sslmode=str(self.sslmode.currentData()), sslrootcert=cert,
                               ca_pem=keep, allow_plain=self.allow_plain.isChecked())

    def _clear(self) -> None:
        for key in self.errors:
            self._clear_one(key)

    def _clear_one(self, key: str) -> None:
        lab = self.errors[key]
        if lab.text():
            lab.setText("")
            lab.hide()
        w = self.inputs[key]
        if w.property("invalid"):
            w.setProperty("invalid", False)
            _repolish(w)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            lab = self.errors.get(key)
            if lab is None:
                self._result(message, ok=False)
                continue
            lab.setText(message)
            lab.show()
            w = self.inputs[key]
            w.setProperty("invalid", True)
            _repolish(w)
        first = next((self.inputs[k] for k in FIELDS if k in errors), None)
        if first is not None:
            first.setFocus()

    def _result(self, text: str, *, ok: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("role", "success" if ok else "error")
        _repolish(self.result_label)
        self.result_label.show()

    # --- actions -------------------------------------------------------------------------
    def test_connection(self) -> None:
        """Connect as the window account on the I/O lane; the answer appears below."""
        self._clear()
        s = self.settings()
        errors = s.validate()
        if errors:
            self._show_errors(errors)
            return
        typed = self.password.text()
        desk, current = self.desk, self.current
        window = desk.identity.window_code

        def work() -> str:
            pw = typed
            if not pw and current is not None and current.keyring_user == s.keyring_user:
                pw = ss.read_password(desk, current) or ""
            return ss.check_connection(s, pw or None, window)

        self.btn_test.setEnabled(False)
        self._result("正在连接中心数据库…", ok=True)

        def done(text: str) -> None:
            self.btn_test.setEnabled(True)
            self._result(text, ok=True)

        def failed(exc: BaseException) -> None:
            self.btn_test.setEnabled(True)
            if isinstance(exc, ValidationFailed):
                self._show_errors(exc.errors)
                self._result(str(exc), ok=False)
            else:
                self._result(error_text(exc)[0], ok=False)

        QueryOp(self, self.runner, work).on_io().latest(self._tests).success(done) \
            .failure(failed).run()

    def save(self) -> None:
        if not self.is_admin:
            return
        self._clear()
        s = self.settings()
        errors = s.validate()
        if not self.password.text() and self.current is None:
            errors["password"] = "请填写密码"
        if errors:
            self._show_errors(errors)
            return
        password = self.password.text()
        desk = self.desk
        self.btn_save.setEnabled(False)

        def done(result: tuple[ss.SyncSettings, str]) -> None:
            self.btn_save.setEnabled(True)
            self.current, where = result
            self.password_hint.setText(where)
            self.saved.emit(where)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.btn_save.setEnabled(True)
            if isinstance(exc, ValidationFailed):
                self._show_errors(exc.errors)
            elif isinstance(exc, DeskError):
                self._result(str(exc), ok=False)
            else:
                self._result(error_text(exc)[0], ok=False)

        DeskOp(self, self.runner, lambda: ss.save(desk, s, password)).success(done) \
            .failure(failed).run()
