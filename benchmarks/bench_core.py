"""Core benchmarks (issue: the core). Run:  python benchmarks/bench_core.py [--records 200000]

Prints each figure with its goal and ratio. The 200k-record store is built once with the demo
generator and kept in bench-out/ (delete it to rebuild).

Figures:
- one save through Desk (validation, numbering, audit, outbox, search index; its own
  transaction) vs a raw SQLAlchemy Core insert of the same row in its own transaction with the
  same pragmas: median and p95 (goal: ratio <= 3x, p95 <= 10 ms);
- demo generation rate (records/s);
- search latency for a 2-character Chinese name, a credit-code prefix and a receipt number
  (goal <= 50 ms median each);
- cold `xingan-desk --help` (goal <= 0.5 s);
- database size on disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.views import Query  # noqa: E402

CONSULTATION = {
    "started_at": "2026-03-02 09:10", "channel": "onsite", "first_responder": "李娜",
    "visitor_type": "person", "visitor_name": "王芳", "visitor_phone": "13812345678",
    "topics": ["preexam", "policy"], "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案。", "handling": "answered",
}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(name: str, value: float, unit: str, goal: str = "", ratio: str = "") -> None:
    print(f"{name:<48} {value:>10.2f} {unit:<6} {goal:<16} {ratio}")


def build_store(directory: Path, records: int) -> tuple[Desk, float]:
    from xingan_desk.demo import generate

    marker = directory / f"built-{records}"
    if marker.exists():
        desk = Desk.open(directory, password="Bench2026x")  # encrypted store, maybe no keyring
        desk.use_account("admin")
        return desk, float(marker.read_text())
    if directory.exists():
        shutil.rmtree(directory)
    desk = Desk.initialise(directory, "152223", "02", admin_password="Bench2026x")
    desk.use_account("admin")
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  building store: {done}/{total}", file=sys.stderr, flush=True)

    counts = generate(desk, records, seed=2026, progress=progress)
    rate = sum(counts.values()) / (time.perf_counter() - started)
    marker.write_text(f"{rate:.1f}")
    return desk, rate


def bench_saves(desk: Desk, n: int) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

    from xingan_desk.storage import db as dbmod

    desk_times: list[float] = []
    for i in range(n):
        t = time.perf_counter()
        desk.create("consultation", {**CONSULTATION, "visitor_name": "王芳" + "赵钱孙李周吴郑冯陈褚"[i % 10]})
        desk_times.append((time.perf_counter() - t) * 1000)
    raw_path = desk.directory / "raw.sqlite3"
    raw_path.unlink(missing_ok=True)
    engine = dbmod.make_engine(raw_path)
    md = MetaData()
    t_raw = Table("raw", md, Column("pk", Integer, primary_key=True),
                  *(Column(k, Text if k == "question" else String(100)) for k in CONSULTATION))
    md.create_all(engine)
    w = dbmod.writer(engine)
    row = {k: str(v) for k, v in CONSULTATION.items()}
    raw_times: list[float] = []
    for _ in range(n):
        t = time.perf_counter()
        with w.begin() as conn:
            conn.execute(insert(t_raw).values(**row))
        raw_times.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    raw_path.unlink(missing_ok=True)
    dm, dp = statistics.median(desk_times), pct(desk_times, 95)
    rm, rp = statistics.median(raw_times), pct(raw_times, 95)
    line("save via Desk, median", dm, "ms", "", f"ratio {dm / rm:.2f}x raw (goal <= 3x)")
    line("save via Desk, p95", dp, "ms", "goal <= 10 ms", f"ratio {dp / rp:.2f}x raw")
    line("raw Core insert + commit, median", rm, "ms")
    line("raw Core insert + commit, p95", rp, "ms")


def bench_search(desk: Desk, repeats: int = 21) -> None:
    sample = desk.search(Query(kind="enterprise", limit=1))[0]
    uscc_prefix = sample.values["uscc"][:6]
    receipt = desk.search(Query(kind="mediation", limit=1))[0].receipt_no
    cases = [("2-char Chinese name 王芳", "王芳"), (f"credit-code prefix {uscc_prefix}", uscc_prefix),
             ("receipt number", receipt)]
    for name, needle in cases:
        times, hits = [], 0
        for _ in range(repeats):
            t = time.perf_counter()
            ids = desk.find_ids(Query(text=needle, limit=500))
            times.append((time.perf_counter() - t) * 1000)
            hits = len(ids)
        med = statistics.median(times)
        line(f"search: {name} ({hits} hits)", med, "ms", "goal <= 50 ms", f"ratio {med / 50:.2f}")


def bench_help() -> None:
    exe = [sys.executable, "-m", "xingan_desk", "--help"]
    times = []
    for _ in range(7):
        t = time.perf_counter()
        subprocess.run(exe, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    line("cold `xingan-desk --help` (new process)", med, "s", "goal <= 0.5 s", f"ratio {med / 0.5:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--saves", type=int, default=300)
    ap.add_argument("--dir", default=str(ROOT / "bench-out" / "core"))
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    desk, rate = build_store(Path(args.dir), args.records)
    total = sum(desk.counts_by_kind().values())
    line(f"demo generation rate ({args.records} records)", rate, "rec/s")
    print(f"store holds {total} records")
    bench_saves(desk, args.saves)
    bench_search(desk)
    bench_help()
    size = sum(p.stat().st_size for p in Path(args.dir).glob("xingan-desk.sqlite3*"))
    line("database size on disk", size / 1e6, "MB", "", f"{size / max(total, 1):.0f} bytes/record")
    desk.close()


if __name__ == "__main__":
    main()
