"""Statistics benchmark. Run:  python benchmarks/bench_stats.py [--records 200000]

Prints each figure with its goal and ratio. The store is a League window (152200, which reports
on the whole League) filled once with the demo generator and kept in bench-out/stats (delete
it to rebuild; building 200,000 records takes several minutes).

Figures:
- `stats.compute` for the current year at League scope (goal <= 1 s), median of 7 runs;
- the same for one month, and for the year at one county's scope;
- writing the year's report to xlsx and to PDF (no goal; printed for information).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.stats import Period, compute  # noqa: E402
from xingan_desk.timeutil import today_cst  # noqa: E402


def line(name: str, value: float, unit: str, goal: str = "", ratio: str = "") -> None:
    print(f"{name:<52} {value:>10.3f} {unit:<6} {goal:<16} {ratio}")


def build_store(directory: Path, records: int) -> Desk:
    from xingan_desk.demo import generate

    marker = directory / f"built-{records}"
    if marker.exists():
        desk = Desk.open(directory, password="Bench2026x")  # encrypted store, maybe no keyring
        desk.use_account("admin")
        return desk
    if directory.exists():
        shutil.rmtree(directory)
    desk = Desk.initialise(directory, "152200", "01", admin_password="Bench2026x")
    desk.use_account("admin")
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  building store: {done}/{total}", file=sys.stderr, flush=True)

    counts = generate(desk, records, seed=2026, progress=progress)
    rate = sum(counts.values()) / (time.perf_counter() - started)
    marker.write_text(f"{rate:.1f}")
    return desk


def timed(fn: object, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--dir", default=str(ROOT / "bench-out" / "stats"))
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    desk = build_store(Path(args.dir), args.records)
    total = sum(desk.counts_by_kind().values())
    print(f"store holds {total} records (League window 152200)")
    today = today_cst()
    year, month = Period.year(today.year), Period.month(today.year, today.month)

    med, report = timed(lambda: compute(desk, year), args.repeats)
    n = report.consultations.total + report.ratings.total  # type: ignore[attr-defined]
    line(f"stats: year {today.year}, League scope ({n} consultations+ratings)", med, "s",
         "goal <= 1 s", f"ratio {med / 1.0:.2f}")
    med_m, _ = timed(lambda: compute(desk, month), args.repeats)
    line(f"stats: month {month.key}, League scope", med_m, "s", "goal <= 1 s",
         f"ratio {med_m / 1.0:.2f}")
    med_c, _ = timed(lambda: compute(desk, year, "152200"), args.repeats)
    line(f"stats: year {today.year}, one county (152200)", med_c, "s", "goal <= 1 s",
         f"ratio {med_c / 1.0:.2f}")

    from xingan_desk.stats_export import export_report

    out = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    for fmt in ("xlsx", "pdf"):
        t = time.perf_counter()
        export_report(desk, report, fmt, out / f"report.{fmt}")  # type: ignore[arg-type]
        line(f"export the year's report to {fmt}", time.perf_counter() - t, "s")
    shutil.rmtree(out, ignore_errors=True)
    desk.close()


if __name__ == "__main__":
    main()
