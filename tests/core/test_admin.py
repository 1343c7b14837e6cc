"""Administration in the core: accounts (disable, role), the holiday table, its warning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xingan_desk.desk import Desk
from xingan_desk.errors import PermissionDenied, ValidationFailed

PW = "Clerk2026a"


def test_disabled_account_cannot_log_in_but_keeps_its_records(desk: Desk) -> None:
    from tests.conftest import GOOD_CONSULTATION

    desk.add_user("lina", "李娜", "clerk", PW)
    desk.use_account("lina")
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    desk.use_account("admin")
    assert not desk.set_user_active("lina", False).active
    with pytest.raises(Exception, match="用户名或密码不正确"):
        desk.login("lina", PW)
    assert desk.get(rec.id).created_by == "lina"
    desk.set_user_active("lina", True)
    assert desk.login("lina", PW).username == "lina"
    desk.use_account("admin")
    details = [a.detail for a in desk.audit_trail() if a.action == "set_user_active"]
    assert details == ["启用账号 lina", "停用账号 lina"]


def test_last_admin_and_own_account_are_protected(desk: Desk) -> None:
    with pytest.raises(ValidationFailed, match="当前登录"):
        desk.set_user_active("admin", False)
    with pytest.raises(ValidationFailed, match="最后一个管理员"):
        desk.set_user_role("admin", "clerk")
    desk.add_user("boss", "王主任", "admin", "Admin2027x")
    assert desk.set_user_role("admin", "supervisor").role == "supervisor"
    desk.use_account("boss")
    with pytest.raises(ValidationFailed, match="最后一个管理员"):
        desk.set_user_role("boss", "clerk")
    desk.add_user("lina", "李娜", "clerk", PW)
    desk.use_account("lina")
    with pytest.raises(PermissionDenied):
        desk.set_user_active("boss", False)
    with pytest.raises(PermissionDenied):
        desk.set_user_role("lina", "admin")


def test_next_years_holidays_entered_in_the_app_move_deadlines(desk: Desk) -> None:
    """December 2026: the 2027 schedule is not shipped, so the desk warns; once the admin
    enters 元旦, deadlines across it roll over and the warning is gone."""
    today = dt.date(2026, 12, 2)
    assert desk.calendar_warning(today) == "2027年节假日安排尚未录入"
    cal = desk.calendar()
    assert cal.add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 1)  # weekends only
    with pytest.raises(ValidationFailed, match="结束日期"):
        desk.set_calendar_range(dt.date(2027, 1, 3), dt.date(2027, 1, 1), "holiday", "元旦")
    with pytest.raises(ValidationFailed, match="节日名称"):
        desk.set_calendar_range(dt.date(2027, 1, 1), dt.date(2027, 1, 3), "holiday", " ")
    assert desk.set_calendar_range(dt.date(2027, 1, 1), dt.date(2027, 1, 3), "holiday",
                                   "元旦") == 3
    cal = desk.calendar()
    assert cal.add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert desk.calendar_warning(today) is None
    assert [d for d, *_ in desk.calendar_edits(2027)] == [
        dt.date(2027, 1, 1), dt.date(2027, 1, 2), dt.date(2027, 1, 3)]
    desk.clear_calendar_day(dt.date(2027, 1, 1))
    assert desk.calendar().is_workday(dt.date(2027, 1, 1))  # a Friday again
    assert len(desk.calendar_edits(2027)) == 2


def test_daily_backup_once_a_day_and_only_the_newest_kept(desk: Desk) -> None:
    import os
    import time

    first = desk.auto_backup()
    assert first is not None and first.exists()
    assert desk.auto_backup() is None  # one a day
    # Age the copies as if a fortnight had passed, one per day.
    for n in range(15):
        copy = first.with_name(f"xingan-desk-2026110{n:02d}-080000.sqlite3")
        copy.write_bytes(first.read_bytes())
        old = time.time() - (n + 2) * 86400
        os.utime(copy, (old, old))
    os.utime(first, (time.time() - 86400, time.time() - 86400))
    newest = desk.auto_backup(keep=5)
    assert newest is not None
    kept = desk.backups()
    assert len(kept) == 5 and kept[0][0] == newest
    assert all(size > 0 for _, _, size in kept)
    assert [a.action for a in desk.audit_trail()].count("backup") == 2


def test_backup_to_an_unwritable_place_says_why(desk: Desk, tmp_path: Any) -> None:
    from xingan_desk.errors import OutputFileError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputFileError, match="备份失败") as info:
        desk.backup(blocker / "b.sqlite3")
    assert "不是文件夹" in str(info.value) or "同名文件" in str(info.value)


def test_settings_audit_never_keeps_a_password(desk: Desk) -> None:
    desk.set_setting("sync", {"url": "postgresql://xw_1:s3cret-pw@central/db",
                              "password": "s3cret-pw"})
    entry = next(a for a in desk.audit_trail() if a.action == "setting")
    assert "s3cret-pw" not in str(entry.changes)
    assert entry.changes["sync"][1]["password"] == "******"
    assert entry.changes["sync"][1]["url"] == "postgresql://xw_1:******@central/db"
    assert desk.setting("sync")["password"] == "s3cret-pw"  # the setting itself is intact


def test_five_wrong_passwords_make_the_account_wait_until_reset(desk: Desk) -> None:
    from xingan_desk.errors import PermissionDenied as Denied

    desk.add_user("lina", "李娜", "clerk", PW)
    for _ in range(5):
        with pytest.raises(Denied, match="用户名或密码不正确"):
            desk.login("lina", "guess-1234")
    with pytest.raises(Denied, match="连续输错5次"):
        desk.login("lina", PW)  # even the right password waits now
    desk.use_account("admin")
    desk.set_password("lina", "Clerk2027b")  # the admin resets it: the wait is over
    assert desk.login("lina", "Clerk2027b").username == "lina"


def test_clerk_changes_own_password_with_the_old_one(desk: Desk) -> None:
    desk.add_user("lina", "李娜", "clerk", PW)
    desk.login("lina", PW)
    with pytest.raises(ValidationFailed, match="原密码不正确"):
        desk.change_own_password("wrong", "Clerk2027b")
    with pytest.raises(ValidationFailed, match="不能与原密码相同"):
        desk.change_own_password(PW, PW)
    desk.change_own_password(PW, "Clerk2027b")
    assert desk.login("lina", "Clerk2027b").username == "lina"
