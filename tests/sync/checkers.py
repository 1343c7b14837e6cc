"""The convergence checkers of reference/sync.md §7 (S2 pass criteria), shared by the headline
test, the Hypothesis histories and the negative controls (which prove they catch broken builds).

Each check returns a list of problems (English, one line each); [] means it passed. They read
the final quiesced state: central (as the database admin), every window's store, and the
journal of mutations each window committed locally (the history the test recorded on its own,
so a store that silently dropped a change cannot hide it).

* replicas equal central on their scope (records, values on their field HLCs, status, voided,
  event ids) and outboxes are empty;
* zero acknowledged writes lost: every journaled mutation is at central with its effect, or
  rejected with a reason in the window's `sync_issue`;
* zero duplicates: a mutation takes effect once (one change row, one row_version bump), events
  once, receipt numbers once and gapless per window (voids included);
* every status is the fold of its events, and every status conflict is in the review list
  exactly once; every lost field write and every edit racing a void is listed once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import select, text

from xingan_desk.numbering import parse_receipt_no
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import EventLike, fold
from xingan_desk.storage import db as dbmod
from xingan_desk.storage.schema import OutboxEntry, ReceiptCounter, Record
from xingan_desk.storage.types import id_text
from xingan_desk.sync.local_schema import acked_log, sync_issue

from .helpers import central_state, local_state, scope_of


@dataclass
class WindowUnderTest:
    desk: Any
    window_code: str
    journal: list[dict[str, Any]] = field(default_factory=list)  # "mut" entries

    @property
    def county(self) -> str:
        return self.window_code.split("-")[0]


@dataclass
class Central:
    records: dict[str, dict[str, Any]]
    events: dict[str, dict[str, Any]]
    applied: dict[tuple[str, int], dict[str, Any]]  # (window_code, local_seq)
    clients: dict[str, str]  # client_id -> window_code
    changes: list[tuple[str, int, str, str, str, str | None, int | None]]
    review: list[dict[str, Any]]
    conflict_log: list[dict[str, Any]]

    @classmethod
    def read(cls, url: str) -> Central:
        with psycopg.connect(url) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            clients = {str(cid): w for cid, w in conn.execute(
                "SELECT client_id, window_code FROM sync.client")}

            def rows(q: str) -> list[dict[str, Any]]:
                cur = conn.execute(q)
                names = [d.name for d in cur.description or ()]
                return [dict(zip(names, r, strict=True)) for r in cur]

            records = {r["id"]: r for r in rows(
                "SELECT id, kind, receipt_no, owner, stream, voided, status, needs_review, "
                "row_version, field_hlc, doc FROM sync.record")}
            events = {e["id"]: e for e in rows(
                "SELECT id, record_id, hlc, action, from_status, applied, origin_client::text "
                "AS origin FROM sync.event")}
            applied = {}
            for a in rows("SELECT client_id::text AS client, local_seq, mutation_id, status, "
                          "code, reason FROM sync.applied_mutation"):
                applied[(clients[a["client"]], int(a["local_seq"]))] = a
            changes = [tuple(r) for r in conn.execute(
                "SELECT stream, seq, entity, entity_id, op, origin_client::text, "
                "origin_local_seq FROM sync.change_log ORDER BY stream, seq")]
            review = rows("SELECT record_id, item_kind, item_key, detail, resolved_at "
                          "FROM sync.review_item")
            conflict_log = rows("SELECT record_id, field, kept_value, kept_hlc, lost_value, "
                                "lost_hlc, lost_origin FROM sync.conflict_log")
        return cls(records, events, applied, clients, changes, review,  # type: ignore[arg-type]
                   conflict_log)


def new_mutations(desk: Any, after_seq: int, *, recovered: bool = False,
                  about: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Journal entries for every outbox row committed after `after_seq` (still in the outbox,
    or already moved to acked_log). `about` adds what the writer had seen, per entity id."""
    q = text(
        "SELECT local_seq, mutation_id, entity, entity_id, op, hlc, payload FROM outbox "
        "WHERE local_seq > :s UNION ALL "
        "SELECT local_seq, mutation_id, entity, entity_id, op, hlc, payload FROM acked_log "
        "WHERE local_seq > :s ORDER BY 1")
    with desk.reading() as s:
        rows = list(s.execute(q, {"s": after_seq}))
    out = []
    for seq, mid, entity, eid, op, hlc, payload in rows:
        p = json.loads(payload) if isinstance(payload, str) else payload
        entry = {"t": "mut", "seq": seq, "mid": mid, "entity": entity, "eid": eid, "op": op,
                 "hlc": hlc, "rid": p.get("record_id") or p.get("id") or eid,
                 "fields": sorted(p.get("values") or {}), "recovered": recovered}
        if op == "create":
            entry["receipt_no"] = p.get("receipt_no")
        if op == "event":
            entry["action"] = p.get("action")
        entry.update((about or {}).get(eid, {}))
        out.append(entry)
    return out


def journal_mutations(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The "mut" entries of a journal, once per local_seq (a restarted worker may journal a
    recovered row again); a local_seq journaled with two mutation ids is itself a problem."""
    by_seq: dict[int, dict[str, Any]] = {}
    for e in entries:
        if e.get("t", "mut") != "mut":
            continue
        prev = by_seq.get(e["seq"])
        if prev is not None and prev["mid"] != e["mid"]:
            raise AssertionError(f"local_seq {e['seq']} journaled with two mutation ids")
        if prev is None or not e.get("recovered"):
            by_seq[e["seq"]] = {**(prev or {}), **e}
    return [by_seq[k] for k in sorted(by_seq)]


# --- the checks ------------------------------------------------------------------------------
def check_replicas(url: str, windows: Sequence[WindowUnderTest]) -> list[str]:
    problems: list[str] = []
    for w in windows:
        central = central_state(url, scope_of(w.county))
        local = local_state(w.desk)
        if local != central:
            missing = set(central) - set(local)
            extra = set(local) - set(central)
            differ = [k for k in set(local) & set(central) if local[k] != central[k]]
            problems.append(f"{w.window_code}: replica differs from central: {len(missing)} "
                            f"missing, {len(extra)} extra, {len(differ)} different "
                            f"(e.g. {(sorted(differ) or sorted(missing) or sorted(extra))[:1]})")
        with w.desk.reading() as s:
            left = Counter(f"{r.state}:{r.last_error or ''}"[:60]
                           for r in s.scalars(select(OutboxEntry)))
            needs = {r.id: r.needs_review for r in s.scalars(select(Record))}
        if left:
            problems.append(f"{w.window_code}: outbox not empty: {dict(left)}")
        with psycopg.connect(url) as conn:
            nr = dict(conn.execute("SELECT id, needs_review FROM sync.record").fetchall())
        if needs != {k: nr[k] for k in central if k in nr}:
            problems.append(f"{w.window_code}: needs_review differs from central")
    return problems


def check_stores(windows: Sequence[WindowUnderTest]) -> list[str]:
    problems: list[str] = []
    for w in windows:
        conn = dbmod.connect_file(w.desk.path, dbmod.current_key(w.desk.path))
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
        if ok != ("ok",):
            problems.append(f"{w.window_code}: SQLite integrity_check: {ok}")
        problems.extend(f"{w.window_code}: desk.check: {p}" for p in w.desk.check())
    return problems


def check_acknowledged(c: Central, windows: Sequence[WindowUnderTest]) -> list[str]:
    """Zero acknowledged writes lost, nothing applied that the window never wrote."""
    problems: list[str] = []
    for w in windows:
        with w.desk.reading() as s:
            # a compacted row keeps its ids as 16 bytes (sync/acked.compact)
            acked = {r.local_seq: id_text(r.mutation_id) for r in s.execute(
                select(acked_log.c.local_seq, acked_log.c.mutation_id))}
            outbox = {r.local_seq: (r.mutation_id, r.state) for r in s.scalars(
                select(OutboxEntry))}
            issues = {r.local_seq: r.reason for r in s.execute(
                select(sync_issue.c.local_seq, sync_issue.c.reason)) if r.local_seq}
        journaled = set()
        for m in w.journal:
            seq, mid, what = m["seq"], m["mid"], f"{w.window_code} #{m['seq']} {m['op']}"
            journaled.add(seq)
            am = c.applied.get((w.window_code, seq))
            if am is None:
                problems.append(f"LOST {what}: not at central "
                                f"({'acked locally' if seq in acked else 'not acked'})")
                continue
            if am["mutation_id"] != mid:
                problems.append(f"{what}: central applied another mutation under its seq")
                continue
            if am["status"] == "accepted":
                if acked.get(seq) != mid:
                    problems.append(f"{what}: accepted at central, not in acked_log")
                problems.extend(_effect_problems(c, m, what))
            else:
                if outbox.get(seq, ("", ""))[1] != "rejected" or not issues.get(seq):
                    problems.append(f"{what}: rejected at central ({am['code']}) without a "
                                    "rejected outbox row and a reason in sync_issue")
        for seq in set(acked) | set(outbox):
            if seq not in journaled:
                problems.append(f"{w.window_code} #{seq}: in the store, never journaled")
        for (window, seq) in c.applied:
            if window == w.window_code and seq not in journaled:
                problems.append(f"{w.window_code} #{seq}: applied at central, never written")
    return problems


def _effect_problems(c: Central, m: dict[str, Any], what: str) -> list[str]:
    op = m["op"]
    if op == "create":
        r = c.records.get(m["eid"])
        if r is None or r["receipt_no"] != m.get("receipt_no", r and r["receipt_no"]):
            return [f"LOST {what}: record {m['eid']} missing at central"]
    elif op == "event":
        if m["eid"] not in c.events:
            return [f"LOST {what}: event {m['eid']} missing at central"]
    elif op == "void":
        r = c.records.get(m["eid"])
        if r is None or not r["voided"]:
            return [f"LOST {what}: record {m['eid']} not voided at central"]
    elif op == "update":
        r = c.records.get(m["eid"])
        if r is None:
            return [f"LOST {what}: record missing"]
        for k in m.get("fields", ()):
            if (r["field_hlc"].get(k) or "") < m["hlc"]:
                return [f"LOST {what}: field {k} older at central than the acked write"]
    return []


def check_duplicates(c: Central, windows: Sequence[WindowUnderTest]) -> list[str]:
    problems: list[str] = []
    per_mutation = Counter((oc, ol) for _, _, _, _, _, oc, ol in c.changes if oc)
    twice = [k for k, n in per_mutation.items() if n > 1]
    if twice:
        problems.append(f"DUPLICATE: {len(twice)} mutation(s) produced more than one change "
                        "row (applied again on replay)")
    ev = Counter(eid for _, _, entity, eid, _, _, _ in c.changes if entity == "event")
    if any(n > 1 for n in ev.values()):
        problems.append("DUPLICATE: an event appears twice in the change feed")
    for stream in {s for s, *_ in c.changes}:
        seqs = [q for s, q, *_ in c.changes if s == stream]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"{stream}: change feed not dense")
    receipts = Counter(r["receipt_no"] for r in c.records.values())
    problems.extend(f"DUPLICATE receipt {no}" for no, n in receipts.items() if n > 1)
    # one row_version bump per applied update/void/event: a replay applied twice shows here
    updates: Counter[str] = Counter()
    for w in windows:
        for m in w.journal:
            am = c.applied.get((w.window_code, m["seq"]))
            if m["op"] == "update" and am is not None and am["status"] == "accepted":
                updates[m["eid"]] += 1
    n_events = Counter(e["record_id"] for e in c.events.values())
    bad = [rid for rid, r in c.records.items()
           if r["row_version"] != 1 + updates[rid] + n_events[rid] + int(r["voided"])]
    if bad:
        problems.append(f"DUPLICATE: {len(bad)} record(s) whose row_version shows a change "
                        f"applied twice (e.g. {bad[0]})")
    # receipt numbers: each window's are 1..last_no per year and generation, none missing
    for w in windows:
        with w.desk.reading() as s:
            counters = {(rc.year, rc.generation): rc.last_no
                        for rc in s.scalars(select(ReceiptCounter))}
        got: dict[tuple[int, int], list[int]] = defaultdict(list)
        for r in c.records.values():
            if r["owner"] == w.window_code:
                p = parse_receipt_no(r["receipt_no"])
                assert p is not None
                got[(p.year, p.generation)].append(p.seq)
        for key, top in counters.items():
            if sorted(got.get(key, [])) != list(range(1, top + 1)):
                problems.append(f"{w.window_code}: receipt numbers of {key} not exactly "
                                f"1..{top} at central ({len(got.get(key, []))} there)")
    return problems


def check_folds_and_reviews(c: Central, stats: dict[str, int] | None = None) -> list[str]:
    problems: list[str] = []
    evs: dict[str, list[EventLike]] = defaultdict(list)
    for e in c.events.values():
        evs[e["record_id"]].append(EventLike(e["id"], e["hlc"], e["action"], e["from_status"]))
    expected_conflicts: set[str] = set()
    for rid, r in c.records.items():
        wf = KINDS[r["kind"]].workflow
        if wf is None:
            continue
        f = fold(wf, evs.get(rid, []))
        if r["status"] != f.status:
            problems.append(f"FOLD: {rid} status {r['status']} != fold {f.status}")
        if r["needs_review"] != bool(f.conflicts):
            problems.append(f"FOLD: {rid} needs_review {r['needs_review']} != {f.conflicts}")
        if not all(c.events[e]["applied"] for e in f.applied) or any(
                c.events[e]["applied"] for e in f.conflicts):
            problems.append(f"FOLD: {rid} applied flags differ from the fold")
        expected_conflicts.update(f.conflicts)
    if stats is not None:
        stats["status_conflicts"] = len(expected_conflicts)
    items = Counter((i["item_kind"], i["item_key"]) for i in c.review)
    problems.extend(f"REVIEW: {k} listed {n} times" for k, n in items.items() if n > 1)
    open_status = [i["item_key"] for i in c.review
                   if i["item_kind"] == "status_conflict" and i["resolved_at"] is None]
    if sorted(open_status) != sorted(expected_conflicts):
        missing = expected_conflicts - set(open_status)
        extra = set(open_status) - expected_conflicts
        problems.append(f"REVIEW: status conflicts {len(missing)} not listed, {len(extra)} "
                        "listed but not conflicts")
    field_items = sum(1 for i in c.review if i["item_kind"] == "field_conflict")
    if field_items != len(c.conflict_log):
        problems.append(f"REVIEW: {len(c.conflict_log)} lost field writes logged, "
                        f"{field_items} field_conflict review items")
    return problems


def check_real_conflicts(c: Central, windows: Sequence[WindowUnderTest],
                         stats: dict[str, int] | None = None) -> list[str]:
    """Conflicts judged from what each window had seen when it wrote (the journal's `base`
    field HLCs and `seen_events`, noted by the test before the action), not from the order in
    which central happened to receive the writes:

    * two writes to one field where neither writer had seen the other's: the overwritten or
      losing value must be listed (`field_conflict`);
    * a status action on a record whose void had not seen it: `event_after_void`;
    * an edit the void had not seen: `edit_after_void`.
    What a writer had seen is known only for journaled actions (a mutation recovered after a
    kill lost that note); those are left out.
    """
    problems: list[str] = []
    writes: dict[tuple[str, str], list[tuple[str, str | None]]] = defaultdict(list)
    updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    voids: dict[str, dict[str, Any]] = {}
    accepted_events: set[str] = set()
    for w in windows:
        for m in w.journal:
            am = c.applied.get((w.window_code, m["seq"]))
            if am is None or am["status"] != "accepted":
                continue
            if m["op"] == "update":
                updates[m["eid"]].append(m)
                if "base" in m:
                    for k in m.get("fields", ()):
                        writes[(m["eid"], k)].append((m["hlc"], m["base"].get(k)))
            elif m["op"] == "void" and "seen_events" in m:
                voids[m["eid"]] = m
            elif m["op"] == "event":
                accepted_events.add(m["eid"])
    listed_fields = {(i["record_id"], i["detail"].get("field")) for i in c.review
                     if i["item_kind"] == "field_conflict"}
    stats = stats if stats is not None else {}
    for key in ("concurrent_field_writes", "actions_racing_void", "edits_racing_void"):
        stats.setdefault(key, 0)
    for (rid, k), ws in writes.items():
        concurrent = any(a != b and (b_base or "") < a and (a_base or "") < b
                         for a, a_base in ws for b, b_base in ws)
        stats["concurrent_field_writes"] += concurrent
        if concurrent and (rid, k) not in listed_fields:
            problems.append(f"REVIEW: concurrent writes to {rid}.{k} not listed")
    listed = defaultdict(set)
    for i in c.review:
        listed[i["item_kind"]].add(i["item_key"])
    events_of: dict[str, list[str]] = defaultdict(list)
    for eid, e in c.events.items():
        events_of[e["record_id"]].append(eid)
    for rid, v in voids.items():
        seen = set(v["seen_events"])
        for eid in events_of[rid]:
            if eid not in seen and eid in accepted_events:
                stats["actions_racing_void"] += 1
                if eid not in listed["event_after_void"]:
                    problems.append(f"REVIEW: action {eid} racing the void of {rid} not listed")
        vbase = v.get("base") or {}
        for u in updates[rid]:
            racing = [k for k in u.get("fields", ()) if (vbase.get(k) or "") < u["hlc"]]
            keys = {u["mid"], *(f"{v['mid']}:{k}" for k in racing)}
            stats["edits_racing_void"] += bool(racing)
            if racing and not keys & listed["edit_after_void"]:
                problems.append(f"REVIEW: edit {u['mid']} racing the void of {rid} not listed")
    return problems


def check_sync_log(windows: Sequence[WindowUnderTest], logs: dict[str, list[dict[str, Any]]]
                   ) -> list[str]:
    """No digest repair was ever needed (it would mask a divergence), no unexpected error."""
    problems: list[str] = []
    for w in windows:
        for e in logs.get(w.window_code, []):
            if e.get("t") != "sync":
                continue
            if e.get("ok") and (e.get("rebaselined") or e.get("digest_mismatch")):
                problems.append(f"{w.window_code}: digest repair was needed: {e}")
            if not e.get("ok") and e.get("error") != "SyncUnavailable":
                problems.append(f"{w.window_code}: sync failed: {e.get('error')} "
                                f"{e.get('msg')}")
    return problems


def check_all(url: str, windows: Sequence[WindowUnderTest],
              logs: dict[str, list[dict[str, Any]]] | None = None,
              stats: dict[str, int] | None = None) -> list[str]:
    """Every check; `stats` (if given) receives how many real conflicts there were to find."""
    c = Central.read(url)
    return [
        *check_replicas(url, windows),
        *check_stores(windows),
        *check_acknowledged(c, windows),
        *check_duplicates(c, windows),
        *check_folds_and_reviews(c, stats),
        *check_real_conflicts(c, windows, stats),
        *check_sync_log(windows, logs or {}),
    ]
