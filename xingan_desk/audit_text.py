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
