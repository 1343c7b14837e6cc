"""Digests: a count and an additive hash of a stream's rows, computed here the same way
central's `sync.digest` computes them, to find local rows that differ from central's.

`DigestCheck.verify` runs after a pull when the outbox is empty and the cursor is at central's
head: a mismatch re-baselines the stream (read again from the start, central's values repair
damaged local ones; the outbox is never touched); still different → a sync issue. A stream
holding quarantined rows differs on purpose and is not compared until they are cleared.

Attachments have digests of their own per stream (`local_attachment_digests`, central's
`sync.attachment_digest`: each attachment's id, record, SHA-256 and voided state), compared by
the attachment phase (attachments/sync.py `AttachmentSync.verify`) in the cycles whose record
digests are checked, once its metadata is at central's attachment head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import insert, select

from ..desk import Desk
from ..records.fields import Field, GroupField
from ..records.kind import RecordKind
from ..records.kinds import KINDS
from ..storage.schema import DETAIL, LeagueCalendarDay, OutboxEntry, Record, RecordEvent
from ..timeutil import utcnow
from . import quarantine
from .connection import Call, Connection
from .local_schema import has_quarantine, sync_issue
from .report import SyncReport

Digest = dict[str, Any]  # {"records": n, "events": n, "hash": "…"}
EMPTY: Digest = {"records": 0, "events": 0, "hash": "0"}
_json_str = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (as jsonb prints)


def stream_of(kind: RecordKind, county_code: str) -> str:
    """The sync stream carrying a record of `kind` in this county."""
    return "global" if kind.is_global else f"county:{county_code}"


def jsonb_text(value: Any) -> str:
    """PostgreSQL's jsonb output for a JSON value (keys ordered by length, then bytes)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{jsonb_text(k)}: {jsonb_text(value[k])}" for k in keys) + "}"
    return json.dumps(str(value), ensure_ascii=False)


@cache
def _from_events(kind_key: str) -> frozenset[str]:
    """Fields whose values the events record or derive (left out of a record's line: the
    events are in the digest, and central does not fold their values into its copy)."""
    kind = KINDS.get(kind_key)
    return frozenset() if kind is None else frozenset(
        f.key for f in kind.fields if f.stage in ("action", "derived"))


def record_line(rec: Record, values_json: Mapping[str, Any]) -> str:
    """Canonical text of a record for the digest (mirrors sync._record_line)."""
    fh = rec.field_hlc or {}
    skip = _from_events(rec.kind)
    fields = ";".join(
        f"{k}={fh[k]}={hashlib.md5(jsonb_text(values_json.get(k)).encode()).hexdigest()}"
        for k in sorted(fh) if k not in skip)
    return f"{rec.id}|{'t' if rec.voided else 'f'}|{rec.status}|{fields}"


def calendar_line(day: dt.date, kind: str | None, stamp: str) -> str:
    """Canonical text of a League holiday-table entry for the `global` digest (mirrors
    sync.digest)."""
    return f"cal|{day.isoformat()}|{kind or '-'}|{stamp}"


def attachment_line(att_id: str, record_id: str, sha256: str, voided: bool) -> str:
    """Canonical text of an attachment's metadata for its stream's attachment digest (mirrors
    sync.attachment_digest): which file, on which record, voided or not."""
    return f"att|{att_id}|{record_id}|{sha256}|{'t' if voided else 'f'}"


def local_attachment_digests(desk: Desk) -> tuple[dict[str, Digest], set[str]]:
    """Per stream, the count and hash of the attachments central should hold as this window
    does ({"attachments": n, "hash": "…"}), and the streams not comparable yet (an
    attachment or its voiding still to be sent). Attachments central refused stay out."""
    from ..storage.schema import attachment_table as att

    sums: dict[str, list[int]] = {}
    waiting: set[str] = set()
    with desk.reading() as s:
        rows = s.execute(select(att.c.id, att.c.record_id, att.c.sha256, att.c.voided,
                                att.c.sync_state, Record.kind, Record.county_code)
                         .join(Record, Record.id == att.c.record_id))
        for aid, rid, sha, voided, state, kind_key, county in rows:
            kind = KINDS.get(kind_key)
            if kind is None:
                continue
            stream = stream_of(kind, county)
            if state == "pending":
                waiting.add(stream)
            if state == "refused":
                continue
            acc = sums.setdefault(stream, [0, 0])
            acc[0] += 1
            acc[1] += h60(attachment_line(aid, rid, sha, bool(voided)))
    return {k: {"attachments": v[0], "hash": str(v[1])} for k, v in sums.items()}, waiting


def same_attachments(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(str(a.get(k, 0)) == str(b.get(k, 0)) for k in ("attachments", "hash"))


Converter = Callable[[Any], Any] | None
_CONVERTERS: dict[str, dict[str, Converter]] = {}


def _group_converter(f: GroupField) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        return f.to_json(f.from_json(json.loads(v) if isinstance(v, str) else v))
    return convert


def _converters(kind: RecordKind) -> dict[str, Converter]:
    """Per field of a kind: how a stored value becomes its JSON form (None: as it is)."""
    conv = _CONVERTERS.get(kind.key)
    if conv is None:
        conv = {}
        for f in kind.fields:
            if isinstance(f, GroupField):
                conv[f.key] = _group_converter(f)
            elif type(f).to_json is not Field.to_json:
                conv[f.key] = f.to_json
            else:
                conv[f.key] = None
        _CONVERTERS[kind.key] = conv
    return conv


def _line(rid: str, voided: bool, status: str, fh: Mapping[str, str], kind: RecordKind,
          row: Any, at: Mapping[str, int]) -> str:
    """record_line from a detail row as stored (`at`: column positions in the row; only the
    fields with an HLC are converted)."""
    conv = _converters(kind)
    skip = _from_events(kind.key)
    md5 = hashlib.md5
    parts = []
    for k in sorted(fh):
        if k in skip:
            continue
        v = row[at[k]] if k in conv else None
        if v is not None:
            f = conv[k]
            if f is not None:
                v = f(v)
            text_ = _json_str(v) if type(v) is str else jsonb_text(v)
        else:
            text_ = "null"
        parts.append(f"{k}={fh[k]}={md5(text_.encode()).hexdigest()}")
    return f"{rid}|{'t' if voided else 'f'}|{status}|{';'.join(parts)}"


def h60(line: str) -> int:
    return int(hashlib.md5(line.encode()).hexdigest()[:15], 16)


def local_digests(desk: Desk) -> dict[str, Digest]:
    """The digest of every stream over the local rows, in one pass: one query per kind
    (record envelope joined to its detail row) and one over the events, streamed, so a
    200,000-record store is checked in seconds and without holding its rows in memory."""
    sums: dict[str, list[int]] = {}  # stream: [records, events, hash]
    stream_by_record: dict[str, str] = {}
    with desk.reading() as s:
        for kind in KINDS.values():
            table = DETAIL[kind.key]
            q = (select(Record.id.label("_rid"), Record.county_code.label("_county"),
                        Record.voided.label("_voided"), Record.status.label("_status"),
                        Record.field_hlc.label("_fh"), table)
                 .join(table, table.c.record_id == Record.id)
                 .where(Record.kind == kind.key))
            res = s.execute(q.execution_options(yield_per=2000))
            at = {k: i for i, k in enumerate(res.keys())}
            for row in res:
                rid = row[0]
                stream = stream_of(kind, row[1])
                stream_by_record[rid] = stream
                acc = sums.setdefault(stream, [0, 0, 0])
                acc[0] += 1
                acc[2] += h60(_line(rid, bool(row[2]), row[3], row[4] or {}, kind, row, at))
        for rid, eid, ehlc in s.execute(select(RecordEvent.record_id, RecordEvent.id,
                                               RecordEvent.hlc)
                                        .execution_options(yield_per=5000)):
            known = stream_by_record.get(rid)
            if known is None:
                continue
            acc = sums[known]
            acc[1] += 1
            acc[2] += h60(f"{eid}|{rid}|{ehlc}")
        if has_quarantine(s):
            # a quarantined event counts as central has it (the rest of the stream is
            # still compared)
            for eid, rid, ehlc in quarantine.held_events(s):
                known = stream_by_record.get(rid)
                if known is not None:
                    sums[known][1] += 1
                    sums[known][2] += h60(f"{eid}|{rid}|{ehlc}")
        for day, day_kind, ehlc in s.execute(select(LeagueCalendarDay.day,
                                                    LeagueCalendarDay.kind,
                                                    LeagueCalendarDay.hlc)):
            acc = sums.setdefault("global", [0, 0, 0])
            acc[2] += h60(calendar_line(day, day_kind, ehlc))
    return {k: {"records": v[0], "events": v[1], "hash": str(v[2])} for k, v in sums.items()}


def _same(a: Digest, b: Digest) -> bool:
    return all(str(a[k]) == str(b[k]) for k in ("records", "events", "hash"))


class DigestCheck:
    """Compares the local digests with central's after a pull and repairs what differs.

    `cursor(stream)` gives the local cursor; `rebaseline(conn, stream, report)` reads a stream
    again from the start with central's values winning."""

    def __init__(self, desk: Desk, call: Call, cursor: Callable[[str], int],
                 rebaseline: Callable[[Connection, str, int, SyncReport], None]) -> None:
        self.desk = desk
        self.call = call
        self.cursor = cursor
        self.rebaseline = rebaseline

    def verify(self, conn: Connection, report: SyncReport) -> None:
        with self.desk.reading() as s:
            # pending rows: not comparable yet; rejected rows: the local copy differs on
            # purpose and is already listed for the clerk (re-baselining would loop)
            waiting = s.scalar(select(OutboxEntry.local_seq).limit(1))
            held = quarantine.uncleared_streams(s) if has_quarantine(s) else set()
        if waiting is not None:
            return
        streams = sorted(set(report.streams) - held)
        # central computes its digests while this window computes its own
        centrals: dict[str, Any] = {}
        failed: list[BaseException] = []

        def ask() -> None:
            try:
                for stream in streams:
                    centrals[stream] = self.call(conn, "SELECT sync.digest(%s)", (stream,))
            except BaseException as exc:  # re-raised below, in this thread
                failed.append(exc)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        try:
            locals_ = local_digests(self.desk)
        finally:
            asking.join()
        if failed:
            raise failed[0]
        for stream in streams:
            central = centrals[stream]
            if self.cursor(stream) != int(central["head"]):
                continue  # others pushed meanwhile; check next time
            if _same(locals_.get(stream, EMPTY), central):
                report.verified.append(stream)
                continue
            report.rebaselined.append(stream)
            self.rebaseline(conn, stream, int(central["head"]), report)
            central = self.call(conn, "SELECT sync.digest(%s)", (stream,))
            local = local_digests(self.desk).get(stream, EMPTY)
            if _same(local, central):
                report.verified.append(stream)
                continue
            report.digest_mismatch.append(stream)
            with self.desk.writing() as w:
                w.session.execute(insert(sync_issue).values(
                    code="DIGEST_MISMATCH", created_at=utcnow(), reason=(
                        f"本机数据与中心数据库核对不一致（{stream}：本机{local['records']}条登记、"
                        f"{local['events']}条办理记录，中心{central['records']}条、"
                        f"{central['events']}条），请联系管理员核查")))
