"""The status bar's pending-upload count (`Desk.pending_outbox`) on a large outbox (issue 10).

Run:  python benchmarks/bench_outbox_count.py [--rows 200000]
Builds a store in a temporary folder whose outbox holds N unsynced changes (payloads of a
realistic ~1 KB, 1 in 1,000 refused), then times `Desk.pending_outbox()` (median of 9, first
call after opening the store included separately) against a bare `count(*)` of the outbox.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xingan_desk.desk import Desk  # noqa: E402

PASSWORD = "Bench2026x"
PAYLOAD = json.dumps({"kind": "consultation", "values": {
    "question": "新材料企业如何通过预审通道加快专利审查？" * 8,
    "answer": "可先办理预审备案，备案通过后提交预审。" * 8,
    "visitor_name": "王芳", "visitor_phone": "13812345678"}}, ensure_ascii=False)


def fill(desk: Desk, n: int) -> None:
    rows = [(str(uuid.uuid4()), "record", str(uuid.uuid4()), "create", PAYLOAD, f"h{i:012d}",
             "2026-03-02T01:00:00+00:00", "rejected" if i % 1000 == 999 else "pending", 0)
            for i in range(n)]
    raw = desk.engine.raw_connection()
    conn = raw.driver_connection
    assert conn is not None
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO outbox(mutation_id, entity, entity_id, op, payload, hlc,"
                     " created_at, state, attempts) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    raw.close()


def timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        desk = Desk.initialise(store, "152223", "02", admin_password=PASSWORD)
        t = time.perf_counter()
        fill(desk, args.rows)
        print(f"store: {args.rows} outbox rows in {time.perf_counter() - t:.1f} s")
        desk.close()
        desk = Desk.open(store, password=PASSWORD)  # cold cache as at start-up (OS cache warm)
        first = timed(desk.pending_outbox)
        warm = statistics.median(timed(desk.pending_outbox) for _ in range(9))

        def bare() -> None:
            with desk.engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()

        base = statistics.median(timed(bare) for _ in range(9))
        with desk.engine.connect() as conn:
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM outbox WHERE state = 'pending'"))
        print(f"pending_outbox() = {desk.pending_outbox()}: first call {first:.1f} ms, "
              f"then {warm:.1f} ms median ({plan})")
        print(f"bare count(*) of the outbox: {base:.1f} ms")
        desk.close()


if __name__ == "__main__":
    main()
