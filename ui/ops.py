"""Operations: one Desk call per user action, run on a lane, answered on the GUI thread.

    QueryOp(parent, runner, lambda: desk.find_ids(q)).success(show).run()
    DeskOp(parent, runner, lambda: desk.void(rid, reason)).success(done).run()

Both run the callable on the task runner's DB lane (`.on_io()` for files, printing, network),
call `success(result)` on the GUI thread, and show a failure with `show_error` unless a
`failure` handler takes it. `.with_progress(text)` shows a busy dialog when the work lasts
longer than ~600 ms; `.latest(slot)` drops an answer that a newer op on the same `Latest` slot
has superseded (a search typed further, another record selected).

A `DeskOp` is a write: after `success`, its change set goes to the runner's change bus
(`TaskRunner.bus`), where every view that subscribed refreshes itself — the record list, the
navigation counts, the detail panel, the sync request. The change set is the `Changes` the Desk
call returned (alone or in a tuple such as `(RecordView, Changes)`); a write that returns none
announces `Changes()` (something outside the records changed: settings, calendar) unless
`.changes(...)` says otherwise (`.changes(None)`: announce nothing, e.g. a draft).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, Self, TypeVar

import shiboken6
from PySide6.QtWidgets import QWidget

from xingan_desk.views import Changes

from .tasks import TaskRunner, show_error

T = TypeVar("T")


class Latest:
    """A slot for 'only the newest answer counts' (one per list, panel, dialog section)."""

    def __init__(self) -> None:
        self._n = 0

    def next(self) -> int:
        self._n += 1
        return self._n

    def is_current(self, token: int) -> bool:
        return token == self._n

    def supersede(self) -> None:
        """Drop every answer still under way."""
        self._n += 1


def changes_in(result: object) -> Changes:
    """The change set a Desk write returned: itself, or the `Changes` inside a tuple."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple):
        for part in result:
            if isinstance(part, Changes):
                return part
    return Changes()


class _Op(Generic[T]):
    def __init__(self, parent: QWidget | None, runner: TaskRunner, op: Callable[[], T]) -> None:
        self._parent = parent
        self._runner = runner
        self._op = op
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._progress: str | None = None
        self._lane = "db"
        self._latest: Latest | None = None
        self._title = "操作未完成"

    def success(self, fn: Callable[[T], None]) -> Self:
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> Self:
        """Handle a failure yourself (a message beside a field) instead of the error dialog."""
        self._failure = fn
        return self

    def error_title(self, title: str) -> Self:
        self._title = title
        return self

    def with_progress(self, text: str) -> Self:
        self._progress = text
        return self

    def on_io(self) -> Self:
        self._lane = "io"
        return self

    def latest(self, slot: Latest) -> Self:
        self._latest = slot
        return self

    def run(self) -> Future[T]:
        """Submit the work (nothing runs once the runner is shut down: the window closed)."""
        if self._runner.closed:
            dropped: Future[T] = Future()
            dropped.cancel()
            return dropped
        token = self._latest.next() if self._latest is not None else 0

        def current() -> bool:
            # a result for a form or dialog the clerk has already closed (and Qt deleted) is
            # dropped: there is nothing left to show it in
            if not shiboken6.isValid(self._parent):
                return False
            return self._latest is None or self._latest.is_current(token)

        def done(result: T) -> None:
            if not current():
                return
            if self._success is not None:
                self._success(result)
            self._delivered(result)

        def failed(exc: BaseException) -> None:
            if not current():
                return
            if self._failure is not None:
                self._failure(exc)
            else:
                show_error(self._parent, exc, self._title)

        return self._runner.run(self._op, on_done=done, on_error=failed, lane=self._lane,
                                progress=self._progress)

    def _delivered(self, result: T) -> None:
        pass


class QueryOp(_Op[T]):
    """A read: the answer goes to `success` only."""


class DeskOp(_Op[T]):
    """A write: `success`, then the change set on the bus for every subscribed view."""

    def __init__(self, parent: QWidget | None, runner: TaskRunner, op: Callable[[], T]) -> None:
        super().__init__(parent, runner, op)
        self._changes: Callable[[T], Changes | None] = changes_in

    def changes(self, fn: Callable[[T], Changes | None] | None) -> Self:
        """What to announce for a result (None: announce nothing)."""
        self._changes = fn if fn is not None else (lambda _r: None)
        return self

    def _delivered(self, result: T) -> None:
        changes = self._changes(result)
        if changes is not None and not self._runner.closed:
            self._runner.bus.publish(changes, self._parent)
