"""A hostile (or badly broken) window: it holds nothing but its own database role, as
`central add-window` prints it, and pushes mutations that are each invalid in a known way.
Used by the Hypothesis test and by the headline run; central must refuse every one of them,
per mutation, and nothing of it may reach another window."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Json

from tests.conftest import GOOD_CONSULTATION

ATTACKS = ("unknown_key", "bad_date", "bad_number", "huge_text", "bidi_name", "emoji_name",
           "nul", "unknown_kind", "update_other", "event_rewrites_form", "void_other",
           "enterprise_bad_date")


@dataclass(frozen=True)
class Target:
    """A record of another window the attacker has seen (id, kind, its owner)."""

    record_id: str
    kind: str
    owner: str


class Hostile:
    def __init__(self, url: str, code: str) -> None:
        self.url, self.code = url, code
        self.seq = 0
        self.results: list[dict[str, Any]] = []

    def _hlc(self) -> str:
        return f"{int(time.time() * 1000):013d}-{self.seq:05d}-{self.code}"

    def _envelope(self, entity: str, op: str, entity_id: str, payload: dict[str, Any]
                  ) -> dict[str, Any]:
        self.seq += 1
        hlc = self._hlc()
        return {"local_seq": self.seq, "mutation_id": f"h-{self.code}-{self.seq}-{entity_id}",
                "entity": entity, "entity_id": entity_id, "op": op, "hlc": hlc,
                "payload": {**payload, "hlc": hlc}}

    def _create(self, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        county, window = self.code.split("-")
        rid = f"hostile-{self.code}-{self.seq + 1}-{random.randrange(10**9)}"
        return self._envelope("record", "create", rid, {
            "kind": kind, "id": rid, "owner": self.code, "county_code": county,
            "receipt_no": f"ZX-{county}-{window}-2026-{self.seq + 1:06d}-X", "created_by": "x",
            "created_at": "2026-03-02T01:00:00+00:00", "values": values})

    def mutation(self, attack: str, text: str, targets: Sequence[Target]) -> dict[str, Any]:
        """One mutation that is invalid by construction (`text`: attacker-chosen filler)."""
        good = {k: v for k, v in GOOD_CONSULTATION.items()}
        target = targets[len(text) % len(targets)] if targets else None
        if attack == "unknown_key":
            return self._create("consultation", {**good, "zz_" + (text or "x")[:20]: text})
        if attack == "bad_date":
            return self._create("consultation", {**good, "started_at": "2023-02-30 10:00"})
        if attack == "bad_number":
            return self._create("enterprise", {"uscc": "91152201MA0N12340P", "name": "某公司",
                                               "county_code": "152201",
                                               "invention_patents": "abc" + text[:5]})
        if attack == "huge_text":
            return self._create("consultation", {**good, "question": (text or "长") * 200_001})
        if attack == "bidi_name":
            return self._create("consultation", {**good, "visitor_name": "王\u202e" + "芳"})
        if attack == "emoji_name":
            return self._create("consultation", {**good, "visitor_name": "王😀芳"})
        if attack == "nul":
            return self._create("consultation", {**good, "answer": "答复\x00" + text})
        if attack == "unknown_kind":
            return self._create("bogus_" + (text or "k")[:10], good)
        if attack == "enterprise_bad_date":
            return self._create("enterprise", {"uscc": "91152201MA0N12340P", "name": "某公司",
                                               "county_code": "152201",
                                               "established_on": "2023-02-30"})
        if target is None:  # nothing seen yet to attack: an invalid create instead
            return self._create("consultation", {**good, "zz_none": text})
        if attack == "update_other":
            return self._envelope("record", "update", target.record_id, {
                "kind": target.kind, "id": target.record_id,
                "values": {"handed_over_to": "YS-152223-09-2026-000001-X", "zz": text}})
        if attack == "event_rewrites_form":
            eid = f"hostile-ev-{self.code}-{self.seq + 1}"
            return self._envelope("event", "event", eid, {
                "kind": target.kind, "record_id": target.record_id, "id": eid,
                "action": "follow_up", "from_status": "closed", "to_status": "followed_up",
                "owner": self.code, "payload": {"followup_result": "满意",
                                                "question": "改写" + text[:20],
                                                "visitor_name": "冒名"}})
        # void_other: voiding stays with the owner
        return self._envelope("record", "void", target.record_id, {
            "kind": target.kind, "id": target.record_id, "reason": "恶意作废" + text[:10],
            "seen_events": [], "base_hlc": {}})

    def push(self, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Push as this window's own role (JSON, so a NUL is refused per mutation)."""
        req = {"protocol": 1, "window_code": self.code, "installation_id": f"inst-{self.code}",
               "machine_id": "pc-hostile", "generation": 1, "mutations": mutations}
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT sync.push(%s::json)", (Json(req),)).fetchone()
        assert row is not None
        resp = row[0]
        results = list(resp.get("results") or []) if resp.get("status") == "ok" else [resp]
        self.results.extend(results)
        return results

    def seen_targets(self, stream: str, limit: int = 200) -> list[Target]:
        """Records of other windows in its scope, read the way any window can (sync.pull)."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT sync.pull(%s, %s, %s)", (stream, 0, limit)).fetchone()
        page = row[0] if row else {}
        out = []
        for ch in (page or {}).get("changes") or []:
            p = ch.get("payload") or {}
            if ch.get("entity") == "record" and p.get("owner") != self.code:
                out.append(Target(str(p["id"]), str(p["kind"]), str(p.get("owner"))))
        return out

    def accepted(self) -> list[dict[str, Any]]:
        """Results central did not refuse (must stay empty)."""
        return [r for r in self.results if r.get("status") not in ("rejected", "refused")]


def random_attack(rng: random.Random, hostile: Hostile, targets: Sequence[Target]
                  ) -> dict[str, Any]:
    text = "".join(rng.choice("甲乙丙abc123\u202e😀 ") for _ in range(rng.randrange(0, 12)))
    return hostile.mutation(rng.choice(ATTACKS), text, targets)
