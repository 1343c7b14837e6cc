"""`generate`: the demo of a given size, kind after kind (later kinds refer to earlier ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import PermissionDenied
from .consultations import make_consultations
from .enterprises import make_enterprises
from .ledgers import make_agencies, make_insurance, make_navigation, make_patents, make_pledges
from .mediations import make_mediations
from .preexam import make_cases, make_filings
from .ratings import make_ratings
from .run import KIND_ORDER, DemoRun, Progress

if TYPE_CHECKING:
    from ..desk import Desk

__all__ = ["SHARES", "generate", "plan"]

SHARES = {
    "enterprise": 0.15,
    "consultation": 0.40,
    "preexam_filing": 0.10,
    "preexam_case": 0.10,
    "mediation": 0.05,
    "rating": 0.20,
    # the plan's ledgers (the consultations give up what they take)
    "pledge": 0.02,
    "patent": 0.03,
    "insurance": 0.01,
    "navigation": 0.003,
    "agency": 0.002,
}
# the generator of each kind, run in KIND_ORDER (later kinds refer to earlier ones)
MAKERS: dict[str, Callable[[DemoRun, int], None]] = {
    "enterprise": make_enterprises,
    "consultation": make_consultations,
    "preexam_filing": make_filings,
    "preexam_case": make_cases,
    "mediation": make_mediations,
    "rating": make_ratings,
    "pledge": make_pledges,
    "patent": make_patents,
    "insurance": make_insurance,
    "navigation": make_navigation,
    "agency": make_agencies,
}


def plan(records: int) -> dict[str, int]:
    """How many records of each kind `generate(desk, records)` creates (sums to `records`;
    at least one of each kind once records >= len(KIND_ORDER))."""
    if records <= 0:
        return dict.fromkeys(KIND_ORDER, 0)
    if records < len(KIND_ORDER):
        return {k: int(i < records) for i, k in enumerate(KIND_ORDER)}
    counts = {k: max(1, int(records * SHARES[k])) for k in KIND_ORDER}
    counts["consultation"] += records - sum(counts.values())
    while counts["consultation"] < 1:  # a small demo: the largest other kind gives one up
        donor = max((k for k in KIND_ORDER if k != "consultation"), key=lambda k: counts[k])
        counts[donor] -= 1
        counts["consultation"] += 1
    assert min(counts.values()) >= 1, counts
    return counts


def generate(
    desk: Desk, records: int, *, seed: int = 2026, progress: Progress | None = None
) -> dict[str, int]:
    """Create about `records` realistic demo records (split as in `plan`) and push part of them
    through their workflows. Returns the number created per kind (keys: KIND_ORDER).

    Needs the admin account when the demo accounts do not exist yet. The account that was in
    use before is restored afterwards. `progress(done, total)` is called after each chunk of
    records (at most 2,000 rows apart)."""
    counts = plan(records)
    try:
        previous: str | None = desk.user.username
    except PermissionDenied:
        previous = None
    run = DemoRun(desk, seed, records, progress)
    try:
        if previous is None:
            desk.use_account("admin")
        run.ensure_users()
        for kind in KIND_ORDER:
            if counts[kind]:
                MAKERS[kind](run, counts[kind])
    finally:
        if previous is None:
            desk.logout()
        else:
            desk.use_account(previous)
    return dict(run.counts)
