"""Central reads the kind declarations (records/kinds.py), not kind names written into its SQL:
the SQL ships as package data, `init_central` is idempotent, and what it loads is what the
kinds declare (stream, county field, unique fields, shared edit, actions)."""

from __future__ import annotations

import re

import psycopg
import pytest

from xingan_desk.records.kinds import KINDS
from xingan_desk.sync import central
from xingan_desk.sync.sqlfiles import load_sql

SQL_NAMES = (*central.SQL_FILES, "review.sql")


def test_sql_ships_as_package_data_and_names_no_kind() -> None:
    for name in SQL_NAMES:
        text = load_sql(name)
        assert "CREATE" in text
        for kind in KINDS:
            assert f"'{kind}'" not in text, (name, kind)
    with open(central.__file__, encoding="utf-8") as f:
        assert not re.search(r"==\s*\"enterprise\"", f.read())


def test_every_derived_value_is_declared_on_its_action() -> None:
    """An event carries only its action's declared payload fields, so whatever `derive`
    computes must be declared (Action.derives), or honest windows' events would be refused."""
    import datetime as dt

    from xingan_desk.workdays import Calendar

    cal = Calendar()
    day = dt.date(2026, 3, 2)
    for kind in KINDS.values():
        if kind.workflow is None:
            continue
        values = {"accepted_on": day, "agreement_effective_on": day,
                  "refusal_reason": "respondent_refused"}
        for action in kind.workflow.actions:
            derived = kind.derive(action.key, values, cal)
            assert set(derived) <= set(action.payload_fields), (kind.key, action.key)


@pytest.mark.pg
def test_init_is_idempotent_and_loads_the_declarations(central_url: str) -> None:
    assert central.init_central(central_url) == central.SCHEMA_VERSION
    assert central.init_central(central_url) == central.SCHEMA_VERSION
    with psycopg.connect(central_url) as conn:
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT kind, stream, county_field, unique_fields, shared_edit FROM sync.workflow")}
        versions = conn.execute("SELECT version FROM sync.schema_version").fetchall()
        actions = conn.execute("SELECT count(*) FROM sync.workflow_action").fetchone()
    assert [v[0] for v in versions] == [central.SCHEMA_VERSION]  # recorded once
    for key, kind in KINDS.items():
        assert rows[key] == (kind.stream, kind.county_field, list(kind.unique_fields),
                             kind.shared_edit)
    assert rows["enterprise"][:2] == ("global", "county_code")
    assert actions and actions[0] == sum(len(k.workflow.actions) for k in KINDS.values()
                                         if k.workflow)
