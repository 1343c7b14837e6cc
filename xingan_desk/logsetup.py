"""Logging for the command line and the window application: no raw exception text, no data.

Exception messages from the database drivers quote rows (psycopg's "Key (…)=(…)", SQLAlchemy's
parameters), so a log line never carries them: an exception is logged as its class and its
stack frames (file, line, function), and an exception passed as a log argument as its class.
The core's own errors (`DeskError`) are Chinese sentences written for the clerk; they are kept.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import IO

from .errors import DeskError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe(exc: BaseException) -> str:
    """What may be shown or logged about an exception: a DeskError's Chinese message, else
    only the class name."""
    if isinstance(exc, DeskError):
        return str(exc)
    return exc.__class__.__name__


class SafeFormatter(logging.Formatter):
    """Formats exceptions as class names and frames; exception arguments as `describe()`."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.args, tuple) and any(
                isinstance(a, BaseException) for a in record.args):
            record = logging.makeLogRecord(record.__dict__)
            assert isinstance(record.args, tuple)
            record.args = tuple(describe(a) if isinstance(a, BaseException) else a
                                for a in record.args)
        return super().format(record)

    def formatException(self, ei: _ExcInfo | tuple[None, None, None]) -> str:
        _etype, value, tb = ei
        if value is None:
            return ""
        lines: list[str] = []
        seen: set[int] = set()
        exc: BaseException | None = value
        current_tb = tb
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_list(traceback.extract_tb(current_tb)))
            lines.append(f"{exc.__class__.__module__}.{exc.__class__.__qualname__}"
                         + (f": {exc}" if isinstance(exc, DeskError) else "") + "\n")
            exc = exc.__cause__ or exc.__context__
            current_tb = exc.__traceback__ if exc is not None else None
            if exc is not None:
                lines.append("(caused by)\n")
        return "".join(lines).rstrip("\n")


def safe_traceback(exc: BaseException) -> str:
    """The traceback of `exc` as the log shows it (classes and frames, no messages)."""
    return SafeFormatter().formatException((type(exc), exc, exc.__traceback__))


def configure(level: int = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """One handler on the root logger with the safe formatter (replaces earlier handlers)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler
