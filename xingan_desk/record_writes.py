"""The rules of writing records, in a writer's transaction: create (with the workflow's
automatic steps, the handover note and the enterprise registration it implies), edit, void
and workflow actions, and who may do which. `Desk` opens the transaction and calls these.
A create goes through the bulk path's validation and rows (`bulk.create_one`), so a save and
`Desk.create_many` (demo, import) write the same rows by the same code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from . import bulk
from .catalogs import county_name
from .errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from .records import links
from .records.kind import RecordKind
from .records.kinds import KINDS
from .storage.rows import record_view
from .storage.schema import Record, RecordEvent
from .storage.writer import Writer
from .timeutil import utcnow
from .views import Changes, Identity, RecordView, UserView


def label_map(kind: RecordKind) -> dict[str, str]:
    return {f.key: f.label for f in kind.fields}


def acting_user(w: Writer) -> UserView:
    if w.user is None:
        raise PermissionDenied("请先登录")
    return w.user


# --- create ------------------------------------------------------------------------------------
def create_in(w: Writer, kind_key: str, raw: Mapping[str, Any], *,
              handover_from: str | None = None, register_enterprise: bool = True,
              ) -> tuple[RecordView, Changes]:
    """Validate and insert a new record (see Desk.create)."""
    acting_user(w)
    after = (lambda receipt_no: note_handover(w, handover_from, receipt_no)) if handover_from \
        else None
    return bulk.create_one(w, kind_key, raw, register_enterprise=register_enterprise,
                           after_record=after)


def note_handover(w: Writer, source_id: str, target_no: str) -> Changes:
    """Note on the source record that it was handed over to the record `target_no` (its
    declared link field, records/links.py; an ordinary field update: outbox, audit)."""
    src = w.session.scalar(select(Record).where(Record.id == source_id))
    link = links.handover_link_field(src.kind) if src is not None else ""
    if src is None or not link:
        raise NotFound("找不到要转入的原登记")
    kind = KINDS[src.kind]
    current = w.values(kind, source_id)
    old = current.get(link)
    new = ", ".join(x for x in (old, target_no) if x)
    w.update_values(kind, src, current, {link: new})
    w.audit("handover", src, changes={link: [old, new]})
    return Changes(frozenset({source_id}), frozenset({kind.key}))


# --- edit, void, act ---------------------------------------------------------------------------
def update_in(w: Writer, record_id: str, raw: Mapping[str, Any], expected_version: int
              ) -> tuple[RecordView, Changes]:
    """Validate and save edits of intake fields (see Desk.update)."""
    rec = w.load(record_id)
    kind = KINDS[rec.kind]
    ident = w.identity
    check_editor(ident, rec)
    if rec.voided:
        raise IllegalTransition("该记录已作废，不能修改")
    if rec.row_version != expected_version:
        raise Conflict("该记录在您打开后已被修改（可能来自其他窗口的同步），请重新打开后再修改")
    locked = [k for k in raw if kind.has_field(k) and kind.field(k).stage != "intake"]
    if locked:
        names = "、".join(kind.field(k).label for k in locked)
        raise ValidationFailed({locked[0]: f"{names}只能通过办理操作修改"}, label_map(kind))
    current = w.values(kind, record_id)
    values, errors = kind.clean(raw, keys=tuple(k for k in raw if kind.has_field(k)),
                                existing=current)
    unknown = {k for k in raw if not kind.has_field(k)}
    if unknown:
        errors["_unknown"] = "未知字段：" + "、".join(sorted(unknown))
    w.check_refs(kind, values, errors)
    for key in kind.unique_fields:
        if values.get(key) not in (None, current.get(key)):
            errors[key] = (f"{kind.field(key).label}是{kind.title}的主键，不能修改；"
                           "如有误请作废后重新登记")
    cf = kind.county_field
    if (cf and rec.owner != ident.window_code and not ident.is_league
            and values.get(cf) not in (None, current.get(cf), ident.county_code)):
        errors[cf] = (f"本窗口只能维护{ident.county_name}的记录，不能改到其他旗县市"
                      "（可由盟本级窗口或登记窗口修改）")
    if errors:
        raise ValidationFailed(errors, label_map(kind))
    changed = {k: v for k, v in values.items() if v != current.get(k)}
    if not changed:
        return w.view(rec, current), Changes()
    full = w.update_values(kind, rec, current, changed)
    before = kind.to_json({k: current.get(k) for k in changed})
    after = kind.to_json(changed)
    w.audit("update", rec, changes={k: [before[k], after[k]] for k in changed})
    full = w.refold(kind, rec, full)
    w.index(kind, rec, full)
    return record_view(rec, full), Changes(frozenset({record_id}), frozenset({kind.key}), 1)


def void_in(w: Writer, record_id: str, reason: str) -> tuple[RecordView, Changes]:
    """Void a record (see Desk.void); `reason` is already checked."""
    user = acting_user(w)
    rec = w.load(record_id)
    if rec.voided:
        raise IllegalTransition("该记录已经作废")
    if rec.created_by != user.username and user.role not in ("supervisor", "admin"):
        raise PermissionDenied("只有登记人本人或主管、管理员可以作废该记录")
    check_owner(w.identity, rec, "作废")
    stamp = w.tick()
    rec.voided, rec.void_reason = True, reason
    rec.row_version += 1
    rec.updated_at, rec.updated_by, rec.hlc = utcnow(), user.username, stamp
    rec.due_date = rec.due_label = None
    # what this void was decided on: central lists actions and edits it had not seen
    seen = sorted(w.session.scalars(select(RecordEvent.id)
                                    .where(RecordEvent.record_id == record_id)))
    w.outbox("record", record_id, "void",
             {"kind": rec.kind, "id": record_id, "hlc": stamp, "reason": reason,
              "seen_events": seen, "base_hlc": dict(rec.field_hlc or {})}, stamp)
    w.audit("void", rec, changes={"voided": [False, True]}, detail=reason)
    return w.view(rec), Changes(frozenset({record_id}), frozenset({rec.kind}), 1)


def act_in(w: Writer, record_id: str, action_key: str, raw: Mapping[str, Any]
           ) -> tuple[RecordView, Changes]:
    """Take a status action with the values it records (see Desk.act)."""
    from .accounts import check_role

    rec = w.load(record_id)
    kind = KINDS[rec.kind]
    wf = kind.workflow
    if wf is None:
        raise IllegalTransition(f"{kind.title}没有办理状态")
    if rec.voided:
        raise IllegalTransition("该记录已作废，不能办理")
    refusal = wf.refusal(rec.status, action_key)
    if refusal:
        raise IllegalTransition(refusal)
    action = wf.action(action_key)
    if action.superseded_by:
        successor = wf.action(action.superseded_by).label
        raise IllegalTransition(f"“{action.label}”已并入“{successor}”，请用“{successor}”记录")
    check_role(acting_user(w), action.roles, what=action.label)
    current = w.values(kind, record_id)
    stray = set(raw) - set(action.fields)
    if stray:
        names = "、".join(sorted(stray))
        raise ValidationFailed({"_unknown": f"“{action.label}”不记录这些字段：{names}"})
    values, errors = kind.clean(raw, keys=action.fields, existing=current)
    for k in action.required:
        if values.get(k) in (None, [], "") and k not in errors:
            errors[k] = f"请填写{kind.field(k).label}"
    w.check_refs(kind, values, errors)
    if errors:
        raise ValidationFailed(errors, label_map(kind))
    given = {k: v for k, v in values.items() if v is not None or k in raw}
    w.append_event(kind, rec, rec.status, action, given, current)
    values_after = w.refold(kind, rec, current)
    w.index(kind, rec, values_after)
    return (record_view(rec, values_after),
            Changes(frozenset({record_id}), frozenset({kind.key}), 1))


# --- who may change what -----------------------------------------------------------------------
def can_edit(ident: Identity, rec: Record | RecordView) -> bool:
    """May this window edit the record's intake fields? Its owner window may; a kind
    declared `shared_edit` (the enterprise registry) may also be edited by any window whose
    scope covers the record's county: a League window (152200) every county, a county window
    its own. Central checks the same on push."""
    if rec.owner == ident.window_code:
        return True
    return KINDS[rec.kind].shared_edit and (ident.is_league
                                            or rec.county_code == ident.county_code)


def check_editor(ident: Identity, rec: Record) -> None:
    if can_edit(ident, rec):
        return
    if KINDS[rec.kind].shared_edit:
        raise PermissionDenied(
            f"该{KINDS[rec.kind].title}记录属于{county_name(rec.county_code)}，本窗口不能修改"
            "（可由盟本级窗口或所在旗县市的窗口修改）")
    check_owner(ident, rec, "修改")


def check_owner(ident: Identity, rec: Record, what: str) -> None:
    if rec.owner != ident.window_code:
        raise PermissionDenied(
            f"该记录由 {rec.owner} 窗口登记，本窗口不能{what}（可以办理状态操作或联系登记窗口）")
