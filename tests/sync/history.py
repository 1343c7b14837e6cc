"""Random clerk histories on in-process windows, journaled for the checkers (checkers.py).

Used by the Hypothesis convergence test (S2 in-process, faults injected at the named points)
and by the negative controls (S0), which run the same histories against deliberately broken
builds. `CentralForRuns` empties one central database between runs (cheaper than a database
per run); window stores are copied from a per-session template per window identity, because
initialising a store (migrations, password hashing) costs far more than the history itself.
"""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.desk import Desk
from xingan_desk.errors import DeskError
from xingan_desk.storage.schema import Record, RecordEvent
from xingan_desk.sync.central import add_window
from xingan_desk.sync.client import InjectedFault, SyncClient, SyncUnavailable

from .checkers import WindowUnderTest, new_mutations
from .headline_worker import action_values

_STORE_TEMPLATES: dict[tuple[str, str], Path] = {}
_TEMPLATE_ROOT = Path(tempfile.mkdtemp(prefix="xingan-store-templates-"))
atexit.register(shutil.rmtree, _TEMPLATE_ROOT, True)


KEPT_TABLES = ("client", "stream_head", "schema_version", "config", "workflow",
               "workflow_action")  # everything else in schema sync is data, emptied
RESET_CENTRAL = """
UPDATE sync.stream_head SET last_seq = 0, epoch = gen_random_uuid();
UPDATE sync.client SET installation_id = NULL, machine_id = NULL, generation = NULL,
    last_local_seq = 0, last_seen_at = NULL, app_version = NULL;
"""


class CentralForRuns:
    """One central database for many short runs: `reset()` empties it in place (much cheaper
    than a new database per run), window registrations are kept and reused."""

    _cache: dict[str, CentralForRuns] = {}  # noqa: RUF012

    def __init__(self, url: str) -> None:
        self.url = url
        self._creds: dict[tuple[str, str], Any] = {}

    @classmethod
    def of(cls, url: str) -> CentralForRuns:
        """The one instance for this database (its windows are registered once)."""
        if url not in cls._cache:
            cls._cache[url] = cls(url)
        return cls._cache[url]

    def reset(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            tables = [t for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'sync'")
                if t not in KEPT_TABLES]
            conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(
                sql.Identifier("sync", t) for t in tables)))
            conn.execute(RESET_CENTRAL)

    def windows(self, tmp: Path, codes: list[tuple[str, str]]) -> list[LocalWindow]:
        out = []
        for county, window in codes:
            if (county, window) not in self._creds:
                self._creds[(county, window)] = add_window(self.url, county, window)
            creds = self._creds[(county, window)]
            desk = store_copy(county, window, tmp / f"{county}-{window}")
            out.append(LocalWindow(desk, creds.url, creds.window_code))
        return out


def store_copy(county: str, window: str, dest: Path) -> Desk:
    """A new window store at `dest` (a copy of a freshly initialised one)."""
    key = (county, window)
    if key not in _STORE_TEMPLATES:
        path = _TEMPLATE_ROOT / f"{county}-{window}"
        Desk.initialise(path, county, window, admin_password=ADMIN_PASSWORD).close()
        _STORE_TEMPLATES[key] = path
    shutil.copytree(_STORE_TEMPLATES[key], dest)
    desk = Desk.open(dest)
    desk.use_account("admin")
    return desk


@dataclass
class LocalWindow:
    desk: Desk
    url: str
    code: str
    journal: list[dict[str, Any]] = field(default_factory=list)
    max_seq: int = 0
    syncs: list[dict[str, Any]] = field(default_factory=list)

    def record(self, about: dict[str, dict[str, Any]] | None = None) -> None:
        for entry in new_mutations(self.desk, self.max_seq, about=about):
            self.journal.append(entry)
            self.max_seq = max(self.max_seq, entry["seq"])

    def client(self, client_cls: type[SyncClient] = SyncClient, **kw: Any) -> SyncClient:
        return client_cls(self.desk, self.url, machine_id=f"pc-{self.code}", **kw)

    def sync(self, client_cls: type[SyncClient] = SyncClient, fault: str | None = None,
             **kw: Any) -> None:
        client = self.client(client_cls, faults={fault} if fault else (), **kw)
        try:
            rep = client.run_once()
        except (InjectedFault, SyncUnavailable) as exc:
            self.syncs.append({"t": "sync", "ok": False, "error": "SyncUnavailable",
                               "msg": repr(exc)})
        else:
            self.syncs.append({"t": "sync", "ok": True, "rebaselined": rep.rebaselined,
                               "digest_mismatch": rep.digest_mismatch})
        finally:
            self.record()

    def under_test(self) -> WindowUnderTest:
        return WindowUnderTest(self.desk, self.code, self.journal)


OPS = ("consultation", "consultation", "mediation", "act", "act", "act", "edit", "handover",
       "void", "sync", "sync", "sync")


def step(w: LocalWindow, op: str, rng: random.Random) -> str:
    """One clerk action of kind `op` (or a sync, which the caller handles); returns what was
    done, "" when nothing was committed (nothing to act on, or refused like a clerk would be)."""
    desk = w.desk
    about: dict[str, dict[str, Any]] = {}
    with desk.reading() as s:
        recs = [(r.id, r.kind, r.owner) for r in s.execute(
            select(Record.id, Record.kind, Record.owner).where(Record.voided.is_(False))
            .order_by(Record.receipt_no))]
    mine = [r for r in recs if r[2] == w.code and r[1] in ("consultation", "mediation")]
    try:
        if op == "consultation":
            desk.create("consultation", {
                **GOOD_CONSULTATION, "visitor_name": rng.choice(["王芳", "李娜", "张伟"]),
                "question": f"咨询问题{rng.randint(1, 999)}"},
                register_enterprise=rng.random() < 0.2)
        elif op == "mediation":
            desk.create("mediation", {**GOOD_MEDIATION, "facts": f"事实{rng.randint(1, 999)}"},
                        register_enterprise=False)
        elif op == "act":
            cands = [r for r in recs if r[1] in ("consultation", "mediation")]
            if not cands:
                return ""
            rid = rng.choice(cands)[0]
            actions = desk.actions_for(rid)
            if not actions:
                return ""
            a = rng.choice(actions)
            desk.act(rid, a.key, action_values(desk.get(rid).kind, a, rng))
        elif op == "edit":
            if not mine:
                return ""
            rid, kind, _ = rng.choice(mine)
            key = "answer" if kind == "consultation" else "claims"
            rec = desk.get(rid)
            about[rid] = {"base": {key: _field_hlc(desk, rid).get(key)}}
            desk.update(rid, {key: f"修改{rng.randint(1, 999)}"}, rec.version)
        elif op == "handover":
            cands = [r for r in recs if r[1] == "consultation"]
            if not cands:
                return ""
            src = rng.choice(cands)[0]
            about[src] = {"base": {"handed_over_to": _field_hlc(desk, src).get("handed_over_to")}}
            desk.create("mediation", GOOD_MEDIATION, handover_from=src, register_enterprise=False)
        elif op == "void":
            if not mine:
                return ""
            rid = rng.choice(mine)[0]
            with desk.reading() as s:
                seen = sorted(s.scalars(select(RecordEvent.id)
                                        .where(RecordEvent.record_id == rid)))
            about[rid] = {"seen_events": seen, "base": _field_hlc(desk, rid)}
            desk.void(rid, "登记有误")
        else:
            return ""
    except DeskError:
        return ""
    w.record(about)
    return op


def _field_hlc(desk: Desk, rid: str) -> dict[str, str]:
    with desk.reading() as s:
        rec = s.scalar(select(Record).where(Record.id == rid))
        return dict(rec.field_hlc or {}) if rec else {}


def heal(windows: list[LocalWindow], client_cls: type[SyncClient] = SyncClient,
         rounds: int = 3) -> None:
    for _ in range(rounds):
        for w in windows:
            w.sync(client_cls)


def close_all(windows: list[LocalWindow]) -> None:
    for w in windows:
        w.desk.close()
