"""The headline convergence test (reference/sync.md §7 S2 with S3/S6/S7/S9 nemeses).

Seven county windows — the six counties, plus a second window in 扎赉特旗 (152223) so that two
windows share that county's cases and really race on them — and the League window (152200),
which reads every stream and takes status actions on the counties' cases, so the whole-League
scope is checked too and cases see actions from three windows. Each window is its own process
(`headline_worker.py`) with its own SQLite store, talking to a real PostgreSQL through its own
TCP fault proxy.

Each window first works offline (a backlog of a hundred-odd changes: consultations, mediations,
filings, enterprises, status actions, edits, handovers, voids), then keeps working while
syncing every few actions. Meanwhile the nemesis:
* SIGKILLs a random window every ~1 s and restarts it, a third of the restarts with
  XINGAN_SYNC_FAULT=<named point>@n so it dies at an exact point of the protocol;
* makes every proxy drop requests, cut connections after central committed (lost replies),
  add latency, and now and then blackholes a window or cuts its connections mid-sync.

Meanwhile a hostile window (152223-09, nothing but its own database role) keeps pushing
mutations that are invalid by construction (tests/sync/hostile.py); central must refuse every
one, and the honest windows must converge as if it were not there.

Then the network heals, every window syncs once more and then twice quietly, and the checkers
(`checkers.py`) must find nothing: replicas equal central on their scope, no acknowledged write
lost, nothing applied twice, no duplicate receipt number, every status a valid fold, every real
conflict in the review list once, every outbox empty, no digest repair ever needed.

The default size (each window ~150 offline and ~400 online actions) takes about a minute
of CI time; XINGAN_SYNC_SOAK=1 runs bigger histories (XINGAN_SYNC_SOAK_SEEDS=N seeds).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import ADMIN_PASSWORD
from xingan_desk.desk import Desk
from xingan_desk.sync.central import add_window
from xingan_desk.sync.client import FAULT_ENV, FAULT_POINTS, SyncClient

from .checkers import WindowUnderTest, check_all, journal_mutations
from .faultproxy import FaultProxy
from .hostile import Hostile, random_attack

pytestmark = [pytest.mark.pg, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

SOAK = os.environ.get("XINGAN_SYNC_SOAK") == "1"
WINDOWS = [("152201", "01"), ("152202", "01"), ("152221", "01"), ("152222", "01"),
           ("152223", "01"), ("152223", "02"), ("152224", "01"), ("152200", "01")]
OFFLINE_EDITS = 400 if SOAK else 150
ONLINE_EDITS = 600 if SOAK else 400
# the nemesis is timing-driven, so a run is not replayable anyway: a fresh seed each run
# widens coverage over time (printed; XINGAN_SYNC_SEED=N fixes it)
_SEED = int(os.environ.get("XINGAN_SYNC_SEED") or random.SystemRandom().randrange(10**6))
SEEDS = [_SEED + i for i in range(int(os.environ.get("XINGAN_SYNC_SOAK_SEEDS", "3")))] \
    if SOAK else [_SEED]
DEADLINE_S = 1800 if SOAK else 420


@dataclass
class Proc:
    code: str
    data_dir: Path
    config: Path
    journal: Path
    proxy: FaultProxy
    machine_id: str
    url: str
    popen: subprocess.Popen[bytes] | None = None
    done: bool = False
    kills: int = 0
    fault_deaths: int = 0
    stderr: list[str] = field(default_factory=list)


def _target(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def _start(p: Proc, fault: str | None, tmp: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    err = (tmp / f"{p.code}.stderr").open("ab")
    p.popen = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.headline_worker", str(p.config)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    err.close()


def _read_journal(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):  # a line cut by a kill
            out.append(json.loads(line))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_seven_county_windows_converge_under_kills_and_cuts(central_url, tmp_path,
                                                            seed: int) -> None:
    t_start = time.perf_counter()
    rng = random.Random(seed)
    procs: list[Proc] = []
    for county, window in WINDOWS:
        code = f"{county}-{window}"
        d = tmp_path / code
        desk = Desk.initialise(d, county, window, admin_password=ADMIN_PASSWORD)
        desk.close()
        creds = add_window(central_url, county, window)
        proxy = FaultProxy(_target(central_url), seed=rng.randrange(10**9))
        proxy.drop_request = 0.04
        proxy.drop_push_reply = 0.12
        proxy.delay = 0.01
        via = make_conninfo(creds.url, host="127.0.0.1", port=str(proxy.port),
                            sslmode="disable")
        league = county == "152200"
        cfg = {"data_dir": str(d), "url": via, "machine_id": f"pc-{code}",
               "seed": rng.randrange(10**9), "journal": str(tmp_path / f"{code}.jsonl"),
               "offline_edits": OFFLINE_EDITS // (3 if league else 1),
               "online_edits": ONLINE_EDITS // (2 if league else 1), "sync_every": 8}
        config = tmp_path / f"{code}.json"
        config.write_text(json.dumps(cfg), encoding="utf-8")
        procs.append(Proc(code, d, config, Path(cfg["journal"]), proxy, cfg["machine_id"],
                          creds.url))
    for p in procs:
        _start(p, None, tmp_path)

    # --- the nemesis: kills (random and at named points), partitions, cuts ---------------
    failures: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def nemesis() -> None:
        nrng = random.Random(seed + 1)
        while not stop.wait(nrng.uniform(0.3, 1.6)):
            with lock:
                live = [p for p in procs if not p.done and p.popen and p.popen.poll() is None
                        and not Path(str(p.journal) + ".final").exists()]
            if not live:
                continue
            p = nrng.choice(live)
            roll = nrng.random()
            if roll < 0.55:
                try:
                    os.kill(p.popen.pid, signal.SIGKILL)  # type: ignore[union-attr]
                    p.kills += 1
                except ProcessLookupError:
                    pass
            elif roll < 0.7:
                p.proxy.mode = "blackhole"  # partition this window for a moment
                stop.wait(nrng.uniform(0.5, 3.0))
                p.proxy.mode = "pass"
                p.proxy.cut()
            else:
                p.proxy.cut()

    def monitor() -> None:
        mrng = random.Random(seed + 2)
        while not stop.is_set():
            with lock:
                for p in procs:
                    if p.done or p.popen is None:
                        continue
                    rc = p.popen.poll()
                    if rc is None:
                        continue
                    if rc == 0:
                        p.done = True
                        continue
                    if rc == 137:
                        p.fault_deaths += 1
                    elif rc != -signal.SIGKILL:
                        failures.append(f"{p.code} exited with {rc}; see {p.code}.stderr")
                        p.done = True
                        continue
                    fault = None
                    if mrng.random() < 0.35:
                        fault = f"{mrng.choice(FAULT_POINTS)}@{mrng.randint(1, 3)}"
                    _start(p, fault, tmp_path)
            time.sleep(0.05)

    # --- one hostile window among the honest ones: its own role, nothing else ------------
    hostile_creds = add_window(central_url, "152223", "09")
    hostile = Hostile(hostile_creds.url, hostile_creds.window_code)

    def attacker() -> None:
        hrng = random.Random(seed + 3)
        while not stop.wait(hrng.uniform(0.2, 0.8)):
            try:
                targets = hostile.seen_targets(hrng.choice(["county:152223", "global"]))
                hostile.push([random_attack(hrng, hostile, targets)
                              for _ in range(hrng.randint(1, 4))])
            except psycopg.Error:
                continue  # central busy: the attacker just tries again

    threads = [threading.Thread(target=nemesis, daemon=True),
               threading.Thread(target=monitor, daemon=True),
               threading.Thread(target=attacker, daemon=True)]
    for t in threads:
        t.start()
    try:
        while not all(p.done for p in procs) and not failures:
            if time.perf_counter() - t_start > DEADLINE_S:
                failures.append("deadline passed with windows still running: "
                                + ", ".join(p.code for p in procs if not p.done))
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        for p in procs:
            if p.popen and p.popen.poll() is None:
                p.popen.kill()
                p.popen.wait()
            p.proxy.close()
    t_chaos = time.perf_counter() - t_start
    assert not failures, "\n".join(failures + [
        (tmp_path / f"{p.code}.stderr").read_text(errors="replace")[-3000:] for p in procs])

    # --- heal: every window syncs directly, then two quiet rounds ------------------------
    desks = {}
    for p in procs:
        desk = Desk.open(p.data_dir)
        desk.use_account("admin")
        desks[p.code] = desk
    try:
        clients = {p.code: SyncClient(desks[p.code], p.url, machine_id=p.machine_id)
                   for p in procs}
        order = [p.code for p in procs]
        rng.shuffle(order)
        for code in order:
            clients[code].run_once()
        quiet = []
        for _ in range(2):
            rng.shuffle(order)
            quiet.extend((code, clients[code].run_once()) for code in order)
        for code, rep in quiet[len(order):]:
            assert rep.pushed == 0 and rep.pulled == 0, (code, rep)
            assert not rep.rebaselined and not rep.digest_mismatch, (code, rep)
            assert sorted(rep.verified) == sorted(rep.streams), (code, rep)

        logs = {p.code: _read_journal(p.journal) for p in procs}
        windows = [WindowUnderTest(desks[p.code], p.code, journal_mutations(logs[p.code]))
                   for p in procs]
        stats: dict[str, int] = {}
        problems = check_all(central_url, windows, logs, stats)
        n_mut = sum(len(w.journal) for w in windows)
        n_ops = sum(sum(1 for e in logs[p.code] if e["t"] == "op") for p in procs)
        n_sync = [e for p in procs for e in logs[p.code] if e["t"] == "sync"]
        kills = sum(p.kills for p in procs)
        fault_deaths = sum(p.fault_deaths for p in procs)
        runs = sum(sum(1 for e in logs[p.code] if e["t"] == "start") for p in procs)
        print(f"\nheadline seed {seed}: {len(procs)} windows, {n_ops} clerk actions, {n_mut} "
              f"mutations, {len(n_sync)} syncs ({sum(not e['ok'] for e in n_sync)} failed on "
              f"the network), {kills} SIGKILLs + {fault_deaths} deaths at named fault points "
              f"({runs} process starts), {sum(p.proxy.dropped_replies for p in procs)} lost "
              f"replies, {sum(p.proxy.dropped_requests for p in procs)} dropped requests; "
              f"chaos {t_chaos:.0f} s, total {time.perf_counter() - t_start:.0f} s")
        _print_conflicts(central_url)
        print(f"real conflicts the checkers looked for: {stats}")
        assert not problems, "\n".join(problems[:40])
        print(f"hostile window 152223-09: {len(hostile.results)} mutations pushed, "
              f"{len(hostile.accepted())} accepted")
        assert hostile.results and not hostile.accepted(), hostile.accepted()[:5]
        assert kills + fault_deaths >= 5  # the nemesis really ran
    finally:
        for d in desks.values():
            d.close()


def _print_conflicts(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT item_kind, count(*) FROM sync.review_item GROUP BY 1 "
                            "ORDER BY 1").fetchall()
        n = conn.execute("SELECT count(*) FROM sync.record").fetchone()
    print(f"central: {n[0] if n else 0} records; review items: {dict(rows)}")
