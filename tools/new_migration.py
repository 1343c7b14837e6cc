"""Autogenerate an Alembic revision for the local store from the record-kind declarations.

Usage: python tools/new_migration.py "add field xyz"   (then review the file it writes, add any
raw SQL the change needs, and bump SCHEMA_HEAD in xingan_desk/storage/db.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from xingan_desk.storage import db as dbmod


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    rev_id = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.sqlite3"
        engine = dbmod.make_engine(path)
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(dbmod.__file__).parent / "migrations"))
        with dbmod.writer(engine).begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()


if __name__ == "__main__":
    main()
