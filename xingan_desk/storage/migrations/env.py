"""Alembic environment for the local SQLite store (run by storage/db.py:migrate)."""

from __future__ import annotations

from alembic import context

from xingan_desk.storage.schema import Base

FTS_SHADOW = ("record_search",)


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # The FTS5 search table and its shadow tables are created with raw SQL, not metadata.
    return not (type_ == "table" and name and name.startswith(FTS_SHADOW))


config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through xingan_desk.storage.db.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=include_object,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
