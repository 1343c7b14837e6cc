"""Column types shared by the local schema."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.types import TypeDecorator

from ..timeutil import as_utc
from .audit_zdict import AUDIT_ZDICT_V1


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


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def utc_micros(value: dt.datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exact)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - _EPOCH) // _MICRO


def from_utc_micros(value: int) -> dt.datetime:
    """The aware UTC datetime `utc_micros` gave `value` for."""
    return _EPOCH + dt.timedelta(microseconds=value)


class UTCMicros(TypeDecorator[dt.datetime]):
    """An aware datetime stored as an integer, microseconds since 1970-01-01 UTC (8 bytes
    instead of the 26 of the text SQLite's DATETIME holds), read back as the same aware UTC
    datetime. For the append-mostly logs (audit_log.at, acked_log.acked_at; migration 0016
    rewrote their older rows): a text value stored before still reads right. The column stays
    declared DATETIME (NUMERIC affinity keeps the integer as it is)."""

    impl = DateTime
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        def process(value: dt.datetime | None) -> int | None:
            return None if value is None else utc_micros(value)
        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        def process(stored: Any) -> dt.datetime | None:
            if stored is None:
                return None
            if isinstance(stored, int):
                return from_utc_micros(stored)
            if isinstance(stored, dt.datetime):
                return as_utc(stored)
            return as_utc(dt.datetime.fromisoformat(str(stored)))
        return process


def id_bytes(value: Any) -> Any:
    """A canonical (lower-case, hyphenated) UUID text as its 16 bytes; anything else as it
    is (an id that would not read back the same stays text)."""
    if not isinstance(value, str) or len(value) != 36:
        return value
    try:
        u = uuid.UUID(value)
    except ValueError:
        return value
    return u.bytes if str(u) == value else value


def id_text(value: Any) -> Any:
    """An id as text again (`id_bytes`)."""
    return str(uuid.UUID(bytes=bytes(value))) if isinstance(value, bytes | memoryview) else value


class IdBytes(TypeDecorator[str]):
    """A UUID id column stored as 16 bytes instead of 36 characters (`id_bytes`; other ids
    stay text), read back as the same text. Comparisons bind the same way, so an indexed
    lookup by id still finds the row; text values stored before read right, but are not
    found by such a lookup (migration 0016 rewrote them). Declared VARCHAR as before (a BLOB
    value is kept as it is whatever the affinity)."""

    impl = String
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        return id_bytes

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        return id_text


def stamp_bytes(value: Any) -> Any:
    """An HLC stamp text ('<13-digit ms>-<5-digit counter>-<node>', hlc.HLC) as 6 + 3 bytes
    and its node (about 18 bytes instead of 29); anything else as it is (what would not read
    back the same stays text)."""
    if not isinstance(value, str) or len(value) < 21 or value[13] != "-" or value[19] != "-":
        return value
    ms, counter, node = value[:13], value[14:19], value[20:]
    if not (ms.isdigit() and counter.isdigit() and ms.isascii() and counter.isascii()):
        return value
    return int(ms).to_bytes(6, "big") + int(counter).to_bytes(3, "big") + node.encode("utf-8")


def stamp_text(value: Any) -> Any:
    """A stamp as text again (`stamp_bytes`)."""
    if not isinstance(value, bytes | memoryview):
        return value
    raw = bytes(value)
    return (f"{int.from_bytes(raw[:6], 'big'):013d}-{int.from_bytes(raw[6:9], 'big'):05d}-"
            f"{raw[9:].decode('utf-8')}")


# Formats of packed JSON (the first byte of a stored BLOB; a TEXT value is the plain JSON that
# rows held before)
_PLAIN, _DEFLATE_V1 = 1, 2
_ADDED = "="  # see encode_audit_changes
# shorter JSON is stored as it is: deflating it rarely gains, and a deflate stream costs about
# 15 µs to set up (a quarter of the audit rows: a status change alone)
PACK_MIN = 48


class FieldStamps(TypeDecorator[dict[str, Any]]):
    """A record's per-field HLC stamps ({field: stamp}), stored grouped by stamp
    ({"~": {stamp: [fields]}}): a new record's fields all carry its creation stamp, so the
    ungrouped form repeated one 30-character stamp per field (about 600 bytes a record). The
    JSON is then deflated with the audit log's preset dictionary (it holds every field key:
    about 90 bytes instead of 250). Reads give the plain {field: stamp} back, also for rows
    stored before (JSON text, grouped or not)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        def process(value: dict[str, Any] | None) -> Any:
            if not value:
                return json.dumps(value)
            groups: dict[str, list[str]] = {}
            for key, stamp in value.items():
                groups.setdefault(str(stamp), []).append(key)
            return pack_json({"~": groups} if len(groups) < len(value) else value)
        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        def process(stored: Any) -> dict[str, Any] | None:
            value = unpack_json(stored)
            if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("~"), dict):
                return {key: stamp for stamp, keys in value["~"].items() for key in keys}
            return value if isinstance(value, dict) else None
        return process


def create_changes(values: dict[str, Any], listed: bool = True) -> dict[str, Any]:
    """What a create's audit entry holds: every value the record was created with that is not
    None, as [None, value] (`listed` False: none, for an enterprise registered on the way). It
    is the one copy of the creation values once the create's outbox row is acknowledged and
    compacted (sync/acked.compact rebuilds the pushed payload from it)."""
    return {k: [None, v] for k, v in values.items() if v is not None} if listed else {}


def pack_json(value: Any) -> bytes:
    """`value` as compact JSON, deflated with the frozen preset dictionary when that is
    shorter; the first byte says which (`unpack_json` reads both, and plain JSON text)."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(plain) < PACK_MIN:
        return bytes((_PLAIN,)) + plain
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, AUDIT_ZDICT_V1)
    packed = squeeze.compress(plain) + squeeze.flush()
    if len(packed) < len(plain):
        return bytes((_DEFLATE_V1,)) + packed
    return bytes((_PLAIN,)) + plain


def unpack_json(stored: bytes | str | None) -> Any:
    """What `pack_json` packed (a TEXT value is JSON as stored before it)."""
    if stored is None:
        return None
    if isinstance(stored, str):
        return json.loads(stored)
    fmt, body = stored[0], bytes(stored[1:])
    if fmt == _DEFLATE_V1:
        inflate = zlib.decompressobj(-15, AUDIT_ZDICT_V1)
        body = inflate.decompress(body) + inflate.flush()
    elif fmt != _PLAIN:
        raise ValueError("unknown packed JSON format")
    return json.loads(body.decode("utf-8"))


def encode_audit_changes(changes: dict[str, Any]) -> bytes | str:
    """An audit entry's {key: [old, new]} as stored: a value set where there was none
    ([None, new], what a create or an action records) is kept as `key: new`, any other entry
    as `=key: value`, then packed (`pack_json`). Nothing is dropped: `decode_audit_changes`
    gives back an equal dict, in order."""
    if not changes:
        return "{}"
    packed = {(k if isinstance(v, list | tuple) and len(v) == 2 and v[0] is None
               and not k.startswith(_ADDED) else _ADDED + k):
              (v[1] if isinstance(v, list | tuple) and len(v) == 2 and v[0] is None
               and not k.startswith(_ADDED) else v)
              for k, v in changes.items()}
    return pack_json(packed)


def decode_audit_changes(stored: bytes | str | None) -> dict[str, Any] | None:
    """The {key: [old, new]} an audit row holds (also rows stored before, as plain JSON)."""
    if stored is None:
        return None
    if isinstance(stored, str):
        value = json.loads(stored)
        return value if isinstance(value, dict) else None
    packed = unpack_json(stored)
    return {(k[1:] if k.startswith(_ADDED) else k): (v if k.startswith(_ADDED) else [None, v])
            for k, v in packed.items()}


class AuditChanges(TypeDecorator[dict[str, Any]]):
    """The audit log's `changes` ({key: [old, new]}), stored compactly (encode_audit_changes):
    readers see the same dict as before. The column stays declared JSON (old rows are
    JSON text and are read as such)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return None if value is None else encode_audit_changes(dict(value))
        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        return decode_audit_changes
