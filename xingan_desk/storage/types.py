"""Column types shared by the local schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.types import TypeDecorator

from ..timeutil import as_utc


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as naive UTC and gives them back aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value)


class FieldStamps(TypeDecorator[dict[str, Any]]):
    """A record's per-field HLC stamps ({field: stamp}), stored grouped by stamp
    ({"~": {stamp: [fields]}}): a new record's fields all carry its creation stamp, so the
    ungrouped form repeated one 30-character stamp per field (about 600 bytes a record).
    Reads give the plain {field: stamp} back, also for rows stored before (ungrouped)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Any) -> Any:
        if not value:
            return value
        groups: dict[str, list[str]] = {}
        for key, stamp in value.items():
            groups.setdefault(str(stamp), []).append(key)
        return {"~": groups} if len(groups) < len(value) else value

    def process_result_value(self, value: Any, dialect: Any) -> dict[str, Any] | None:
        if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("~"), dict):
            return {key: stamp for stamp, keys in value["~"].items() for key in keys}
        return value if isinstance(value, dict) else None
