"""The planner statistics are kept, and the lookups a clerk waits for use their indexes.

The store is filled with raw inserts (thousands of enterprises in a second), the statements are
the ones Desk really runs (caught on the engine), and their plans come from EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import ADMIN_PASSWORD
from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.views import Query

ENTERPRISES = 5_000
USCC = "93152223MA0R5K6L3R"  # a valid credit code, registered last


def fill(desk: Desk, n: int) -> None:
    """n enterprises (and one consultation per ten) straight into the envelope and detail
    tables, as a League store holds them; no statistics are touched."""
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    records, details, consults = [], [], []
    for i in range(n):
        rid, at = str(uuid.uuid4()), (base + dt.timedelta(minutes=i)).isoformat()
        kind = "consultation" if i % 10 == 9 else "enterprise"
        records.append((rid, kind, f"T-{i:07d}", "", 0, "152223-02", "152223", "admin", at, at,
                        "admin", "h", "{}", 1, 0, f"企业{i}", "", f"91152201MA{i:07d}X", 0))
        (consults if kind == "consultation" else details).append((rid,))
    raw = desk.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO record(id, kind, receipt_no, status, needs_review, owner, county_code,"
            " created_by, created_at, updated_at, updated_by, hlc, field_hlc, row_version,"
            " voided, title, search_text, enterprise_uscc, print_count)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", records)
        conn.executemany("INSERT INTO enterprise_detail(record_id) VALUES (?)", details)
        conn.executemany("INSERT INTO consultation_detail(record_id) VALUES (?)", consults)
        conn.execute("COMMIT")
    finally:
        raw.close()


@contextmanager
def statements(desk: Desk) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and parameters) Desk sends to SQLite inside the block."""
    seen: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((sql, params))

    event.listen(desk.engine, "before_cursor_execute", catch)
    try:
        yield seen
    finally:
        event.remove(desk.engine, "before_cursor_execute", catch)


def plan(desk: Desk, sql: str, params: Any) -> str:
    with desk.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


def plans_of(desk: Desk, seen: list[tuple[str, Any]], marker: str) -> list[str]:
    found = [plan(desk, sql, params) for sql, params in seen
             if marker in sql and sql.lstrip().upper().startswith("SELECT")]
    assert found, f"no statement with {marker!r} ran"
    return found


def has_record_statistics(desk: Desk) -> bool:
    with desk.engine.connect() as conn:
        return bool(conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'record'").scalar())


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Desk]:
    directory = tmp_path / "store"
    Desk.initialise(directory, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    desk = Desk.open(directory)
    desk.use_account("admin")
    fill(desk, ENTERPRISES)
    desk.create("enterprise", {"uscc": USCC, "name": "扎赉特旗合作社", "county_code": "152223"})
    yield desk
    desk.close()


def test_opening_a_store_gathers_statistics_and_lookups_use_their_indexes(
        big: Desk, tmp_path: Path) -> None:
    with big.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE sqlite_stat1")  # as in a store of an older release
    big.close()
    desk = Desk.open(tmp_path / "store")  # an older store without statistics gets them here
    desk.use_account("admin")
    try:
        assert has_record_statistics(desk)
        with statements(desk) as seen:
            found = desk.enterprise_by_uscc(USCC)
        assert found is not None and found.values["name"] == "扎赉特旗合作社"
        assert all("ix_record_uscc" in p for p in plans_of(desk, seen, "enterprise_uscc ="))

        with statements(desk) as seen, pytest.raises(ValidationFailed) as info:
            desk.create("enterprise", {"uscc": USCC, "name": "重复", "county_code": "152223"})
        assert found.receipt_no in info.value.errors["uscc"]
        assert all("ix_record_uscc" in p for p in plans_of(desk, seen, "enterprise_uscc ="))

        # the newest-first lists read their ids from the covering indexes alone
        with statements(desk) as seen:
            ids = desk.find_ids(Query(limit=200))
        assert len(ids) == 200
        assert any("COVERING INDEX ix_record_created" in p and "TEMP B-TREE" not in p
                   for p in plans_of(desk, seen, "ORDER BY record.created_at DESC"))
        with statements(desk) as seen:
            ids = desk.find_ids(Query(kind="enterprise", limit=200))
        assert len(ids) == 200
        assert any("COVERING INDEX ix_record_kind_created" in p and "TEMP B-TREE" not in p
                   for p in plans_of(desk, seen, "ORDER BY record.created_at DESC"))
    finally:
        desk.close()


def test_bulk_creation_and_the_daily_backup_keep_the_statistics(big: Desk) -> None:
    with big.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    assert not has_record_statistics(big)
    big.create_many("enterprise", [
        {"uscc": "91152201MA0N12340P", "name": "兴安新材料有限公司", "county_code": "152201"}])
    assert has_record_statistics(big)

    with big.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    assert big.auto_backup() is not None
    assert has_record_statistics(big)


def test_the_pending_upload_count_reads_the_outbox_state_index(big: Desk) -> None:
    # the status bar counts pending uploads at start and after every sync cycle: on a League
    # store that is hundreds of thousands of rows, so it must not read their payloads
    assert big.pending_outbox() == 1  # the enterprise created through Desk
    with statements(big) as seen:
        assert big.pending_outbox() == 1
    assert all("COVERING INDEX ix_outbox_state" in p for p in plans_of(big, seen, "outbox"))
