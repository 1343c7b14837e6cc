"""The local SQLite schema: an envelope per record, a detail table per kind (generated from the
declarations), the event list, the audit trail, the outbox for sync, numbering and accounts.

Every change to this module's metadata needs an Alembic revision in `migrations/versions`
(`tests/core/test_migrations.py` fails when the two disagree).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..records.kind import RecordKind
from ..records.kinds import KINDS
from .types import AuditChanges, FieldStamps, IdBytes, UTCDateTime, UTCMicros

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class Installation(Base):
    """One row: who this window is. `generation` is bumped by every restore, so receipt numbers
    issued after a restore can never repeat numbers issued before it."""

    __tablename__ = "installation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(String(36))
    county_code: Mapped[str] = mapped_column(String(6))
    window_no: Mapped[str] = mapped_column(String(4))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    hlc_last: Mapped[str] = mapped_column(String(48), default="")
    created_at: Mapped[dt.datetime]


class Setting(Base):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(50))


class UserAccount(Base):
    __tablename__ = "user_account"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]


class Record(Base):
    """The envelope every kind shares. Kind-specific values live in `<kind>_detail`."""

    __tablename__ = "record"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)  # local only (search rowid)
    id: Mapped[str] = mapped_column(String(36), unique=True)  # UUIDv7, global
    kind: Mapped[str] = mapped_column(String(32))
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(16))  # window code that created it
    county_code: Mapped[str] = mapped_column(String(6))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(50))
    hlc: Mapped[str] = mapped_column(String(48))
    field_hlc: Mapped[dict[str, Any]] = mapped_column(FieldStamps, default=dict)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_label: Mapped[str | None] = mapped_column(String(40))
    print_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # (…, created_at, id, voided) cover the newest-first lists: ids come from the index;
        # search_text lets a search that walks an area's newest records (a common name,
        # query.dense_text_ids) read this narrow index instead of the wide rows, so it needs
        # no big page cache to be quick
        Index("ix_record_kind_created", "kind", "created_at", "id", "voided", "search_text"),
        # voided in these two lets an area's count and the deadline counts read only the
        # narrow index (with a small page cache a wide one costs ~40 ms to decrypt)
        Index("ix_record_kind_status", "kind", "status", "voided"),
        Index("ix_record_county_created", "county_code", "created_at"),
        Index("ix_record_created", "created_at", "id", "voided"),  # … over all kinds
        # partial (migration 0016): most records have neither; every query of these
        # columns compares them, which a NULL never passes
        Index("ix_record_due", "due_date", "voided", "kind",
              sqlite_where=text("due_date IS NOT NULL")),
        Index("ix_record_uscc", "enterprise_uscc",
              sqlite_where=text("enterprise_uscc IS NOT NULL")),
        # the few records a fold flagged (需处理事项), without reading every record; the
        # condition is spelled as SQLAlchemy writes `needs_review.is_(True)`, so SQLite uses it
        Index("ix_record_needs_review", "id", sqlite_where=text("needs_review IS 1")),
        # a search index hit (a pk) to its area, state and list order without reading the
        # wide row: a needle rare in an area costs a few ms, not one row read per hit
        Index("ix_record_search_hit", "pk", "kind", "voided", "created_at", "id"),
    )


class RecordEvent(Base):
    """Append-only status events. The record's status is their fold (records/workflow.py)."""

    __tablename__ = "record_event"
    # 16 bytes (IdBytes, migration 0016): 40 bytes less per event (the row and its key's index)
    id: Mapped[str] = mapped_column(IdBytes(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("record.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hlc: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(50))
    owner: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    applied: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEntry(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did what, where, when, old → new."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # an integer (UTCMicros) and 16 bytes (IdBytes): about 40 bytes less per entry and 20 per
    # index entry; readers see the same datetime and id text (migration 0016)
    at: Mapped[dt.datetime] = mapped_column(UTCMicros)
    username: Mapped[str] = mapped_column(String(50))
    window_code: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(IdBytes(36))
    kind: Mapped[str | None] = mapped_column(String(32))
    receipt_no: Mapped[str | None] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(AuditChanges, default=dict)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        # an entry's record (its history, a create's rebuild); partial: a login has none
        Index("ix_audit_log_record_id", "record_id", sqlite_where=text("record_id IS NOT NULL")),
        # the login lock-out's lookups (accounts.recent_login_failures), over these rows only:
        # an index of every entry's time was about 80 bytes a record and nothing else used it
        Index("ix_audit_log_login", "username", "at", sqlite_where=text("action = 'login'")),
        Index("ix_audit_log_login_failed", "username", "at",
              sqlite_where=text("action = 'login_failed'")),
        Index("ix_audit_log_set_password", "detail", "at",
              sqlite_where=text("action = 'set_password'")),
        {"sqlite_autoincrement": True},
    )


class OutboxEntry(Base):
    """A local change waiting for the central database's acknowledgement.

    Written in the same transaction as the change itself; removed only after central acks it.
    `local_seq` is never reused (AUTOINCREMENT), so central can deduplicate on
    (window, local_seq).
    """

    __tablename__ = "outbox"
    local_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    entity: Mapped[str] = mapped_column(String(16))  # record | event
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(16))  # create | update | void | event
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    hlc: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[dt.datetime]
    # pending | rejected; indexed: the status bar counts pending rows after every sync cycle
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = ({"sqlite_autoincrement": True},)


class ReceiptCounter(Base):
    __tablename__ = "receipt_counter"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_no: Mapped[int] = mapped_column(Integer, default=0)


class CalendarDay(Base):
    """This window's own edits of the holiday table (on top of resources/catalogs/holidays.toml
    and the League's entries, `LeagueCalendarDay`); not synced."""

    __tablename__ = "calendar_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(50), default="")
    updated_by: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[dt.datetime]


class LeagueCalendarDay(Base):
    """The League's holiday-table entries (entered at a League window, 152200, and synced to
    every window through the `global` stream). One row per day, last writer wins by HLC;
    `kind` None means the League withdrew its entry for the day. A window's own edits
    (`calendar_day`) apply on top of these."""

    __tablename__ = "league_calendar_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(10))  # holiday | workday | normal | None
    name: Mapped[str] = mapped_column(String(50), default="")
    hlc: Mapped[str] = mapped_column(String(48))
    updated_by: Mapped[str] = mapped_column(String(50))
    origin: Mapped[str] = mapped_column(String(20))  # the League window that entered it
    updated_at: Mapped[dt.datetime]


class Draft(Base):
    """Whatever a clerk typed and has not saved yet (survives a crash)."""

    __tablename__ = "draft"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime]


# --- sync bookkeeping (xingan_desk/sync) ---------------------------------------------------------
# Pull position per stream; advanced in the same transaction as the rows it covers.
sync_cursor = Table(
    "sync_cursor", Base.metadata,
    Column("stream", String(40), primary_key=True),
    Column("seq", Integer, nullable=False, default=0),
    Column("epoch", String(36)),
    Column("head", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime()),
)

# Outbox rows central acknowledged (moved here in the ack transaction; kept for central-restore
# safety, dropped after the setting acked_log_retention_days, default 30, by SyncClient).
acked_log = Table(
    "acked_log", Base.metadata,
    Column("local_seq", Integer, primary_key=True),
    # not UNIQUE (migration 0012): no query looks a row up by it, and its index was about 100
    # bytes a record; local_seq is the key the ack and the re-push go by
    Column("mutation_id", String(36), nullable=False),
    Column("entity", String(16), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("op", String(16), nullable=False),
    # null once compacted (sync/acked.compact: rebuilt from the record when needed)
    Column("payload", JSON, nullable=False),
    Column("hlc", String(48), nullable=False),
    # accepted (only accepted rows move here); '' once compacted (sync/acked.compact)
    Column("status", String(12), nullable=False),
    Column("acked_at", UTCMicros(), nullable=False),  # an integer (migration 0016)
)

# Things a clerk or supervisor must look at: rejected mutations, refusals.
sync_issue = Table(
    "sync_issue", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("local_seq", Integer),
    Column("mutation_id", String(36)),
    Column("entity", String(16)),
    Column("entity_id", String(36)),
    Column("code", String(40)),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
)

# A local edit that lost a per-field last-writer-wins merge against a pulled value.
sync_conflict = Table(
    "sync_conflict", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False),
    Column("field", String(64), nullable=False),
    Column("kept_value", JSON),
    Column("kept_hlc", String(48)),
    Column("lost_value", JSON),
    Column("lost_hlc", String(48)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),  # a supervisor kept or re-applied (sync_resolution)
)

# Central's open review items in this window's scope (sync.review_items), replaced on each
# refresh, so the supervisor's list also works offline.
sync_review = Table(
    "sync_review", Base.metadata,
    Column("central_id", Integer, primary_key=True, autoincrement=False),
    Column("record_id", String(36)),
    Column("item_kind", String(32), nullable=False),
    Column("item_key", String(160), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("fetched_at", UTCDateTime(), nullable=False),
)

# Every resolution of an item needing attention (kept for the audit; pushed to central's
# sync.review_resolution, which closes the central review item). `detail` keeps what was
# resolved, e.g. the payload of a refused change that was given up.
sync_resolution = Table(
    "sync_resolution", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mutation_id", String(36), nullable=False, unique=True),
    Column("item_kind", String(32), nullable=False),
    Column("item_key", String(160), nullable=False, index=True),
    Column("record_id", String(36)),
    Column("action", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("resolved_by", String(50), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=False),
    Column("pushed_at", UTCDateTime()),
    Column("push_error", Text),
)


# --- attachments (xingan_desk/attachments) ----------------------------------------------------
# One row per file attached to a record (scanned materials). The content lives beside the store,
# content-addressed by SHA-256 (attachments/files.py); rows are never deleted, only voided.
# `sync_state`: pending (metadata or content not yet on central) | synced; `have_content`:
# false for metadata pulled from another window whose file has not been fetched yet.
attachment_table = Table(
    "attachment", Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), nullable=False, index=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("material", String(100)),
    Column("mime", String(40), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("owner", String(16), nullable=False),
    Column("created_by", String(50), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("hlc", String(48), nullable=False),
    Column("voided", Boolean, nullable=False, default=False),
    Column("void_reason", String(300)),
    Column("voided_by", String(50)),
    Column("voided_at", UTCDateTime()),
    Column("have_content", Boolean, nullable=False, default=True),
    Column("sync_state", String(12), nullable=False, default="pending", index=True),
)

# Pull position of the attachment metadata per stream (attachments/sync.py).
attachment_cursor = Table(
    "attachment_cursor", Base.metadata,
    Column("stream", String(40), primary_key=True),
    Column("seq", Integer, nullable=False, default=0),
)


# Where an imported record came from: one row per (kind, source key) — the ledger's own number
# or a row hash — written in the same transaction as the record, so a re-import (or the same
# command run again after a kill) skips what is already in. Local only, never synced.
record_source = Table(
    "record_source", Base.metadata,
    Column("kind", String(32), primary_key=True),
    Column("source_key", String(200), primary_key=True),
    Column("record_id", String(36), nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
)

def _detail_table(kind: RecordKind) -> Table:
    return Table(
        f"{kind.key}_detail",
        Base.metadata,
        Column("record_id", String(36), ForeignKey("record.id"), primary_key=True),
        *(Column(f.key, f.sa_type(), nullable=True) for f in kind.fields),
    )


DETAIL: dict[str, Table] = {key: _detail_table(kind) for key, kind in KINDS.items()}

# SQL run after the tables exist (FTS index, append-only guards); used by the migrations.
# The search index: one row per record (rowid = record.pk), tokens made by storage/search.py.
# Contentless (migration 0012): the tokens are indexed but not kept a second time (about 250
# bytes a record); rows are still deleted by rowid (contentless_delete, SQLite 3.43+), and
# nothing reads the column back (a search reads rowids, then `record.search_text`).
SEARCH_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS record_search USING fts5(tokens, content='', "
    "contentless_delete=1, tokenize='unicode61 remove_diacritics 0')"
)
AUDIT_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)

# The ORM classes' tables, typed as Core tables (for insert/update of many rows at once).
record_table = cast(Table, Record.__table__)
event_table = cast(Table, RecordEvent.__table__)
outbox_table = cast(Table, OutboxEntry.__table__)
audit_table = cast(Table, AuditEntry.__table__)
