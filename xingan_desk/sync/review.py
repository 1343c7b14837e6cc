"""Items needing attention after sync, and how a supervisor resolves them.

The list (`attention_items`) is built from the local store only, so it also works offline:
* changes central refused (`sync_issue` rows with their outbox row, state 'rejected');
* window-level problems (`sync_issue` rows without a change: cloned store, upgrade required,
  clock skew, digest mismatch), one item per kind of problem;
* this window's edits that lost a per-field merge on pull (`sync_conflict`);
* central's open review items for this window's scope (`sync_review`, the mirror of
  `sync.review_items`, refreshed after each sync): field conflicts, status events kept but not
  applied by the fold, edits and events after a void, duplicate numbers, enterprises
  registered twice offline (same credit code), clock skew;
* records the local fold marked `needs_review` whose conflicting events central does not know
  yet (made offline).
The same conflict seen locally and at central is listed once.

`resolve(desk, item, action, note)` (supervisor or admin) writes, in one local transaction, the
resolution row (`sync_resolution`, pushed to `sync.resolve_reviews`, which closes the central
review item), an audit row, and what the action does:
* keep — the current value stays;
* reapply — the losing value is written again as a normal edit with a new HLC (it syncs);
* confirm — the current state stands (status conflicts, edits after a void, …);
* act — recorded after the supervisor took a normal status action on the record (it syncs);
* retry — the refused change is queued again under a new local sequence number (central
  answers a replayed sequence number with its stored result);
* discard — the refused change leaves the outbox; its content is kept in the resolution row.
Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..hlc import HLC
from ..records.kinds import KINDS
from ..storage.rows import new_id
from ..storage.schema import (
    LeagueCalendarDay,
    OutboxEntry,
    Record,
    RecordEvent,
    Setting,
    acked_log,
    outbox_table,
    sync_conflict,
    sync_issue,
    sync_resolution,
    sync_review,
)
from ..storage.types import id_bytes, id_text, stamp_bytes
from ..storage.writer import Writer, read_values
from ..timeutil import format_datetime, utcnow
from ..views import Changes
from . import quarantine
from .local_schema import has_quarantine

if TYPE_CHECKING:
    from ..desk import Desk

log = logging.getLogger(__name__)

RESOLVER_ROLES = ("supervisor", "admin")
REFRESHED_KEY = "sync_review_refreshed"
NOTE_MAX = 500

CATEGORY_LABELS = {
    "refused": "上传被拒绝",
    "field_conflict": "字段冲突",
    "status_conflict": "办理冲突",
    "void_conflict": "作废后又有改动",
    "duplicate": "编号重复",
    "duplicate_enterprise": "企业重复登记",
    "window": "同步问题",
    "clock": "时钟偏差",
    "quarantine": "无法接收的数据",
    "other": "其他",
}
ACTION_LABELS = {
    "keep": "保留现值",
    "reapply": "恢复落选值",
    "confirm": "维持现状，标记已处理",
    "act": "办理",
    "retry": "重新上传",
    "discard": "放弃上传",
}
OP_LABELS = {"create": "新建登记", "update": "修改", "void": "作废", "calendar": "节假日安排"}
WINDOW_ISSUES = {
    "CLONED_INSTALLATION": "本机被中心拒绝同步（数据目录可能被复制）",
    "UPGRADE_REQUIRED": "需要升级本程序",
    "CENTRAL_TOO_OLD": "中心数据库版本过旧",
    "GENERATION_STALE": "本机数据来自旧备份",
    "WRONG_WINDOW": "同步账号与本窗口不符",
    "UNKNOWN_CLIENT": "同步账号未登记或已停用",
    "CLOCK_SKEW": "本机时钟不准",
    "DIGEST_MISMATCH": "本机数据与中心核对不一致",
    "RESOLUTION_REFUSED": "核查处理未被中心接受",
    "RENUMBERED": "未上传的登记已换新编号（请改正已打印的回执）",
}


@dataclass(frozen=True)
class AttentionItem:
    """One line of the supervisor's list. `item_kind`/`item_key` name it in the resolution
    log (and at central); the other references say what resolving touches."""

    key: str
    category: str
    title: str
    summary: str
    lines: tuple[tuple[str, str], ...]
    created_at: dt.datetime
    actions: tuple[str, ...]
    item_kind: str
    item_key: str
    hint: str = ""
    record_id: str | None = None
    receipt_no: str = ""
    record_kind: str = ""
    issue_ids: tuple[int, ...] = ()
    conflict_id: int | None = None
    central_id: int | None = None
    field: str | None = None
    lost_value: Any = None
    event_id: str | None = None
    local_seq: int | None = None
    quarantine_ids: tuple[int, ...] = ()

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


# --- helpers ------------------------------------------------------------------------------------
def _as_utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            t = dt.datetime.fromisoformat(value)
            return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return utcnow()


def hlc_text(stamp: str | None) -> str:
    """'152223-03 窗口 2026-03-02 09:10' from an HLC."""
    if not stamp:
        return ""
    try:
        h = HLC.parse(stamp)
    except ValueError:
        return stamp
    when = dt.datetime.fromtimestamp(h.millis / 1000, dt.UTC)
    return f"{h.node} 窗口 {format_datetime(when)}"


class _Records:
    """Record envelopes and values looked up once per list."""

    def __init__(self, s: Session, desk: Desk) -> None:
        self.s = s
        self.desk = desk
        self._cache: dict[str, Record | None] = {}

    def get(self, rid: str | None) -> Record | None:
        if not rid:
            return None
        if rid not in self._cache:
            self._cache[rid] = self.s.scalar(select(Record).where(Record.id == rid))
        return self._cache[rid]

    def label(self, rid: str | None, detail: dict[str, Any] | None = None) -> tuple[str, str, str]:
        """(receipt no, kind key, 'kind title receipt no（title）')."""
        rec = self.get(rid)
        d = detail or {}
        if rec is None:
            no = str(d.get("record_receipt_no") or d.get("receipt_no") or "")
            kind = str(d.get("record_kind") or "")
            title = KINDS[kind].title if kind in KINDS else "记录"
            return no, kind, (f"{title} {no}（本机尚未收到）" if no else "本机尚未收到该记录")
        text = f"{KINDS[rec.kind].title} {rec.receipt_no}"
        if rec.title:
            text += f"（{rec.title[:40]}）"
        return rec.receipt_no, rec.kind, text

    def value_text(self, rid: str | None, fkey: str, json_value: Any) -> str:
        rec = self.get(rid)
        kind = KINDS.get(rec.kind) if rec is not None else None
        if kind is None or not kind.has_field(fkey):
            return "（空）" if json_value in (None, "", []) else str(json_value)
        f = kind.field(fkey)
        text = f.display(f.from_json(json_value))
        return text or "（空）"

    def current_json(self, rid: str, fkey: str) -> Any:
        rec = self.get(rid)
        if rec is None:
            return None
        kind = KINDS[rec.kind]
        return kind.to_json(read_values(self.s, kind, rid)).get(fkey)

    def field_label(self, rid: str | None, fkey: str, kind_key: str = "") -> str:
        rec = self.get(rid)
        kind = KINDS.get(rec.kind if rec is not None else kind_key)
        if kind is not None and kind.has_field(fkey):
            return kind.field(fkey).label
        return fkey


def _can_reapply(desk: Desk, rec: Record | None, fkey: str) -> bool:
    """A losing value can be written again here if this window may edit that field: the
    owner window (and, for shared reference data, the windows in its county's scope) for
    every field, any window for the hand-over link."""
    if rec is None or rec.voided:
        return False
    kind = KINDS[rec.kind]
    if not kind.has_field(fkey):
        return False
    return desk.can_edit(rec) or fkey == "handed_over_to"


# --- the list -----------------------------------------------------------------------------------
def attention_items(desk: Desk) -> list[AttentionItem]:
    """Everything needing a supervisor's attention, oldest first."""
    items: list[AttentionItem] = []
    with desk.reading() as s:
        recs = _Records(s, desk)
        resolved = {(k, key) for k, key in s.execute(
            select(sync_resolution.c.item_kind, sync_resolution.c.item_key))}
        covered: set[tuple[str, str]] = set()
        items += _refused_items(s, recs, covered)
        items += _window_items(s)
        if has_quarantine(s):
            items += _quarantine_items(s, recs)
        items += _local_conflict_items(s, desk, recs, covered)
        mirror = list(s.execute(select(sync_review).order_by(sync_review.c.central_id))
                      .mappings())
        for row in mirror:
            k = (row["item_kind"], row["item_key"])
            if k in resolved or k in covered:
                continue
            covered.add(k)
            item = _central_item(desk, recs, row)
            if item is not None:
                items.append(item)
        refreshed = s.get(Setting, REFRESHED_KEY) is not None
        items += _local_status_items(s, desk, recs, resolved, covered, refreshed)
    items.sort(key=lambda i: (i.created_at, i.key))
    return items


def attention_count(desk: Desk) -> int:
    return len(attention_items(desk))


def _refused_items(s: Session, recs: _Records, covered: set[tuple[str, str]]
                   ) -> list[AttentionItem]:
    out: list[AttentionItem] = []
    rows = list(s.execute(select(sync_issue).where(
        sync_issue.c.resolved_at.is_(None), sync_issue.c.local_seq.is_not(None))
        .order_by(sync_issue.c.id)).mappings())
    if not rows:
        return out
    seqs = [r["local_seq"] for r in rows]
    outbox = {o.local_seq: o for o in s.scalars(select(OutboxEntry).where(
        OutboxEntry.local_seq.in_(seqs), OutboxEntry.state == "rejected"))}
    for r in rows:
        ob = outbox.get(r["local_seq"])
        payload = (ob.payload if ob is not None else None) or {}
        rid = r["entity_id"] if r["entity"] == "record" else payload.get("record_id")
        if rid is None and r["entity"] == "event":
            rid = s.scalar(select(RecordEvent.record_id).where(RecordEvent.id == r["entity_id"]))
        no, kind_key, label = recs.label(rid)
        if r["entity"] == "calendar":
            label = f"节假日安排 {r['entity_id']}"
        op = ob.op if ob is not None else ""
        if r["entity"] == "event":
            wf = KINDS[kind_key].workflow if kind_key in KINDS else None
            act = str(payload.get("action") or "")
            try:
                what = f"办理“{wf.action(act).label}”" if wf else f"办理“{act}”"
            except KeyError:
                what = f"办理“{act}”"
        else:
            what = OP_LABELS.get(op, op or "变更")
        dup = r["code"] == "DUPLICATE_RECEIPT_NO"
        item_kind = "duplicate_receipt" if dup else "refused"
        item_key = str(r["mutation_id"] or f"issue:{r['id']}")
        covered.add((item_kind, item_key))
        hint = ("重新上传：按原内容再上传一次（中心的问题已解决后使用）；"
                "放弃上传：撤销本机的这条变更，使本机与中心一致，须写明原因（内容留存备查）。")
        if op == "create":
            hint = ("重新上传：按原内容再上传一次（中心的问题已解决后使用）；"
                    "放弃上传：该记录在本机标为作废（编号保留），中心和其他窗口看不到它，须写明原因。")
        out.append(AttentionItem(
            key=f"issue:{r['id']}", category="duplicate" if dup else "refused",
            title=f"上传被中心拒绝：{what}", summary=str(r["reason"]),
            lines=(("记录", label), ("变更", what), ("拒绝原因", str(r["reason"])),
                   ("代码", str(r["code"] or "")), ("时间", format_datetime(r["created_at"]))),
            created_at=_as_utc(r["created_at"]),
            actions=("retry", "discard") if ob is not None else ("confirm",),
            item_kind=item_kind, item_key=item_key, hint=hint, record_id=rid, receipt_no=no,
            record_kind=kind_key, issue_ids=(int(r["id"]),), local_seq=r["local_seq"]))
    return out


def _window_items(s: Session) -> list[AttentionItem]:
    rows = list(s.execute(select(sync_issue).where(
        sync_issue.c.resolved_at.is_(None), sync_issue.c.local_seq.is_(None))
        .order_by(sync_issue.c.id)).mappings())
    groups: dict[str, list[Any]] = {}
    for r in rows:
        groups.setdefault(str(r["code"] or "OTHER"), []).append(r)
    out: list[AttentionItem] = []
    for code, group in groups.items():
        last = group[-1]
        title = WINDOW_ISSUES.get(code, "同步问题")
        lines = [("说明", str(last["reason"]))]
        if len(group) > 1:
            lines += [("出现次数", str(len(group))),
                      ("首次", format_datetime(group[0]["created_at"]))]
        lines.append(("最近", format_datetime(last["created_at"])))
        out.append(AttentionItem(
            key=f"window:{code}", category="clock" if code == "CLOCK_SKEW" else "window",
            title=title, summary=str(last["reason"]), lines=tuple(lines),
            created_at=_as_utc(group[0]["created_at"]), actions=("confirm",),
            item_kind="window_issue", item_key=f"{code}:{last['id']}",
            hint="问题解决后标记已处理；若问题仍在，下次同步时会再次列出。",
            issue_ids=tuple(int(r["id"]) for r in group)))
    return out


QUARANTINE_KIND = "quarantine"  # local only: never pushed to central
QUARANTINE_HINT = ("这条数据来自其他窗口（经中心转来），本机无法使用：可能对方的程序版本与本机不同，"
                   "或数据本身有误。它已被隔离，其余数据照常同步。请联系该记录的登记窗口更正，"
                   "更正的数据到达后本事项自动消除；若提示需要升级，请升级本程序。"
                   "确认已知悉后可标记已处理（隔离的数据仍留存备查）。")


def _quarantine_items(s: Session, recs: _Records) -> list[AttentionItem]:
    out: list[AttentionItem] = []
    for r in quarantine.open_rows(s):
        payload = r["payload"] if isinstance(r["payload"], dict) else {}
        rid = r["record_id"]
        no, kind_key, label = recs.label(rid, {
            "record_receipt_no": str(payload.get("receipt_no") or "")[:40],
            "record_kind": str(r["kind"] or "")})
        if r["entity"] == "calendar":
            label = f"节假日安排 {str(payload.get('day') or '')[:10]}"
        elif r["entity"] not in ("record", "event"):
            label = "本程序不认识的数据"
        what = {"record": "登记", "event": "办理记录", "calendar": "节假日安排"}.get(
            r["entity"], "变更")
        origin = str(payload.get("owner") or "")[:16] or hlc_text(str(r["hlc"] or ""))
        lines = [("记录", label), ("数据", what), ("原因", str(r["reason"]))]
        if origin:
            lines.append(("来自窗口", origin))
        lines += [("数据范围", str(r["stream"])), ("收到时间", format_datetime(r["created_at"]))]
        out.append(AttentionItem(
            key=f"quarantine:{r['id']}", category="quarantine",
            title=f"收到无法接收的数据：{what}", summary=str(r["reason"]), lines=tuple(lines),
            created_at=_as_utc(r["created_at"]), actions=("confirm",),
            item_kind=QUARANTINE_KIND, item_key=f"quarantine:{r['id']}", hint=QUARANTINE_HINT,
            record_id=rid if recs.get(rid) is not None else None, receipt_no=no,
            record_kind=kind_key, quarantine_ids=(int(r["id"]),)))
    return out


def _mutation_of(s: Session, record_id: str, stamp: str | None) -> str | None:
    """The outbox (or acknowledged) mutation that wrote a record's field at `stamp`."""
    if not stamp:
        return None
    mid = s.scalar(select(OutboxEntry.mutation_id).where(
        OutboxEntry.entity_id == record_id, OutboxEntry.hlc == stamp,
        OutboxEntry.entity == "record"))
    if mid is None:
        # a compacted create keeps its ids and stamp as bytes (sync/acked.compact); no index: a
        # conflict is rare, and an index of entity_id would cost more than the ids saved
        mid = s.scalar(select(acked_log.c.mutation_id).where(
            acked_log.c.entity_id.in_([record_id, id_bytes(record_id)]),
            acked_log.c.hlc.in_([stamp, stamp_bytes(stamp)]), acked_log.c.entity == "record"))
    return None if mid is None else str(id_text(mid))


def _field_item(desk: Desk, recs: _Records, *, key: str, rid: str, fkey: str,
                lost: Any, lost_from: str, kept_from: str, created: dt.datetime,
                item_key: str, conflict_id: int | None, central_id: int | None,
                detail: dict[str, Any] | None = None) -> AttentionItem:
    no, kind_key, label = recs.label(rid, detail)
    flabel = recs.field_label(rid, fkey, kind_key)
    rec = recs.get(rid)
    current = recs.current_json(rid, fkey) if rec is not None else (detail or {}).get("kept")
    cur_text = recs.value_text(rid, fkey, current)
    lost_text = recs.value_text(rid, fkey, lost)
    can = _can_reapply(desk, rec, fkey) and current != lost
    hint = "保留现值：不再改动；恢复落选值：把落选的值作为一次新的修改保存并同步到各窗口。"
    if not can and rec is not None and not desk.can_edit(rec):
        hint = f"该记录由 {rec.owner} 窗口登记，落选值只能在登记窗口恢复；本窗口可保留现值。"
    return AttentionItem(
        key=key, category="field_conflict", title=f"字段冲突：{flabel}",
        summary=f"{label}：{flabel} 现为“{cur_text}”，落选“{lost_text}”",
        lines=(("记录", label), ("字段", flabel), ("现值", cur_text), ("落选值", lost_text),
               ("落选的修改", lost_from), ("采用的修改", kept_from)),
        created_at=created, actions=("keep", "reapply") if can else ("keep",),
        item_kind="field_conflict", item_key=item_key, hint=hint, record_id=rid,
        receipt_no=no, record_kind=kind_key, conflict_id=conflict_id, central_id=central_id,
        field=fkey, lost_value=lost)


def _local_conflict_items(s: Session, desk: Desk, recs: _Records,
                          covered: set[tuple[str, str]]) -> list[AttentionItem]:
    out: list[AttentionItem] = []
    rows = list(s.execute(select(sync_conflict).where(sync_conflict.c.resolved_at.is_(None))
                          .order_by(sync_conflict.c.id)).mappings())
    if not rows:
        return out
    mirror = {(m["item_kind"], m["item_key"]): m["central_id"] for m in s.execute(
        select(sync_review.c.item_kind, sync_review.c.item_key, sync_review.c.central_id)
        .where(sync_review.c.item_kind == "field_conflict")).mappings()}
    for r in rows:
        mid = _mutation_of(s, r["record_id"], r["lost_hlc"])
        item_key = f"{mid}:{r['field']}" if mid else f"local:{r['id']}"
        covered.add(("field_conflict", item_key))
        out.append(_field_item(
            desk, recs, key=f"conflict:{r['id']}", rid=r["record_id"], fkey=r["field"],
            lost=r["lost_value"], lost_from=hlc_text(r["lost_hlc"]) or "本窗口",
            kept_from=hlc_text(r["kept_hlc"]), created=_as_utc(r["created_at"]),
            item_key=item_key, conflict_id=int(r["id"]),
            central_id=mirror.get(("field_conflict", item_key))))
    return out


def _status_item(desk: Desk, recs: _Records, *, key: str, rid: str | None, event_id: str,
                 action: str, from_status: str, actor: str, owner: str, stamp: str,
                 created: dt.datetime, central_id: int | None,
                 detail: dict[str, Any] | None = None) -> AttentionItem:
    no, kind_key, label = recs.label(rid, detail)
    kind = KINDS.get(kind_key)
    wf = kind.workflow if kind else None
    rec = recs.get(rid)
    try:
        act_label = wf.action(action).label if wf else action
    except KeyError:
        act_label = action
    state = wf.state_label if wf else str
    current = "已作废" if rec is not None and rec.voided else (
        state(rec.status) if rec is not None else state(str((detail or {}).get("record_status")
                                                            or "")))
    legal = bool(wf and rec is not None and not rec.voided and wf.legal_actions(rec.status))
    return AttentionItem(
        key=key, category="status_conflict", title=f"办理冲突：未生效的“{act_label}”",
        summary=f"{label}：当前“{current}”，{owner} 窗口的“{act_label}”未生效",
        lines=(("记录", label), ("当前状态", current),
               ("未生效的办理", f"{act_label}（办理时状态：{state(from_status)}）"),
               ("办理人", f"{actor}（{owner} 窗口）" if actor else f"{owner} 窗口"),
               ("办理时间", hlc_text(stamp))),
        created_at=created, actions=("confirm", "act") if legal else ("confirm",),
        item_kind="status_conflict", item_key=event_id,
        hint=("两个窗口对同一记录作出了不同的办理决定：按时间先后采用了前一个，后一个已保留但未生效。"
              "可维持当前状态，或在当前状态下再办理一次。"),
        record_id=rid, receipt_no=no, record_kind=kind_key, central_id=central_id,
        event_id=event_id)


def _central_item(desk: Desk, recs: _Records, row: Any) -> AttentionItem | None:
    d: dict[str, Any] = dict(row["detail"] or {})
    kind, key, rid = row["item_kind"], row["item_key"], row["record_id"]
    created = _as_utc(row["created_at"])
    cid = int(row["central_id"])
    if kind == "field_conflict":
        return _field_item(
            desk, recs, key=f"central:{cid}", rid=rid, fkey=str(d.get("field") or ""),
            lost=d.get("lost"), lost_from=f"{d.get('lost_origin') or ''} 窗口",
            kept_from="较晚的修改", created=created, item_key=key, conflict_id=None,
            central_id=cid, detail=d)
    if kind == "status_conflict":
        return _status_item(
            desk, recs, key=f"central:{cid}", rid=rid, event_id=key,
            action=str(d.get("action") or ""), from_status=str(d.get("from_status") or ""),
            actor=str(d.get("actor") or ""), owner=str(d.get("owner") or ""),
            stamp=str(d.get("hlc") or ""), created=created, central_id=cid, detail=d)
    no, kind_key, label = recs.label(rid, d)
    common: dict[str, Any] = {"key": f"central:{cid}", "created_at": created,
                              "actions": ("confirm",), "item_kind": kind, "item_key": key,
                              "record_id": rid, "receipt_no": no, "record_kind": kind_key,
                              "central_id": cid}
    origin = str(d.get("origin") or d.get("window") or "")
    if kind in ("edit_after_void", "event_after_void"):
        what = "修改" if kind == "edit_after_void" else "办理"
        return AttentionItem(
            category="void_conflict", title=f"记录作废后又有{what}",
            summary=f"{label}：已作废，{origin} 窗口之后又提交了{what}",
            lines=(("记录", label), ("情况", f"记录已作废，{origin} 窗口之后又提交了{what}"),
                   ("结果", "作废优先，记录保持作废")),
            hint="请与该窗口核实；确认作废后标记已处理。", **common)
    if kind == "duplicate_receipt":
        return AttentionItem(
            category="duplicate", title="回执编号重复",
            summary=f"编号 {d.get('receipt_no') or ''} 在中心已存在（来自 {origin} 窗口）",
            lines=(("编号", str(d.get("receipt_no") or "")), ("来源窗口", origin),
                   ("说明", "中心拒绝了编号重复的登记，请核查该窗口是否使用了复制的数据")),
            hint="核查后标记已处理。", **common)
    if kind == "duplicate_enterprise":
        uscc = str(d.get("uscc") or "")
        first = (f"{d.get('other_receipt_no') or ''}（{d.get('other_name') or ''}，"
                 f"{d.get('other_origin') or ''} 窗口）")
        second = f"{d.get('receipt_no') or ''}（{d.get('name') or ''}，{origin} 窗口）"
        return AttentionItem(
            category="duplicate_enterprise", title="企业库重复登记",
            summary=(f"统一社会信用代码 {uscc} 登记了两次：{d.get('other_receipt_no') or ''}"
                     f"（{d.get('other_origin') or ''} 窗口）和 {d.get('receipt_no') or ''}"
                     f"（{origin} 窗口）"),
            lines=(("统一社会信用代码", uscc), ("先登记", first), ("后登记", second),
                   ("说明", "两个窗口离线时登记了同一家企业，两条记录都已保留")),
            hint=("请核实后由登记窗口作废重复的一条（作废原因写明保留的编号）；"
                  "只剩一条时本事项自动关闭，也可核实后标记已处理。"), **common)
    if kind == "clock_skew":
        minutes = round(float(d.get("ahead_ms") or 0) / 60000)
        return AttentionItem(
            category="clock", title="窗口电脑时钟超前",
            summary=f"{origin} 窗口的电脑时钟超前约 {minutes} 分钟",
            lines=(("窗口", origin), ("超前", f"约 {minutes} 分钟"),
                   ("影响", "该窗口的修改在时钟追上之前总是优先")),
            hint="请校准该电脑的时间后标记已处理。", **common)
    lines = tuple((str(k), str(v)) for k, v in d.items() if not str(k).startswith("record_"))
    return AttentionItem(category="other", title=f"核查事项：{kind}", summary=label,
                         lines=(("记录", label), *lines), hint="核查后标记已处理。", **common)


def _local_status_items(s: Session, desk: Desk, recs: _Records,
                        resolved: set[tuple[str, str]], covered: set[tuple[str, str]],
                        refreshed: bool) -> list[AttentionItem]:
    """Events the local fold kept but did not apply, which central's list does not cover:
    made while offline (still pending here), or before the list was ever fetched."""
    out: list[AttentionItem] = []
    rows = list(s.execute(
        select(RecordEvent).join(Record, Record.id == RecordEvent.record_id)
        .where(Record.needs_review.is_(True), RecordEvent.applied.is_(False))
        .order_by(RecordEvent.hlc)).scalars())
    if not rows:
        return out
    pending = set(s.scalars(select(OutboxEntry.entity_id).where(
        OutboxEntry.entity == "event", OutboxEntry.entity_id.in_([e.id for e in rows]))))
    for e in rows:
        k = ("status_conflict", e.id)
        if k in resolved or k in covered:
            continue
        if refreshed and e.id not in pending:
            continue  # central has it and lists it (or it was resolved there)
        covered.add(k)
        out.append(_status_item(
            desk, recs, key=f"event:{e.id}", rid=e.record_id, event_id=e.id, action=e.action,
            from_status=e.from_status, actor=e.actor, owner=e.owner, stamp=e.hlc,
            created=_as_utc(e.created_at), central_id=None))
    return out


# --- resolving ------------------------------------------------------------------------------------
def resolve(desk: Desk, item: AttentionItem, action: str, note: str = "") -> Changes:
    """Resolve one item (supervisor or admin). Audited; the resolution syncs to central."""
    desk.require_role(*RESOLVER_ROLES, what="处理核查事项")
    if action not in item.actions:
        raise IllegalTransition(f"该事项不能“{ACTION_LABELS.get(action, action)}”")
    note = (note or "").strip()
    if action == "discard" and not note:
        raise ValidationFailed({"note": "请填写放弃上传的原因"})
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": f"说明不能超过{NOTE_MAX}字"})
    now = utcnow()
    changes = Changes()
    detail: dict[str, Any] = {"title": item.title}
    with desk.writing() as w:
        s = w.session
        if action == "reapply":
            changes = _reapply(desk, w, item)
            detail.update(field=item.field, value=item.lost_value)
        elif action in ("retry", "discard"):
            found, changes = _requeue_or_drop(desk, w, item, action, note)
            detail.update(found)
        if item.conflict_id is not None:
            s.execute(update(sync_conflict).where(sync_conflict.c.id == item.conflict_id)
                      .values(resolved_at=now))
        if item.issue_ids:
            s.execute(update(sync_issue).where(sync_issue.c.id.in_(item.issue_ids),
                                               sync_issue.c.resolved_at.is_(None))
                      .values(resolved_at=now))
        if item.central_id is not None:
            s.execute(delete(sync_review).where(sync_review.c.central_id == item.central_id))
        if item.quarantine_ids:
            quarantine.acknowledge(s, list(item.quarantine_ids), desk.user.username)
        local_only = item.item_kind == QUARANTINE_KIND
        s.execute(insert(sync_resolution).values(
            mutation_id=new_id(), item_kind=item.item_kind, item_key=item.item_key,
            record_id=item.record_id, action=action,
            note=note or ACTION_LABELS.get(action, action), detail=detail,
            resolved_by=desk.user.username, resolved_at=now,
            pushed_at=now if local_only else None))
        rec = s.scalar(select(Record).where(Record.id == item.record_id)) \
            if item.record_id else None
        w.audit(
            f"review_{action}", rec,
            detail=f"{item.title}：{ACTION_LABELS.get(action, action)}" + (f"（{note}）" if note
                                                                            else ""))
    return changes


def _reapply(desk: Desk, w: Writer, item: AttentionItem) -> Changes:
    if not item.record_id or not item.field:
        raise NotFound("找不到该冲突对应的记录")
    rec = w.load(item.record_id)
    kind = KINDS[rec.kind]
    if rec.voided:
        raise IllegalTransition("该记录已作废，不能恢复字段值")
    if not kind.has_field(item.field):
        raise NotFound(f"该记录没有字段“{item.field}”")
    if not _can_reapply(desk, rec, item.field):
        raise PermissionDenied(f"该记录由 {rec.owner} 窗口登记，落选值只能在登记窗口恢复")
    current = w.values(kind, rec.id)
    value = kind.field(item.field).from_json(item.lost_value)
    if current.get(item.field) == value:
        return Changes()
    # the lost value is put back as a new edit of its own (no base versions: it is meant to
    # overwrite what won)
    full = w.update_values(kind, rec, current, {item.field: value}, base_hlc=False)
    before = kind.to_json({item.field: current.get(item.field)})[item.field]
    w.audit("update", rec, changes={item.field: [before, item.lost_value]},
            detail="核查：恢复落选值")
    full = w.refold(kind, rec, full)
    w.index(kind, rec, full)
    return Changes(frozenset({rec.id}), frozenset({kind.key}), 1)


def _requeue_or_drop(desk: Desk, w: Writer, item: AttentionItem, action: str,
                     note: str) -> tuple[dict[str, Any], Changes]:
    """Retry: the same change under a new local sequence number. Discard: the change leaves
    the outbox and the local copy is brought back in line with central — a discarded status
    event is taken out of the record's event list (refolded), a discarded new record is
    voided here (it stays only on this PC, with its number); a discarded edit or void is
    repaired by the next sync's integrity check, which re-reads central's values."""
    s = w.session
    row = s.get(OutboxEntry, item.local_seq) if item.local_seq is not None else None
    if row is None or row.state != "rejected":
        raise NotFound("该变更已不在被拒绝的上传列表中（可能已被处理），请刷新列表")
    change = {"local_seq": row.local_seq, "mutation_id": row.mutation_id, "entity": row.entity,
              "entity_id": row.entity_id, "op": row.op, "payload": row.payload, "hlc": row.hlc,
              "reason": row.last_error}
    out: dict[str, Any] = {"change": change}
    changes = Changes()
    if action == "retry":
        mid = new_id()
        s.execute(insert(outbox_table).values(
            mutation_id=mid, entity=row.entity, entity_id=row.entity_id, op=row.op,
            payload=row.payload, hlc=row.hlc, created_at=utcnow(), state="pending",
            attempts=0))
        out["retried_as"] = mid
    elif row.op == "event":
        ev = s.get(RecordEvent, row.entity_id)
        if ev is not None:
            rec = w.load(ev.record_id)
            out["event"] = {"record_id": ev.record_id, "action": ev.action,
                            "from_status": ev.from_status, "to_status": ev.to_status,
                            "payload": ev.payload, "actor": ev.actor, "hlc": ev.hlc}
            s.delete(ev)
            s.flush()
            kind = KINDS[rec.kind]
            rec.row_version += 1
            rec.updated_at, rec.updated_by = utcnow(), desk.user.username
            full = w.refold(kind, rec)
            w.index(kind, rec, full)
            changes = Changes(frozenset({rec.id}), frozenset({rec.kind}))
    elif row.op == "calendar":
        # the League entry this window made goes; the next integrity check brings back
        # central's entry for the day, if it has one
        s.execute(delete(LeagueCalendarDay).where(
            LeagueCalendarDay.day == dt.date.fromisoformat(row.entity_id),
            LeagueCalendarDay.hlc == row.hlc))
        desk.calendars.invalidate()
    elif row.op == "create":
        made = s.scalar(select(Record).where(Record.id == row.entity_id))
        if made is not None and not made.voided:
            made.voided = True
            made.void_reason = f"未上传中心：{note}"[:300]
            made.row_version += 1
            made.updated_at, made.updated_by = utcnow(), desk.user.username
            made.due_date = made.due_label = None
            changes = Changes(frozenset({made.id}), frozenset({made.kind}))
    s.execute(delete(OutboxEntry).where(OutboxEntry.local_seq == row.local_seq))
    return out, changes


# --- talking to central (called by the sync service after the push/pull cycle) -----------------
Call = Callable[[str, tuple[Any, ...]], Any]


def push_resolutions(desk: Desk, call: Call, batch: int = 200) -> int:
    """Send resolutions not yet acknowledged; returns how many central accepted."""
    sent = 0
    while True:
        with desk.reading() as s:
            rows = list(s.execute(select(sync_resolution).where(
                sync_resolution.c.pushed_at.is_(None)).order_by(sync_resolution.c.id)
                .limit(batch)).mappings())
        if not rows:
            return sent
        req = {"window_code": desk.identity.window_code, "resolutions": [
            {"mutation_id": r["mutation_id"], "item_kind": r["item_kind"],
             "item_key": r["item_key"], "record_id": r["record_id"], "action": r["action"],
             "note": r["note"], "detail": r["detail"], "resolved_by": r["resolved_by"],
             "resolved_at": _as_utc(r["resolved_at"]).isoformat()} for r in rows]}
        from psycopg.types.json import Jsonb  # the driver is loaded only once sync runs

        resp = call("SELECT sync.resolve_reviews(%s)", (Jsonb(req),))
        results = {str(x.get("mutation_id")): x for x in (resp or {}).get("results") or []}
        now = utcnow()
        with desk.writing() as w:
            s = w.session
            for r in rows:
                res = results.get(r["mutation_id"])
                if res is None:
                    continue
                if res.get("status") == "accepted":
                    sent += 1
                    s.execute(update(sync_resolution).where(sync_resolution.c.id == r["id"])
                              .values(pushed_at=now))
                else:
                    reason = str(res.get("reason") or "中心拒绝了该处理")
                    s.execute(update(sync_resolution).where(sync_resolution.c.id == r["id"])
                              .values(pushed_at=now, push_error=reason))
                    s.execute(insert(sync_issue).values(
                        code="RESOLUTION_REFUSED", created_at=now,
                        reason=f"核查处理“{r['note']}”未被中心接受：{reason}"))
        if not results:
            return sent


def refresh_mirror(desk: Desk, call: Call, limit: int = 1000) -> int:
    """Replace the local copy of central's open review items; returns how many are open."""
    resp = call("SELECT sync.review_items(%s)", (limit,))
    items = list((resp or {}).get("items") or [])
    now = utcnow()
    with desk.writing() as w:
        s = w.session
        s.execute(delete(sync_review))
        if items:
            s.execute(insert(sync_review), [
                {"central_id": int(i["id"]), "record_id": i.get("record_id"),
                 "item_kind": str(i["item_kind"]), "item_key": str(i["item_key"]),
                 "detail": i.get("detail") or {}, "created_at": _as_utc(i.get("created_at")),
                 "fetched_at": now} for i in items])
        row = s.get(Setting, REFRESHED_KEY)
        value = {"at": now.isoformat(), "open": len(items)}
        if row is None:
            s.add(Setting(key=REFRESHED_KEY, value=value, updated_at=now, updated_by="sync"))
        else:
            row.value, row.updated_at = value, now
    return len(items)
