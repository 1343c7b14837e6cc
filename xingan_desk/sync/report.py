"""SyncReport: what one cycle did (counts, rejections, streams, digest results)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SyncReport:
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    replayed: int = 0
    pulled: int = 0
    records_applied: int = 0
    events_applied: int = 0
    calendar_applied: int = 0  # days of the League's holiday table that changed here
    conflicts: int = 0
    quarantined: int = 0  # pulled rows this window could not apply (kept for 需处理事项)
    rejections: list[tuple[int, str]] = field(default_factory=list)
    streams: dict[str, tuple[int, int]] = field(default_factory=dict)  # stream: (cursor, head)
    verified: list[str] = field(default_factory=list)  # streams whose digest matched central
    rebaselined: list[str] = field(default_factory=list)
    clock_skew_s: float = 0.0  # this PC's clock minus central's
    requeued: int = 0  # acknowledged changes central lost (restore) and that were re-sent
    pruned: int = 0  # acknowledged changes older than the retention, dropped from acked_log
    digest_mismatch: list[str] = field(default_factory=list)  # still different after repair
    # unuploaded local records whose number central already held (old store copied back)
    renumbered: list[tuple[str, str]] = field(default_factory=list)
    # attachments (attachments/sync.py AttachmentReport), after the records; the phase's
    # error class when a cut connection or a refusal ended it (records unaffected)
    attachments: Any = None
    attachment_problem: str = ""

    @property
    def summary(self) -> str:
        return (f"上传{self.accepted}条，被拒绝{self.rejected}条，下载{self.pulled}条变更"
                + (f"，{self.conflicts}处字段冲突待核查" if self.conflicts else "")
                + (f"，{self.quarantined}条无法接收已隔离待核查" if self.quarantined else "")
                + ("，未上传的登记已换新编号：" + "、".join(f"{o} → {n}" for o, n in self.renumbered)
                   if self.renumbered else "")
                + self.attachment_summary)

    @property
    def attachment_summary(self) -> str:
        a = self.attachments
        parts = []
        if a is not None and a.pushed:
            parts.append(f"附件上传{a.pushed}个")
        if a is not None and a.fetched:
            parts.append(f"附件下载{a.fetched}个")
        if self.attachment_problem:
            parts.append("附件同步未完成，下次继续")
        return "".join("，" + p for p in parts)
