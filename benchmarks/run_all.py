"""Every figure of the League-scale performance issue, each beside its baseline measured in the
same run, the ratio and the goal. Builds its stores itself.

Run:  python benchmarks/run_all.py                  (full: a 200,000-record store)
      python benchmarks/run_all.py --scale 20000    (small: same figures, goals scaled where
                                                     they depend on size)
Options: --out DIR (stores, default bench-out/run_all), --rebuild, --only SECTIONS
(build,bulk,save,search,size,plan,ui,sync; default all), --no-sync (skip PostgreSQL).

Sections (the machine may be busy: compare the ratios, their baselines ran beside them):
- build: the demo store built through the bulk path (Desk.create_many with audit, outbox,
  numbering, events and search index); goal <= 180 s at 200k (scaled linearly below).
- bulk: create_many of 5,000 varied consultations into a 5k store and into the full store,
  against a raw executemany of exactly the rows it wrote (same store, same pragmas, same
  transactions); goals >= 2,000 rec/s, >= 40 % of raw, rate(full) within 1.5x of rate(5k).
- save: one Desk.create (without an enterprise, naming a registered one, registering a new
  one) against a raw insert + commit of one row, at 20k and the full store; goals <= 3x,
  p95 <= 10 ms, flat.
- search: every shape as the list asks it (in its kind's area, newest first, 500 rows)
  against a LIKE scan of the same area for the same text, wall and CPU; goals <= 30 ms
  median, never slower than LIKE.
- size: bytes per record once synced (every outbox row acked, compacted) against before.
- plan: the credit-code lookup, the pending count and the list queries use their indexes.
- ui: bench_ui.py on the full store (launch to first list, RSS) — needs PySide6.
- sync: bench_sync.py push of 5,000 changes and pull of a scope of `--scale` changes.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.views import Query  # noqa: E402

PASSWORD = "Bench2026x"
BULK_ROWS = 5000
ROWS: list[list[str]] = []


def out(name: str, value: float, unit: str, baseline: float | None = None, base_name: str = "",
        goal: str = "", ok: bool | None = None) -> None:
    """One figure: value, its baseline from this run and the ratio, the goal, met or not."""
    ratio = f"{value / baseline:6.2f}x" if baseline else ""
    base = f"{baseline:10.2f} {base_name}" if baseline is not None else ""
    verdict = {True: "ok", False: "MISSED", None: ""}[ok]
    ROWS.append([name, f"{value:.2f} {unit}", base, ratio, goal, verdict])
    print(f"{name:<46} {value:>10.2f} {unit:<6} | {base:<28} {ratio:>8} | {goal:<22} {verdict}",
          flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


# --- stores --------------------------------------------------------------------------------------
def open_store(directory: Path) -> Desk:
    desk = Desk.open(directory, password=PASSWORD)
    desk.use_account("admin")
    return desk


def build(directory: Path, records: int, rebuild: bool
          ) -> tuple[Desk, float | None, float | None]:
    """The demo store of `records` records, built through the bulk path (wall and CPU
    seconds, or None when an earlier run's store was reused)."""
    from xingan_desk.demo import generate

    marker = directory / f"built-{records}"
    if marker.exists() and not rebuild:
        return open_store(directory), None, None
    if directory.exists():
        shutil.rmtree(directory)
    desk = Desk.initialise(directory, "152223", "02", admin_password=PASSWORD)
    desk.use_account("admin")
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  building {directory.name}: {done}/{total}", file=sys.stderr, flush=True)

    started, cpu = time.perf_counter(), time.process_time()
    generate(desk, records, seed=2026, progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    marker.write_text(f"{seconds:.1f} {cpu:.1f}")
    return desk, seconds, cpu


# --- bulk ---------------------------------------------------------------------------------------
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文包"
GIVEN = "芳强敏伟静丽磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红斌宇浩凯鹏辉飞鑫波宁琳晨阳"
QUESTIONS = ("新材料企业如何通过预审通道加快专利审查？", "商标被他人抢注后如何申请宣告无效？",
             "企业申请专利质押融资需要准备哪些材料？", "地理标志产品保护申请的流程是什么？",
             "发现他人仿冒我公司包装装潢应当如何维权？", "高价值发明专利的认定标准有哪些？")


def bulk_rows(desk: Desk, n: int, seed: int) -> Iterator[dict[str, Any]]:
    """Varied consultations: half name a registered enterprise, one in twenty a new one."""
    from xingan_desk.demo.codes import random_uscc

    rng = random.Random(seed)
    ents = [(e.values["uscc"], e.values["name"])
            for e in desk.search(Query(kind="enterprise", limit=2000))]
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        row: dict[str, Any] = {
            "started_at": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d} 09:{i % 60:02d}",
            "channel": "onsite", "first_responder": "李娜", "visitor_name": name,
            "visitor_phone": f"13{rng.randint(100000000, 999999999)}",
            "topics": ["preexam"], "question": rng.choice(QUESTIONS), "answer": "已当场答复。",
            "handling": rng.choice(("answered", "answered", "notice", "appointment")),
        }
        if row["handling"] == "notice":
            row["notice_items"] = "营业执照复印件、申请表"
        r = rng.random()
        if ents and r < 0.5:
            code, ent_name = rng.choice(ents)
            row.update(visitor_type="enterprise", enterprise_uscc=code, enterprise_name=ent_name)
        elif r < 0.55:
            row.update(visitor_type="enterprise", enterprise_uscc=random_uscc(rng, "152223"),
                       enterprise_name=f"兴安新建{i}号科技有限公司")
        else:
            row["visitor_type"] = "person"
        yield row


TABLES = ("record", "consultation_detail", "enterprise_detail", "record_event", "outbox",
          "audit_log", "record_search", "record_source")


def marks(desk: Desk) -> dict[str, int]:
    with desk.engine.connect() as c:
        return {t: c.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {t}").scalar() or 0
                for t in TABLES}


def written_rows(desk: Desk, before: dict[str, int]) -> dict[str, tuple[list[str], list[tuple]]]:
    """The rows each table gained since `before` (columns, rows)."""
    got: dict[str, tuple[list[str], list[tuple]]] = {}
    with desk.engine.connect() as c:
        for t in TABLES:
            cols = ["rowid", "tokens"] if t == "record_search" else [
                r[1] for r in c.exec_driver_sql(f"PRAGMA table_info({t})")]
            rows = c.exec_driver_sql(f"SELECT {', '.join(cols)} FROM {t} WHERE rowid > ?",
                                     (before[t],)).fetchall()
            got[t] = (cols, [tuple(r) for r in rows])
    return got


def raw_copy_rows(got: dict[str, tuple[list[str], list[tuple]]], offset: int, tag: str
                  ) -> dict[str, tuple[list[str], list[tuple]]]:
    """The same rows with their unique values changed, so they can go into the same store."""
    renamed = {"id", "record_id", "receipt_no", "mutation_id", "source_key"}
    outr: dict[str, tuple[list[str], list[tuple]]] = {}
    for t, (cols, rows) in got.items():
        new_rows = []
        for row in rows:
            vals = list(row)
            for i, col in enumerate(cols):
                if col in renamed and vals[i] is not None and not (t == "audit_log" and col == "id"):
                    vals[i] = f"{vals[i]}{tag}"
                elif col in ("pk", "rowid") and t in ("record", "record_search"):
                    vals[i] = vals[i] + offset
                elif col in ("local_seq",) or (t == "audit_log" and col == "id"):
                    vals[i] = None
            new_rows.append(tuple(vals))
        outr[t] = (cols, new_rows)
    return outr


def raw_insert(desk: Desk, rows: dict[str, tuple[list[str], list[tuple]]], batches: int) -> float:
    """Seconds for DB-API executemany of `rows` in `batches` transactions (BEGIN IMMEDIATE,
    COMMIT), on the store's own connection (same key, same pragmas, foreign keys on). A
    detail or event row goes into the transaction of its record."""
    rec_cols, rec_rows = rows["record"]
    slice_of = {r[rec_cols.index("id")]: i * batches // len(rec_rows)
                for i, r in enumerate(rec_rows)}
    parts: list[list[tuple[str, list[str], list[tuple]]]] = [[] for _ in range(batches)]
    for t, (cols, all_rows) in rows.items():
        split: list[list[tuple]] = [[] for _ in range(batches)]
        key = cols.index("record_id") if t != "audit_log" and "record_id" in cols else None
        for i, r in enumerate(all_rows):
            b = slice_of[r[key]] if key is not None else i * batches // max(len(all_rows), 1)
            split[b].append(r)
        for b in range(batches):
            if split[b]:
                parts[b].append((t, cols, split[b]))
    conn = desk.engine.raw_connection()
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        for part in parts:
            cur.execute("BEGIN IMMEDIATE")
            for t, cols, part_rows in part:
                names = ", ".join(cols)
                marks_ = ", ".join("?" for _ in cols)
                cur.executemany(f"INSERT INTO {t}({names}) VALUES ({marks_})", part_rows)
            cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def bench_bulk(desk: Desk, label: str, seed: int) -> float:
    before = marks(desk)
    rows = list(bulk_rows(desk, BULK_ROWS, seed))
    started, cpu0 = time.perf_counter(), time.process_time()
    result = desk.create_many("consultation", rows, batch_rows=1000)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    got = written_rows(desk, before)
    offset = marks(desk)["record"] - before["record"]
    cpu0 = time.process_time()
    raw = raw_insert(desk, raw_copy_rows(got, offset, f"r{seed}"), -(-BULK_ROWS // 1000))
    raw_cpu = time.process_time() - cpu0
    rate, raw_rate = result.count / seconds, result.count / raw
    n_rows = sum(len(r) for _, r in got.values())
    out(f"bulk create_many, {label}", rate, "rec/s", raw_rate, "rec/s raw",
        ">= 2000 rec/s", rate >= 2000)
    out(f"  share of raw executemany ({n_rows} rows)", 100 * rate / raw_rate, "%", None, "",
        ">= 40 %", rate / raw_rate >= 0.4)
    # the machine is shared: the same figures per CPU second of this process
    out(f"  per CPU second, {label}", result.count / cpu, "rec/s", result.count / raw_cpu,
        "rec/s raw", ">= 2000 rec/s", result.count / cpu >= 2000)
    return rate


# --- saves --------------------------------------------------------------------------------------
CONSULTATION = {
    "started_at": "2026-03-02 09:10", "channel": "onsite", "first_responder": "李娜",
    "visitor_type": "person", "visitor_name": "王芳", "visitor_phone": "13812345678",
    "topics": ["preexam", "policy"], "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案。", "handling": "answered",
}


class RawSaver:
    """One row insert + commit in its own transaction, in a table beside the store's (same
    file, key and pragmas): the floor of any save. Each insert takes the pool's connection
    and gives it back, so it runs on the connection the saves use (LIFO pool): a commit on
    another connection would empty the saves' page cache (SQLite resets a connection's cache
    whenever another one has written), a cost the saves would pay for the baseline."""

    def __init__(self, desk: Desk) -> None:
        self.engine = desk.engine
        self._run("CREATE TABLE IF NOT EXISTS bench_raw(pk INTEGER PRIMARY KEY, "
                  + ", ".join(f"{k} TEXT" for k in CONSULTATION) + ")")
        self.sql = (f"INSERT INTO bench_raw({', '.join(CONSULTATION)}) VALUES "
                    f"({', '.join('?' for _ in CONSULTATION)})")
        self.vals = tuple(str(v) for v in CONSULTATION.values())

    def _run(self, *statements: str) -> None:
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
        finally:
            conn.close()

    def save(self) -> tuple[float, float]:
        """Wall and CPU milliseconds of one insert + commit."""
        t, cpu = time.perf_counter(), time.process_time()
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(self.sql, self.vals)
            cur.execute("COMMIT")
        finally:
            conn.close()
        return (time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000

    def close(self) -> None:
        self._run("DROP TABLE bench_raw")


def bench_saves(desk: Desk, label: str, n: int) -> dict[str, float]:
    """Each save shape against raw inserts taken in turn with it (one raw, one save, …), so
    both see the same load of a shared machine."""
    from xingan_desk.demo.codes import random_uscc

    rng = random.Random(7)
    ents = [(e.values["uscc"], e.values["name"])
            for e in desk.search(Query(kind="enterprise", limit=500))]
    shapes: dict[str, Callable[[int], dict[str, Any]]] = {
        "plain": lambda i: {**CONSULTATION, "visitor_name": "王芳" + GIVEN[i % len(GIVEN)]},
        "registered enterprise": lambda i: {
            **CONSULTATION, "visitor_type": "enterprise", "enterprise_uscc": ents[i % len(ents)][0],
            "enterprise_name": ents[i % len(ents)][1]},
        "new enterprise": lambda i: {
            **CONSULTATION, "visitor_type": "enterprise",
            "enterprise_uscc": random_uscc(rng, "152223"), "enterprise_name": f"兴安保存{i}有限公司"},
    }
    raw = RawSaver(desk)
    medians = {}
    try:
        for shape, make in shapes.items():
            if shape != "plain" and not ents:
                continue
            times, raws, cpus, raw_cpus = [], [], [], []
            for i in range(n):
                raw_wall, raw_cpu = raw.save()
                raws.append(raw_wall)
                raw_cpus.append(raw_cpu)
                t, cpu = time.perf_counter(), time.process_time()
                desk.create("consultation", make(i))
                times.append((time.perf_counter() - t) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            med, p95 = statistics.median(times), pct(times, 95)
            raw_med = statistics.median(raws)
            medians[shape] = med
            out(f"save ({shape}), {label}, median", med, "ms", raw_med, "ms raw insert",
                "<= 3x raw", med <= 3 * raw_med)
            out(f"save ({shape}), {label}, p95", p95, "ms", pct(raws, 95), "ms raw p95",
                "<= 10 ms", p95 <= 10)
            # the machine is shared: the CPU time of this process per save beside the raw's
            out(f"  CPU per save ({shape}), mean", statistics.mean(cpus), "ms",
                statistics.mean(raw_cpus), "ms raw CPU")
    finally:
        raw.close()
    return medians


# --- search -------------------------------------------------------------------------------------
def bench_search(desk: Desk, repeats: int = 11) -> None:
    """Each shape as the list asks it: in the area of the kind it finds (a search runs in the
    current area), newest first, 500 rows; against the LIKE scan of the same area. Wall and
    CPU medians (the machine is shared)."""
    from sqlalchemy import text

    ent = desk.search(Query(kind="enterprise", limit=1))[0]
    med = desk.search(Query(kind="mediation", limit=1))[0]
    case = desk.search(Query(kind="preexam_case", limit=1))
    phone = next((r.values.get("visitor_phone") for r in desk.search(
        Query(kind="consultation", limit=50)) if r.values.get("visitor_phone")), "13812345678")
    shapes = [("1 Han character 王", "王", "consultation"),
              ("1 Han character 李", "李", "consultation"),
              ("2 Han characters 王芳", "王芳", "consultation"),
              ("3+ characters 科技有限公司", "科技有限公司", "enterprise"),
              ("3+ characters, rare 新材料企业", "新材料企业", "consultation"),
              (f"credit-code prefix {ent.values['uscc'][:6]}", ent.values["uscc"][:6],
               "enterprise"),
              ("receipt number", med.receipt_no, "mediation"),
              (f"phone tail {phone[-4:]}", phone[-4:], "consultation")]
    if case and case[0].values.get("application_no"):
        app = str(case[0].values["application_no"])
        shapes.append((f"patent number {app[:8]}", app[:8], "preexam_case"))
    like_sql = text("SELECT id FROM record WHERE kind = :k AND voided = 0 AND search_text "
                    "LIKE :q ORDER BY created_at DESC, id DESC LIMIT 500")

    def cpu_timed(fn: Callable[[], Any]) -> list[float]:
        times = []
        for _ in range(repeats):
            t = time.process_time()
            fn()
            times.append((time.process_time() - t) * 1000)
        return times

    for name, needle, kind in shapes:
        q = Query(kind=kind, text=needle, limit=500)
        hits = len(desk.find_ids(q))
        times = timed(lambda q=q: desk.find_ids(q), repeats)
        cpu = cpu_timed(lambda q=q: desk.find_ids(q))
        with desk.reading() as s:
            args = {"q": f"%{needle}%", "k": kind}
            like = timed(lambda args=args: s.execute(like_sql, args).fetchall(), repeats)
            like_cpu = cpu_timed(lambda args=args: s.execute(like_sql, args).fetchall())
        m, lm = statistics.median(times), statistics.median(like)
        c, lc = statistics.median(cpu), statistics.median(like_cpu)
        out(f"search {name} ({hits})", m, "ms", lm, "ms LIKE scan", "<= 30 ms, <= LIKE",
            m <= 30 and m <= lm * 1.1)
        out("  its CPU time", c, "ms", lc, "ms LIKE CPU", "<= LIKE", c <= lc * 1.1)


# --- size ---------------------------------------------------------------------------------------
def store_bytes(directory: Path) -> int:
    """The store's files: the data file, its WAL and its key file. Not the -shm file: SQLite's
    scratch index of the WAL (after a VACUUM about 11 bytes a record at 20k), rebuilt when
    needed and deleted when the last connection closes; it holds none of the store."""
    return sum(p.stat().st_size for p in directory.glob("xingan-desk.sqlite3*")
               if not p.name.endswith("-shm"))


def ack_everything(desk: Desk) -> int:
    """Every outbox row acknowledged, moved to acked_log by the statements push.ack runs
    (acked_at as its column type stores it)."""
    import datetime as dt

    from xingan_desk.storage.types import utc_micros

    now = utc_micros(dt.datetime.now(dt.UTC))
    with desk.engine.begin() as c:
        n = c.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0
        c.exec_driver_sql(
            "INSERT OR IGNORE INTO acked_log(local_seq, mutation_id, entity, entity_id, op, "
            "payload, hlc, status, acked_at) SELECT local_seq, mutation_id, entity, entity_id, "
            "op, payload, hlc, 'accepted', ? FROM outbox", (now,))
        c.exec_driver_sql("DELETE FROM outbox")
    return int(n)


def table_bytes(desk: Desk) -> dict[str, int]:
    """Bytes per table and index (SQLite's dbstat), biggest first; {} where not compiled in."""
    try:
        with desk.engine.connect() as c:
            rows = c.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
                                     "ORDER BY 2 DESC").fetchall()
    except Exception:  # dbstat is optional
        return {}
    return {str(n): int(b) for n, b in rows}


def bench_size(desk: Desk, directory: Path) -> None:
    """Bytes per record now (outbox full) and once synced: every outbox row acked the way the
    sync client acks it, the acknowledged payloads compacted as the client does after each
    cycle (sync/acked.compact), then the file shrunk (VACUUM)."""
    records = sum(desk.counts_by_kind().values())
    def outside_tx(*sqls: str) -> None:
        conn = desk.engine.raw_connection()  # no BEGIN: VACUUM refuses a transaction
        try:
            for sql in sqls:
                conn.cursor().execute(sql).fetchall()
        finally:
            conn.close()

    from xingan_desk.sync import acked

    outside_tx("PRAGMA wal_checkpoint(TRUNCATE)")
    before = store_bytes(directory)
    ack_everything(desk)
    started, cpu = time.perf_counter(), time.process_time()
    compacted = acked.compact(desk)  # what the sync client runs after each cycle
    print(f"  compacted {compacted} acknowledged payloads in {time.perf_counter() - started:.1f} s"
          f" ({time.process_time() - cpu:.1f} s CPU)")
    outside_tx("VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)")
    after = store_bytes(directory)
    shm = directory / "xingan-desk.sqlite3-shm"
    if shm.exists():
        print(f"  (not counted: the -shm scratch file, {shm.stat().st_size // 1024} KB)")
    out("store size per record once synced", after / records / 1024, "KB",
        before / records / 1024, "KB unsynced", "<= 3 KB", after / records <= 3 * 1024)
    parts = table_bytes(desk)
    if parts:
        top = ", ".join(f"{n} {b / records:.0f}" for n, b in list(parts.items())[:8])
        print(f"  bytes per record by table/index: {top}")


# --- plans --------------------------------------------------------------------------------------
def bench_plans(desk: Desk) -> None:
    with desk.engine.connect() as c:
        for name, sql in (
            ("credit-code lookup", "SELECT id FROM record WHERE kind='enterprise' AND "
                                   "enterprise_uscc='91152201MA0N12340P' AND voided=0"),
            ("pending outbox count", "SELECT count(*) FROM outbox WHERE state='pending'"),
            ("list newest first", "SELECT id FROM record WHERE kind='consultation' AND voided=0 "
                                  "ORDER BY created_at DESC, id DESC LIMIT 200"),
        ):
            plan = " / ".join(r[3] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            print(f"plan: {name:<24} {plan}")


# --- subprocess sections ------------------------------------------------------------------------
def run_script(args: list[str]) -> str:
    """Run a benchmark script, showing its output as it comes; returns that output."""
    print(f"$ python {' '.join(args)}", flush=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    lines = []
    with subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        for text in proc.stdout:
            print(text, end="", flush=True)
            lines.append(text)
    return "".join(lines)


def sync_figures(output: str) -> None:
    """The push figures of bench_sync.py's output into the summary (issue 10: push of 5,000
    changes <= 1.0 s, beside a bare COPY of the same rows; where the CPU time went)."""
    def figure(label: str) -> float | None:
        m = re.search(re.escape(label) + r"[^\n]*?\s(\d+\.\d+) s\b", output)
        return float(m.group(1)) if m else None

    push, copy = figure("push 5,000 changes via sync.push"), figure("bare psycopg COPY")
    if push is None or copy is None:
        return
    out("push 5,000 changes (sync.push, acks)", push, "s", copy, "COPY same rows",
        "<= 1.0 s", push <= 1.0)
    central, window = figure("CPU of central's backend"), figure("CPU of the window process")
    if central is not None:
        out("  CPU of central's backend in it", central, "s")
    if window is not None:
        out("  CPU of the window process in it", window, "s")


def pull_figures(output: str) -> None:
    """The pull figures of bench_sync.py's output into the summary (issue 10: a county scope of
    `--scale` changes pulled into an empty window in <= 30 s and <= 200 MB peak RSS, beside
    fetching the same pages from central without applying them)."""
    def figure(label: str, unit: str = "s") -> float | None:
        m = re.search(re.escape(label) + r"[^\n]*?\s(\d+\.\d+) " + unit + r"\b", output)
        return float(m.group(1)) if m else None

    total, pull = figure("apply, index, verify"), figure("of which pull: fetch + apply")
    fetch, rss = figure("baseline: fetch the same"), figure("peak RSS of the window", "MB")
    if total is None or pull is None or fetch is None:
        return
    out("pull a county scope (pull, apply, verify)", total, "s", None, "", "<= 30 s",
        total <= 30.0)
    out("  of which pull: fetch + apply + index", pull, "s", fetch, "fetch same pages")
    if rss is not None:
        out("  peak RSS of the window process", rss, "MB", None, "", "<= 200 MB", rss <= 200.0)


def main() -> None:
    ap = argparse.ArgumentParser(description="every figure of the performance issue")
    ap.add_argument("--scale", type=int, default=200_000, help="records in the big store")
    ap.add_argument("--out", default=str(ROOT / "bench-out" / "run_all"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--only", default="build,bulk,save,search,size,plan,ui,sync")
    ap.add_argument("--no-sync", action="store_true")
    ap.add_argument("--saves", type=int, default=200)
    args = ap.parse_args()
    only = set(args.only.split(","))
    if args.no_sync:
        only.discard("sync")
    out_dir = Path(args.out)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}, scale {args.scale}")
    print(f"{'figure':<46} {'value':>17} | {'baseline (same run)':<28} {'ratio':>8} | goal")
    small_n = 5000
    small, small_s, small_cpu = build(out_dir / "store-5k", small_n, args.rebuild)
    big, big_s, big_cpu = build(out_dir / f"store-{args.scale}", args.scale, args.rebuild)
    for n, s, cpu in ((small_n, small_s, small_cpu), (args.scale, big_s, big_cpu)):
        goal = 180 * n / 200_000  # 3 minutes for 200k
        if s is not None and cpu is not None and "build" in only:
            out(f"build {n} demo records (bulk path)", s, "s", None, "",
                f"<= {goal:.0f} s", s <= goal)
            out("  CPU time of that build (shared machine)", cpu, "s", None, "",
                f"<= {goal:.0f} s", cpu <= goal)
            out(f"  demo rate at {n}", n / s, "rec/s")
    if "bulk" in only:
        r5 = bench_bulk(small, "into a 5k store", 1)
        rb = bench_bulk(big, f"into a {args.scale} store", 2)
        out(f"  rate at 5k / rate at {args.scale}", r5 / rb, "x", None, "", "<= 1.5x",
            r5 / rb <= 1.5)
    if "save" in only:
        mid_n = min(20_000, args.scale)
        if mid_n != args.scale:
            mid, _, _ = build(out_dir / f"store-{mid_n}", mid_n, args.rebuild)
            bench_saves(mid, f"{mid_n} store", args.saves)
            mid.close()
        bench_saves(big, f"{args.scale} store", args.saves)
    if "search" in only:
        bench_search(big)
    if "plan" in only:
        bench_plans(big)
    if "size" in only:
        big.close()
        work = out_dir / "size-copy"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(out_dir / f"store-{args.scale}", work)
        copy = open_store(work)
        bench_size(copy, work)
        copy.close()
        shutil.rmtree(work, ignore_errors=True)
        big = open_store(out_dir / f"store-{args.scale}")
    big.close()
    small.close()
    if "ui" in only:
        run_script(["benchmarks/bench_ui.py", "--dir", str(out_dir / f"store-{args.scale}"),
                    "--password", PASSWORD])
    if "sync" in only:
        output = run_script(["benchmarks/bench_sync.py", "--only", "push,pull",
                             "--pull-rows", str(args.scale)])
        sync_figures(output)
        pull_figures(output)
    print("\nsummary")
    for row in ROWS:
        print(" | ".join(row))


if __name__ == "__main__":
    main()
