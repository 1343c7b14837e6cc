"""Accounts and the logged-in user (a part of the Desk: `desk.accounts`).

Salted scrypt hashes (`auth.py`); five wrong passwords in a row make an account wait
LOGIN_LOCK_MINUTES (the audit log is the counter). Role checks for the other parts go through
`require_role`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .auth import check_password_strength, hash_password, verify_password
from .errors import NotFound, PermissionDenied, ValidationFailed
from .records.workflow import ROLES
from .storage import db as dbmod
from .storage.rows import new_id, user_view
from .storage.schema import AuditEntry, UserAccount
from .timeutil import utcnow
from .views import UserView

if TYPE_CHECKING:
    from .desk import Desk

LOGIN_MAX_FAILURES = 5  # wrong passwords in a row before the account waits
LOGIN_LOCK_MINUTES = 15
ROLE_NAMES = {"clerk": "窗口人员", "mediator": "调解员", "supervisor": "主管", "admin": "管理员"}
_ROLE_HINT = "角色应为 clerk（窗口人员）、mediator（调解员）、supervisor（主管）或 admin（管理员）"


class Accounts:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self.current: UserView | None = None

    @property
    def user(self) -> UserView:
        if self.current is None:
            raise PermissionDenied("请先登录")
        return self.current

    def require_role(self, *roles: str, what: str) -> None:
        """PermissionDenied (naming the roles needed) unless the logged-in user has one."""
        check_role(self.user, roles, what=what)

    def recent_login_failures(self, username: str) -> int:
        """Wrong passwords for `username` within LOGIN_LOCK_MINUTES, since its last good login
        (the audit log is the counter: nothing to reset, nothing to tamper with)."""
        name = username[:50]
        with self._desk.reading() as s:
            since = utcnow() - dt.timedelta(minutes=LOGIN_LOCK_MINUTES)
            last_ok = s.scalar(select(func.max(AuditEntry.at)).where(
                or_(and_(AuditEntry.action == "login", AuditEntry.username == name),
                    and_(AuditEntry.action == "set_password", AuditEntry.detail == name)),
                AuditEntry.at >= since))
            return s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "login_failed", AuditEntry.username == name,
                AuditEntry.at > (last_ok or since))) or 0

    def record_failed_unlocks(self, failures: list[tuple[str, str]]) -> None:
        """Wrong passwords that could not even unlock the encrypted store (storage/keys.py
        keeps them outside it) go into the audit log as failed logins, with their times, so
        they count towards the lock like any other."""
        if not failures:
            return
        with self._desk.writing() as w:
            for name, at in failures:
                try:
                    when = dt.datetime.fromisoformat(at)
                except ValueError:
                    continue
                w.session.add(AuditEntry(at=when, username=name[:50],
                                         window_code=self._desk.identity.window_code,
                                         action="login_failed", changes={},
                                         detail=f"用户名 {name}（未能解锁数据文件）"))

    def login(self, username: str, password: str) -> UserView:
        name = username.strip()
        if self.recent_login_failures(name) >= LOGIN_MAX_FAILURES:
            raise PermissionDenied(f"密码连续输错{LOGIN_MAX_FAILURES}次，请{LOGIN_LOCK_MINUTES}分钟后再试，"
                                   "或请管理员重置密码")
        with self._desk.writing() as w:
            acc = w.session.scalar(select(UserAccount).where(UserAccount.username == name))
            if acc is None or not acc.active or not verify_password(password, acc.password_hash):
                w.audit("login_failed", detail=f"用户名 {name}", username=name[:50])
                ok = False
            else:
                acc.last_login_at = utcnow()
                self.current = user_view(acc)
                w.audit("login", username=acc.username)
                ok = True
        if not ok:
            raise PermissionDenied("用户名或密码不正确")
        # the account's slot of the store key (storage/keys.py): its password unlocks the store
        dbmod.keep_password(self._desk.path, self.user.username, password)
        return self.user

    def use_account(self, username: str) -> UserView:
        """Act as an existing account without a password (demo data, tests, the window app
        after its own login dialog). Privileged actions still check the account's role."""
        with self._desk.reading() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
            if acc is None or not acc.active:
                raise NotFound(f"没有名为“{username}”的有效账号")
            self.current = user_view(acc)
        return self.current

    def logout(self) -> None:
        self.current = None

    def add_user(self, username: str, display_name: str, role: str, password: str) -> UserView:
        self.require_role("admin", what="新建账号")
        errors: dict[str, str] = {}
        username = username.strip()
        if not username or len(username) > 50 or not username.isascii() or " " in username:
            errors["username"] = "用户名应为50位以内的字母、数字，不含空格"
        if not display_name.strip() or len(display_name) > 50:
            errors["display_name"] = "请填写姓名（50字以内）"
        if role not in ROLES:
            errors["role"] = _ROLE_HINT
        problem = check_password_strength(password)
        if problem:
            errors["password"] = problem
        if errors:
            raise ValidationFailed(errors)
        with self._desk.writing() as w:
            if w.session.scalar(select(UserAccount.id).where(UserAccount.username == username)):
                raise ValidationFailed({"username": f"用户名“{username}”已存在"})
            acc = UserAccount(id=new_id(), username=username, display_name=display_name.strip(),
                              role=role, password_hash=hash_password(password), active=True,
                              created_at=utcnow())
            w.session.add(acc)
            w.audit("add_user", detail=f"{username}（{display_name}，{role}）")
            view = user_view(acc)
        dbmod.keep_password(self._desk.path, username, password)
        return view

    def set_password(self, username: str, password: str) -> None:
        if username != self.user.username:
            self.require_role("admin", what="重置他人密码")
        problem = check_password_strength(password)
        if problem:
            raise ValidationFailed({"password": problem})
        with self._desk.writing() as w:
            acc = self._account(w.session, username)
            acc.password_hash = hash_password(password)
            w.audit("set_password", detail=username)
        dbmod.keep_password(self._desk.path, username, password)

    def set_user_active(self, username: str, active: bool) -> UserView:
        """Disable (or re-enable) an account; its past work keeps its name. An admin cannot
        disable their own account or the last active admin."""
        self.require_role("admin", what="停用或启用账号")
        with self._desk.writing() as w:
            acc = self._account(w.session, username)
            if not active and acc.username == self.user.username:
                raise ValidationFailed({"active": "不能停用当前登录的账号"})
            if not active and acc.role == "admin" and active_admins(w.session) <= 1:
                raise ValidationFailed({"active": "这是最后一个管理员账号，不能停用"})
            if acc.active != active:
                acc.active = active
                w.audit("set_user_active", changes={username: [not active, active]},
                        detail=f"{'启用' if active else '停用'}账号 {username}")
            view = user_view(acc)
        if not active:
            dbmod.drop_password(self._desk.path, username)
        return view

    def set_user_role(self, username: str, role: str) -> UserView:
        self.require_role("admin", what="修改账号角色")
        if role not in ROLES:
            raise ValidationFailed({"role": _ROLE_HINT})
        with self._desk.writing() as w:
            acc = self._account(w.session, username)
            if acc.role == "admin" and role != "admin" and active_admins(w.session) <= 1:
                raise ValidationFailed({"role": "这是最后一个管理员账号，不能改为其他角色"})
            if acc.role != role:
                w.audit("set_user_role", changes={username: [acc.role, role]},
                        detail=f"{username} 角色 {acc.role} → {role}")
                acc.role = role
            return user_view(acc)

    def change_own_password(self, old: str, new: str) -> None:
        """The logged-in clerk changes their password (the old one is checked)."""
        me = self.user.username
        with self._desk.reading() as s:
            acc = s.scalar(select(UserAccount).where(UserAccount.username == me))
            ok = acc is not None and verify_password(old, acc.password_hash)
        if not ok:
            raise ValidationFailed({"old_password": "原密码不正确"})
        if new == old:
            raise ValidationFailed({"password": "新密码不能与原密码相同"})
        self.set_password(me, new)

    def list_users(self) -> list[UserView]:
        with self._desk.reading() as s:
            return [user_view(a) for a in
                    s.scalars(select(UserAccount).order_by(UserAccount.username))]

    @staticmethod
    def _account(s: Session, username: str) -> UserAccount:
        acc = s.scalar(select(UserAccount).where(UserAccount.username == username))
        if acc is None:
            raise NotFound(f"没有名为“{username}”的账号")
        return acc


def active_admins(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(UserAccount).where(
        UserAccount.role == "admin", UserAccount.active.is_(True))) or 0


def check_role(user: UserView, roles: tuple[str, ...], *, what: str) -> None:
    """PermissionDenied naming the roles `what` needs, unless `user` has one of them."""
    if user.role not in roles:
        names = "、".join(ROLE_NAMES[r] for r in roles)
        raise PermissionDenied(f"“{what}”需要{names}权限，当前账号无此权限")
