"""Defensive pull: the checks a pulled row must pass before this window applies it, and the
quarantine that keeps the rows that fail.

A row a window cannot apply — an unknown kind or entity, a field this release does not
declare, a value its declaration refuses (an impossible date, "abc" in a number field, a text
over its length), an event action the workflow does not have or a payload key the action may
not carry, a malformed envelope — is kept in `sync_quarantine` as received and listed in
需处理事项; the rest of the page goes on and the cursor moves past it, so one row never stops
the League's sync. A later change of the same record that passes (the owner's correction)
clears it. Reasons are Chinese and name the field, never the value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from ..hlc import HLC
from ..records.fields import Field, FieldError
from ..records.kind import RecordKind
from ..records.kinds import KINDS
from ..timeutil import utcnow
from .local_schema import sync_quarantine

CALENDAR_KINDS = (None, "holiday", "workday", "normal")
RECORD_MISSING = "RECORD_MISSING"  # an event whose record this window does not have
_QUOTED = re.compile(r"“[^”]*”")


@dataclass(frozen=True)
class Problem:
    """Why a pulled row is not applied: a code, a Chinese reason, the field at fault."""

    code: str
    reason: str
    field: str | None = None


def _hlc_ok(value: Any) -> bool:
    if not isinstance(value, str) or not value or len(value) > 48:
        return False
    try:
        HLC.parse(value)
    except ValueError:
        return False
    return True


def _time_ok(value: Any) -> bool:
    if value is None:
        return True
    try:
        dt.datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _text_ok(value: Any, limit: int, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, str) and len(value) <= limit and "\x00" not in value


def _value_problem(kind: RecordKind, f: Field, value: Any) -> Problem | None:
    """The declaration's own check of one incoming value (JSON form). Plain values are
    checked once per run (a pull meets the same codes, names and dates again and again)."""
    if f.is_empty(value):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and len(value) <= 200):
        return _cached_problem(kind.key, f.key, value)
    return _check_value(kind, f, value)


@functools.lru_cache(maxsize=65536, typed=True)
def _cached_problem(kind_key: str, field_key: str, value: str | int | float | bool
                    ) -> Problem | None:
    kind = KINDS[kind_key]
    return _check_value(kind, kind.field(field_key), value)


def _check_value(kind: RecordKind, f: Field, value: Any) -> Problem | None:
    try:
        try:
            typed = f.from_json(value)
        except ValueError:
            if not isinstance(value, str):
                raise
            typed = value  # e.g. "2023-02-30": the form's parser names the problem
        if f.stage == "system":
            # written by the program, not typed (e.g. the list of hand-over numbers, longer
            # than one reference): its shape is checked, not the form's rules
            if isinstance(typed, str) and "\x00" in typed:
                raise FieldError(f"{f.label}含有空字符")
            return None
        f.clean(typed)
    except FieldError as exc:
        said = _QUOTED.sub("", str(exc))  # the message without the value it quotes
        return Problem("INVALID_VALUE", f"{kind.title}的“{f.label}”不符合本程序的规定（{said}）",
                       f.key)
    except Exception:  # a value of the wrong shape: whatever the parser raised
        return Problem("INVALID_VALUE", f"{kind.title}的“{f.label}”格式不对", f.key)
    return None


def _values_problem(kind: RecordKind, values: Mapping[str, Any],
                    allowed: Any = None) -> Problem | None:
    fields = _fields(kind.key)
    for k, v in values.items():
        f = fields.get(k) if isinstance(k, str) else None
        if f is None:
            return Problem("UNKNOWN_FIELD",
                           f"{kind.title}中有本程序不认识的字段（可能来自更新版本的程序），请升级本程序",
                           None)
        if allowed is not None and k not in allowed:
            return Problem("BAD_EVENT", f"办理记录带有该办理环节不应填写的“{f.label}”", k)
        t = type(v)
        if v is None or (t is str and not v):
            continue  # empty for every field type (Field.is_empty)
        if t is int or t is float or t is bool or (t is str and len(v) <= 200):
            problem = _cached_problem(kind.key, k, v)  # _value_problem's own first branch
        else:
            problem = _value_problem(kind, f, v)
        if problem is not None:
            return problem
    return None


@functools.cache
def _fields(kind_key: str) -> dict[str, Field]:
    """A kind's fields by key (one dict lookup per incoming value)."""
    return {f.key: f for f in KINDS[kind_key].fields}


def record_problem(snap: Any) -> Problem | None:
    """What is wrong with a pulled record snapshot, or None."""
    if not isinstance(snap, dict):
        return Problem("BAD_ROW", "收到格式不对的登记数据")
    kind = KINDS.get(str(snap.get("kind") or ""))
    if kind is None:
        return Problem("UNKNOWN_KIND", "收到本程序不认识的记录类型（可能来自更新版本的程序），请升级本程序")
    envelope_ok = (
        _text_ok(snap.get("id"), 36) and bool(snap.get("id"))
        and _text_ok(snap.get("receipt_no"), 40) and bool(snap.get("receipt_no"))
        and _text_ok(snap.get("owner"), 16) and _text_ok(snap.get("county_code"), 6)
        and _text_ok(snap.get("created_by"), 50) and _time_ok(snap.get("created_at"))
        and _hlc_ok(snap.get("hlc"))
        and _text_ok(snap.get("void_reason"), 300, optional=True)
        and isinstance(snap.get("voided", False), bool | None)
        and isinstance(snap.get("values") or {}, dict)
        and isinstance(snap.get("field_hlc") or {}, dict)
    )
    if envelope_ok:
        try:
            int(snap.get("row_version") or 1)
        except (TypeError, ValueError):
            envelope_ok = False
    if not envelope_ok:
        return Problem("BAD_ROW", f"收到的{kind.title}登记信息不完整或格式不对")
    fh: dict[Any, Any] = snap.get("field_hlc") or {}
    for k, h in fh.items():
        if not isinstance(k, str) or not kind.has_field(k):
            return Problem("UNKNOWN_FIELD",
                           f"{kind.title}中有本程序不认识的字段（可能来自更新版本的程序），请升级本程序")
        if not _text_ok(h, 48):
            return Problem("BAD_ROW", f"收到的{kind.title}登记信息不完整或格式不对")
    return _values_problem(kind, snap.get("values") or {})


def event_problem(p: Any, kind: RecordKind | None) -> Problem | None:
    """What is wrong with a pulled status event of a record of `kind`, or None."""
    if not isinstance(p, dict):
        return Problem("BAD_EVENT", "收到格式不对的办理记录")
    if not (_text_ok(p.get("id"), 36) and p.get("id") and _text_ok(p.get("record_id"), 36)
            and p.get("record_id") and _hlc_ok(p.get("hlc"))
            and _text_ok(p.get("from_status"), 32) and _text_ok(p.get("to_status"), 32)
            and _text_ok(p.get("actor") or "", 50) and _text_ok(p.get("owner") or "", 16)
            and _time_ok(p.get("created_at")) and isinstance(p.get("payload") or {}, dict)):
        return Problem("BAD_EVENT", "收到的办理记录不完整或格式不对")
    if kind is None:
        return None  # checked again once its record is here
    wf = kind.workflow
    try:
        action = wf.action(str(p.get("action"))) if wf is not None else None
    except KeyError:
        action = None
    if wf is None or action is None:
        return Problem("BAD_EVENT", f"收到{kind.title}本程序不认识的办理环节，请升级本程序")
    if p.get("to_status") != action.target:
        return Problem("BAD_EVENT", f"收到的办理记录“{action.label}”状态不符")
    return _values_problem(kind, p.get("payload") or {}, set(action.payload_fields))


def calendar_problem(p: Any) -> Problem | None:
    """What is wrong with a pulled day of the League's holiday table, or None."""
    if not isinstance(p, dict):
        return Problem("BAD_ROW", "收到格式不对的节假日安排")
    try:
        dt.date.fromisoformat(str(p.get("day")))
    except ValueError:
        return Problem("INVALID_VALUE", "收到的节假日安排日期无效")
    if p.get("kind") not in CALENDAR_KINDS or not _hlc_ok(p.get("hlc")) \
            or not _text_ok(p.get("name") or "", 50) \
            or not _text_ok(p.get("updated_by") or "", 50) \
            or not _text_ok(p.get("origin") or "", 20):
        return Problem("INVALID_VALUE", "收到的节假日安排内容不符合规定")
    return None


# --- the table ----------------------------------------------------------------------------------
def hold(s: Session, stream: str, change: Mapping[str, Any], problem: Problem) -> bool:
    """Keep a pulled row that was not applied. Returns False when it is already kept (a
    re-read of the stream meets it again)."""
    p = change.get("payload")
    payload: dict[str, Any] = p if isinstance(p, dict) else {"value": p}
    entity = str(change.get("entity") or "")[:40]
    entity_id = str(payload.get("id") or change.get("entity_id") or payload.get("day") or "")
    stamp = str(payload.get("hlc") or "")[:64]
    rid = payload.get("id") if entity == "record" else payload.get("record_id")
    kept = s.execute(select(sync_quarantine.c.id).where(
        sync_quarantine.c.entity == entity, sync_quarantine.c.entity_id == entity_id[:80],
        sync_quarantine.c.hlc == stamp, sync_quarantine.c.code == problem.code)).first()
    if kept is not None:
        return False
    s.execute(insert(sync_quarantine).values(
        stream=stream[:40], seq=int(change.get("seq") or 0), entity=entity,
        entity_id=entity_id[:80], record_id=str(rid)[:80] if isinstance(rid, str) else None,
        kind=str(payload.get("kind") or "")[:40] or None, hlc=stamp, code=problem.code,
        field=problem.field, reason=problem.reason, payload=payload, created_at=utcnow()))
    return True


def held_records(s: Session) -> set[str]:
    """Ids of the records with a quarantined snapshot no later change cleared (the only ones
    `clear_record` has anything to do for; usually none)."""
    q = sync_quarantine.c
    return {str(r) for r in s.scalars(select(q.record_id).where(
        q.entity == "record", q.cleared_at.is_(None), q.record_id.is_not(None)).distinct())}


def clear_record(s: Session, record_id: str) -> None:
    """A change of this record applied: its earlier quarantined snapshots are superseded."""
    s.execute(update(sync_quarantine).where(
        sync_quarantine.c.record_id == record_id, sync_quarantine.c.entity == "record",
        sync_quarantine.c.cleared_at.is_(None)).values(cleared_at=utcnow()))


def waiting_events(s: Session, record_ids: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """Quarantined events that only lacked their record, for these records: (id, payload)."""
    if not record_ids:
        return []
    return [(int(r[0]), dict(r[1])) for r in s.execute(
        select(sync_quarantine.c.id, sync_quarantine.c.payload).where(
            sync_quarantine.c.record_id.in_(record_ids),
            sync_quarantine.c.code == RECORD_MISSING,
            sync_quarantine.c.cleared_at.is_(None)).order_by(sync_quarantine.c.id))]


def clear(s: Session, ids: list[int]) -> None:
    if ids:
        s.execute(update(sync_quarantine).where(sync_quarantine.c.id.in_(ids))
                  .values(cleared_at=utcnow()))


def uncleared_streams(s: Session) -> set[str]:
    """Streams holding a quarantined record or holiday entry (or an event still waiting for
    its record) that no later change cleared: their digest differs from central's on
    purpose, so it is not compared. (A quarantined event counts in the local digest as
    central has it, see `held_events`; an unknown entity is in no digest.)"""
    q = sync_quarantine.c
    return {str(r[0]) for r in s.execute(select(q.stream).where(
        q.cleared_at.is_(None),
        or_(q.entity.in_(("record", "calendar")),
            and_(q.entity == "event", q.code == RECORD_MISSING))).distinct())}


def held_events(s: Session) -> list[tuple[str, str, str]]:
    """(event id, record id, HLC) of quarantined events whose record this window has."""
    q = sync_quarantine.c
    out = []
    for p in s.scalars(select(q.payload).where(q.cleared_at.is_(None), q.entity == "event",
                                               q.code != RECORD_MISSING)):
        if isinstance(p, dict):
            out.append((str(p.get("id")), str(p.get("record_id")), str(p.get("hlc"))))
    return out


def open_rows(s: Session) -> list[dict[str, Any]]:
    """Quarantined rows neither cleared nor acknowledged, oldest first."""
    return [dict(r) for r in s.execute(select(sync_quarantine).where(and_(
        sync_quarantine.c.cleared_at.is_(None), sync_quarantine.c.resolved_at.is_(None)))
        .order_by(sync_quarantine.c.id)).mappings()]


def acknowledge(s: Session, ids: list[int], username: str) -> None:
    """A supervisor saw them (the rows stay uncleared until a correction arrives)."""
    if ids:
        s.execute(update(sync_quarantine).where(sync_quarantine.c.id.in_(ids),
                                                sync_quarantine.c.resolved_at.is_(None))
                  .values(resolved_at=utcnow(), resolved_by=username))
