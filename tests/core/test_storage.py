"""Schema, migrations, numbering, clocks and the layer rule."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import given
from hypothesis import strategies as st

from xingan_desk import hlc
from xingan_desk.numbering import (
    check_receipt_no,
    format_receipt_no,
    mod37_36_check,
    parse_receipt_no,
)
from xingan_desk.storage import db as dbmod
from xingan_desk.storage.schema import Base

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_match_the_declarations_and_head(tmp_path: Path) -> None:
    """Adding a field to a kind without a migration fails here."""
    engine = dbmod.make_engine(tmp_path / "m.sqlite3")
    dbmod.migrate(engine, tmp_path / "m.sqlite3", tmp_path)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(dbmod.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == dbmod.SCHEMA_HEAD
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": lambda o, n, t, r, c: not (t == "table" and n.startswith("record_search")),
            "compare_type": True,
        })
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    engine.dispose()


def test_migrating_an_old_store_backs_it_up_first(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = dbmod.make_engine(path)
    dbmod.migrate(engine, path, tmp_path / "backups")
    with dbmod.writer(engine).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    # an unknown older revision cannot be upgraded, but the backup must exist before trying
    with contextlib.suppress(Exception):
        dbmod.migrate(engine, path, tmp_path / "backups")
    assert list((tmp_path / "backups").glob("before-migrate-0000-*.sqlite3"))
    engine.dispose()


def test_core_imports_without_qt_in_a_fresh_interpreter() -> None:
    code = (
        "import sys, xingan_desk.desk, xingan_desk.cli, xingan_desk.export, xingan_desk.demo\n"
        "import xingan_desk.printing.fonts\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'ui'))]\n"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_help_does_not_load_heavy_modules() -> None:
    code = (
        "import sys\nfrom xingan_desk.cli import build_parser\nbuild_parser().format_help()\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'reportlab', 'psycopg', 'openpyxl')"
        " if m in sys.modules]\nprint(heavy)\nsys.exit(1 if heavy else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_receipt_number_check_character_catches_typos() -> None:
    no = format_receipt_no("TJ", "152223", "02", 1, 2026, 123)
    assert no.startswith("TJ-152223-02-2026-000123-")
    assert check_receipt_no(no) is None
    assert parse_receipt_no(no.lower()) is not None
    typo = no.replace("000123", "000132")
    assert check_receipt_no(typo) == "编号校验位不对，请核对是否抄错"
    assert format_receipt_no("ZX", "152201", "01", 3, 2026, 1).split("-")[2] == "01C"
    assert check_receipt_no("ZX-1") is not None


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=30),
       st.integers(min_value=0), st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_mod37_36_detects_every_single_substitution(payload: str, pos: int, ch: str) -> None:
    i = pos % len(payload)
    changed = payload[:i] + ch + payload[i + 1:]
    if changed != payload:
        assert mod37_36_check(changed) != mod37_36_check(payload)


def test_hlc_is_monotonic_even_when_the_clock_goes_back() -> None:
    a = hlc.tick(None, "152223-02", wall_ms=1_000_000)
    b = hlc.tick(a, "152223-02", wall_ms=500)  # clock jumped back
    c = hlc.receive(b, "0000002000000-00003-152201-01", "152223-02", wall_ms=600)
    d = hlc.tick(c, "152223-02", wall_ms=700)
    assert a < b < c < d
    assert hlc.HLC.parse(d).millis == 2_000_000
