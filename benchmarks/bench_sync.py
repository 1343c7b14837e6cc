"""Sync benchmark (issue 5). Run:  python benchmarks/bench_sync.py [--changes 5000]

Needs the PostgreSQL in XINGAN_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
creates a scratch database and drops it afterwards.

Figures:
- push of an offline backlog of N outbox changes through sync.push in batches of 500, including
  the local ack transactions (goal: 5,000 changes <= 5 s);
- ratio to a bare psycopg COPY of the same N payloads into an unindexed table;
- pull of the same N changes by a second window of the county (apply + refold + index).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from sqlalchemy import select  # noqa: E402

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.storage.schema import OutboxEntry  # noqa: E402
from xingan_desk.sync.central import add_window, init_central, window_roles  # noqa: E402
from xingan_desk.sync.client import SyncClient, SyncReport  # noqa: E402

ADMIN_URL = os.environ.get("XINGAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Admin2026x"
CONSULTATION = {
    "started_at": "2026-03-02 09:10", "channel": "onsite", "first_responder": "李娜",
    "visitor_type": "person", "visitor_name": "王芳", "visitor_phone": "13812345678",
    "topics": ["preexam", "policy"], "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案。", "handling": "answered",  # create + auto 'close' = 2 changes
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=5000)
    args = ap.parse_args()
    db = f"xingan_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    url = make_conninfo(ADMIN_URL, dbname=db)
    roles: list[str] = []
    try:
        init_central(url)
        wa = add_window(url, "152223", "02")
        wb = add_window(url, "152223", "03")
        roles = window_roles(url)
        with tempfile.TemporaryDirectory() as tmp:
            a = Desk.initialise(Path(tmp) / "a", "152223", "02", admin_password=PASSWORD)
            a.use_account("admin")
            t0 = time.perf_counter()
            a.create_many("consultation", [CONSULTATION] * (args.changes // 2))
            build = time.perf_counter() - t0
            with a._ro() as s:
                rows = list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq)))
            n = len(rows)
            print(f"backlog: {n} outbox changes (built locally in {build:.1f} s)")

            client = SyncClient(a, wa.url, machine_id="bench")
            client._ensure_tables()
            rep = SyncReport()
            with client._central() as conn:
                t0 = time.perf_counter()
                client.push(conn, rep)
                push = time.perf_counter() - t0
            assert rep.accepted == n and rep.rejected == 0, rep
            print(f"push via sync.push (batches of 500, incl. local acks): {push:.2f} s "
                  f"({n / push:,.0f} changes/s)  goal <= 5 s for 5,000: "
                  f"{'OK' if push * 5000 / n <= 5 else 'MISSED'}")

            with psycopg.connect(url) as conn:
                conn.execute("CREATE TABLE bench_copy (stream text, seq bigint, entity text, "
                             "entity_id text, op text, payload jsonb)")
                t0 = time.perf_counter()
                with conn.cursor().copy("COPY bench_copy FROM STDIN") as cp:
                    for i, r in enumerate(rows, 1):
                        cp.write_row(("county:152223", i, r.entity, r.entity_id, r.op,
                                      Jsonb(r.payload)))
                conn.commit()
                copy = time.perf_counter() - t0
            print(f"bare psycopg COPY of the same {n} rows: {copy:.3f} s  "
                  f"ratio push/COPY = {push / copy:.1f}x")

            b = Desk.initialise(Path(tmp) / "b", "152223", "03", admin_password=PASSWORD)
            b.use_account("admin")
            cb = SyncClient(b, wb.url, machine_id="bench-b")
            t0 = time.perf_counter()
            rb = cb.run_once()
            pull = time.perf_counter() - t0
            print(f"pull + apply of {rb.pulled} changes by another window: {pull:.2f} s "
                  f"({rb.pulled / pull:,.0f} changes/s)")
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
