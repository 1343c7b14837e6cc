"""The credit-code lookup with and without planner statistics (issue 10).

Run:  python benchmarks/bench_lookup.py [--enterprises 30000]
Builds a store in a temporary folder with raw inserts (N enterprises), then times
`Desk.enterprise_by_uscc` (median of 50 lookups) as a store of an older release has it (no
sqlite_stat1) and after `Desk.maintenance.optimize()`, with the plan SQLite chose each time.
Goal: the lookup uses ix_record_uscc (≈ 0.1 ms), not a walk over every enterprise.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
LOOKUP = ("SELECT record.id FROM record WHERE record.kind = 'enterprise' AND "
          "record.enterprise_uscc = ? AND record.voided = 0")


def fill(desk: Desk, n: int) -> list[str]:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows, details, codes = [], [], []
    for i in range(n):
        rid, at, code = str(uuid.uuid4()), (base + dt.timedelta(minutes=i)).isoformat(), \
            f"91152201MA{i:07d}X"
        rows.append((rid, "enterprise", f"B-{i:07d}", "", 0, "152223-02", "152223", "admin",
                     at, at, "admin", "h", "{}", 1, 0, f"企业{i}", "", code, 0))
        details.append((rid,))
        codes.append(code)
    raw = desk.engine.raw_connection()
    conn = raw.driver_connection
    assert conn is not None
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO record(id, kind, receipt_no, status, needs_review, owner, county_code,"
        " created_by, created_at, updated_at, updated_by, hlc, field_hlc, row_version, voided,"
        " title, search_text, enterprise_uscc, print_count)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO enterprise_detail(record_id) VALUES (?)", details)
    conn.execute("COMMIT")
    raw.close()
    return codes


def measure(desk: Desk, codes: list[str]) -> tuple[float, str]:
    runs = []
    for i in range(50):
        code = codes[(i * 7919) % len(codes)]
        t = time.perf_counter()
        desk.enterprise_by_uscc(code)
        runs.append((time.perf_counter() - t) * 1000)
    with desk.engine.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + LOOKUP, (codes[0],)))
    return statistics.median(runs), plan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=30_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        desk = Desk.initialise(Path(tmp) / "store", "152223", "02", admin_password=PASSWORD)
        desk.use_account("admin")
        t = time.perf_counter()
        codes = fill(desk, args.enterprises)
        print(f"store: {args.enterprises} enterprises in {time.perf_counter() - t:.1f} s")
        with desk.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        before, plan_before = measure(desk, codes)
        t = time.perf_counter()
        desk.maintenance.optimize()
        took = (time.perf_counter() - t) * 1000
        after, plan_after = measure(desk, codes)
        t = time.perf_counter()
        desk.maintenance.optimize()
        again = (time.perf_counter() - t) * 1000
        print(f"enterprise_by_uscc without statistics: {before:8.3f} ms  ({plan_before})")
        print(f"enterprise_by_uscc with statistics:    {after:8.3f} ms  ({plan_after})")
        print(f"ratio {before / after:.0f}x; first ANALYZE {took:.0f} ms, "
              f"PRAGMA optimize with nothing to do {again:.1f} ms")
        desk.close()


if __name__ == "__main__":
    main()
