"""Basic push/pull round trips between two windows of one county and central."""

from __future__ import annotations

import pytest

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def test_push_then_pull_between_two_windows(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION)
    med, _ = a.desk.create("mediation", GOOD_MEDIATION)
    rep = a.sync()
    assert rep.rejected == 0, rep.rejections
    assert rep.accepted >= 2
    assert outbox_count(a.desk) == 0
    rep_b = b.sync()
    assert rep_b.pulled >= 2
    got = b.desk.get(rec.id)
    assert got.receipt_no == rec.receipt_no
    assert got.status == rec.status
    # b acts on a's mediation; a pulls the event and folds the same status
    b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    b.sync()
    a.sync()
    assert a.desk.get(med.id).status == "accepted"
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central
    assert local_state(b.desk) == central


def test_other_county_sees_only_global(make_window, central_url) -> None:
    a = make_window("152223", "02")
    c = make_window("152224", "01")
    league = make_window("152200", "01")
    rec, _ = a.desk.create("consultation", GOOD_CONSULTATION)
    a.sync()
    c.sync()
    league.sync()
    assert rec.id not in local_state(c.desk)
    assert local_state(league.desk) == central_state(central_url)
    assert local_state(c.desk) == central_state(central_url, scope_of("152224"))
