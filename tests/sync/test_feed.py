"""S0 negative control and S1 commit-order gap stress for the central change feed."""

from __future__ import annotations

import random
import threading
import time
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from xingan_desk.sync.central import add_window

pytestmark = pytest.mark.pg

STREAM = "county:152223"


def check_feed(seen: list[tuple[int, str]], committed: set[str]) -> list[str]:
    """What a puller saw against what writers committed: strictly increasing seqs, every
    committed change exactly once."""
    problems: list[str] = []
    seqs = [s for s, _ in seen]
    if any(b <= a for a, b in pairwise(seqs)):
        problems.append("seq not strictly increasing")
    ids = [e for _, e in seen]
    if len(ids) != len(set(ids)):
        problems.append("duplicate change")
    missing = committed - set(ids)
    if missing:
        problems.append(f"{len(missing)} committed change(s) never seen")
    return problems


def _create(window_code: str, seq: int, rid: str) -> dict[str, Any]:
    county, window = window_code.split("-")
    hlc = f"{1780000000000 + seq:013d}-00000-{window_code}"
    return {"local_seq": seq, "mutation_id": f"m-{rid}", "entity": "record", "entity_id": rid,
            "op": "create", "hlc": hlc, "payload": {
                "kind": "consultation", "id": rid, "owner": window_code, "county_code": county,
                "receipt_no": f"ZX-{county}-{window}-2026-{seq:06d}-X", "created_by": "t",
                "created_at": "2026-03-02T01:00:00+00:00", "hlc": hlc,
                "values": {"started_at": "2026-03-02T01:10:00+00:00", "channel": "onsite",
                           "first_responder": "李娜", "visitor_type": "person",
                           "topics": ["policy"], "question": "如何申请专利？",
                           "handling": "answered", "visitor_name": "压力"}}}


def _push_req(window_code: str, mutations: list[dict[str, Any]]) -> Jsonb:
    return Jsonb({"protocol": 1, "window_code": window_code, "installation_id": window_code,
                  "machine_id": "pc", "generation": 1, "mutations": mutations})


def _pull_all(conn: psycopg.Connection[Any], cursor: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    while True:
        row = conn.execute("SELECT sync.pull(%s, %s, 500)", (STREAM, cursor)).fetchone()
        assert row is not None
        changes = row[0]["changes"]
        if not changes:
            return out
        out.extend((c["seq"], c["entity_id"]) for c in changes)
        cursor = changes[-1]["seq"]


# --- S0: the checker catches the naive BIGSERIAL cursor, not ours ---------------------------
def test_s0_naive_bigserial_cursor_is_caught(central_url: str) -> None:
    with psycopg.connect(central_url, autocommit=True) as admin:
        admin.execute("CREATE TABLE naive_feed (seq bigserial PRIMARY KEY, entity_id text)")
    slow = psycopg.connect(central_url)
    fast = psycopg.connect(central_url)
    reader = psycopg.connect(central_url, autocommit=True)
    try:
        slow.execute("INSERT INTO naive_feed (entity_id) VALUES ('A')")  # takes seq 1, stalls
        fast.execute("INSERT INTO naive_feed (entity_id) VALUES ('B')")  # takes seq 2
        fast.commit()
        seen = [(s, e) for s, e in reader.execute(
            "SELECT seq, entity_id FROM naive_feed WHERE seq > 0 ORDER BY seq")]
        cursor = seen[-1][0]
        slow.commit()
        seen += [(s, e) for s, e in reader.execute(
            "SELECT seq, entity_id FROM naive_feed WHERE seq > %s ORDER BY seq", (cursor,))]
    finally:
        for c in (slow, fast, reader):
            c.close()
    assert check_feed(seen, {"A", "B"}) == ["1 committed change(s) never seen"]


def test_s0_same_interleaving_with_stream_head_is_clean(central_url: str) -> None:
    w1 = add_window(central_url, "152223", "01")
    w2 = add_window(central_url, "152223", "02")
    league = add_window(central_url, "152200", "01")
    slow = psycopg.connect(w1.url)
    fast = psycopg.connect(w2.url)
    reader = psycopg.connect(league.url, autocommit=True)
    try:
        slow.execute("SELECT sync.push(%s)", (_push_req("152223-01", [_create("152223-01", 1,
                                                                              "A")]),))
        done = threading.Event()

        def fast_push() -> None:
            fast.execute("SELECT sync.push(%s)",
                         (_push_req("152223-02", [_create("152223-02", 1, "B")]),))
            fast.commit()
            done.set()

        t = threading.Thread(target=fast_push)
        t.start()
        time.sleep(0.3)
        assert not done.is_set()  # B waits for A's head-row lock: no commit-order gap
        seen = _pull_all(reader, 0)
        cursor = seen[-1][0] if seen else 0
        slow.commit()
        t.join(5)
        assert done.is_set()
        seen += _pull_all(reader, cursor)
    finally:
        for c in (slow, fast, reader):
            c.close()
    assert check_feed(seen, {"A", "B"}) == []
    assert [s for s, _ in seen] == [1, 2]


# --- S1: commit-order gap stress (short) -------------------------------------------------
def test_s1_commit_order_gap_stress(central_url: str) -> None:
    writers = [add_window(central_url, "152223", f"{i:02d}") for i in range(1, 7)]
    pullers = [add_window(central_url, "152200", f"{i:02d}") for i in range(1, 3)]
    per_writer = 40
    committed: set[str] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []
    max_push = [0.0]
    stop = threading.Event()

    def write(idx: int) -> None:
        rng = random.Random(idx)
        cred = writers[idx]
        try:
            with psycopg.connect(cred.url) as conn:
                seq = 0
                for t in range(per_writer):
                    batch = []
                    for _ in range(rng.randint(1, 3)):
                        seq += 1
                        batch.append(_create(cred.window_code, seq, f"w{idx}-{t}-{seq}"))
                    t0 = time.perf_counter()
                    row = conn.execute("SELECT sync.push(%s)",
                                       (_push_req(cred.window_code, batch),)).fetchone()
                    max_push[0] = max(max_push[0], time.perf_counter() - t0)
                    assert row is not None and row[0]["status"] == "ok", row
                    time.sleep(rng.uniform(0, 0.03))  # stall before COMMIT, holding the head
                    conn.commit()
                    with lock:
                        committed.update(m["entity_id"] for m in batch)
        except BaseException as exc:
            errors.append(exc)

    seen: list[list[tuple[int, str]]] = [[] for _ in pullers]

    def pull(idx: int) -> None:
        try:
            with psycopg.connect(pullers[idx].url, autocommit=True) as conn:
                cursor = 0
                while True:
                    finished = stop.is_set()
                    got = _pull_all(conn, cursor)
                    if got:
                        seen[idx].extend(got)
                        cursor = got[-1][0]
                    if finished and not got:
                        return
                    time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)

    pt = [threading.Thread(target=pull, args=(i,)) for i in range(len(pullers))]
    wt = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for t in pt + wt:
        t.start()
    for t in wt:
        t.join(120)
    stop.set()
    for t in pt:
        t.join(60)
    assert not errors, errors
    with psycopg.connect(central_url) as conn:
        row = conn.execute("SELECT last_seq FROM sync.stream_head WHERE stream = %s",
                           (STREAM,)).fetchone()
        assert row is not None
        head = row[0]
        width = conn.execute("SELECT count(*) FROM sync.change_log WHERE stream = %s",
                             (STREAM,)).fetchone()
    assert head == len(committed) == (width[0] if width else -1)
    for s in seen:
        assert check_feed(s, committed) == []
        assert [q for q, _ in s] == list(range(1, head + 1))
    assert max_push[0] < 2.0
