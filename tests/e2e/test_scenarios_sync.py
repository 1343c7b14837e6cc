"""SCENARIOS.md scenarios that cross the network, in real main windows against a real central
PostgreSQL (through a TCP proxy that plays the League's extranet line).

Scenario 2: a mediation application at 扎赉特旗 window 02 while the line is down; papers print;
the status bar says offline with the changes waiting; the line returns, the changes go up by
themselves and the League committee's window sees the case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict
from PySide6.QtWidgets import QLabel

from tests.conftest import GOOD_MEDIATION
from tests.sync.faultproxy import FaultProxy
from tests.ui.qt_helpers import child
from ui.main_window import MainWindow
from ui.sync_controller import SyncController
from xingan_desk.sync import settings as ss
from xingan_desk.sync.service import SyncService
from xingan_desk.views import Query

pytestmark = pytest.mark.pg
pypdf = pytest.importorskip("pypdf")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _central(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def _window(qtbot: Any, w: Any, runner: Any, port: int | None = None) -> MainWindow:
    s, pw = ss.SyncSettings.from_url(w.creds.url, allow_plain=True)  # the test PG has no TLS
    if port is not None:
        s = ss.SyncSettings(**{**s.as_setting(), "host": "127.0.0.1", "port": port,
                               "sslmode": "disable"})
    ss.save(w.desk, s, pw)
    win = MainWindow(w.desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    service = SyncService(w.desk, client_options={"machine_id": w.machine_id,
                                                  "connect_timeout": 2})
    win.attach_sync(SyncController(w.desk, runner, service=service, parent=win,
                                   interval_ms=500))
    win.show()
    qtbot.waitExposed(win)
    return win


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages)


def _preview(qtbot: Any, win: MainWindow, document: str | None) -> Path:
    win.preview = None  # type: ignore[assignment]
    win.print_record(document)
    qtbot.waitUntil(lambda: win.preview is not None, timeout=15000)
    path = Path(win.preview.path)
    win.preview.close()
    return path


def test_scenario_2_offline_mediation_goes_up_when_the_line_returns(
        qtbot: Any, runner: Any, make_window: Any) -> None:
    county = make_window("152223", "02")
    league = make_window("152200", "01", role="mediator")
    line = FaultProxy(("127.0.0.1", _free_port()))  # 12:00: the line to the League is down
    win = _window(qtbot, county, runner, port=line.port)
    try:
        win.sync.start()
        # 14:00 the intake, typed into the form
        form = win.new_record("mediation")
        assert form is not None
        for key, value in GOOD_MEDIATION.items():
            if key in form.editors:
                form.editors[key].set(value)
        form.save()
        qtbot.waitUntil(lambda: win.form is None and win.detail.record is not None,
                        timeout=5000)
        case = win.detail.record
        assert case.receipt_no.startswith("TJ-152223-02-")
        application = _text(_preview(qtbot, win, "mediation_application"))
        receipt = _text(_preview(qtbot, win, None))
        assert "人民调解申请书" in application and "扎赉特旗丰收农机制造有限公司" in application
        assert case.receipt_no in receipt and "调解申请回执" in receipt
        # the status bar: offline, the changes waiting (print records stay local)
        status = child(win, QLabel, "status_sync")
        # (a sync attempt the save asked for may still be running: wait until it has failed)
        qtbot.waitUntil(lambda: status.text().startswith("离线 · 待上传 ")
                        and "同步中" not in status.text(), timeout=10000)
        waiting = county.desk.pending_outbox()
        assert waiting >= 1 and status.text() == f"离线 · 待上传 {waiting} 条"

        # 16:30 the line returns: nobody presses anything
        line.target = _central(county.creds.url)
        qtbot.waitUntil(lambda: status.text().startswith("在线 · 已同步"), timeout=15000)
        assert county.desk.pending_outbox() == 0
    finally:
        win.sync.stop()
        runner.wait_idle(10000)
        line.close()
    win.close()

    # The League committee's window syncs and finds the case in its 调解受理 list.
    report = league.sync()
    assert report is not None
    league.desk.use_account("mediator01")
    found = league.desk.find_ids(Query(kind="mediation", text=case.receipt_no))
    assert found == [case.id]
    seen = league.desk.get(case.id)
    assert seen.status_label == "已登记" and seen.owner == "152223-02"
    assert "accept" in {a.key for a in league.desk.actions_for(case.id)}

