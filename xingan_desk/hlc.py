"""Hybrid logical clock: timestamps that order causally related changes across windows even
when PC clocks disagree, and never go backwards on one window (also across restarts, because
the last value is persisted in the installation row).

Text form: "<13-digit unix ms>-<5-digit counter>-<node>", so plain string comparison orders
them; the node (window code) breaks ties between windows deterministically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class HLC:
    millis: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.millis:013d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        millis, counter, node = text.split("-", 2)
        return cls(int(millis), int(counter), node)


def now_millis() -> int:
    return time.time_ns() // 1_000_000


def tick(last: str | None, node: str, wall_ms: int | None = None) -> str:
    """The next local timestamp after `last` (a send or local event)."""
    wall = now_millis() if wall_ms is None else wall_ms
    if not last:
        return str(HLC(wall, 0, node))
    prev = HLC.parse(last)
    if wall > prev.millis:
        return str(HLC(wall, 0, node))
    return str(HLC(prev.millis, prev.counter + 1, node))


def receive(last: str | None, remote: str, node: str, wall_ms: int | None = None) -> str:
    """Merge a timestamp seen on a pulled change so later local events sort after it."""
    wall = now_millis() if wall_ms is None else wall_ms
    r = HLC.parse(remote)
    p = HLC.parse(last) if last else HLC(0, 0, node)
    top = max(wall, p.millis, r.millis)
    if top == p.millis == r.millis:
        counter = max(p.counter, r.counter) + 1
    elif top == p.millis:
        counter = p.counter + 1
    elif top == r.millis:
        counter = r.counter + 1
    else:
        counter = 0
    return str(HLC(top, counter, node))
