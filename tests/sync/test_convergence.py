"""S2 (in-process, Hypothesis): random clerk histories on four windows — two in 扎赉特旗
(152223) sharing its cases, one in 突泉县 (152224) and the League (152200), which acts on every
county's cases — syncing in random order, with crashes injected at the named fault points of
the protocol (an exception there rolls back the local transaction, as a kill would). After
healing, the checkers (checkers.py) must find nothing: replicas equal central on their scope,
no acknowledged write lost, nothing applied twice, every status a valid fold, every real
conflict listed once; and a quiet round after that verifies every stream's digest.

Hypothesis shrinks a failing history to a short one (printed with its reproduction blob).
CI runs a fixed set of examples (derandomized); XINGAN_SYNC_SOAK=1 runs 200 random ones.
The multi-process version with real kills and a fault proxy is test_headline.py."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xingan_desk.sync.client import FAULT_POINTS

from .checkers import check_all
from .history import OPS, CentralForRuns, close_all, heal, step

pytestmark = pytest.mark.pg

SOAK = os.environ.get("XINGAN_SYNC_SOAK") == "1"
CODES = [("152223", "01"), ("152223", "02"), ("152224", "01"), ("152200", "01")]
FAULTS = (None,) * 6 + FAULT_POINTS

history = st.lists(
    st.tuples(st.integers(0, len(CODES) - 1), st.sampled_from(OPS),
              st.integers(0, 2**32 - 1), st.sampled_from(FAULTS)),
    min_size=10, max_size=80)


@settings(max_examples=200 if SOAK else 15, derandomize=not SOAK, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          print_blob=True)
@given(ops=history)
def test_s2_random_histories_converge(central_url, ops) -> None:
    central = CentralForRuns.of(central_url)
    central.reset()
    with tempfile.TemporaryDirectory() as tmp:
        windows = central.windows(Path(tmp), CODES)
        try:
            for idx, op, seed, fault in ops:
                w = windows[idx]
                if op == "sync":
                    w.sync(fault=fault)
                else:
                    step(w, op, random.Random(seed))
            heal(windows, rounds=2)
            problems = check_all(central_url, [w.under_test() for w in windows],
                                 {w.code: w.syncs for w in windows})
            assert problems == [], "\n".join(problems[:20])
            for w in windows:  # quiet: nothing to move, every stream's digest verified
                rep = w.client().run_once()
                assert rep.pushed == 0 and rep.pulled == 0, (w.code, rep)
                assert not rep.rebaselined and sorted(rep.verified) == sorted(rep.streams)
        finally:
            close_all(windows)
