"""Audit entries as one readable Chinese line each (who, where, when, what, old → new).

Used by the record's detail view; field labels and value display come from the record kind's
declaration, so a changed field reads the way the form shows it.
"""

from __future__ import annotations

from typing import Any

from .records.fields import GroupField
from .records.kind import RecordKind
from .timeutil import format_datetime
from .views import AuditView

ACTION_LABELS = {
    "create": "登记",
    "update": "修改",
    "void": "作废",
    "transition": "办理",
    "handover": "转办",
    "print": "打印",
    "reprint": "补打",
    "sync_pull": "同步接收",
    "sync_renumber": "同步重新编号",
    "login": "登录",
    "login_failed": "登录失败",
    "export": "导出",
    "export_unmasked": "导出（含完整证件号码）",
    "import": "导入台账",
    "add_user": "新建账号",
    "set_password": "重置密码",
    "set_user_active": "停用/启用账号",
    "set_user_role": "修改账号角色",
    "setting": "修改设置",
    "calendar": "节假日安排",
    "backup": "备份",
    "shrink": "压缩数据文件",
    "restore": "从备份恢复",
    "generation": "编号换代",
    "attach": "添加附件",
    "attach_void": "作废附件",
}
SETTING_LABELS = {
    "receipt_layout": "回执纸张",
    "notice_days": "一次性告知补齐期限（工作日）",
    "office_texts": "出具单位名称与电话",
    "sync": "同步设置",
    "attachment_max_mb": "单个附件大小上限（MB）",
}
MAX_VALUE = 40


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _value(kind: RecordKind | None, key: str, value: Any) -> str:
    if value in (None, "", []):
        return "（空）"
    if kind is None or not kind.has_field(key):
        return _short(str(value))
    f = kind.field(key)
    if isinstance(f, GroupField):
        return f"{len(value)}行" if isinstance(value, list) else _short(str(value))
    try:
        return _short(f.display(f.clean(value)))
    except Exception:  # a stored value from an older declaration: show it as it is
        return _short(str(value))


def _label(kind: RecordKind | None, key: str) -> str:
    if key == "status":
        return "状态"
    if kind is not None and kind.has_field(key):
        return kind.field(key).label
    return key


def describe(entry: AuditView, kind: RecordKind | None) -> str:
    """`2026-03-17 09:12　赵敏@152223-02　受理：状态 已登记→已受理；调解员 →赵敏`."""
    what = entry.detail if entry.action == "transition" and entry.detail else (
        ACTION_LABELS.get(entry.action, entry.action))
    head = f"{format_datetime(entry.at)}　{entry.username}@{entry.window_code}　{what}"
    if entry.action in ("print", "reprint") and entry.detail:
        return f"{head}：{entry.detail}"
    if entry.action == "create":
        return head
    if entry.action == "setting":
        parts = [f"{SETTING_LABELS.get(k, k)} {_short(str(p[0]))}→{_short(str(p[1]))}"
                 if isinstance(p, list | tuple) and len(p) == 2 else SETTING_LABELS.get(k, k)
                 for k, p in entry.changes.items()]
        return head + "：" + "；".join(parts)
    if not entry.changes or entry.action not in ("update", "transition", "void"):
        return f"{head}：{entry.detail}" if entry.detail else head
    parts = []
    for key, pair in entry.changes.items():
        old, new = (pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair))
        if key == "status":
            parts.append(f"状态 {old or '（无）'}→{new}")
        elif old in (None, "", []):
            parts.append(f"{_label(kind, key)} →{_value(kind, key, new)}")
        else:
            parts.append(f"{_label(kind, key)} {_value(kind, key, old)}→{_value(kind, key, new)}")
    if entry.action == "void" and entry.detail:
        parts.append(f"原因：{entry.detail}")
    return head + ("：" + "；".join(parts) if parts else "")
