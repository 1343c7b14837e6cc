"""An imported record's 原台账编号 travels with it: central holds it, and the other windows of
the county (and the League) see it on the record and find it by search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from xingan_desk.importing import ImportJob
from xingan_desk.views import Query

pytestmark = pytest.mark.pg


def test_the_ledgers_number_reaches_central_and_the_other_windows(
        make_window: Any, central_url: str, tmp_path: Path) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    league = make_window("152200", "01")
    ledger = tmp_path / "咨询台账.csv"
    ledger.write_text("台账编号,咨询日期,首问责任人,单位名称,咨询类别,咨询内容\n"
                      "ZLT-2023-0117,2023-05-06,李娜,兴安新材料有限公司,其他,第一个问题\n",
                      encoding="utf-8")
    assert ImportJob(a.desk, "consultation", ledger).run().imported == 1
    a.sync()
    with psycopg.connect(central_url) as conn:
        row = conn.execute("SELECT doc->>'source_no' FROM sync.record "
                           "WHERE kind = 'consultation'").fetchone()
    assert row is not None and row[0] == "ZLT-2023-0117"
    for w in (b, league):
        report = w.sync()
        assert not report.digest_mismatch
        (rec,) = w.desk.search(Query(text="ZLT-2023-0117"))
        assert rec.values["source_no"] == "ZLT-2023-0117"
        assert rec.values["question"] == "第一个问题"

