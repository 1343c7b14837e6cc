"""The central database's SQL, kept as package data in xingan_desk/sync/sql/*.sql (shipped in
the wheel by pyproject's package-data and in the PyInstaller bundle by build.spec)."""

from __future__ import annotations

from importlib import resources


def load_sql(name: str) -> str:
    """The text of one central SQL file, e.g. ``load_sql("apply.sql")``."""
    return resources.files(__package__).joinpath("sql", name).read_text(encoding="utf-8")


__all__ = ["load_sql"]
