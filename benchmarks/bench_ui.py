"""Window start-up and search-as-you-type on a large store (issue: the window application).

Run:  python benchmarks/bench_ui.py [--dir bench-out/core]   (the 200,000-record store that
benchmarks/bench_core.py builds). Each run is a fresh process, offscreen, logged in already
(the login dialog waits for a person): process start → main window shown, and → first list
filled. Then searches as a clerk types them, through the same Desk calls the list uses.
Goals: window ≤ 1.5 s; search ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from ui.app import make_app
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from xingan_desk.desk import Desk
app = make_app()
desk = Desk.open(sys.argv[1], password="Bench2026x"); desk.use_account("admin")
runner = TaskRunner()
win = MainWindow(desk, runner); win.resize(1366, 768); win.show(); app.processEvents()
shown = time.perf_counter() - t0
filled = []
win.list_loaded.connect(lambda n: filled.append(time.perf_counter() - t0))
deadline = time.perf_counter() + 20
while not filled and time.perf_counter() < deadline:
    app.processEvents(); time.sleep(0.005)
searches = {}
for text in ("王", "王芳", "9315", "科技有限公司", ""):
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        ids = desk.find_ids(dataclasses.replace(win.records.base_query(), text=text))
        runs.append((time.perf_counter() - t) * 1000)
    searches[text] = statistics.median(runs)
print(json.dumps({"shown": shown, "filled": filled[0] if filled else None, "search": searches}))
runner.shutdown(); desk.close()
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(ROOT / "bench-out" / "core"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    results = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", "import dataclasses, statistics, time\n" + CHILD, args.dir],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    shown = statistics.median(r["shown"] for r in results)
    filled = statistics.median(r["filled"] for r in results if r["filled"] is not None)
    print(f"{'main window shown (process start →)':<44} {shown:8.2f} s   goal <= 1.5 s  ratio {shown / 1.5:.2f}")
    print(f"{'first list filled (process start →)':<44} {filled:8.2f} s")
    for text in results[0]["search"]:
        med = statistics.median(r["search"][text] for r in results)
        print(f"{'search as typed: ' + text:<44} {med:8.1f} ms  goal <= 100 ms ratio {med / 100:.2f}")


if __name__ == "__main__":
    main()
