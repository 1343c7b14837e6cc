"""How long a clerk's save waits while background sync writes the same SQLite file.
Run:  python benchmarks/bench_sync_ui.py [--changes 4000] [--pages 200,500]

Needs the PostgreSQL in XINGAN_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
creates a scratch database and drops it afterwards.

Both the sync thread and the clerk's saves write with BEGIN IMMEDIATE, so a save waits for the
sync transaction in progress (an ack of one outbox batch, or one applied pull page). For each
page size the script runs SyncService.run_once on a thread — first window A pushing a backlog,
then window B pulling it — while the "clerk" saves a consultation every 50 ms on the main
thread, and prints the save times (median, p95, max) against saves with no sync running.
Goal (reference/sync.md §8): a clerk's save p95 <= 5 ms without sync; with sync, no save waits
longer than about one sync transaction (well under a second).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.sync.central import add_window, init_central, window_roles  # noqa: E402
from xingan_desk.sync.service import SyncService  # noqa: E402

ADMIN_URL = os.environ.get("XINGAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Admin2026x"
CONSULTATION = {
    "started_at": "2026-03-02 09:10", "channel": "onsite", "first_responder": "李娜",
    "visitor_type": "person", "visitor_name": "王芳", "visitor_phone": "13812345678",
    "topics": ["preexam", "policy"], "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案。", "handling": "answered",  # create + auto 'close' = 2 changes
}


def _saves_during(desk: Any, work: Any) -> tuple[list[float], float]:
    """Save every 50 ms on this thread while `work` runs on another; (save ms, work s)."""
    done = threading.Event()
    took: list[float] = []

    def run() -> None:
        t0 = time.perf_counter()
        try:
            work()
        finally:
            took.append(time.perf_counter() - t0)
            done.set()

    t = threading.Thread(target=run)
    t.start()
    times: list[float] = []
    while not done.is_set():
        t0 = time.perf_counter()
        desk.create("consultation", CONSULTATION, register_enterprise=False)
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.05)
    t.join()
    return times, took[0]


def _fmt(times: list[float]) -> str:
    if not times:
        return "no saves"
    q = statistics.quantiles(times, n=20) if len(times) >= 20 else [max(times)] * 19
    return (f"{len(times)} saves: median {statistics.median(times):.1f} ms, "
            f"p95 {q[18]:.1f} ms, max {max(times):.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=4000)
    ap.add_argument("--pages", default="100,500")
    args = ap.parse_args()
    db = f"xingan_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    url = make_conninfo(ADMIN_URL, dbname=db)
    roles: list[str] = []
    try:
        init_central(url)
        with tempfile.TemporaryDirectory() as tmp:
            base: list[float] = []
            for n, page in enumerate(int(p) for p in args.pages.split(",")):
                wa = add_window(url, "152223", f"{2 * n + 2:02d}")
                wb = add_window(url, "152223", f"{2 * n + 3:02d}")
                roles = window_roles(url)
                a = Desk.initialise(Path(tmp) / f"a{n}", "152223", wa.window_no,
                                    admin_password=PASSWORD)
                a.use_account("admin")
                a.create_many("consultation", [CONSULTATION] * (args.changes // 2))
                if not base:
                    for _ in range(60):
                        t0 = time.perf_counter()
                        a.create("consultation", CONSULTATION, register_enterprise=False)
                        base.append((time.perf_counter() - t0) * 1000)
                    print(f"no sync running: {_fmt(base)}")
                opts = {"batch_size": page, "page_size": page}
                sa = SyncService(a, url=wa.url, client_options={**opts, "machine_id": "bench-a"})
                times, took = _saves_during(a, sa.run_once)
                print(f"page {page}: push of {sa.last_report.accepted if sa.last_report else 0} "
                      f"changes in {took:.2f} s; clerk at the same window: {_fmt(times)}")
                b = Desk.initialise(Path(tmp) / f"b{n}", "152223", wb.window_no,
                                    admin_password=PASSWORD)
                b.use_account("admin")
                sb = SyncService(b, url=wb.url, client_options={**opts, "machine_id": "bench-b"})
                times, took = _saves_during(b, sb.run_once)
                print(f"page {page}: pull of {sb.last_report.pulled if sb.last_report else 0} "
                      f"changes in {took:.2f} s; clerk at the pulling window: {_fmt(times)}")
                a.close()
                b.close()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(db)))
            for role in roles:
                c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
