"""One window as its own process for the headline convergence test (reference/sync.md §7 S2,
S3, S7): it makes a seeded random history of clerk work through the Desk, first offline, then
syncing now and then through its TCP fault proxy, and may be SIGKILLed (by the test, or by
XINGAN_SYNC_FAULT at a named point) at any moment. Restarted on the same data directory, it
continues where its journal says it stopped.

    python -m tests.sync.headline_worker CONFIG.json

The journal (JSON lines, written right after each local commit, before anything else can
happen in this single-threaded process) is the test's independent record of every locally
committed outbox mutation; the checkers hold central and the store to it:
    {"t": "start", "run": n}
    {"t": "op", "what": "..."}                       one committed clerk action
    {"t": "mut", "seq": .., "mid": .., "entity": .., "eid": .., "op": .., "hlc": ..,
     "rid": .., "fields": {...}, "base": {...}, "seen_events": [...]}
    {"t": "sync", "ok": true, ...report}  /  {"t": "sync", "ok": false, "error": .., "msg": ..}
    {"t": "done"}
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.conftest import ADMIN_PASSWORD
from xingan_desk.catalogs import active_choices
from xingan_desk.demo import (
    DemoRun,
    consultation_raw,
    enterprise_raw,
    filing_raw,
    mediation_raw,
    random_enterprise,
)
from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError
from xingan_desk.records.fields import (
    BoolField,
    ChoiceField,
    DateField,
    DateTimeField,
    IntField,
    MultiChoiceField,
    TextField,
)
from xingan_desk.records.kinds import KINDS
from xingan_desk.storage.schema import Record, RecordEvent
from xingan_desk.sync.client import SyncClient, SyncError

from .checkers import new_mutations

ACTING_KINDS = ("consultation", "mediation", "preexam_filing")
EDITS = {  # an intake field the owner edits, per kind
    "consultation": ("answer", lambda r: f"补充答复{r.randint(1, 9999)}"),
    "mediation": ("claims", lambda r: f"请求事项（修改{r.randint(1, 9999)}）"),
    "preexam_filing": ("remarks", lambda r: f"备注{r.randint(1, 9999)}"),
    "enterprise": ("main_business", lambda r: f"主营业务{r.randint(1, 9999)}"),
}


def action_values(kind_key: str, action: Any, rng: random.Random) -> dict[str, Any]:
    """Plausible values for an action's fields (today's date, the first choices, a short
    text); validation may still refuse them, which is a normal outcome of a clerk action."""
    kind = KINDS[kind_key]
    today = dt.date.today()
    out: dict[str, Any] = {}
    for key in action.fields:
        if key not in action.required and rng.random() < 0.5:
            continue
        f = kind.field(key)
        if isinstance(f, DateField):
            out[key] = today + dt.timedelta(days=400) if key == "valid_until" else today
        elif isinstance(f, DateTimeField):
            out[key] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        elif isinstance(f, MultiChoiceField):
            out[key] = [active_choices(f.catalog)[0][0]]
        elif isinstance(f, ChoiceField):
            out[key] = rng.choice(active_choices(f.catalog))[0]
        elif isinstance(f, BoolField):
            out[key] = True
        elif isinstance(f, IntField):
            out[key] = 1
        elif isinstance(f, TextField):
            out[key] = rng.choice(("张三", "李四", "已处理完毕", "市市场监督管理局"))
    return out


class Worker:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.journal_path = Path(cfg["journal"])
        self.done_ops, self.runs, self.max_seq = self._read_journal()
        self.rng = random.Random(f"{cfg['seed']}:{self.runs}")
        self.journal = self.journal_path.open("a", encoding="utf-8")
        self.desk = Desk.open(cfg["data_dir"], password=ADMIN_PASSWORD)
        self.desk.use_account("admin")
        self.me = self.desk.identity.window_code
        self.demo = DemoRun(self.desk, cfg["seed"] * 100 + self.runs, 0, None)
        self.client = SyncClient(
            self.desk, cfg["url"], machine_id=cfg["machine_id"],
            batch_size=self.rng.choice((25, 60, 150, 500)), page_size=self.rng.choice((40, 200)),
            apply_batch=self.rng.choice((1, 100, 4000)),
            connect_timeout=2, statement_timeout_ms=4000, network_grace_s=1.0)
        self._log({"t": "start", "run": self.runs, "pid": os.getpid()})
        self._journal_new(recovered=True)  # committed before the last kill, not journaled
        self._refresh()

    # --- journal -------------------------------------------------------------------------
    def _read_journal(self) -> tuple[int, int, int]:
        ops = runs = max_seq = 0
        if self.journal_path.exists():
            for line in self.journal_path.read_text(encoding="utf-8").splitlines():
                try:
                    e = json.loads(line)
                except ValueError:
                    continue  # a line cut by the kill
                if e["t"] == "op":
                    ops += 1
                elif e["t"] == "start":
                    runs += 1
                elif e["t"] == "mut":
                    max_seq = max(max_seq, e["seq"])
        return ops, runs, max_seq

    def _log(self, entry: dict[str, Any]) -> None:
        self.journal.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self.journal.flush()  # in the kernel: survives SIGKILL of this process

    def _journal_new(self, *, recovered: bool = False,
                     about: dict[str, dict[str, Any]] | None = None) -> None:
        for entry in new_mutations(self.desk, self.max_seq, recovered=recovered, about=about):
            self._log(entry)
            self.max_seq = max(self.max_seq, entry["seq"])

    # --- what this window can see ----------------------------------------------------------
    def _refresh(self) -> None:
        with self.desk.reading() as s:
            rows = list(s.execute(select(Record.id, Record.kind, Record.owner, Record.voided)))
        self.actable = [r.id for r in rows if r.kind in ACTING_KINDS and not r.voided]
        self.mine = [(r.id, r.kind) for r in rows if r.owner == self.me and not r.voided]
        self.consultations = [r.id for r in rows if r.kind == "consultation" and not r.voided]

    # --- one clerk action -----------------------------------------------------------------
    def step(self) -> None:
        rng = self.rng
        roll = rng.random()
        about: dict[str, dict[str, Any]] = {}
        what = ""
        league = self.desk.identity.county_code == "152200"
        if league:
            roll = 0.36 + roll * 0.64  # the League mostly acts on the counties' cases
        try:
            if roll < 0.22:
                raw, _ = consultation_raw(self.demo, rng)
                self.desk.create("consultation", raw,
                                           register_enterprise=rng.random() < 0.4)
                what = "create consultation"
            elif roll < 0.28:
                codes = {e.uscc for e in self.demo.enterprises}
                names = {e.name for e in self.demo.enterprises}
                ent = random_enterprise(rng, codes, names)
                self.desk.create("enterprise", enterprise_raw(self.demo, rng, ent))
                self.demo.enterprises.append(ent)
                what = "create enterprise"
            elif roll < 0.36:
                raw, _ = mediation_raw(self.demo, rng, 99)
                self.desk.create("mediation", raw, register_enterprise=False)
                what = "create mediation"
            elif roll < 0.40:
                ent = rng.choice(self.demo.enterprises) if self.demo.enterprises else None
                raw, _ = filing_raw(self.demo, rng, 99, ent, {})
                self.desk.create("preexam_filing", raw, register_enterprise=False)
                what = "create filing"
            elif roll < 0.72:
                what = self._act(about)
            elif roll < 0.86:
                what = self._edit(about)
            elif roll < 0.93:
                what = self._handover(about)
            else:
                what = self._void(about)
        except DeskError:
            what = ""  # refused (validation, illegal action, permissions): nothing committed
        if not what:
            return
        self._log({"t": "op", "what": what})
        self._journal_new(about=about)
        self.done_ops += 1
        if what.startswith(("create", "void", "handover")):
            self._refresh()

    def _act(self, about: dict[str, dict[str, Any]]) -> str:
        if not self.actable:
            return ""
        rid = self.rng.choice(self.actable)
        actions = self.desk.actions_for(rid)
        if not actions:
            return ""
        a = self.rng.choice(actions)
        kind = self.desk.get(rid).kind
        self.desk.act(rid, a.key, action_values(kind, a, self.rng))
        return f"act {a.key}"

    def _edit(self, about: dict[str, dict[str, Any]]) -> str:
        editable = [(rid, k) for rid, k in self.mine if k in EDITS]
        if not editable:
            return ""
        rid, kind = self.rng.choice(editable)
        key, make = EDITS[kind]
        rec = self.desk.get(rid)
        base = self._field_hlc(rid)
        self.desk.update(rid, {key: make(self.rng)}, rec.version)
        about[rid] = {"base": {key: base.get(key)}}
        return f"edit {kind}.{key}"

    def _handover(self, about: dict[str, dict[str, Any]]) -> str:
        """A mediation made from a consultation of this county (maybe another window's): the
        consultation's handed_over_to is updated by this window (a field other windows may be
        writing at the same time)."""
        if not self.consultations:
            return ""
        src = self.rng.choice(self.consultations)
        base = self._field_hlc(src)
        raw, _ = mediation_raw(self.demo, self.rng, 99)
        self.desk.create("mediation", raw, handover_from=src, register_enterprise=False)
        about[src] = {"base": {"handed_over_to": base.get("handed_over_to")}}
        return "handover"

    def _void(self, about: dict[str, dict[str, Any]]) -> str:
        if not self.mine:
            return ""
        rid, _ = self.rng.choice(self.mine)
        with self.desk.reading() as s:
            seen = sorted(s.scalars(select(RecordEvent.id).where(RecordEvent.record_id == rid)))
        base = self._field_hlc(rid)
        self.desk.void(rid, "登记有误")
        about[rid] = {"seen_events": seen, "base": base}
        return "void"

    def _field_hlc(self, rid: str) -> dict[str, str]:
        with self.desk.reading() as s:
            rec = s.scalar(select(Record).where(Record.id == rid))
            return dict(rec.field_hlc or {}) if rec else {}

    # --- sync ------------------------------------------------------------------------------
    def sync(self) -> bool:
        try:
            rep = self.client.run_once()
        except SyncError as exc:
            self._log({"t": "sync", "ok": False, "error": type(exc).__name__,
                       "code": getattr(exc, "code", None), "msg": str(exc)[:300]})
            return False
        finally:
            self._journal_new()  # none expected (sync writes no outbox rows); cheap check
        self._log({"t": "sync", "ok": True, "accepted": rep.accepted, "rejected": rep.rejected,
                   "replayed": rep.replayed, "pulled": rep.pulled,
                   "rebaselined": rep.rebaselined, "digest_mismatch": rep.digest_mismatch,
                   "verified": rep.verified, "conflicts": rep.conflicts,
                   "requeued": rep.requeued})
        self._refresh()
        return True

    def run(self) -> int:
        cfg = self.cfg
        offline, total = cfg["offline_edits"], cfg["offline_edits"] + cfg["online_edits"]
        next_sync = self.done_ops + self.rng.randint(1, 2 * cfg["sync_every"])
        attempts = 0
        while self.done_ops < total and attempts < total * 20:
            attempts += 1
            self.step()
            if self.done_ops >= offline and self.done_ops >= next_sync:
                self.sync()
                next_sync = self.done_ops + self.rng.randint(1, 2 * cfg["sync_every"])
        Path(str(self.journal_path) + ".final").touch()  # the nemesis stops killing it
        for _ in range(60):  # finish with a successful sync (the network may be faulty)
            if self.sync():
                break
        self._log({"t": "done", "ops": self.done_ops})
        self.desk.close()
        return 0


def main(argv: list[str]) -> int:
    cfg = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    return Worker(cfg).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
