"""A clerk's save and back-to-back write transactions of another thread (the background sync)
do not starve each other: writers of one process take turns in arrival order
(storage/db.WriteGate)."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.conftest import GOOD_CONSULTATION


def test_save_waits_for_one_transaction_not_for_a_stream_of_them(desk: Any) -> None:
    stop = threading.Event()
    held: list[float] = []

    def busy_sync() -> None:  # like pull pages applied one after the other
        while not stop.is_set():
            with desk.writing():
                t0 = time.perf_counter()
                time.sleep(0.08)
                held.append(time.perf_counter() - t0)

    t = threading.Thread(target=busy_sync)
    t.start()
    try:
        time.sleep(0.1)
        waits = []
        for _ in range(5):
            t0 = time.perf_counter()
            desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
            waits.append(time.perf_counter() - t0)
    finally:
        stop.set()
        t.join()
    # turns in arrival order: the other writer got (at least) one transaction in between
    # saves, and each save waited for at most about one 80 ms transaction. Without the gate
    # SQLite's busy-polling lets whichever writer retries first win, starving the other one
    # (saves during a long pull waited up to ~1 s: benchmarks/bench_sync_ui.py).
    assert len(held) >= 5, (held, waits)
    assert max(waits) < 0.6, waits


def test_gate_is_reentrant_in_one_thread(desk: Any) -> None:
    from xingan_desk.storage.db import WriteGate

    gate = WriteGate()
    with gate, gate:
        pass
    done = []
    th = threading.Thread(target=lambda: (gate.__enter__(), done.append(1), gate.__exit__()))
    th.start()
    th.join(2)
    assert done == [1]
