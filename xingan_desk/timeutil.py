"""Time helpers: everything is stored in UTC; clerks read and type China Standard Time.

A fixed UTC+8 offset is used on purpose: China has no daylight saving time, and Windows PCs do
not ship the IANA database that `zoneinfo` would need.
"""

from __future__ import annotations

import datetime as dt

CST = dt.timezone(dt.timedelta(hours=8), "CST")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today_cst() -> dt.date:
    return dt.datetime.now(CST).date()


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def format_date(value: dt.date) -> str:
    return f"{value.year}-{value.month:02d}-{value.day:02d}"


def format_date_cn(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: dt.datetime) -> str:
    local = as_utc(value).astimezone(CST)
    return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d}"
