"""Push: the outbox goes to central through `sync.push`, in batches.

Pending outbox rows in ascending local_seq, batches of at most MAX_BATCH. In one local
transaction per batch, accepted rows move from the outbox to `acked_log`; rejected rows stay
in the outbox with state='rejected' and the Chinese reason (and a `sync_issue` row), and
never block the others. A row holding a NUL character (which central cannot store) is refused
here, before upload, the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import (
    Integer,
    Text,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from .. import __version__
from ..desk import Desk
from ..records.kinds import KINDS
from ..storage.schema import OutboxEntry
from ..storage.types import UTCMicros
from ..timeutil import utcnow
from . import PROTOCOL_VERSION
from .connection import Call, Connection
from .errors import SyncError, SyncRefused, SyncUnavailable
from .faults import FaultPoints
from .local_schema import acked_log, sync_issue
from .report import SyncReport

MAX_BATCH = 500
_PLAIN = re.compile(r"[0-9A-Za-z_.:-]*")
NUL_CODE = "NUL_IN_VALUE"


def record_refusal(desk: Desk, code: str, reason: str) -> SyncRefused:
    """Note a refusal of the whole window once (an open window issue per code) and return the
    exception to raise."""
    with desk.writing() as w:
        s = w.session
        open_same = s.execute(select(sync_issue.c.id).where(
            sync_issue.c.code == code, sync_issue.c.resolved_at.is_(None),
            sync_issue.c.local_seq.is_(None))).first()
        if open_same is None:
            s.execute(insert(sync_issue).values(code=code, reason=reason, created_at=utcnow()))
    return SyncRefused(code, reason)


class Pending(NamedTuple):
    """A pending outbox row as it goes up: its payload is the stored JSON text, sent as it is
    (decoding and encoding it again was most of the window's time in a large push)."""

    local_seq: int
    mutation_id: str
    entity: str
    entity_id: str
    op: str
    hlc: str
    payload_json: str

    def payload(self) -> dict[str, Any]:
        value = json.loads(self.payload_json)
        return value if isinstance(value, dict) else {}

    def mutation_json(self) -> str:
        """This row as one mutation of the sync.push request (JSON text)."""
        if _PLAIN.fullmatch(self.mutation_id + self.entity + self.entity_id + self.op + self.hlc):
            # ids, op and HLC as the store writes them need no escaping (one json.dumps per
            # row was a fifth of the window's time)
            return (f'{{"local_seq":{int(self.local_seq)},"mutation_id":"{self.mutation_id}",'
                    f'"entity":"{self.entity}","entity_id":"{self.entity_id}",'
                    f'"op":"{self.op}","hlc":"{self.hlc}","payload":{self.payload_json}}}')
        head = json.dumps({"local_seq": self.local_seq, "mutation_id": self.mutation_id,
                           "entity": self.entity, "entity_id": self.entity_id, "op": self.op,
                           "hlc": self.hlc}, ensure_ascii=False, separators=(",", ":"))
        return f'{head[:-1]},"payload":{self.payload_json}}}'


def pending_rows(s: Session, limit: int, after: int = 0) -> list[Pending]:
    """The next `limit` pending outbox rows after local_seq `after`, in local_seq order."""
    o = OutboxEntry
    return [Pending._make(r) for r in s.execute(
        select(o.local_seq, o.mutation_id, o.entity, o.entity_id, o.op, o.hlc,
               type_coerce(o.payload, Text))
        .where(o.state == "pending", o.local_seq > after).order_by(o.local_seq).limit(limit))]


def mark_rejected(s: Session, row: Pending, code: str | None, reason: str,
                  now: dt.datetime) -> None:
    """An outbox row that will not go up as it is: kept as rejected, with its sync issue (the
    supervisor retries or discards it in 需处理事项)."""
    s.execute(update(OutboxEntry).where(OutboxEntry.local_seq == row.local_seq)
              .values(state="rejected", last_error=reason, attempts=OutboxEntry.attempts + 1))
    s.execute(insert(sync_issue).values(
        local_seq=row.local_seq, mutation_id=row.mutation_id, entity=row.entity,
        entity_id=row.entity_id, code=code, reason=reason, created_at=now))


def nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where a NUL character sits in a JSON value (keys down to it), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            found = nul_path(v, (*path, str(k))) if "\x00" not in str(k) else (*path, "")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for v in value:
            found = nul_path(v, path)
            if found is not None:
                return found
    return None


def _nul_reason(payload: dict[str, Any]) -> str | None:
    where = nul_path(payload)
    if where is None:
        return None
    kind = KINDS.get(str(payload.get("kind") or ""))
    key = next((k for k in where if kind is not None and kind.has_field(k)), "")
    label = f"“{kind.field(key).label}”" if kind is not None and key else ""
    return (f"内容{label}含有无法保存的空字符（NUL），本机未上传该变更；"
            "请修改该记录去掉这个字符后再同步，或放弃上传")


class Pusher:
    def __init__(self, desk: Desk, call: Call, faults: FaultPoints, *, machine_id: str,
                 batch_size: int = MAX_BATCH) -> None:
        self.desk = desk
        self.call = call
        self.faults = faults
        self.machine_id = machine_id
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        # what the next request carries: halved after a batch the link dropped (a connection
        # cut before the whole request got through would otherwise fail the same way forever),
        # doubled back towards batch_size after each batch that got through
        self.current = self.batch_size

    def request(self, rows: list[Pending]) -> str:
        """The sync.push request for these outbox rows, as JSON text (UTF-8, not \\u
        escapes: half the bytes for Chinese text), the stored payloads spliced in as they are."""
        ident = self.desk.identity
        head = json.dumps({
            "protocol": PROTOCOL_VERSION, "app_version": __version__,
            "window_code": ident.window_code, "installation_id": ident.installation_id,
            "machine_id": self.machine_id, "generation": ident.generation,
            "mutations": [],
        }, ensure_ascii=False, separators=(",", ":"))
        assert head.endswith('"mutations":[]}')
        return head[:-2] + ",".join(r.mutation_json() for r in rows) + "]}"

    def push(self, conn: Connection, report: SyncReport) -> None:
        """Batches up until the outbox has no pending row. The next batch goes up while the
        one before it is acknowledged locally (its own transaction, as before): an outbox
        row leaves only once central has committed it, and one central took while this
        window stopped is answered as a replay the next time."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push") as pool:
            batch = self.next_batch(0, report)
            inflight = self.send(pool, conn, batch) if batch else None
            try:
                while inflight is not None:
                    rows, limit, reply = inflight
                    inflight = None
                    resp = self.answer(reply)
                    self.faults.hit("after_push_before_ack")
                    if len(rows) >= limit:
                        batch = self.next_batch(rows[-1].local_seq, report)
                        inflight = self.send(pool, conn, batch) if batch else None
                    done = self.ack(rows, resp["results"], report)
                    if done == 0:
                        raise SyncError("中心数据库没有确认任何上传的变更，同步已停止，请联系管理员")
            finally:
                if inflight is not None:  # stopped while a batch was on its way: let it end
                    wait([inflight[2]])

    def next_batch(self, after: int, report: SyncReport) -> tuple[list[Pending], int, str] | None:
        """The next pending rows after local_seq `after` (at most the current batch size),
        that size, and their request; None when there are none."""
        while True:
            with self.desk.reading() as s:
                rows = pending_rows(s, limit := self.current, after)
            if not rows:
                return None
            # JSON escapes every NUL as \u0000, so a batch whose text has none needs no row scan
            text = self.request(rows)
            refused = [] if "\\u0000" not in text else [
                (r, reason) for r in rows
                if (reason := _nul_reason(r.payload())) is not None]
            if not refused:
                return rows, limit, text
            self.refuse_locally(refused, report)  # and read the batch again without them

    def send(self, pool: ThreadPoolExecutor, conn: Connection,
             batch: tuple[list[Pending], int, str]) -> tuple[list[Pending], int, Future[Any]]:
        rows, limit, text = batch
        self.faults.hit("before_push")
        return rows, limit, pool.submit(self.call, conn, "SELECT sync.push(%s::jsonb)", (text,))

    def answer(self, reply: Future[Any]) -> dict[str, Any]:
        """Central's answer to one batch (raises as the call did, or when central refused the
        whole request)."""
        try:
            resp: dict[str, Any] = reply.result()
        except (SyncUnavailable, psycopg.OperationalError, psycopg.InterfaceError):
            self.current = max(1, self.current // 2)  # the link dropped the request
            raise
        self.current = min(self.batch_size, self.current * 2)
        if resp.get("status") != "ok":
            code = str(resp.get("code") or "REFUSED")
            reason = str(resp.get("reason") or "中心数据库拒绝了本窗口的同步请求")
            raise record_refusal(self.desk, code, reason)
        return resp

    def refuse_locally(self, refused: list[tuple[Pending, str]],
                       report: SyncReport) -> None:
        """Mark rows this window will not upload as rejected, each with a sync issue."""
        now = utcnow()
        with self.desk.writing() as w:
            s = w.session
            for row, reason in refused:
                report.rejections.append((row.local_seq, reason))
                mark_rejected(s, row, NUL_CODE, reason, now)
        report.rejected += len(refused)

    def ack(self, rows: list[Pending], results: list[dict[str, Any]],
            report: SyncReport) -> int:
        """One local transaction: accepted rows move from the outbox to acked_log (two set
        statements per batch), rejected rows are marked with their reason."""
        by_seq = {int(r["local_seq"]): r for r in results}
        now = utcnow()
        accepted: list[int] = []
        rejected: list[tuple[Pending, dict[str, Any]]] = []
        for row in rows:
            res = by_seq.get(row.local_seq)
            if res is None:
                continue
            report.pushed += 1
            if res.get("replay"):
                report.replayed += 1
            if res["status"] == "accepted":
                accepted.append(row.local_seq)
            else:
                rejected.append((row, res))
        with self.desk.writing() as w:
            s = w.session
            if accepted:
                # the local_seqs as one JSON parameter (SQLite's json_each), not one bind
                # parameter each: compiling and binding 500 of them cost more than the writes
                o = OutboxEntry
                seqs = select(column("value", Integer)).select_from(
                    func.json_each(json.dumps(accepted)))
                s.execute(insert(acked_log).prefix_with("OR IGNORE").from_select(
                    ["local_seq", "mutation_id", "entity", "entity_id", "op", "payload", "hlc",
                     "status", "acked_at"],
                    select(o.local_seq, o.mutation_id, o.entity, o.entity_id, o.op, o.payload,
                           o.hlc, literal("accepted"), literal(now, UTCMicros()))
                    .where(o.local_seq.in_(seqs))))
                s.execute(delete(OutboxEntry).where(OutboxEntry.local_seq.in_(seqs))
                          .execution_options(synchronize_session=False))
            for row, res in rejected:
                reason = str(res.get("reason") or "中心数据库拒绝了该变更")
                report.rejections.append((row.local_seq, reason))
                mark_rejected(s, row, res.get("code"), reason, now)
            self.faults.hit("mid_ack")
        report.accepted += len(accepted)
        report.rejected += len(rejected)
        return len(accepted) + len(rejected)
