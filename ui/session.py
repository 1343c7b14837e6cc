"""Who is at the window: change one's own password, lock / switch user (the login dialog asks
who continues), and the drafts offered back after a login or a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from .dialogs import DraftsDialog, LoginDialog, PasswordDialog
from .ops import DeskOp, QueryOp
from .record_commands import Draft

if TYPE_CHECKING:
    from .main_window import MainWindow


class Session(QObject):
    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.desk = win.desk
        self.runner = win.runner
        self.login_dialog: LoginDialog | None = None
        self.password_dialog: PasswordDialog | None = None
        self.drafts_dialog: DraftsDialog | None = None

    def change_password(self) -> None:
        dlg = PasswordDialog(self.desk, self.win)
        dlg.accepted.connect(lambda: self.win.say("密码已修改", 8000))
        self.password_dialog = dlg
        dlg.open()

    def lock(self) -> None:
        """Leave the window: an open form is kept as the clerk's draft, the account is logged
        out and the login dialog asks who continues (退出 closes the program)."""
        commands = self.win.commands
        if commands.form is not None:
            commands.keep_form_as_draft()
            commands.close_form()
        previous = self.desk.user.username
        self.desk.logout()
        self.win.detail.clear()
        self.win.set_locked(True)
        dlg = LoginDialog(self.desk, self.win, username=previous)
        dlg.setWindowTitle("已锁定 — 请登录")
        dlg.accepted.connect(self._logged_in)
        dlg.rejected.connect(self.win.close)
        self.login_dialog = dlg
        dlg.open()

    def _logged_in(self) -> None:
        self.win.set_locked(False)
        self.win.take_focus()
        self.win.user_changed()
        self.offer_drafts()

    def offer_drafts(self) -> None:
        """On start and after a login: offer the clerk's unsaved drafts back (crash, power
        loss, closed window)."""
        QueryOp(self.win, self.runner, self.desk.drafts).success(self._offer).run()

    def _offer(self, drafts: list[Draft]) -> None:
        if not drafts:
            return
        dlg = DraftsDialog(drafts, self.win)
        dlg.restore_requested.connect(self.win.commands.restore_draft)
        dlg.discard_requested.connect(self._discard)
        self.drafts_dialog = dlg
        dlg.open()

    def _discard(self, draft_id: str) -> None:
        desk = self.desk
        DeskOp(self.win, self.runner, lambda: desk.discard_draft(draft_id)).changes(None).run()
