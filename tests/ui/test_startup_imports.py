"""Start-up loads only what the first screen needs: a window without sync settings never loads
the PostgreSQL driver, and no PDF library is loaded before something is printed (each costs
a quarter of a second or more of the clerk's wait for the first list)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.desk import Desk

ROOT = Path(__file__).resolve().parents[2]
LATE = ("psycopg", "reportlab", "openpyxl", "alembic")

CHILD = r"""
import json, sys, time
from ui.app import make_app
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from xingan_desk.desk import Desk

app = make_app()
desk = Desk.open(sys.argv[1], password=sys.argv[2])
desk.use_account("admin")
runner = TaskRunner()
win = MainWindow(desk, runner)
filled = []
win.list_loaded.connect(filled.append)
win.show()
deadline = time.monotonic() + 60
while not filled and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
runner.wait_idle(30_000)  # the start-up counts (sync, attention) have run too
app.processEvents()
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[3].split(",")))
print(json.dumps({"rows": filled[0] if filled else None, "loaded": loaded}))
runner.shutdown()
desk.close()
"""


def test_the_window_starts_and_fills_its_list_without_sync_or_pdf_libraries(
        tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD) as desk:
        desk.use_account("admin")
        desk.create("consultation", GOOD_CONSULTATION)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(store), ADMIN_PASSWORD, ",".join(LATE)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rows"] == 1  # the first list is on screen …
    assert result["loaded"] == []  # … and none of the late libraries was loaded for it
