"""The mediation case file's rules through central (real PostgreSQL): the 司法确认 deadline
(人民调解法 §33) is enforced by central's twin on the record as the window saw it, and the
former 记录履行情况 (folded into 记录回访) still travels from windows not yet upgraded."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import GOOD_MEDIATION
from xingan_desk.bulk import BulkAction, BulkRow
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.mediation_file import confirmation_checks
from xingan_desk.sync.central import add_window

from .test_central_validation import _create, _hlc, _mediation, _push

pytestmark = pytest.mark.pg

CONFIRMATION_VECTORS: list[dict[str, Any]] = [
    {}, {"confirmation_applied_on": "2026-04-04"},
    {"agreement_effective_on": "2026-03-05"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-03-05"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-03-04"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-04-04"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-04-05"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-04-07",
     "confirmation_deadline": "2026-04-07"},
    {"agreement_effective_on": "2026-03-05", "confirmation_applied_on": "2026-04-08",
     "confirmation_deadline": "2026-04-07"},
    {"agreement_effective_on": "2026-12-20", "confirmation_applied_on": "2027-01-20"},
]


def test_the_confirmation_rule_and_its_twin_agree(central_url: str) -> None:
    kind = KINDS["mediation"]
    seen = set()
    with psycopg.connect(central_url, autocommit=True) as conn:
        for values in CONFIRMATION_VECTORS:
            py = list(confirmation_checks(kind.from_json(values)).items())
            row = conn.execute("SELECT sync._kind_check('confirmation_checks', %s)",
                               (Jsonb(values),)).fetchone()
            assert row is not None
            assert py == [tuple(pair) for pair in row[0]], values
            seen.add(bool(py))
    assert seen == {True, False}


def _event(code: str, seq: int, rid: str, action: str, source: str, target: str,
           payload: dict[str, Any]) -> dict[str, Any]:
    hlc = _hlc(seq, code)
    return {"local_seq": seq, "mutation_id": f"m-e{seq}", "entity": "event",
            "entity_id": f"e{seq}-{code}", "op": "event", "hlc": hlc, "payload": {
                "kind": "mediation", "record_id": rid, "id": f"e{seq}-{code}", "action": action,
                "from_status": source, "to_status": target, "owner": code, "hlc": hlc,
                "payload": payload}}


def test_central_refuses_a_late_application_from_any_window(central_url: str) -> None:
    """A window that does not check (an older release, a forged request) is refused by central
    itself: the settle event's deadline (or 30 days) against the application date."""
    w = add_window(central_url, "152201", "07")
    code = w.window_code
    rolled, plain = f"r-{code}-1", f"r-{code}-2"
    res = _push(w.url, code, [_create(code, 1, "mediation", _mediation()),
                              _create(code, 2, "mediation", _mediation())])
    assert [res[n]["status"] for n in (1, 2)] == ["accepted"] * 2, res
    seq = 10
    steps: list[dict[str, Any]] = []
    for rid, settle in ((rolled, {"confirmation_deadline": "2026-04-07"}), (plain, {})):
        for action, source, target, payload in (
                ("accept", "registered", "accepted",
                 {"accepted_on": "2026-03-03", "mediator": "李娜"}),
                ("start", "accepted", "mediating", {"consent": "agreed",
                                                    "started_on": "2026-03-04"}),
                ("settle", "mediating", "settled",
                 {"outcome": "written", "agreement": "双方同意",
                  "agreement_effective_on": "2026-03-05", **settle})):
            seq += 1
            steps.append(_event(code, seq, rid, action, source, target, payload))
    res = _push(w.url, code, steps)
    assert all(r["status"] == "accepted" for r in res.values()), res

    def apply(seq: int, rid: str, day: str) -> dict[str, Any]:
        return _event(code, seq, rid, "apply_confirmation", "settled", "confirmation_applied",
                      {"confirmation_applied_on": day, "confirmation_court": "某法院"})

    res = _push(w.url, code, [apply(31, rolled, "2026-04-08"), apply(32, plain, "2026-04-05"),
                              apply(33, plain, "2026-03-04")])
    for n, day in ((31, "2026年4月7日"), (32, "2026年4月4日")):
        assert res[n]["status"] == "rejected" and res[n]["code"] == "INVALID_VALUE", res[n]
        assert "申请司法确认日期" in res[n]["reason"] and "已超过申请司法确认期限" in res[n]["reason"]
        assert f"本案期限至{day}" in res[n]["reason"]
    assert res[33]["status"] == "rejected" and "不能早于调解协议生效日期" in res[33]["reason"]
    res = _push(w.url, code, [apply(34, rolled, "2026-04-07"), apply(35, plain, "2026-04-04")])
    assert [res[n]["status"] for n in (34, 35)] == ["accepted"] * 2, res


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_an_older_windows_performance_event_travels_and_prints(make_window: Any,
                                                               tmp_path: Path) -> None:
    """Window a records the former 记录履行情况 (as a window not yet upgraded, or a ledger
    import, does); central accepts it, window b folds it, prints it in the 回访记录, and its own
    记录回访 and an in-time 司法确认 application follow through central."""
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    effective = dt.date.today() - dt.timedelta(days=5)
    steps = (BulkAction("accept", {"accepted_on": effective - dt.timedelta(days=3),
                                   "mediator": "赵敏"}),
             BulkAction("start", {"consent": "agreed",
                                  "started_on": effective - dt.timedelta(days=2)}),
             BulkAction("settle", {"outcome": "written", "agreement": "赔偿2万元",
                                   "agreement_effective_on": effective}),
             BulkAction("record_performance", {"performance": "partial"}))
    made = a.desk.create_many("mediation", [BulkRow(GOOD_MEDIATION, actions=steps)])
    rid = made.created[0][1]
    assert a.sync().rejected == 0
    b.sync()
    rec = b.desk.get(rid)
    assert rec.status == "settled" and rec.values["performance"] == "partial"
    assert not rec.needs_review
    b.desk.act(rid, "record_followup", {"followups": [{
        "date": dt.date.today(), "visitor": "赵敏", "visited": "张建国", "method": "phone",
        "performance": "done", "findings": "已付清"}]})
    b.desk.act(rid, "apply_confirmation", {"confirmation_applied_on": dt.date.today()})
    rep = b.sync()
    assert rep.rejected == 0, rep.rejections
    a.sync()
    for w in (a, b):
        got = w.desk.get(rid)
        assert got.status == "confirmation_applied" and got.values["performance"] == "done"
    from pypdf import PdfReader

    from xingan_desk.printing import render

    out = render(b.desk, rec.receipt_no, tmp_path / "回访.pdf", document="followup_record")
    pages = [_flat(p.extract_text()) for p in PdfReader(out).pages]
    assert len(pages) == 2 and "■部分履行" in pages[0] and "以“记录履行情况”登记" in pages[0]
    assert "■履行完毕" in pages[1]
