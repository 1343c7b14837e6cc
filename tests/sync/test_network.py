"""Through a TCP fault proxy: S6 with real lost replies (central committed, the reply never
arrives) and S9 (short): blackholed connect, a connection that goes silent mid-statement."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import GOOD_CONSULTATION
from xingan_desk.sync.client import SyncClient, SyncUnavailable

from .faultproxy import FaultProxy
from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg
NAMES = "甲乙丙丁戊己庚辛壬癸"


def _via(proxy: FaultProxy, url: str) -> str:
    return make_conninfo(url, host="127.0.0.1", port=str(proxy.port), sslmode="disable")


def _target(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def _fill(w, n: int) -> None:
    for i in range(n):
        w.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客" + NAMES[i % 10]},
                      register_enterprise=False)


@pytest.mark.parametrize("seed", range(2))
def test_s6_lost_replies_through_proxy(make_window, central_url, seed: int) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    _fill(a, 20)
    n = outbox_count(a.desk)
    proxy = FaultProxy(_target(central_url), seed=seed)
    proxy.drop_push_reply = 0.4
    try:
        client = SyncClient(a.desk, _via(proxy, a.creds.url), machine_id=a.machine_id,
                            batch_size=6, connect_timeout=3)
        failures = 0
        for _ in range(60):
            try:
                client.run_once()
            except SyncUnavailable:
                failures += 1
                continue
            if outbox_count(a.desk) == 0:
                break
        assert outbox_count(a.desk) == 0
        assert proxy.dropped_replies > 0 and failures == proxy.dropped_replies
    finally:
        proxy.close()
    b.sync()
    with psycopg.connect(central_url) as conn:
        recs = conn.execute("SELECT count(*) FROM sync.record").fetchone()
        changes = conn.execute("SELECT count(*), count(DISTINCT entity_id) FROM sync.change_log"
                               ).fetchone()
        applied = conn.execute("SELECT count(*) FROM sync.applied_mutation").fetchone()
    assert recs == (20,)
    assert changes == (n, n) and applied == (n,)
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)


def test_s9_blackholed_connect_fails_fast(make_window, central_url) -> None:
    a = make_window("152223", "02")
    _fill(a, 1)
    n = outbox_count(a.desk)
    proxy = FaultProxy(_target(central_url))
    proxy.mode = "blackhole"
    try:
        t0 = time.perf_counter()
        with pytest.raises(SyncUnavailable, match="无法连接中心数据库"):
            SyncClient(a.desk, _via(proxy, a.creds.url), connect_timeout=2).run_once()
        assert time.perf_counter() - t0 < 10
    finally:
        proxy.close()
    assert outbox_count(a.desk) == n


@pytest.mark.parametrize("marker", [b"sync.push", b"sync.pull"])
def test_s9_connection_goes_silent_mid_statement(make_window, central_url,
                                                 marker: bytes) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    _fill(a, 3)
    proxy = FaultProxy(_target(central_url))
    proxy.blackhole_on = marker
    try:
        client = SyncClient(a.desk, _via(proxy, a.creds.url), machine_id=a.machine_id,
                            statement_timeout_ms=1000, network_grace_s=1.0)
        t0 = time.perf_counter()
        with pytest.raises(SyncUnavailable, match="连接中断"):
            client.run_once()
        assert time.perf_counter() - t0 < 8  # no wedged sync
        proxy.blackhole_on = None  # heal
        client.run_once()
    finally:
        proxy.close()
    b.sync()
    assert outbox_count(a.desk) == 0
    central = central_state(central_url, scope_of("152223"))
    assert len(central) == 3
    assert local_state(a.desk) == central == local_state(b.desk)


def test_a_link_that_drops_long_requests_still_gets_everything_up(make_window,
                                                                   central_url) -> None:
    """Every connection is cut after ~60 KB: a full upload batch never gets through, so the
    window halves its batch after each drop until one does, then grows it back."""
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    long_answer = "已告知办理流程、所需材料和时限，并提供了政策文件清单。" * 12
    for i in range(150):
        a.desk.create("consultation", {**GOOD_CONSULTATION, "answer": long_answer,
                                       "visitor_name": "访客" + NAMES[i % 10]},
                      register_enterprise=False)
    proxy = FaultProxy(_target(central_url))
    proxy.max_upstream = 60_000
    try:
        client = SyncClient(a.desk, _via(proxy, a.creds.url), machine_id=a.machine_id,
                            connect_timeout=3)
        for _ in range(40):
            try:
                client.run_once()
            except SyncUnavailable:
                continue
            if outbox_count(a.desk) == 0:
                break
        assert outbox_count(a.desk) == 0
        assert proxy.cut_connections > 0
    finally:
        proxy.close()
    b.sync()
    assert local_state(a.desk) == central_state(central_url, scope_of("152223")) \
        == local_state(b.desk)

