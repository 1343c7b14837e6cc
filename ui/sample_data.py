"""Sample data for screenshots, timing and tests: the core's demo records (`populate`). The
sync items a review screenshot shows come from `xingan_desk.sync.review_samples`. No Qt."""

from __future__ import annotations

from xingan_desk.desk import Desk


def populate(desk: Desk, n: int = 300, seed: int = 2026) -> dict[str, int]:
    """About `n` records of every kind: the core's demo generator (`xingan_desk.demo`)."""
    from xingan_desk.demo import generate

    return generate(desk, n, seed=seed)
