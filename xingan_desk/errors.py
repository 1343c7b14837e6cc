"""Errors the core raises to its callers. Every message is Chinese and fit to show a clerk."""

from __future__ import annotations

import errno
from collections.abc import Mapping
from pathlib import Path


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


class StoreCorrupt(StoreError):
    """The store file is damaged. `backup` is the newest backup that passed SQLite's check
    (None when there is none); `xingan-desk restore --latest` or the window app restores it."""

    english = "the local database is damaged"

    def __init__(self, message: str, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


class NotInitialised(DeskError):
    english = "this installation has no window identity yet (run: xingan-desk init)"


class OutputFileError(DeskError):
    """A file the clerk asked for (PDF, spreadsheet, backup) cannot be written there."""

    english = "the output file cannot be written"


_FILE_REASONS = {
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EEXIST: "路径中有一项是同名文件，不是文件夹",
    errno.EISDIR: "该路径是一个文件夹",
    errno.EACCES: "没有写入权限，或文件正被其他程序（如 Excel、WPS、PDF 阅读器）打开",
    errno.EPERM: "没有写入权限，或文件正被其他程序（如 Excel、WPS、PDF 阅读器）打开",
    errno.EROFS: "磁盘或文件夹是只读的",
    errno.ENOSPC: "磁盘空间不足",
    errno.ENAMETOOLONG: "文件名过长",
}
if hasattr(errno, "EDQUOT"):  # not defined on Windows
    _FILE_REASONS[errno.EDQUOT] = "磁盘配额已满"


def file_error_reason(exc: OSError) -> str:
    """A short Chinese reason for an OSError met while writing a file."""
    return _FILE_REASONS.get(exc.errno or 0) or "系统拒绝写入（" + (exc.strerror or str(exc)) + "）"
