"""Sample data for screenshots, timing and tests: the core's demo records (`populate`) and the
sync items a review screenshot shows (`sample_sync_items`). No Qt."""

from __future__ import annotations

from typing import Any


def populate(desk: Any, n: int = 300, seed: int = 2026) -> dict[str, int]:
    """About `n` records of every kind: the core's demo generator (`xingan_desk.demo`)."""
    from xingan_desk.demo import generate

    return generate(desk, n, seed=seed)


def sample_sync_items(desk: Any) -> int:
    """Items needing attention as a real sync would leave them (for the review screenshot):
    a losing local edit, a refused change, a status conflict listed by central, a clock
    warning. Writes the sync bookkeeping tables directly; does nothing if items exist."""
    from sqlalchemy import insert, select, update

    from xingan_desk import hlc as hlc_mod
    from xingan_desk.storage.schema import (
        OutboxEntry,
        Record,
        Setting,
        sync_conflict,
        sync_issue,
        sync_review,
    )
    from xingan_desk.sync.review import REFRESHED_KEY, attention_items
    from xingan_desk.timeutil import utcnow
    from xingan_desk.views import Query

    if attention_items(desk):
        return 0
    ident = desk.identity
    other = f"{ident.county_code}-03"
    now = utcnow()
    ms = hlc_mod.now_millis()
    made = 0
    cons = desk.find_ids(Query(kind="consultation", limit=1))
    if cons:
        rid = cons[0]
        with desk._tx() as s:
            desk._link_handover(s, rid, f"TJ-{ident.county_code}-03-2026-000042-7")
            s.execute(insert(sync_conflict).values(
                record_id=rid, field="handed_over_to",
                kept_value=f"TJ-{ident.county_code}-03-2026-000042-7",
                kept_hlc=f"{ms - 60_000:013d}-00000-{other}",
                lost_value=f"YS-{ident.county_code}-{ident.window_no}-2026-000118-Q",
                lost_hlc=f"{ms - 90_000:013d}-00000-{ident.window_code}", created_at=now))
        made += 1
    with desk._tx() as s:
        row = s.scalar(select(OutboxEntry).where(OutboxEntry.op == "event",
                                                 OutboxEntry.state == "pending").limit(1))
        if row is not None:
            from xingan_desk.records.kinds import KINDS

            wf = KINDS[str(row.payload.get("kind"))].workflow
            label = wf.action(str(row.payload.get("action"))).label if wf else "办理"
            reason = f"“{label}”不是该类记录的办理操作"
            s.execute(update(OutboxEntry).where(OutboxEntry.local_seq == row.local_seq)
                      .values(state="rejected", last_error=reason, attempts=1))
            s.execute(insert(sync_issue).values(
                local_seq=row.local_seq, mutation_id=row.mutation_id, entity=row.entity,
                entity_id=row.entity_id, code="ILLEGAL_TRANSITION", reason=reason,
                created_at=now))
            made += 1
        med = s.scalar(select(Record).where(Record.kind == "mediation",
                                            Record.status == "accepted").limit(1))
        if med is not None:
            s.execute(insert(sync_review).values(
                central_id=900001, record_id=med.id, item_kind="status_conflict",
                item_key="0190f1c2-7e55-7bb1-9c3a-5d1e2f3a4b5c", created_at=now, fetched_at=now,
                detail={"action": "refuse", "from_status": "registered",
                        "folded_status": "accepted", "owner": other, "actor": "zhaomin",
                        "hlc": f"{ms - 30_000:013d}-00000-{other}"}))
            if s.get(Setting, REFRESHED_KEY) is None:
                s.add(Setting(key=REFRESHED_KEY, value={"at": now.isoformat()}, updated_at=now,
                              updated_by="sync"))
            made += 1
        s.execute(insert(sync_issue).values(
            code="CLOCK_SKEW", created_at=now,
            reason="本机时钟与中心数据库相差约7分钟（本机快），请校准电脑时间"))
        made += 1
    return made
