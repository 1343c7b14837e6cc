"""The Qt-free sync service the window application drives, and the connection settings:
state and status words, request coalescing, the stall watchdog, central busy, the password
in the OS keyring (or, without one, explicitly in the store), testing a connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import keyring
import psycopg
import pytest
from keyring.backend import KeyringBackend
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION
from xingan_desk.errors import PermissionDenied
from xingan_desk.storage.schema import AuditEntry, Setting
from xingan_desk.sync import settings as ss
from xingan_desk.sync.service import RunGate, SyncService

from .faultproxy import FaultProxy
from .helpers import outbox_count

pytestmark = pytest.mark.pg


class MemoryKeyring(KeyringBackend):
    """A keyring backend keeping passwords in memory (this CI box has no OS keyring; the
    hall PCs use Windows Credential Locker through the same `keyring` calls)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    old = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(old)


def _fill(desk: Any, n: int) -> None:
    for i in range(n):
        desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客甲乙丙"[i % 5]},
                    register_enterprise=False)


def _dead_url(url: str) -> str:
    with __import__("socket").socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return make_conninfo(url, host="127.0.0.1", port=str(port))


def _target(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def test_run_gate_merges_requests_during_a_run_into_one_follow_up() -> None:
    gate = RunGate()
    assert gate.request() is True  # idle: start now
    assert [gate.request() for _ in range(5)] == [False] * 5  # during the run: queued
    assert gate.finish() is True  # exactly one follow-up
    assert gate.finish() is False and not gate.running
    assert gate.started == 2 and gate.requests == 6


def test_offline_then_online_status_words(make_window) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 1)
    pending = a.desk.pending_outbox()
    svc = SyncService(a.desk, url=_dead_url(a.creds.url),
                      client_options={"machine_id": a.machine_id, "connect_timeout": 2})
    state = svc.run_once()
    assert state.online is False and state.error_kind == "offline"
    assert state.status_text == f"离线 · 待上传 {pending} 条"
    assert "无法连接中心数据库" in state.error and outbox_count(a.desk) == pending
    svc = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
    state = svc.run_once()
    assert state.online and state.pending == 0 and state.error == ""
    assert state.status_text.startswith("在线 · 已同步 · 上次同步 ")
    assert state.summary.startswith(f"上传{pending}条")


def test_stalled_phase_surfaces_an_error_and_ends_the_cycle(make_window) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 2)
    n = outbox_count(a.desk)
    proxy = FaultProxy(_target(a.creds.url))
    proxy.blackhole_on = b"sync.pull"  # the connection goes silent in the middle of the pull
    seen: list[str] = []
    try:
        url = make_conninfo(a.creds.url, host="127.0.0.1", port=str(proxy.port),
                            sslmode="disable")
        svc = SyncService(a.desk, url=url, stall_after_s=1.0,
                          client_options={"machine_id": a.machine_id,
                                          "statement_timeout_ms": 60_000},
                          on_change=lambda st: seen.append(st.error_kind))
        t0 = time.perf_counter()
        state = svc.run_once()
        took = time.perf_counter() - t0
    finally:
        proxy.close()
    assert state.error_kind == "stalled" and state.online is False
    assert "“下载”阶段1秒没有进展" in state.error and "本地数据不受影响" in state.error
    assert state.status_text.startswith("同步停滞")
    assert took < 10  # not the 60 s statement timeout
    assert "stalled" in seen[:-1]  # shown while the cycle was still being cut short
    assert outbox_count(a.desk) == 0 and n > 0  # the push had finished before the pull hung


def test_central_busy_is_named(make_window, central_url) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 1)
    admin = psycopg.connect(central_url)
    try:
        admin.execute("SELECT * FROM sync.stream_head WHERE stream = 'county:152223' "
                      "FOR UPDATE")
        svc = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
        state = svc.run_once()
    finally:
        admin.rollback()
        admin.close()
    assert state.error_kind == "busy" and state.status_text.startswith("中心繁忙")
    assert state.online is True and "繁忙" in state.error


def test_upgrade_required_is_named(make_window, central_url) -> None:
    a = make_window("152223", "02")
    _fill(a.desk, 1)
    with psycopg.connect(central_url) as conn:
        conn.execute("UPDATE sync.config SET value = '{\"min\": 9, \"max\": 9}' "
                     "WHERE key = 'protocol'")
    state = SyncService(a.desk, url=a.creds.url,
                        client_options={"machine_id": a.machine_id}).run_once()
    assert state.error_kind == "upgrade" and state.status_text.startswith("需升级程序")
    assert state.attention == 1  # listed for the supervisor too


def test_requests_from_many_threads_start_at_most_one_cycle_at_a_time(make_window) -> None:
    a = make_window("152223", "02")
    svc = SyncService(a.desk, url=a.creds.url, client_options={"machine_id": a.machine_id})
    running = []
    overlap = []

    def worker() -> None:
        for _ in range(3):
            if svc.gate.request():
                while True:
                    running.append(1)
                    overlap.append(len(running))
                    svc.run_once()
                    running.pop()
                    if not svc.gate.finish():
                        break

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(overlap) == 1
    assert svc.gate.started < svc.gate.requests  # requests were merged


# --- settings ---------------------------------------------------------------------------------
def _settings_for(w: Any) -> tuple[ss.SyncSettings, str]:
    s, pw = ss.SyncSettings.from_url(w.creds.url, allow_plain=True)  # the test PG has no TLS
    assert pw
    return s, pw


def test_password_falls_back_to_the_store_without_a_keyring(make_window, no_keyring) -> None:
    a = make_window("152223", "02")
    s, pw = _settings_for(a)
    saved, where = ss.save(a.desk, s, pw)
    assert saved.password_store == "local"
    assert "本机没有可用的系统密码库" in where and str(a.desk.path) in where
    assert "password" not in a.desk.setting("sync")
    with a.desk.reading() as session:
        audit = " ".join(str(x.changes) + x.detail for x in session.scalars(select(AuditEntry)))
    assert pw not in audit  # the audit log says it was set, never what it is
    state = SyncService(a.desk, client_options={"machine_id": a.machine_id}).run_once()
    assert state.configured and state.online and state.error == ""
    # an empty password on save keeps the stored one; a clerk may not change settings
    ss.save(a.desk, s, "")
    a.desk.add_user("clerk02", "李娜", "clerk", "Clerk2026x")
    a.desk.use_account("clerk02")
    with pytest.raises(PermissionDenied):
        ss.save(a.desk, s, pw)


def test_password_goes_to_the_os_keyring_not_the_store(make_window, memory_keyring,
                                                       tmp_path) -> None:
    a = make_window("152223", "02")
    s, pw = _settings_for(a)
    saved, where = ss.save(a.desk, s, pw)
    assert saved.password_store == "keyring" and "系统密码库" in where
    assert memory_keyring.store == {(ss.KEYRING_SERVICE, s.keyring_user): pw}
    with a.desk.reading() as session:
        values = [str(r.value) for r in session.scalars(select(Setting))]
    assert not any(pw in v for v in values)
    assert ss.connection_url(a.desk) == s.conninfo(pw)
    memory_keyring.store.clear()  # e.g. another Windows user profile
    state = SyncService(a.desk).run_once()
    assert state.error_kind == "settings" and "重新输入密码" in state.error


def test_check_connection_messages(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    s, pw = _settings_for(a)
    assert ss.check_connection(s, pw, "152223-02") == \
        "连接成功：中心数据库识别本机为 152223-02 窗口（未加密连接）"
    with pytest.raises(ss.SyncSettingsError, match="属于 152223-03 窗口，与本机（152223-02）不符"):
        ss.check_connection(_settings_for(b)[0], _settings_for(b)[1], "152223-02")
    dead = ss.SyncSettings.from_url(_dead_url(a.creds.url), allow_plain=True)[0]
    with pytest.raises(ss.SyncSettingsError, match="服务器拒绝连接"):
        ss.check_connection(dead, pw, "152223-02")
    tls = ss.SyncSettings(**{**s.as_setting(), "sslmode": "require"})
    with pytest.raises(ss.SyncSettingsError, match="没有启用加密连接"):
        ss.check_connection(tls, pw, "152223-02")
    admin = ss.SyncSettings.from_url(central_url, allow_plain=True)[0]
    with pytest.raises(ss.SyncSettingsError, match="不是已登记的窗口同步账号"):
        ss.check_connection(admin, None, "152223-02")
    nobody = ss.SyncSettings(**{**s.as_setting(), "user": "no_such_role"})
    with pytest.raises(ss.SyncSettingsError, match="没有账号“no_such_role”"):
        ss.check_connection(nobody, pw, "152223-02")
    with pytest.raises(Exception, match="请填写中心数据库服务器地址"):
        ss.check_connection(ss.SyncSettings(host=" ", dbname="x", user="y"), pw, "152223-02")
