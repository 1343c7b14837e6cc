"""The window's settings (a part of the Desk: `desk.settings`): key → JSON value, audited with
secrets blanked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .storage.schema import Setting
from .timeutil import utcnow

if TYPE_CHECKING:
    from .desk import Desk
    from .storage.writer import Writer

SETTINGS_ROLES = ("admin", "supervisor")


class Settings:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def get(self, key: str, default: Any = None) -> Any:
        with self._desk.reading() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, values: Mapping[str, Any]) -> None:
        """Several settings in one transaction (one audit entry each)."""
        self._desk.require_role(*SETTINGS_ROLES, what="修改设置")
        with self._desk.writing() as w:
            for key, value in values.items():
                put_setting(w, key, value)


def put_setting(w: Writer, key: str, value: Any, *, audit: bool = True) -> Any:
    """Write one setting in the writer's transaction; returns the old value."""
    row = w.session.get(Setting, key)
    old = None if row is None else row.value
    if row is None:
        w.session.add(Setting(key=key, value=value, updated_at=utcnow(), updated_by=w.username))
    else:
        row.value, row.updated_at, row.updated_by = value, utcnow(), w.username
    if audit:
        w.audit("setting", changes={key: [redact(old), redact(value)]})
    return old


def redact(value: Any) -> Any:
    """Settings as the audit log keeps them: passwords and other secrets blanked."""
    if isinstance(value, Mapping):
        return {k: ("******" if any(w in str(k).lower() for w in ("password", "secret"))
                    and v else redact(v)) for k, v in value.items()}
    if isinstance(value, str) and "://" in value and "@" in value:
        return re.sub(r"(://[^:/@\s]+):[^@\s]+@", r"\1:******@", value)  # URL passwords
    return value
