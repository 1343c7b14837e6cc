"""One hostile window among honest ones (issue 9 §10): whatever it pushes with its own
database role, central refuses it per mutation, the honest windows' syncs never fail, and they
keep converging with central."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import GOOD_CONSULTATION
from xingan_desk.sync.central import add_window

from .helpers import central_state, local_state, outbox_count, scope_of
from .hostile import ATTACKS, Hostile

pytestmark = pytest.mark.pg

attacks = st.lists(st.tuples(st.sampled_from(ATTACKS), st.text(max_size=12)), min_size=1,
                   max_size=6)


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(rounds=st.lists(attacks, min_size=1, max_size=3))
def test_random_invalid_pushes_never_disturb_the_honest_windows(
        make_window: Any, central_url: str, rounds: list[list[tuple[str, str]]]) -> None:
    a = _window(make_window, "02")
    b = _window(make_window, "03")
    creds = _HOSTILE.get(central_url) or add_window(central_url, "152223", "09")
    _HOSTILE[central_url] = creds
    hostile = Hostile(creds.url, creds.window_code)
    hostile.seq = _SEQ.get(central_url, 0)
    for i, batch in enumerate(rounds):
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "甲乙丙丁"[i % 4]},
                      register_enterprise=False)
        a.sync()  # an honest sync never fails, whatever was pushed before
        targets = hostile.seen_targets("county:152223")
        results = hostile.push([hostile.mutation(kind, text, targets) for kind, text in batch])
        assert all(r.get("status") in ("rejected", "refused") for r in results), results
        b.sync()
    _SEQ[central_url] = hostile.seq
    a.sync()
    b.sync()
    assert outbox_count(a.desk) == 0 and outbox_count(b.desk) == 0
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)
    assert not any(rid.startswith("hostile-") for rid in central)


# the same honest windows and the same hostile role across Hypothesis examples of one test
_WINDOWS: dict[tuple[int, str], Any] = {}
_HOSTILE: dict[str, Any] = {}
_SEQ: dict[str, int] = {}


def _window(make_window: Any, no: str) -> Any:
    key = (id(make_window), no)
    if key not in _WINDOWS:
        _WINDOWS[key] = make_window("152223", no)
    return _WINDOWS[key]
