"""Importing a ledger (issue 12): rows per second against a raw executemany, memory.

Run:  python benchmarks/bench_import.py [--rows 20000] [--store DIR | --scale N | --base N]
Writes a consultation ledger of N rows (a title row above the header, dates as text, closed
statuses, its own 台账编号) as xlsx, then imports it into a copy of a store: by default the
200,000-record store run_all.py built (bench-out/run_all/store-200000) when it is there,
`--store DIR` names another (its admin password is run_all's), `--scale N` builds (once) and
uses run_all's demo store of N records, `--empty` (or `--base N`: N plain records made first
through the same bulk path) a fresh one. It times:
  * `xingan-desk import`'s engine (ImportJob.run: streaming read, mapping, normalising,
    validation, the bulk path with numbers, events, audit, outbox, search index, source keys);
  * the same rows again (a re-import: everything skipped by its source key);
  * the baselines of the same run: a raw executemany of exactly the rows the import wrote
    (every table, the import's batches as transactions, same store, pragmas and key), and
    the ledger's values alone into a bare table of the same columns.
It prints rows/s (wall and per CPU-second: on a shared machine the second is the steadier
figure) and the ratios, and the peak memory (ru_maxrss) after reading the file alone
at N and at 4N rows (streaming: it must not grow with the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import run_all  # noqa: E402

from xingan_desk.desk import Desk  # noqa: E402

PASSWORD = "Bench2026x"
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴", "芳伟娜敏静丽强磊洋军"
HEADER = ["台账编号", "咨询日期", "首问责任人", "来访人", "联系电话", "单位名称", "咨询类别",
          "咨询内容", "答复内容", "状态"]


def ledger_rows(n: int, offset: int = 0):  # type: ignore[no-untyped-def]
    start = dt.date(2023, 1, 1)
    for i in range(offset, offset + n):
        day = start + dt.timedelta(days=i % 700)
        yield [f"ZX2023-{i:07d}", f"{day.year}.{day.month}.{day.day}", "李娜",
               SURNAMES[i % 10] + GIVEN[(i // 10) % 10], f"138{i % 100_000_000:08d}",
               f"兴安盟某某{i % 5000}有限公司", "政策咨询（资助/奖补）、专利检索",
               f"第{i}号：企业如何申请专利资助和预审备案？", "已当场答复，告知所需材料。", "已办结"]


def write_ledger(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("咨询台账")
    ws.append(["兴安盟知识产权服务窗口咨询台账"])
    ws.append(HEADER)
    for row in ledger_rows(n):
        ws.append(row)
    wb.save(path)


def read_peak_rss(path: Path) -> int:
    """Peak RSS (KiB) of a fresh interpreter that only reads the ledger through the importer's
    reader."""
    code = ("import resource,sys;from pathlib import Path;"
            "from xingan_desk.importing.sheet import open_sheets, read_rows\n"
            "n=0\n"
            "for s in open_sheets(Path(sys.argv[1])):\n"
            "    for _ in read_rows(s): n+=1\n"
            "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout.split()
    return int(out[1])


def baseline(desk: Desk, n: int) -> float:
    """rows/s of one raw executemany of the same values into a bare table of the same shape."""
    cols = [f"c{i}" for i in range(len(HEADER))]
    raw = desk.engine.raw_connection()
    conn = raw.driver_connection
    assert conn is not None
    conn.execute(f"CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, {', '.join(cols)})")
    rows = list(ledger_rows(n, offset=10_000_000))
    t = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO bench_raw ({', '.join(cols)}) VALUES "
                     f"({', '.join('?' * len(cols))})", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t
    conn.execute("DROP TABLE bench_raw")
    raw.close()
    return n / elapsed


def open_store(args: argparse.Namespace, tmp: Path) -> tuple[Desk, str]:
    """The store the ledger goes into, and what it is."""
    source: Path | None = None
    if args.store:
        source = Path(args.store)
    elif args.scale:
        built = Path(args.out) / f"store-{args.scale}"
        run_all.build(built, args.scale, False)[0].close()
        source = built
    elif not args.empty and not args.base and DEFAULT_STORE.exists():
        source = DEFAULT_STORE
    if source is not None:
        t = time.perf_counter()
        shutil.copytree(source, tmp / "store")
        desk = run_all.open_store(tmp / "store")
        n = sum(desk.counts_by_kind().values())
        print(f"store: a copy of {source} ({n:,} records, {time.perf_counter() - t:.0f} s to copy)")
        return desk, f"a {n:,}-record store"
    desk = Desk.initialise(tmp / "store", "152223", "02", admin_password=PASSWORD)
    desk.use_account("admin")
    if args.base:
        t = time.perf_counter()
        base = ({"started_at": f"2024-0{1 + i % 9}-1{i % 10} 10:00", "first_responder": "李娜",
                 "visitor_name": "王芳", "enterprise_name": f"基底企业{i}", "topics": ["policy"],
                 "question": f"基底问题{i}", "handling": "answered"} for i in range(args.base))
        desk.create_many("consultation", base, on_error="collect")
        print(f"store: {args.base} records first ({time.perf_counter() - t:.1f} s)")
        return desk, f"a {args.base:,}-record store"
    return desk, "an empty store"


DEFAULT_STORE = ROOT / "bench-out" / "run_all" / "store-200000"


def main() -> None:
    from xingan_desk.importing import ImportJob
    from xingan_desk.importing.run import BATCH

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--store", help="import into a copy of this store (run_all.py's password)")
    ap.add_argument("--scale", type=int, default=0,
                    help="import into a copy of run_all.py's demo store of this many records")
    ap.add_argument("--out", default=str(ROOT / "bench-out" / "run_all"),
                    help="where run_all.py keeps its stores (--scale)")
    ap.add_argument("--empty", action="store_true", help="import into a new, empty store")
    ap.add_argument("--base", type=int, default=0, help="records in a new store before the import")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT / "bench-out" if (ROOT / "bench-out").exists()
                                     else None) as tmp_name:
        tmp = Path(tmp_name)
        ledger = tmp / "台账.xlsx"
        t = time.perf_counter()
        write_ledger(ledger, args.rows)
        print(f"ledger: {args.rows} rows, {ledger.stat().st_size / 1e6:.1f} MB "
              f"({time.perf_counter() - t:.1f} s to write)")
        desk, what = open_store(args, tmp)
        before = run_all.marks(desk)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t, cpu = time.perf_counter(), time.process_time()
        result = ImportJob(desk, "consultation", ledger).run()
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert result.imported == args.rows and result.bad_rows == 0, result.summary()
        rate = args.rows / took
        t = time.perf_counter()
        again = ImportJob(desk, "consultation", ledger).run()
        took_again = time.perf_counter() - t
        assert again.imported == 0 and again.skipped == args.rows
        # the same-run baseline: exactly the rows the import wrote, raw, in its transactions
        got = run_all.written_rows(desk, before)
        n_rows = sum(len(r) for _, r in got.values())
        offset = run_all.marks(desk)["record"] - before["record"]
        raw_cpu = time.process_time()
        raw_s = run_all.raw_insert(desk, run_all.raw_copy_rows(got, offset, "imp"),
                                   -(-args.rows // BATCH))
        raw_cpu = time.process_time() - raw_cpu
        raw_rate, raw_cpu_rate = args.rows / raw_s, args.rows / raw_cpu
        values_rate = baseline(desk, args.rows)
        desk.close()
        print(f"import into {what}: {args.rows} rows in {took:.1f} s = {rate:,.0f} rows/s "
              f"(goal 2,000 rows/s: {rate / 2000:.2f}x); CPU time {cpu:.1f} s = "
              f"{args.rows / cpu:,.0f} rows per CPU-second (the machine may be shared); "
              f"peak RSS +{(rss1 - rss0) / 1024:.0f} MiB")
        print(f"  baseline, raw executemany of exactly the rows it wrote ({n_rows:,} rows in "
              f"{len(got)} tables, {-(-args.rows // BATCH)} transactions): {raw_rate:,.0f} rows/s "
              f"wall, {raw_cpu_rate:,.0f} per CPU-second; import / raw = {rate / raw_rate:.2f} "
              f"wall, {args.rows / cpu / raw_cpu_rate:.2f} CPU")
        print(f"  baseline, the ledger's values alone into a bare table: {values_rate:,.0f} "
              f"rows/s; import / that = {rate / values_rate:.3f}")
        print(f"re-import (all skipped by source key): {args.rows / took_again:,.0f} rows/s")
        small = read_peak_rss(ledger)
        big = tmp / "台账4x.xlsx"
        write_ledger(big, args.rows * 4)
        large = read_peak_rss(big)
        print(f"reading alone, peak RSS: {small / 1024:.0f} MiB at {args.rows} rows, "
              f"{large / 1024:.0f} MiB at {args.rows * 4} rows (flat: streamed)")


if __name__ == "__main__":
    main()
