"""What a clerk and a supervisor see of sync, against a real central PostgreSQL: the status
bar going from offline to online, requests merged while a cycle runs, a stall named in the
status bar, the settings dialog's connection test, the review list resolving a real conflict
between two windows."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QTableWidget

from tests.conftest import GOOD_CONSULTATION
from tests.sync.faultproxy import FaultProxy
from tests.ui.qt_helpers import child
from ui.main_window import MainWindow
from ui.review_dialog import ReviewDialog
from ui.sync_controller import SyncController
from ui.sync_settings import SyncSettingsDialog
from xingan_desk.sync import settings as ss
from xingan_desk.sync.service import SyncService

pytestmark = pytest.mark.pg


def _target(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _configure(w: Any, *, port: int | None = None) -> ss.SyncSettings:
    s, pw = ss.SyncSettings.from_url(w.creds.url, allow_plain=True)  # the test PG has no TLS
    if port is not None:
        s = ss.SyncSettings(**{**s.as_setting(), "host": "127.0.0.1", "port": port,
                               "sslmode": "disable"})
    saved, _where = ss.save(w.desk, s, pw)
    return saved


def _window(qtbot: Any, w: Any, runner: Any, **controller_kw: Any) -> MainWindow:
    win = MainWindow(w.desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    service = controller_kw.pop("service", None) or SyncService(
        w.desk, client_options={"machine_id": w.machine_id, "connect_timeout": 2})
    ctl = SyncController(w.desk, runner, service=service, parent=win, **controller_kw)
    win.attach_sync(ctl)
    win.show()
    qtbot.waitExposed(win)
    return win


def _fill(desk: Any, n: int) -> None:
    for i in range(n):
        desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客甲乙丙"[i % 3]},
                    register_enterprise=False)


def _sync_text(win: MainWindow) -> str:
    return child(win, QLabel, "status_sync").text()


def test_status_bar_goes_online_when_the_network_returns(qtbot: Any, runner: Any,
                                                        make_window: Any) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 3)
    proxy = FaultProxy(("127.0.0.1", _free_port()))  # the route to central is down
    try:
        _configure(a, port=proxy.port)
        win = _window(qtbot, a, runner, interval_ms=400)
        win.sync.start()
        qtbot.waitUntil(lambda: win.sync.cycles >= 1 and not win.sync_state.running,
                        timeout=10000)
        assert _sync_text(win) == "离线 · 待上传 6 条"  # 3 registrations + their first events
        assert "无法连接中心数据库" in child(win, QLabel, "status_sync").toolTip() or \
            "连接中断" in child(win, QLabel, "status_sync").toolTip()
        assert not child(win, QLabel, "status_sync_error").isVisible()  # offline is no alarm
        proxy.target = _target(a.creds.url)  # the network is back; the timer notices
        qtbot.waitUntil(lambda: _sync_text(win).startswith("在线 · 已同步 · 上次同步 "),
                        timeout=10000)
    finally:
        win.sync.stop()
        runner.wait_idle(10000)
        proxy.close()
    with psycopg.connect(a.creds.url) as conn:
        assert conn.execute("SELECT sync.status()").fetchone()[0]["last_local_seq"] == 6


def test_saves_during_a_cycle_merge_into_one_follow_up(qtbot: Any, runner: Any,
                                                       make_window: Any,
                                                       central_url: str) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 1)
    _configure(a)
    win = _window(qtbot, a, runner, interval_ms=3_600_000)  # only saves trigger cycles here
    admin = psycopg.connect(central_url)
    admin.execute("SELECT * FROM sync.stream_head WHERE stream = 'county:152223' FOR UPDATE")
    threading.Timer(1.0, admin.rollback).start()  # the first cycle waits ~1 s at central
    try:
        win.sync.request()
        qtbot.waitUntil(lambda: win.sync_state.running, timeout=5000)
        form = win.new_record("consultation")
        assert form is not None
        for key, value in GOOD_CONSULTATION.items():
            form.editors[key].set(value)
        form.save()  # a real save during the cycle asks for a sync …
        qtbot.waitUntil(lambda: win.form is None, timeout=5000)
        for _ in range(4):
            win.request_sync()  # … and so do four more saves
        assert win.sync_state.running and win.sync.cycles == 0
        qtbot.waitUntil(lambda: win.sync.cycles == 2 and not win.sync.service.gate.running,
                        timeout=15000)
        qtbot.wait(300)
        assert win.sync.cycles == 2  # one cycle + exactly one follow-up
        assert win.sync.service.gate.requests == 6 and win.sync.service.gate.started == 2
        assert _sync_text(win).startswith("在线 · 已同步")
        assert a.desk.pending_outbox() == 0
    finally:
        win.sync.stop()
        runner.wait_idle(10000)
        admin.close()


def test_a_stall_is_named_in_the_status_bar(qtbot: Any, runner: Any, make_window: Any) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 1)
    proxy = FaultProxy(_target(a.creds.url))
    proxy.blackhole_on = b"sync.pull"  # the line goes silent in the middle of the download
    try:
        _configure(a, port=proxy.port)
        service = SyncService(a.desk, stall_after_s=1.0,
                              client_options={"machine_id": a.machine_id,
                                              "statement_timeout_ms": 60_000})
        win = _window(qtbot, a, runner, service=service, interval_ms=3_600_000)
        t0 = time.monotonic()
        win.sync.start()
        err = child(win, QLabel, "status_sync_error")
        qtbot.waitUntil(lambda: err.isVisible() and "没有进展" in err.toolTip(), timeout=10000)
        assert time.monotonic() - t0 < 8
        assert "“下载”阶段1秒没有进展" in err.toolTip()
        qtbot.waitUntil(lambda: not win.sync_state.running, timeout=10000)
        assert _sync_text(win).startswith("同步停滞 · ")
        assert child(win, QLabel, "status_sync").property("problem") is True
    finally:
        win.sync.stop()
        runner.wait_idle(10000)
        proxy.close()


def test_settings_dialog_tests_the_connection_and_saves(qtbot: Any, runner: Any,
                                                         make_window: Any) -> None:
    a = make_window("152223", "02")
    creds, pw = ss.SyncSettings.from_url(a.creds.url)
    win = _window(qtbot, a, runner, interval_ms=3_600_000)
    assert _sync_text(win) == "未设置同步"
    dlg = win.open_sync_settings()
    assert isinstance(dlg, SyncSettingsDialog)
    hint = child(dlg, QLabel, "sync_password_hint").text()
    assert "本机没有可用的系统密码库" in hint and str(a.desk.path) in hint
    result = child(dlg, QLabel, "sync_test_result")
    dlg.allow_plain.setChecked(True)  # the test PG has no TLS
    child(dlg, QPushButton, "btn_sync_test").click()  # nothing filled in
    assert child(dlg, QLabel, "sync_error_host").text() == "请填写中心数据库服务器地址"
    qtbot.keyClicks(child(dlg, QLineEdit, "sync_host"), creds.host)
    dlg.port.setText(str(_free_port()))
    qtbot.keyClicks(child(dlg, QLineEdit, "sync_dbname"), creds.dbname)
    qtbot.keyClicks(child(dlg, QLineEdit, "sync_user"), creds.user)
    qtbot.keyClicks(child(dlg, QLineEdit, "sync_password"), pw)
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("disable"))
    assert not child(dlg, QLabel, "sync_error_host").isVisible()
    child(dlg, QPushButton, "btn_sync_test").click()
    qtbot.waitUntil(lambda: "服务器拒绝连接" in result.text(), timeout=10000)
    assert result.property("role") == "error"
    dlg.port.setText(str(creds.port))
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("require"))
    child(dlg, QPushButton, "btn_sync_test").click()
    qtbot.waitUntil(lambda: "没有启用加密连接" in result.text(), timeout=10000)
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("prefer"))
    child(dlg, QPushButton, "btn_sync_test").click()
    qtbot.waitUntil(lambda: result.text().startswith("连接成功"), timeout=10000)
    assert result.text() == "连接成功：中心数据库识别本机为 152223-02 窗口（未加密连接）"
    assert result.property("role") == "success"
    with qtbot.waitSignal(dlg.saved, timeout=5000):
        child(dlg, QPushButton, "btn_sync_save").click()
    assert "本机数据文件" in win.statusBar().currentMessage()
    assert a.desk.setting("sync")["password_store"] == "local"
    qtbot.waitUntil(lambda: _sync_text(win).startswith("在线 · 已同步"), timeout=10000)
    win.sync.stop()
    runner.wait_idle(10000)
    # a clerk may look and test, but not change anything
    a.desk.add_user("clerk02", "李娜", "clerk", "Clerk2026x")
    a.desk.use_account("clerk02")
    dlg2 = SyncSettingsDialog(a.desk, runner, win)
    qtbot.addWidget(dlg2)
    dlg2.show()
    assert child(dlg2, QLabel, "sync_admin_only").isVisible()
    assert not child(dlg2, QPushButton, "btn_sync_save").isEnabled()
    assert not child(dlg2, QLineEdit, "sync_host").isEnabled()
    assert child(dlg2, QLineEdit, "sync_host").text() == creds.host
    child(dlg2, QPushButton, "btn_sync_test").click()  # with the stored password
    qtbot.waitUntil(lambda: dlg2.result_label.text().startswith("连接成功"), timeout=10000)
    dlg2.close()


def test_an_allowed_plain_connection_shows_a_standing_warning(qtbot: Any, runner: Any,
                                                             make_window: Any) -> None:
    a = make_window("152223", "02")
    _configure(a)  # the admin allowed a connection that does not verify central
    win = _window(qtbot, a, runner, interval_ms=3_600_000)
    tls = child(win, QLabel, "status_tls")
    assert tls.isVisible()  # before any sync: it stands as long as the settings say so
    win.sync.start()
    qtbot.waitUntil(lambda: _sync_text(win).startswith("在线 · 已同步"), timeout=10000)
    assert tls.isVisible() and tls.text() == "⚠ 同步连接可能未加密，也不验证中心服务器证书"
    assert "根证书" in tls.toolTip()
    win.sync.stop()
    runner.wait_idle(10000)
    a.desk.add_user("clerk02", "李娜", "clerk", "Clerk2026x")
    a.desk.use_account("clerk02")
    dlg = SyncSettingsDialog(a.desk, runner, win)
    qtbot.addWidget(dlg)
    allow = child(dlg, QCheckBox, "sync_allow_plain")
    assert allow.isChecked() and not allow.isEnabled()  # only an admin may change it
    dlg.close()


def test_review_list_resolves_a_conflict_between_two_windows(qtbot: Any, runner: Any,
                                                             make_window: Any,
                                                             central_url: str) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    b_sync = SyncService(b.desk, url=b.creds.url, client_options={"machine_id": b.machine_id})
    a_first = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
    a_first.run_once()
    b_sync.run_once()
    # both windows link the consultation to a different case
    a.desk.link_handover(rec.id, "YS-152223-02-2026-000009-A")
    time.sleep(0.01)
    b.desk.link_handover(rec.id, "YS-152223-03-2026-000004-B")
    b_sync.run_once()
    _configure(a)
    win = _window(qtbot, a, runner, interval_ms=3_600_000)
    win.sync.start()  # a's value reaches central and loses there
    attention = child(win, QPushButton, "btn_attention")
    qtbot.waitUntil(lambda: attention.isVisible(), timeout=10000)
    assert attention.text() == "需处理 1 项"
    qtbot.mouseClick(attention, Qt.MouseButton.LeftButton)
    dlg = win.review_dialog
    assert isinstance(dlg, ReviewDialog)
    table = child(dlg, QTableWidget, "review_table")
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5000)
    assert table.item(0, 0).text() == "字段冲突"
    assert child(dlg, QLabel, "review_title").text() == "字段冲突：已转入办件"
    assert child(dlg, QLabel, "review_fact_现值").text() == "YS-152223-03-2026-000004-B"
    assert child(dlg, QLabel, "review_fact_落选值").text() == "YS-152223-02-2026-000009-A"
    keep, reapply = (child(dlg, QPushButton, "btn_review_keep"),
                     child(dlg, QPushButton, "btn_review_reapply"))
    assert keep.isVisible() and reapply.isVisible()
    assert not child(dlg, QPushButton, "btn_review_retry").isVisible()
    dlg.note.setPlainText("以本窗口转办记录为准")
    qtbot.mouseClick(reapply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=5000)
    assert child(dlg, QLabel, "review_empty").isVisible()
    qtbot.waitUntil(lambda: not attention.isVisible() and not win.sync_state.running
                    and a.desk.pending_outbox() == 0, timeout=10000)
    dlg.accept()
    win.sync.stop()
    runner.wait_idle(10000)
    with psycopg.connect(central_url) as conn:
        assert conn.execute("SELECT doc->>'handed_over_to' FROM sync.record WHERE id = %s",
                            (rec.id,)).fetchone() == ("YS-152223-02-2026-000009-A",)
        assert conn.execute("SELECT action, note FROM sync.review_resolution").fetchall() == [
            ("reapply", "以本窗口转办记录为准")]
    state = b_sync.run_once()
    assert state.attention == 0
    assert b.desk.get(rec.id).values["handed_over_to"] == "YS-152223-02-2026-000009-A"


def test_status_conflict_resolved_by_a_new_action_that_syncs(qtbot: Any, runner: Any,
                                                             make_window: Any,
                                                             central_url: str) -> None:
    from tests.conftest import GOOD_MEDIATION

    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a_sync = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
    b_first = SyncService(b.desk, url=b.creds.url, client_options={"machine_id": b.machine_id})
    a_sync.run_once()
    b_first.run_once()
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    time.sleep(0.01)
    b.desk.act(med.id, "refuse", {"refusal_reason": "out_of_scope"})  # offline at b
    a_sync.run_once()
    _configure(b)
    win = _window(qtbot, b, runner, interval_ms=3_600_000)
    win.sync.start()
    qtbot.waitUntil(lambda: win.sync_state.attention == 1 and not win.sync_state.running,
                    timeout=10000)
    dlg = win.open_review()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    assert child(dlg, QLabel, "review_title").text() == "办理冲突：未生效的“不予受理”"
    assert child(dlg, QLabel, "review_fact_当前状态").text() == "已受理"
    assert child(dlg, QPushButton, "btn_review_confirm").text() == "维持当前状态"
    dlg.note.setPlainText("申请人已撤回")
    qtbot.mouseClick(child(dlg, QPushButton, "btn_review_act"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.act_menu is not None, timeout=3000)  # actions read on the lane
    menu = dlg.act_menu
    withdraw = next(x for x in menu.actions() if x.text() == "申请人撤回")
    withdraw.trigger()
    menu.close()
    action = dlg.action_dialog
    qtbot.waitUntil(lambda: action.isVisible(), timeout=3000)
    qtbot.mouseClick(child(action, QPushButton, "btn_action_ok"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: not win.sync_state.running and b.desk.pending_outbox() == 0
                    and win.sync_state.attention == 0, timeout=10000)
    dlg.accept()
    win.sync.stop()
    runner.wait_idle(10000)
    with psycopg.connect(central_url) as conn:
        assert conn.execute("SELECT status FROM sync.record WHERE id = %s",
                            (med.id,)).fetchone() == ("withdrawn",)
        assert conn.execute("SELECT item_kind, action, note FROM sync.review_resolution"
                            ).fetchall() == [("status_conflict", "act",
                                              "已办理“申请人撤回”：申请人已撤回")]
    assert a_sync.run_once().attention == 0
    assert a.desk.get(med.id).status == "withdrawn"


def test_the_hall_edits_a_county_company_through_the_form(qtbot: Any, runner: Any,
                                                          make_window: Any,
                                                          central_url: str) -> None:
    """Shared reference data: 修改 shows on a company 扎赉特旗 registered, and the form's save
    reaches 扎赉特旗; on the county's consultation (not shared) the button is not offered."""
    county = make_window("152223", "02")
    hall = make_window("152200", "01")
    ent, _ = county.desk.create("enterprise", {
        "uscc": "93152223MA0R5K6L3R", "name": "扎赉特旗丰收农机制造有限公司",
        "county_code": "152223", "contact_phone": "0482-6012345"})
    con, _ = county.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    county.sync()
    hall.sync()
    win = MainWindow(hall.desk, runner)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.show_record(con.id)
    qtbot.waitUntil(lambda: win.detail.record is not None and win.detail.record.id == con.id,
                    timeout=5000)
    assert win.detail.findChild(QPushButton, "btn_edit") is None
    win.show_record(ent.id)
    qtbot.waitUntil(lambda: win.detail.record is not None and win.detail.record.id == ent.id,
                    timeout=5000)
    edit = child(win.detail, QPushButton, "btn_edit")
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    form = win.form
    assert form is not None and form.record is not None
    form.editors["contact_phone"].set("13904821234")
    form.save()
    qtbot.waitUntil(lambda: win.form is None, timeout=5000)
    assert hall.desk.get(ent.id).values["contact_phone"] == "13904821234"
    runner.wait_idle(5000)
    assert hall.sync().accepted == 1
    county.sync()
    assert county.desk.get(ent.id).values["contact_phone"] == "13904821234"


def test_the_leagues_holidays_clear_a_county_windows_warning_and_show_in_its_calendar_tab(
        qtbot: Any, runner: Any, make_window: Any, monkeypatch: Any) -> None:
    import datetime as dt

    from PySide6.QtWidgets import QSpinBox

    import xingan_desk.calendar_book as desk_mod
    from ui.admin import AdminDialog

    monkeypatch.setattr(desk_mod, "today_cst", lambda: dt.date(2026, 12, 2))
    hall = make_window("152200", "01")
    county = make_window("152223", "02")
    _configure(county)
    win = _window(qtbot, county, runner, interval_ms=3_600_000)
    warn = child(win, QPushButton, "status_calendar")
    qtbot.waitUntil(lambda: warn.isVisible(), timeout=5000)
    assert "2027年节假日安排尚未录入" in warn.text()
    hall.desk.set_calendar_range(dt.date(2027, 1, 1), dt.date(2027, 1, 3), "holiday", "元旦")
    hall.sync()
    win.sync.start()  # the county window's next cycle brings the League's entries
    qtbot.waitUntil(lambda: not warn.isVisible(), timeout=10000)
    win.sync.stop()
    runner.wait_idle(10000)
    dlg = AdminDialog(county.desk, runner, tab="calendar")
    qtbot.addWidget(dlg)
    dlg.show()
    page = dlg.page("calendar")
    child(page, QSpinBox, "calendar_year").setValue(2027)
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=5000)
    assert page.table.item(0, 4).text() == "全盟统一（152200-01 窗口录入）"
    assert "已录入" in child(page, QLabel, "calendar_coverage").text()
    page.table.setCurrentCell(0, 0)
    child(page, QPushButton, "btn_calendar_remove").click()
    assert "盟本级统一录入的安排不能在本窗口删除" in child(page, QLabel, "calendar_error").text()
    assert county.desk.calendar().is_holiday(dt.date(2027, 1, 1))


def test_the_status_bar_shows_attachment_transfer_progress(qtbot: Any, runner: Any,
                                                           make_window: Any,
                                                           tmp_path: Any) -> None:
    from pathlib import Path

    from tests import attach_samples as samples
    from tests.conftest import GOOD_MEDIATION

    a = make_window("152223", "02")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    a.desk.attach(rec.id, samples.big_pdf(12 * 1024 * 1024 - 100_000), "证据材料扫描.pdf",
                  "证据材料")
    _configure(a)
    win = _window(qtbot, a, runner, interval_ms=3_600_000)
    label = child(win, QLabel, "status_sync")
    seen: list[str] = []
    shot: dict[str, Any] = {}

    def watch(state: Any) -> None:
        seen.append(label.text())
        if "附件上传 6/12 MB" in label.text() and "png" not in shot:
            shot["png"] = win.grab()  # the window mid-upload, as the clerk sees it

    win.sync.state_changed.connect(watch)
    try:
        win.sync.start()
        qtbot.waitUntil(lambda: win.sync.cycles >= 1 and not win.sync_state.running,
                        timeout=60000)
    finally:
        win.sync.stop()
        runner.wait_idle(10000)
    moving = [t for t in seen if "附件上传" in t]
    assert moving[0].endswith("同步中… · 附件上传 0/12 MB") or "附件上传 0/12 MB" in moving[0]
    assert "附件上传 12/12 MB" in moving[-1]
    assert len({t.split("附件上传 ")[1] for t in moving}) == 13  # 0 … 12 MB, one at a time
    assert _sync_text(win).startswith("在线 · 已同步") and "附件" not in _sync_text(win)
    assert a.desk.list_attachments(rec.id)[0].synced
    out = Path(tmp_path) / "status_attachment_upload.png"
    assert shot["png"].width() == 1366 and shot["png"].save(str(out))
