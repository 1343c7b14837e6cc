"""S2 (small): 3 windows in 2 counties (plus a League reader) make random offline edits —
consultations, mediations with status actions from two windows of one county, updates, voids —
and sync in random order. Afterwards every replica equals central on its scope, nothing is lost
or duplicated, every status is the fold of its events and every status conflict is listed once
in the review queue."""

from __future__ import annotations

import random
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.catalogs import active_choices
from xingan_desk.errors import DeskError
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import EventLike, fold
from xingan_desk.storage.schema import Record
from xingan_desk.sync.local_schema import sync_issue

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg

NAMES = ["王芳", "李娜", "张伟", "刘洋", "陈静", "赵磊"]
USCCS = ["91152201MA0N12340P", "93152223MA0R5K6L3R", "92152224MA7Q000118"]
ACTION_VALUES: dict[str, dict[str, Any]] = {
    "accept": {"accepted_on": "2026-03-03", "mediator": "张三"},
    "refuse": {"refusal_reason": "out_of_scope"},
    "assign": {"mediator": "李四"},
    "start": {"consent": "agreed", "started_on": "2026-03-04"},
    "settle": {"outcome": "written", "agreement": "被申请人赔偿2万元。",
               "agreement_effective_on": "2026-03-05"},
    "terminate": {"termination_reason": "no_agreement", "closed_on": "2026-03-05"},
    "withdraw": {},
    "apply_confirmation": {"confirmation_applied_on": "2026-03-06"},
    "confirm": {"confirmation_result": "confirmed", "confirmation_result_on": "2026-03-07"},
    "dismiss": {"confirmation_result": "dismissed", "confirmation_result_on": "2026-03-07"},
    "record_performance": {"performance": "done"},
    "close": {},
    "refer": {"referred_to": "市市场监管局"},
    "follow_up": {"followup_result": "已回访，满意"},
}


def _visible(desk: Any, kinds: tuple[str, ...]) -> list[Any]:
    with desk._ro() as s:
        return list(s.scalars(select(Record).where(Record.kind.in_(kinds),
                                                   Record.voided.is_(False))))


def _step(rng: random.Random, w: Any) -> None:
    desk = w.desk
    roll = rng.random()
    try:
        if roll < 0.30:
            handling = rng.choice([c for c, _ in active_choices(
                KINDS["consultation"].field("handling").catalog)])  # type: ignore[attr-defined]
            desk.create("consultation", {
                **GOOD_CONSULTATION, "visitor_name": rng.choice(NAMES),
                "enterprise_uscc": rng.choice(USCCS), "handling": handling,
                "referred_to": "市市场监管局" if handling == "referred" else None,
                "question": f"咨询问题{rng.randint(1, 999)}"},
                register_enterprise=rng.random() < 0.3)
        elif roll < 0.45:
            desk.create("mediation", {**GOOD_MEDIATION, "facts": f"事实{rng.randint(1, 999)}"},
                        register_enterprise=False)
        elif roll < 0.80:
            recs = _visible(desk, ("mediation", "consultation"))
            if recs:
                rec = rng.choice(recs)
                actions = desk.actions_for(rec.id)
                if actions:
                    a = rng.choice(actions)
                    desk.act(rec.id, a.key, ACTION_VALUES[a.key])
        elif roll < 0.95:
            mine = [r for r in _visible(desk, ("consultation", "mediation"))
                    if r.owner == desk.identity.window_code]
            if mine:
                rec = rng.choice(mine)
                field = "answer" if rec.kind == "consultation" else "claims"
                desk.update(rec.id, {field: f"修改{rng.randint(1, 999)}"}, rec.row_version)
        else:
            mine = [r for r in _visible(desk, ("consultation", "mediation"))
                    if r.owner == desk.identity.window_code]
            if mine:
                desk.void(rng.choice(mine).id, "登记有误")
    except DeskError:
        pass  # a refused edit is a normal outcome (validation, illegal action, …)


def _check_central_folds(url: str) -> None:
    with psycopg.connect(url) as conn:
        recs = conn.execute("SELECT id, kind, status, needs_review FROM sync.record").fetchall()
        evs: dict[str, list[Any]] = {}
        applied: dict[str, bool] = {}
        for rid, eid, hlc, action, from_status, ok in conn.execute(
                "SELECT record_id, id, hlc, action, from_status, applied FROM sync.event"):
            evs.setdefault(rid, []).append(EventLike(eid, hlc, action, from_status))
            applied[eid] = ok
        open_items = conn.execute(
            "SELECT item_key FROM sync.review_item WHERE item_kind = 'status_conflict' "
            "AND resolved_at IS NULL").fetchall()
    expected_conflicts: list[str] = []
    for rid, kind, status, needs_review in recs:
        wf = KINDS[kind].workflow
        if wf is None:
            continue
        f = fold(wf, evs.get(rid, []))
        assert status == f.status, (rid, status, f)
        assert needs_review == bool(f.conflicts)
        assert all(applied[e] for e in f.applied) and not any(applied[e] for e in f.conflicts)
        expected_conflicts.extend(f.conflicts)
    keys = [k for (k,) in open_items]
    assert sorted(keys) == sorted(expected_conflicts)  # each conflict listed exactly once


def _needs_review(desk: Any) -> dict[str, bool]:
    with desk._ro() as s:
        return {r.id: r.needs_review for r in s.scalars(select(Record))}


@pytest.mark.parametrize("seed", range(6))
def test_s2_small_convergence(make_window, central_url, seed: int) -> None:
    rng = random.Random(seed)
    a = make_window("152223", "02")
    b = make_window("152223", "03", role="mediator")
    c = make_window("152224", "01")
    league = make_window("152200", "01")
    windows = [a, b, c]
    for _ in range(90):
        w = rng.choice(windows)
        if rng.random() < 0.25:
            w.sync()
        else:
            _step(rng, w)
    reports = []
    for _ in range(2):
        for w in rng.sample([*windows, league], 4):
            reports.append(w.sync())
    for rep in reports[-4:]:  # quiet round: every stream's digest equals central's
        assert not rep.rebaselined and not rep.digest_mismatch
        assert len(rep.verified) == len(rep.streams)
    for w in [*windows, league]:
        assert outbox_count(w.desk) == 0
        assert outbox_count(w.desk, "rejected") == 0
        with w.desk._ro() as s:
            assert list(s.execute(select(sync_issue.c.code))) == []
        county = w.desk.identity.county_code
        central = central_state(central_url, scope_of(county))
        assert local_state(w.desk) == central
        with psycopg.connect(central_url) as conn:
            nr = dict(conn.execute("SELECT id, needs_review FROM sync.record").fetchall())
        assert _needs_review(w.desk) == {k: nr[k] for k in central}
    _check_central_folds(central_url)
    with psycopg.connect(central_url) as conn:
        dup = conn.execute("SELECT count(*) - count(DISTINCT entity_id) FROM sync.change_log "
                           "WHERE entity = 'event'").fetchone()
        assert dup == (0,)
        n_conflicts = conn.execute("SELECT count(*) FROM sync.event WHERE NOT applied").fetchone()
    print(f"seed {seed}: status conflicts at central: {n_conflicts}")
