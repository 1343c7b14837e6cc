"""The plan's ledgers travel like the other kinds: pushed, checked by central against their
declarations, pulled by the county's other windows and by the League (real PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.ledger_data import LEDGERS, PLEDGE_REGISTER

from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def test_ledger_records_round_trip(make_window, central_url) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    league = make_window("152200", "01")
    made = {kind: a.desk.create(kind, raw)[0] for kind, raw in LEDGERS.items()}
    pledge = made["pledge"]
    a.desk.act(pledge.id, "match", {"matched_on": "2025-03-01", "matched_bank": "中国银行兴安盟分行"})
    a.desk.act(pledge.id, "register", PLEDGE_REGISTER)
    rep = a.sync()
    assert rep.rejected == 0, rep.rejections
    assert outbox_count(a.desk) == 0
    b.sync()
    league.sync()
    for kind, rec in made.items():
        got = b.desk.get(rec.id)
        assert got.receipt_no == rec.receipt_no, kind
        assert got.values == a.desk.get(rec.id).values, kind
    # the pledge's workflow and the patent's derived values arrived with their events
    assert b.desk.get(pledge.id).status == "registered"
    assert b.desk.get(pledge.id).display("amount_wan") == "1,200.00"
    patent = b.desk.get(made["patent"].id)
    assert patent.status == "assessed"
    assert patent.display("patent_type") == "发明"
    assert set(patent.values["hv_derived"]) == {"strategic", "overseas", "long_maintained",
                                                "awarded"}
    # b confirms the categories; a and the League see the confirmation
    b.desk.act(patent.id, "confirm", {"hv_confirmed": ["strategic", "awarded"],
                                      "hv_confirmed_on": "2026-01-05"})
    b.sync()
    a.sync()
    league.sync()
    assert a.desk.get(patent.id).status == "confirmed"
    assert a.desk.get(patent.id).values["hv_confirmed"] == ["strategic", "awarded"]
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central
    assert local_state(b.desk) == central
    assert local_state(league.desk) == central_state(central_url)


def test_the_league_registers_ledgers_of_every_county_and_counts_them_there(
        make_window, central_url) -> None:
    import datetime as dt

    from xingan_desk.stats import Period, compute

    league = make_window("152200", "01")
    county = make_window("152223", "02")
    patent, _ = league.desk.create("patent", LEDGERS["patent"])  # 扎赉特旗's enterprise
    pledge, _ = league.desk.create("pledge", LEDGERS["pledge"])
    league.desk.act(pledge.id, "register", PLEDGE_REGISTER)
    rep = league.sync()
    assert rep.rejected == 0, rep.rejections
    county.sync()
    assert local_state(league.desk) == central_state(central_url)
    report = compute(league.desk, Period.year(2025), "152223", today=dt.date(2026, 1, 5))
    figures = {tp.target.key: tp.actual for tp in report.targets}
    assert figures["high_value_patents"] == 1 and figures["pledge_amount"] == 1200
    whole = compute(league.desk, Period.year(2025), today=dt.date(2026, 1, 5))
    by_county = dict(next(tp for tp in whole.targets
                          if tp.target.key == "pledge_amount").by_county)
    assert by_county["152223"] == 1200 and by_county["152200"] == 0
    assert patent.county_code == "152200"  # the record stays with the window that keeps it
