"""The lazy table model: Qt's model contract, page cache, ordering in SQL."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.conftest import GOOD_CONSULTATION
from ui.models import ID_ROLE, PAGE_SIZE, RecordTableModel
from xingan_desk.views import Changes, Query

N = 260  # more than one page
CHARS = "安北川德恩方光和华佳建杰金静俊凯兰丽明宁"
NAMES = [f"王{a}{b}" for a in CHARS for b in CHARS][:N]


@pytest.fixture
def filled(desk: Any) -> Any:
    rows = [{**GOOD_CONSULTATION, "visitor_name": NAMES[i],
             "enterprise_uscc": None, "enterprise_name": f"测试企业{i}有限公司",
             "started_at": f"2026-03-{1 + i % 28:02d} 09:{i % 60:02d}"} for i in range(N)]
    desk.create_many("consultation", rows)
    return desk


def test_model_passes_qtmodeltester(qtmodeltester: Any, filled: Any) -> None:
    model = RecordTableModel(filled, "consultation")
    model.refresh(Query(kind="consultation"))
    assert model.rowCount() == N
    qtmodeltester.check(model)


def test_mixed_due_list_passes_qtmodeltester(qtmodeltester: Any, filled: Any) -> None:
    model = RecordTableModel(filled, None)
    model.refresh(Query())
    qtmodeltester.check(model)


def test_columns_and_lazy_pages(filled: Any) -> None:
    calls: list[int] = []
    real = filled.rows_for_ids

    def counting(ids: Any) -> Any:
        calls.append(len(ids))
        return real(ids)

    filled.rows_for_ids = counting
    model = RecordTableModel(filled, "consultation")
    model.refresh(Query(kind="consultation"))
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in
               range(model.columnCount())]
    assert headers[:2] == ["登记编号", "状态"] and headers[-1] == "登记时间"
    assert "来访人姓名" in headers
    assert calls == []  # nothing loaded until shown
    first = model.data(model.index(0, 0))
    assert first and first.startswith("ZX-")
    model.data(model.index(PAGE_SIZE - 1, 1))
    assert calls == [PAGE_SIZE]  # one query for the first page
    model.data(model.index(PAGE_SIZE, 1))
    assert calls == [PAGE_SIZE, N - PAGE_SIZE]
    assert model.data(model.index(3, 0), ID_ROLE) == model.record_id(3)


def test_header_click_requeries_with_order_by(filled: Any) -> None:
    model = RecordTableModel(filled, "consultation")
    model.refresh(Query(kind="consultation"))
    col = [model.headerData(c, Qt.Orientation.Horizontal)
           for c in range(model.columnCount())].index("来访人姓名")
    model.sort(col, Qt.SortOrder.AscendingOrder)
    assert model.query.order_by == "visitor_name" and not model.query.descending
    names = [model.data(model.index(r, col)) for r in range(5)]
    assert names == sorted(NAMES)[:5]
    model.sort(col, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, col)) == max(NAMES)
    requested: list[Query] = []
    model.async_requery = True
    model.query_changed.connect(requested.append)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert requested and requested[0].order_by == "receipt_no"


def test_apply_changes_only_for_its_kind(filled: Any) -> None:
    model = RecordTableModel(filled, "consultation")
    model.refresh(Query(kind="consultation"))
    assert not model.apply_changes(Changes(kinds=frozenset({"mediation"})))
    assert model.apply_changes(Changes(kinds=frozenset({"consultation"})))


def test_a_list_reads_its_ids_a_chunk_at_a_time(filled: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("ui.models.CHUNK", 100)
    model = RecordTableModel(filled, "consultation")
    model.refresh(Query(kind="consultation"))
    assert (model.rowCount(), model.total) == (100, N)  # the count is of every match
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == N and not model.canFetchMore()
    everything = filled.find_ids(Query(kind="consultation"))
    assert [model.record_id(r) for r in range(N)] == everything  # same order, no gaps
    search = RecordTableModel(filled, "consultation")
    search.refresh(Query(kind="consultation", text="王", limit=500))
    assert search.rowCount() == search.total == N and not search.canFetchMore()
