"""Named crash points for the fault tests.

`FaultPoints(names).hit(point)` raises InjectedFault at the named points; the environment
variable XINGAN_SYNC_FAULT=<point>[@n] kills the process at the n-th hit (exit code 137), as
a power cut or kill -9 would.
"""

from __future__ import annotations

import os
from collections.abc import Collection

FAULT_ENV = "XINGAN_SYNC_FAULT"
FAULT_POINTS = ("before_push", "after_push_before_ack", "mid_ack", "before_apply",
                "mid_apply", "after_apply")
# only reached when a stream's digest differs from central's (a damaged local row)
REBASELINE_FAULT = "mid_rebaseline"


class InjectedFault(Exception):
    """Raised at a named fault point (tests only)."""


class FaultPoints:
    def __init__(self, names: Collection[str] = ()) -> None:
        self.names = set(names)
        self.hits: dict[str, int] = {}

    def hit(self, point: str) -> None:
        wanted = os.environ.get(FAULT_ENV, "")
        if wanted:
            name, _, nth = wanted.partition("@")  # "mid_ack@3": die the third time
            if name == point:
                self.hits[point] = self.hits.get(point, 0) + 1
                if self.hits[point] >= int(nth or 1):
                    os._exit(137)
        if point in self.names:
            raise InjectedFault(point)
