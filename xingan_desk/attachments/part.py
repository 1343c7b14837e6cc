"""Attachments on any record (a part of the Desk: `desk.attachments`).

A file is checked (type by content, pages, the size limit), stored content-addressed beside the
store (`files.FileStore`, encrypted with the store key), and its metadata row (material type,
pages, size, SHA-256, who, when) written in one transaction with its audit entry. Filing a scan
under a row of the record's materials checklist ticks that row 已收 in the same transaction
(an ordinary, audited edit of the record). Attachments are never deleted: voiding keeps the
row and the file, with the reason, who and when (audited). Sync: `attachments/sync.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .. import record_writes as rules
from ..errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..records.kinds import KINDS
from ..storage import db as dbmod
from ..storage.rows import new_id
from ..storage.schema import Record, attachment_table
from ..timeutil import utcnow
from ..views import Changes
from . import catalog
from .files import AttachmentFileError, FileStore, seal_all
from .inspect import inspect

if TYPE_CHECKING:
    from ..desk import Desk
    from ..storage.writer import Writer

MAX_MB_SETTING = "attachment_max_mb"
DEFAULT_MAX_MB = 20
NAME_MAX = 200
RECEIVED = "received"
A = attachment_table


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: str
    record_id: str
    no: int  # 1, 2, … in the order attached (voided ones keep their number)
    name: str
    material: str
    mime: str
    pages: int
    size: int
    sha256: str
    owner: str
    created_by: str
    created_at: dt.datetime
    voided: bool
    void_reason: str
    voided_by: str
    have_content: bool
    synced: bool


@dataclass(frozen=True, slots=True)
class ReceivedMaterial:
    """A material received, for receipts: its type (or the file name) and pages."""

    name: str
    pages: int
    files: int


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _views(rows: Sequence[Any]) -> list[AttachmentView]:
    return [AttachmentView(
        id=r.id, record_id=r.record_id, no=i, name=r.name, material=r.material or "",
        mime=r.mime, pages=r.pages, size=r.size, sha256=r.sha256, owner=r.owner,
        created_by=r.created_by, created_at=r.created_at, voided=bool(r.voided),
        void_reason=r.void_reason or "", voided_by=r.voided_by or "",
        have_content=bool(r.have_content), synced=r.sync_state == "synced",
    ) for i, r in enumerate(rows, start=1)]


def attachments_of(s: Session, record_id: str) -> list[AttachmentView]:
    """A record's attachments in the order attached (voided ones included, flagged)."""
    rows = s.execute(select(A).where(A.c.record_id == record_id)
                     .order_by(A.c.created_at, A.c.id)).all()
    return _views(rows)


log = logging.getLogger(__name__)


class Attachments:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    @staticmethod
    def seal_at_open(directory: Path, backups: Path, key: bytes | None) -> None:
        """At a store's open: files attached before it was encrypted are sealed now
        (`files.seal_all`; a failure is logged and the next open tries again)."""
        try:
            n = seal_all(directory, backups, key)
        except (OSError, AttachmentFileError):
            log.warning("attachment files left in clear could not be sealed yet")
            return
        if n:
            log.info("sealed %d attachment files kept in clear", n)

    # --- the files -------------------------------------------------------------------------
    def files(self) -> FileStore:
        return FileStore.beside(self._desk.directory, dbmod.current_key(self._desk.path))

    def max_bytes(self) -> int:
        """The size limit per file (setting attachment_max_mb, default 20 MB)."""
        return self.max_mb() * 1024 * 1024

    def max_mb(self) -> int:
        value = self._desk.setting(MAX_MB_SETTING, DEFAULT_MAX_MB)
        try:
            mb = int(value)
        except (TypeError, ValueError):
            return DEFAULT_MAX_MB
        return mb if 1 <= mb <= 500 else DEFAULT_MAX_MB

    def check_size(self, name: str, size: int) -> None:
        limit = self.max_mb()
        if size > limit * 1024 * 1024:
            raise ValidationFailed({"file": (
                f"文件“{name}”有 {size_text(size)}，超过单个附件 {limit} MB 的上限。"
                "请降低扫描分辨率或分成几个文件后再添加（上限可由管理员在设置中调整）")})

    # --- adding ----------------------------------------------------------------------------
    def add_file(self, record_id: str, path: Path, material: str | None = None
                 ) -> tuple[AttachmentView, Changes]:
        """Attach the file at `path` (see `add`)."""
        name = path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValidationFailed({"file": f"无法读取文件“{name}”"}) from exc
        self.check_size(name, size)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationFailed({"file": f"无法读取文件“{name}”"}) from exc
        return self.add(record_id, data, name, material)

    def add(self, record_id: str, data: bytes, name: str, material: str | None = None
            ) -> tuple[AttachmentView, Changes]:
        """Attach `data` (a PDF, JPEG, PNG or TIFF) to a record, filed under `material` (one of
        `material_types`; empty: 其他材料). Raises ValidationFailed (Chinese, on "file" or
        "material") and stores nothing in the record when the file is refused."""
        name = " ".join(Path(name.replace("\\", "/")).name.split())[:NAME_MAX] or "附件"
        self.check_size(name, len(data))
        info = inspect(data, name)
        material = (material or "").strip() or catalog.other_label()
        sha = self.files().put(data)  # before the row: a file without a row is harmless
        with self._desk.writing() as w:
            user = rules.acting_user(w)
            rec = w.load(record_id)
            if rec.voided:
                raise IllegalTransition("该记录已作废，不能再添加附件")
            values = w.values(KINDS[rec.kind], rec.id)
            types = catalog.material_types(rec.kind, values)
            if material not in types:
                raise ValidationFailed({"material": f"“{material}”不是{KINDS[rec.kind].title}的材料类型"})
            att_id, now, stamp = new_id(), utcnow(), w.tick()
            w.session.execute(insert(A).values(
                id=att_id, record_id=rec.id, sha256=sha, name=name, material=material,
                mime=info.mime, pages=info.pages, size=len(data), owner=w.identity.window_code,
                created_by=user.username, created_at=now, hlc=stamp, voided=False,
                have_content=True, sync_state="pending"))
            w.audit("attach", rec, changes={"附件": [None, f"{material}：{name}"]},
                    detail=f"{name}（{material}，{info.pages}页，{size_text(len(data))}，"
                           f"SHA-256 {sha[:12]}…）")
            changes = Changes(frozenset({rec.id}), frozenset({rec.kind}), 0)
            changes = changes | self._tick_checklist(w, rec, values, material)
            view = next(a for a in attachments_of(w.session, rec.id) if a.id == att_id)
        return view, changes

    def _tick_checklist(self, w: Writer, rec: Record, values: Mapping[str, Any],
                        material: str) -> Changes:
        """Mark the checklist row named `material` 已收 (when this window may edit it)."""
        rows = values.get(catalog.CHECKLIST_FIELD)
        if not rows or not rules.can_edit(w.identity, rec):
            return Changes()
        changed = False
        new_rows = []
        for row in rows:
            row = dict(row)
            if str(row.get("item") or "").strip() == material and row.get("status") != RECEIVED:
                row["status"] = RECEIVED
                changed = True
            new_rows.append(row)
        if not changed:
            return Changes()
        _, changes = rules.update_in(w, rec.id, {catalog.CHECKLIST_FIELD: new_rows},
                                     rec.row_version)
        return changes

    # --- reading ---------------------------------------------------------------------------
    def of(self, record_id: str) -> list[AttachmentView]:
        with self._desk.reading() as s:
            return attachments_of(s, record_id)

    def get(self, attachment_id: str) -> AttachmentView:
        with self._desk.reading() as s:
            rid = s.scalar(select(A.c.record_id).where(A.c.id == attachment_id))
            if rid is None:
                raise NotFound("找不到该附件")
            return next(a for a in attachments_of(s, rid) if a.id == attachment_id)

    def by_number(self, record_id: str, no: int) -> AttachmentView:
        found = [a for a in self.of(record_id) if a.no == no]
        if not found:
            raise NotFound(f"该记录没有第{no}个附件")
        return found[0]

    def content(self, attachment_id: str) -> bytes:
        """The file's bytes. NotFound when it has not been fetched from central yet
        (`attachments.sync.fetch_content`), StoreError-like NotFound when it is damaged."""
        att = self.get(attachment_id)
        if not att.have_content:
            raise NotFound(f"附件“{att.name}”的文件尚未从中心下载，请联网同步后再打开")
        try:
            return self.files().get(att.sha256)
        except AttachmentFileError as exc:
            raise NotFound(f"附件“{att.name}”的文件缺失或已损坏，请运行 xingan-desk check "
                           "并从备份恢复") from exc

    def material_types(self, record_id: str) -> list[str]:
        rec = self._desk.get(record_id)
        return catalog.material_types(rec.kind, rec.values)

    def missing_materials(self, record_id: str) -> list[str]:
        """Checklist items still missing: not ticked 已收/不适用, and no live attachment filed
        under them."""
        rec = self._desk.get(record_id)
        attached = {a.material for a in self.of(record_id) if not a.voided}
        rows = rec.values.get(catalog.CHECKLIST_FIELD) or []
        return [str(r.get("item") or "") for r in rows
                if r.get("status") not in (RECEIVED, "not_needed")
                and str(r.get("item") or "") not in attached]

    def received_materials(self, record_id: str) -> list[ReceivedMaterial]:
        """Materials received as files, by type in the order first attached (pages summed)."""
        out: dict[str, list[int]] = {}
        for a in self.of(record_id):
            if not a.voided:
                out.setdefault(a.material or a.name, []).append(a.pages)
        return [ReceivedMaterial(k, sum(v), len(v)) for k, v in out.items()]

    # --- voiding ---------------------------------------------------------------------------
    def void(self, attachment_id: str, reason: str) -> Changes:
        """Void an attachment (作废): the row and the file stay, marked with the reason."""
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationFailed({"reason": "请填写作废附件的原因"})
        if len(reason) > 300:
            raise ValidationFailed({"reason": "作废原因不能超过300字"})
        with self._desk.writing() as w:
            user = rules.acting_user(w)
            row = w.session.execute(select(A).where(A.c.id == attachment_id)).first()
            if row is None:
                raise NotFound("找不到该附件")
            if row.voided:
                raise IllegalTransition("该附件已经作废")
            if row.owner != w.identity.window_code:
                raise PermissionDenied(f"该附件由 {row.owner} 窗口添加，本窗口不能作废")
            rec = w.load(row.record_id)
            w.session.execute(update(A).where(A.c.id == attachment_id).values(
                voided=True, void_reason=reason, voided_by=user.username, voided_at=utcnow(),
                hlc=w.tick(), sync_state="pending"))
            w.audit("attach_void", rec, changes={"附件": [f"{row.material}：{row.name}", None]},
                    detail=f"作废附件 {row.name}：{reason}")
            return Changes(frozenset({rec.id}), frozenset({rec.kind}), 0)

    # --- integrity (xingan-desk check) -----------------------------------------------------
    def check(self) -> list[str]:
        """Every attachment whose file should be here is present and matches its SHA-256."""
        problems: list[str] = []
        store = self.files()
        with self._desk.reading() as s:
            rows = s.execute(select(A.c.sha256, A.c.name, Record.receipt_no)
                             .join(Record, Record.id == A.c.record_id, isouter=True)
                             .where(A.c.have_content.is_(True))).all()
        checked: dict[str, bool] = {}
        for sha, name, receipt_no in rows:
            if sha not in checked:
                try:
                    store.get(sha)
                    checked[sha] = True
                except AttachmentFileError:
                    checked[sha] = False
            if not checked[sha]:
                problems.append(f"附件文件缺失或已损坏：{receipt_no or '（未知记录）'} {name}")
        return problems

    def backup_files(self, target: Path) -> int:
        """Copy the attachment files beside a backup file (files.backup_folder)."""
        from .files import backup_folder

        return self.files().copy_to(backup_folder(target))


__all__ = ["DEFAULT_MAX_MB", "MAX_MB_SETTING", "AttachmentView", "Attachments",
           "ReceivedMaterial", "attachments_of", "size_text"]
