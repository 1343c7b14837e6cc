"""One run of the demo generator: the desk, the seed, what was made so far, and the shared
steps of every kind (dates in office hours, the demo accounts, creation in chunks, actions)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..bulk import BulkAction, BulkRow
from ..timeutil import CST, today_cst, utcnow
from ..workdays import Calendar

if TYPE_CHECKING:
    from ..desk import Desk
    from .enterprises import Enterprise

__all__ = ["CHUNK", "CLERK", "DEMO_PASSWORD", "DEMO_USERS", "KIND_ORDER", "MEDIATOR",
           "SUPERVISOR", "DemoRun", "Made", "Progress", "made_created"]

DEMO_PASSWORD = "Demo2026pass"
CLERK = ("lina", "李娜", "clerk")
MEDIATOR = ("zhaomin", "赵敏", "mediator")
SUPERVISOR = ("supervisor", "孙伟", "supervisor")
DEMO_USERS = (CLERK, MEDIATOR, SUPERVISOR)

# creation order (later kinds refer to earlier ones)
KIND_ORDER = ("enterprise", "consultation", "preexam_filing", "preexam_case", "mediation", "rating",
              # the plan's ledgers: pledges before patents (a patent lists its pledges)
              "pledge", "patent", "insurance", "navigation", "agency")
CHUNK = 2000  # rows per create_many call (= one transaction in Desk; each ends with PRAGMA optimize)

Progress = Callable[[int, int], None]  # (records created, records planned)
Tag = TypeVar("Tag")


@dataclass(slots=True)
class Made:
    """What later stages need to know about a created record (kept small: 200,000 rows)."""

    id: str
    receipt: str
    day: dt.date  # the service date (for ratings and follow-ups)
    extra: dict[str, Any] = field(default_factory=dict)


class DemoRun:
    """The state of one `generate` call; the kinds' generators add to its lists."""

    def __init__(self, desk: Desk, seed: int, total: int, progress: Progress | None) -> None:
        self.desk = desk
        self.seed = seed
        self.total = total
        self.done = 0
        self.progress = progress
        self.today = today_cst()
        self.now = utcnow().astimezone(CST)
        self.cal: Calendar = desk.calendar()
        self.enterprises: list[Enterprise] = []
        self.consultations: list[Made] = []
        self.filings: list[Made] = []
        self.cases: list[Made] = []
        self.mediations: list[Made] = []
        self.ratings: list[Made] = []
        self.pledges: list[Made] = []
        self.patent_numbers: list[tuple[str, int]] = []  # (application number, filing year)
        self.counts = dict.fromkeys(KIND_ORDER, 0)
        self._planned: list[BulkAction] | None = None

    def rng(self, part: str) -> random.Random:
        return random.Random(f"xingan-demo:{self.seed}:{part}")

    def _tick(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(min(self.done, self.total), self.total)

    # --- dates ----------------------------------------------------------------------------------
    def past_day(self, rng: random.Random, *, min_days: int = 1, max_days: int = 365) -> dt.date:
        d = self.today - dt.timedelta(days=rng.randint(min_days, max_days))
        for _ in range(10):
            if self.cal.is_workday(d):
                break
            d -= dt.timedelta(days=1)
        return d

    def later(self, rng: random.Random, start: dt.date, lo: int, hi: int) -> dt.date | None:
        """start + lo..hi days rolled to a working day, or None if that is after today."""
        d = start + dt.timedelta(days=rng.randint(lo, hi))
        if d > self.today:
            return None
        rolled = self.cal.roll_forward(d)
        if rolled <= self.today:
            return rolled
        # in a holiday that lasts beyond today: the last working day before it, if any
        back = d
        while back > start and not self.cal.is_workday(back):
            back -= dt.timedelta(days=1)
        return back if back > start else d

    def at(self, rng: random.Random, day: dt.date) -> dt.datetime:
        """A moment in office hours on `day`, not in the future."""
        minutes = rng.randint(8 * 60 + 30, 17 * 60)
        moment = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60,
                             tzinfo=CST)
        return min(moment, self.now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5))

    # --- accounts ---------------------------------------------------------------------------------
    def ensure_users(self) -> None:
        desk = self.desk
        existing = {u.username for u in desk.list_users()}
        missing = [u for u in DEMO_USERS if u[0] not in existing]
        if not missing:
            return
        if desk.user.role != "admin":
            desk.use_account("admin")
        for username, name, role in missing:
            desk.add_user(username, name, role, DEMO_PASSWORD)

    def as_user(self, who: tuple[str, str, str]) -> None:
        if self.desk.user.username != who[0]:
            self.desk.use_account(who[0])

    # --- bulk creation ----------------------------------------------------------------------------
    def create_chunked(
        self, kind: str, rows: Iterator[tuple[dict[str, Any], Tag]],
        created: Callable[[Tag, str, str], None] | None = None,
        advance: Callable[[Tag], None] | None = None,
    ) -> list[Tag]:
        """Create the rows through the bulk path (`Desk.create_many`, CHUNK rows per call);
        `advance(tag)` plans each row's workflow steps before it is written (its `act` calls
        become the row's `BulkAction`s, taken by the named accounts), `created(tag, id,
        receipt)` is told each new record. Returns the tags in input order."""
        self.as_user(CLERK)
        out: list[Tag] = []
        while True:
            chunk = list(itertools.islice(rows, CHUNK))
            if not chunk:
                return out
            bulk_rows = []
            for raw, tag in chunk:
                self._planned = []
                if advance is not None:
                    advance(tag)
                bulk_rows.append(BulkRow(raw, actions=tuple(self._planned)))
            self._planned = None
            result = self.desk.create_many(kind, bulk_rows, batch_rows=CHUNK)
            for (_, rec_id, receipt), (_, tag) in zip(result.created, chunk, strict=True):
                if created is not None:
                    created(tag, rec_id, receipt)
                out.append(tag)
            self.counts[kind] += result.count
            if kind in KIND_ORDER:  # the roster is reference data beyond the plan's total
                self._tick(result.count)

    def act(self, who: tuple[str, str, str], record_id: str, action: str,
            raw: dict[str, Any] | None = None) -> None:
        """A workflow step of the row being planned (see `create_chunked`), taken by `who`."""
        if self._planned is None:
            raise RuntimeError("demo: actions are planned inside create_chunked")
        self._planned.append(BulkAction(action, dict(raw or {}), actor=who[0]))


def made_created(m: Made, rec_id: str, receipt: str) -> None:
    """`create_chunked`'s `created` for Made tags."""
    m.id, m.receipt = rec_id, receipt
