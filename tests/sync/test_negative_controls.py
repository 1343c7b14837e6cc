"""S0 (c): a deliberately broken client that advances the pull cursor outside the apply
transaction loses rows after a crash mid-page, and the replica-vs-central checker sees it.
Our client, crashed at the same point, loses nothing. (S0 (a) is in test_feed.py.)

With digest verification on, even the broken build is healed by the re-baseline — the digest
is a second, independent line of defence, so the control runs with verify=False."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GOOD_CONSULTATION
from xingan_desk.sync.client import InjectedFault, SyncClient, SyncReport

from .helpers import central_state, local_state, scope_of

pytestmark = pytest.mark.pg


class CursorFirstClient(SyncClient):
    """BROKEN on purpose: writes the cursor in its own transaction before applying rows."""

    def _apply_page(self, stream: str, changes: list[dict[str, Any]], new_cursor: int,
                    epoch: str | None, head: int, report: SyncReport) -> None:
        self._set_cursor_only(stream, new_cursor, epoch, head)
        super()._apply_page(stream, changes, new_cursor, epoch, head, report)


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


def test_s0_our_client_same_crash_loses_nothing(make_window, central_url) -> None:
    _, b = _scenario(make_window, SyncClient, verify=False)
    assert local_state(b.desk) == central_state(central_url, scope_of("152223"))


def test_s0_digest_heals_even_the_broken_client(make_window, central_url) -> None:
    _, b = _scenario(make_window, CursorFirstClient, verify=True)
    assert local_state(b.desk) == central_state(central_url, scope_of("152223"))
