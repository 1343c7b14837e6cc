"""The acknowledged log: what central confirmed, kept for the retention period.

* `requeue_lost`: central was restored from a backup and lacks changes it once acknowledged →
  they go back into the outbox (reference §7 S14).
* `renumber_after_restore`: this store was restored from a backup → waiting outbox rows are
  renumbered after central's high-water mark (reference §7 S12).
* `prune`: acknowledged changes older than the retention leave acked_log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from ..desk import Desk
from ..storage.schema import OutboxEntry
from ..timeutil import utcnow
from .local_schema import acked_log, sync_issue
from .report import SyncReport

# Acknowledged changes are kept this many days (desk setting ACKED_RETENTION_SETTING), so they
# can be pushed again if central is restored from an older backup (reference §7 S14).
ACKED_RETENTION_DAYS = 30
ACKED_RETENTION_SETTING = "acked_log_retention_days"


def retention_days(desk: Desk) -> int:
    """How long acknowledged changes stay in acked_log (setting, default 30 days)."""
    try:
        days = int(desk.setting(ACKED_RETENTION_SETTING, ACKED_RETENTION_DAYS))
    except (TypeError, ValueError):
        return ACKED_RETENTION_DAYS
    return max(1, days)


def prune(desk: Desk, report: SyncReport | None = None, now: dt.datetime | None = None) -> int:
    """After a successful cycle: drop acknowledged changes older than the retention. A
    central restored from a backup younger than that loses nothing (they are re-pushed by
    `requeue_lost`); older backups are outside the promise. Only the oldest row is read on a
    normal cycle (by primary key), so this costs nothing until rows age out."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days(desk))
    with desk.reading() as s:
        oldest = s.scalar(select(acked_log.c.acked_at).order_by(acked_log.c.local_seq)
                          .limit(1))
    if oldest is None or oldest >= cutoff:
        return 0
    with desk.writing() as w:
        result = w.session.execute(delete(acked_log).where(acked_log.c.acked_at < cutoff))
        n = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if report is not None:
        report.pruned += n
    return n


def requeue_lost(desk: Desk, status: dict[str, Any], report: SyncReport) -> None:
    """If central's high-water mark for this window is below changes it once acknowledged
    (central was restored from a backup), put those changes back into the outbox with their
    original local_seq and mutation id, so they are pushed again."""
    high = int(status.get("last_local_seq") or 0)
    renumber_after_restore(desk, status, high)
    with desk.writing() as w:
        s = w.session
        lost = list(s.execute(select(acked_log).where(acked_log.c.local_seq > high)
                              .order_by(acked_log.c.local_seq)).mappings())
        if not lost:
            return
        now = utcnow()
        for row in lost:
            s.execute(insert(OutboxEntry).values(
                local_seq=row["local_seq"], mutation_id=row["mutation_id"],
                entity=row["entity"], entity_id=row["entity_id"], op=row["op"],
                payload=row["payload"], hlc=row["hlc"], created_at=now, state="pending",
                attempts=0))
        s.execute(delete(acked_log).where(acked_log.c.local_seq > high))
        s.execute(insert(sync_issue).values(
            code="CENTRAL_RESTORED", created_at=now, resolved_at=now, reason=(
                f"中心数据库缺少本窗口已确认的{len(lost)}条变更（中心可能从备份恢复），"
                "已自动重新上传")))
    report.requeued += len(lost)


def renumber_after_restore(desk: Desk, status: dict[str, Any], high: int) -> None:
    """This store was restored from a backup (its generation is above the one central knows)
    and its outbox counter is behind central's high-water mark for the window: renumber the
    waiting rows after that mark and move the counter, so the restore is not mistaken for a
    cloned store. Without a generation bump nothing is renumbered, and central's divergence
    check still catches a copied store."""
    central_gen = status.get("generation")
    if central_gen is None or desk.identity.generation <= int(central_gen):
        return
    with desk.writing() as w:
        s = w.session
        low = s.scalar(select(func.min(OutboxEntry.local_seq)))
        seq_row = s.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).first()
        counter = int(seq_row[0]) if seq_row else 0
        if (low is None or low > high) and counter >= high:
            return
        if low is not None and low <= high:
            offset = high - int(low) + 1
            # two steps, so no intermediate value collides with another row's key
            s.execute(text("UPDATE outbox SET local_seq = -(local_seq + :o)"), {"o": offset})
            s.execute(text("UPDATE outbox SET local_seq = -local_seq"))
        top = s.scalar(select(func.max(OutboxEntry.local_seq))) or 0
        new_counter = max(counter, high, int(top))
        if seq_row:
            s.execute(text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'outbox'"),
                      {"n": new_counter})
        else:
            s.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', :n)"),
                      {"n": new_counter})
        w.audit("sync_renumber", detail=(
            f"本机从备份恢复：待上传变更的序号已排在中心记录（{high}）之后"))
