"""Errors the core raises to its callers. Every message is Chinese and fit to show a clerk."""

from __future__ import annotations

from collections.abc import Mapping


class DeskError(Exception):
    """Base class: `str(exc)` is a one-line Chinese message."""

    english = "operation failed"


class ValidationFailed(DeskError):
    """Input refused; `errors` maps field keys to Chinese messages in form order."""

    english = "invalid input"

    def __init__(self, errors: Mapping[str, str], label_of: Mapping[str, str] | None = None):
        self.errors = dict(errors)
        labels = label_of or {}
        first_key, first_msg = next(iter(self.errors.items()))
        label = labels.get(first_key, "")
        prefix = f"{label}：" if label and label not in first_msg else ""
        more = f"（另有{len(self.errors) - 1}处需要修改）" if len(self.errors) > 1 else ""
        super().__init__(f"{prefix}{first_msg}{more}")


class NotFound(DeskError):
    english = "not found"


class PermissionDenied(DeskError):
    english = "permission denied"


class IllegalTransition(DeskError):
    english = "action not allowed in the current status"


class Conflict(DeskError):
    """The record changed since it was opened (another window or another clerk)."""

    english = "the record was changed elsewhere"


class StoreError(DeskError):
    """The local database cannot be used (read-only, corrupt, locked, disk full)."""

    english = "the local database cannot be used"


class NotInitialised(DeskError):
    english = "this installation has no window identity yet (run: xingan-desk init)"
