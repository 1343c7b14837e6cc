"""What a sync cycle raises. `str(exc)` is always a Chinese sentence for the clerk; nothing
local is lost when one is raised."""

from __future__ import annotations

import os
import traceback

from ..errors import DeskError


class SyncError(DeskError):
    """Sync failed; `str(exc)` is a Chinese sentence for the clerk. Nothing local is lost."""

    english = "sync failed"


class SyncUnavailable(SyncError):
    english = "central database unreachable"


class SyncRefused(SyncError):
    """Central refused this window as a whole (cloned installation, upgrade required, …)."""

    english = "central refused the window"

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        super().__init__(reason)


def failure_trace(exc: BaseException) -> str:
    """An unexpected exception for the log: its type and where it was raised (file, line,
    function of each frame), never its message — a database error's message can hold the
    rows it failed on (names, phone numbers)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}"
                        for f in reversed(frames[-8:]))
    return f"{type(exc).__module__}.{type(exc).__name__} at {where or '?'}"
