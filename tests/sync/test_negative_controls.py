"""S0 negative controls: the checkers (checkers.py) must catch deliberately broken builds, or
their silence in the headline test would mean nothing (reference/sync.md §7: "a checker that
can't see these bugs is not trusted").

* (a) a naive BIGSERIAL change feed: test_feed.py;
* (b) a central without the (window, local_seq) mutation dedupe: replies lost after central
  committed make the window send the batch again, and the broken push applies it again; caught
  in each of 20 seeded random histories;
* (c) a client that advances the pull cursor outside the apply transaction: loses rows after a
  crash mid-page (with the digest off: the digest re-baseline is a second line of defence that
  heals even that client);
* (d) a client that takes a batch out of its outbox before central committed it: a crash in
  between loses written changes; caught in each of 20 seeded histories. (A client that moved
  the batch to acked_log first would be healed by the central-restore requeue, S14.)
The same histories against the real build are clean (and the Hypothesis S2 runs many more).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import delete, select

from tests.conftest import GOOD_CONSULTATION
from xingan_desk.storage.schema import OutboxEntry
from xingan_desk.sync.client import InjectedFault, SyncClient, SyncReport
from xingan_desk.sync.sqlfiles import load_sql

from .checkers import WindowUnderTest, check_all, check_replicas
from .helpers import central_state, local_state, scope_of
from .history import OPS, CentralForRuns, LocalWindow, close_all, heal, step

pytestmark = pytest.mark.pg
SEEDS = range(20)
# the clerk's edits are what a replay can apply twice (creates and events are idempotent by
# their ids even without the dedupe), so this history edits often
EDIT_HEAVY = ("consultation", "mediation", "act", "edit", "edit", "handover", "sync", "sync")


# --- (b) central without the mutation dedupe --------------------------------------------------
def push_without_dedupe() -> str:
    """sync.push with the (client, local_seq) lookup removed (the applied_mutation row is
    overwritten instead of consulted): a replayed batch is applied a second time."""
    src = load_sql("api.sql")
    fn = src[src.index("CREATE OR REPLACE FUNCTION sync.push("):
             src.index("CREATE OR REPLACE FUNCTION sync.pull(")]
    lookup = "            IF seq IS NULL OR known ? seq::text OR seq = seq_before THEN"
    record = "VALUES (c.client_id, seq, m->>'mutation_id', st, det, msg);"
    assert lookup in fn and record in fn, "sync.push changed: update this negative control"
    return (fn.replace(lookup, "            IF false THEN")
              .replace(record, record[:-1] + " ON CONFLICT (client_id, local_seq) DO UPDATE "
                       "SET status = excluded.status;"))


def _lost_reply_history(central: CentralForRuns, tmp: Path, seed: int) -> list[str]:
    """Two windows of one county; most syncs lose central's reply after it
    committed (the window retries the same batch later)."""
    rng = random.Random(seed)
    central.reset()
    windows = central.windows(tmp, [("152223", "01"), ("152223", "02")])
    try:
        for _ in range(30):
            w = rng.choice(windows)
            op = rng.choice(EDIT_HEAVY)
            if op == "sync":
                w.sync(fault="after_push_before_ack" if rng.random() < 0.8 else None)
            else:
                step(w, op, rng)
        heal(windows, rounds=2)
        return _check(central, windows)
    finally:
        close_all(windows)


def _check(central: CentralForRuns, windows: list[LocalWindow]) -> list[str]:
    return check_all(central.url, [w.under_test() for w in windows],
                     {w.code: w.syncs for w in windows})


def test_s0_missing_mutation_dedupe_is_caught(central_url, tmp_path) -> None:
    central = CentralForRuns.of(central_url)
    with psycopg.connect(central_url, autocommit=True) as conn:
        conn.execute(push_without_dedupe())
    caught = 0
    for seed in SEEDS:
        problems = _lost_reply_history(central, tmp_path / f"b{seed}", seed)
        caught += any("DUPLICATE" in p for p in problems)
    assert caught >= 19, f"caught in {caught} of {len(SEEDS)} runs"


def test_s0_same_histories_with_dedupe_are_clean(central_url, tmp_path) -> None:
    central = CentralForRuns.of(central_url)
    for seed in SEEDS[:3]:
        assert _lost_reply_history(central, tmp_path / f"ok{seed}", seed) == []


# --- (d) client that acknowledges before central committed ------------------------------------
class RemoveOnSendClient(SyncClient):
    """BROKEN on purpose: takes the batch out of the outbox, then pushes it (a queue that
    forgets what it sent)."""

    def push(self, conn: psycopg.Connection[Any], report: SyncReport) -> None:
        with self.desk.writing() as w:
            s = w.session
            rows = list(s.scalars(select(OutboxEntry).where(OutboxEntry.state == "pending")
                                  .order_by(OutboxEntry.local_seq)))
            s.execute(delete(OutboxEntry).where(OutboxEntry.state == "pending"))
        self.fault("before_push")
        if rows:
            ident = self.desk.identity
            self.call(conn, "SELECT sync.push(%s)", (Jsonb({
                "protocol": 1, "window_code": ident.window_code,
                "installation_id": ident.installation_id, "machine_id": self.machine_id,
                "generation": ident.generation,
                "mutations": [{"local_seq": r.local_seq, "mutation_id": r.mutation_id,
                               "entity": r.entity, "entity_id": r.entity_id, "op": r.op,
                               "payload": r.payload, "hlc": r.hlc} for r in rows]}),))


def _crash_history(central: CentralForRuns, tmp: Path, seed: int,
                   cls: type[SyncClient]) -> list[str]:
    """Two windows of one county; half of the syncs crash before the push reaches central."""
    rng = random.Random(seed)
    central.reset()
    windows = central.windows(tmp, [("152223", "01"), ("152223", "02")])
    try:
        for _ in range(30):
            w = rng.choice(windows)
            op = rng.choice(OPS)
            if op == "sync":
                w.sync(cls, fault="before_push" if rng.random() < 0.5 else None)
            else:
                step(w, op, rng)
        heal(windows, cls, rounds=2)
        return _check(central, windows)
    finally:
        close_all(windows)


def test_s0_remove_before_commit_is_caught(central_url, tmp_path) -> None:
    central = CentralForRuns.of(central_url)
    caught = 0
    for seed in SEEDS:
        problems = _crash_history(central, tmp_path / f"d{seed}", seed, RemoveOnSendClient)
        caught += any(p.startswith("LOST") for p in problems)
    assert caught >= 19, f"caught in {caught} of {len(SEEDS)} runs"


def test_s0_same_crashes_with_our_client_lose_nothing(central_url, tmp_path) -> None:
    central = CentralForRuns.of(central_url)
    for seed in SEEDS[:3]:
        assert _crash_history(central, tmp_path / f"ok{seed}", seed, SyncClient) == []


# --- (c) cursor advanced outside the apply transaction ----------------------------------------
class CursorFirstClient(SyncClient):
    """BROKEN on purpose: writes the cursor in its own transaction before applying rows."""

    def apply_page(self, stream: str, changes: list[dict[str, Any]], new_cursor: int,
                    epoch: str | None, head: int, report: SyncReport) -> None:
        self.set_cursor(stream, new_cursor, epoch, head)
        super().apply_page(stream, changes, new_cursor, epoch, head, report)


def _scenario(make_window, cls: type[SyncClient], verify: bool) -> tuple[Any, Any]:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    for i in range(3):
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客" + "甲乙丙"[i]},
                      register_enterprise=False)
    a.sync()
    with pytest.raises(InjectedFault):
        cls(b.desk, b.creds.url, machine_id=b.machine_id, faults={"mid_apply"},
            verify=verify).run_once()
    cls(b.desk, b.creds.url, machine_id=b.machine_id, verify=verify).run_once()
    return a, b


def test_s0_cursor_outside_apply_transaction_is_caught(make_window, central_url) -> None:
    _, b = _scenario(make_window, CursorFirstClient, verify=False)
    assert local_state(b.desk) != central_state(central_url, scope_of("152223"))
    problems = check_replicas(central_url, [WindowUnderTest(b.desk, "152223-03")])
    assert problems and "replica differs" in problems[0]


def test_s0_our_client_same_crash_loses_nothing(make_window, central_url) -> None:
    _, b = _scenario(make_window, SyncClient, verify=False)
    assert check_replicas(central_url, [WindowUnderTest(b.desk, "152223-03")]) == []


def test_s0_digest_heals_even_the_broken_client(make_window, central_url) -> None:
    _, b = _scenario(make_window, CursorFirstClient, verify=True)
    assert local_state(b.desk) == central_state(central_url, scope_of("152223"))
