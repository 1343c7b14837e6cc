"""The central PostgreSQL side of sync: schema `sync`, its SECURITY DEFINER functions and the
per-window LOGIN roles.

Protocol (reference/sync.md §6):
* Each window has its own LOGIN role with EXECUTE on `sync.push(jsonb)`,
  `sync.pull(text, bigint, int)`, `sync.status()` and `sync.digest(text)` only. The functions derive the client
  (window, county) from `session_user`, never from the payload.
* `sync.push` applies a batch of outbox mutations idempotently on (client, local_seq): a
  replayed mutation returns the stored result. Each mutation runs in its own sub-block, so a
  rejected one (reason in Chinese) does not stop the batch. Unexpected errors (timeouts,
  deadlocks) abort the whole call and the client simply retries.
* Every accepted mutation produces change rows; at the very end of the transaction the stream's
  counter row (`sync.stream_head`) is bumped (row lock held to COMMIT), which makes the per-stream
  sequence dense and commit-ordered, so a puller reading `seq > cursor` never skips a row.
* Streams: `county:<code>` for a county's records and events, `global` for league-wide reference
  data (the enterprise registry, and the League's holiday table: `sync.calendar_day`, entered
  at League windows, op `calendar`). A county window reads its county and `global`; the League
  (152200) reads everything.
* Records are JSONB documents with a per-field HLC map (last writer wins per field; the losing
  value goes to `sync.conflict_log` and a review item). Status is the fold of the events
  (union merge), computed the same way as records/workflow.py; events that do not fit the fold
  are kept and listed once in `sync.review_item`.

`init_central(url)` is idempotent and versioned by `sync.schema_version`. Alembic for the central
database can replace the version steps later.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from ..catalogs import COUNTY_CODES, LEAGUE_CODE
from ..errors import DeskError
from ..records.kinds import KINDS
from . import PROTOCOL_VERSION, review_central
from .declarations import (
    decimal_digits,
    field_specs,
    kind_check_names,
    name_classes,
    unprintable_class,
)
from .sqlfiles import load_sql

SCHEMA_VERSION = 3  # 2: kind and field declarations (stream, county/unique fields, checks);
# 3: attachments (sql/attachments.sql)
# Per window role (a window makes short autocommit calls; these bound a buggy or hostile one)
ROLE_LIMITS = {"statement_timeout": "60s", "idle_in_transaction_session_timeout": "10s",
               "lock_timeout": "5s"}
ROLE_CONNECTION_LIMIT = 4
WINDOW_FUNCTIONS = ("sync.push(jsonb)", "sync.push(json)", "sync.pull(text, bigint, integer)", "sync.status()",
                    "sync.digest(text)",
                    # attachments (sql/attachments.sql, attachments/sync.py)
                    "sync.attachment_begin(text, bigint)",
                    "sync.attachment_put(text, bigint, integer, integer, bytea)",
                    "sync.attachment_meta(jsonb)", "sync.attachment_pull(text, bigint, integer)",
                    "sync.attachment_get(text, integer)", "sync.attachment_info(text)",
                    "sync.attachment_digest(text)")
MIN_PROTOCOL = 1
MAX_PROTOCOL = PROTOCOL_VERSION


class CentralError(DeskError):
    """A Chinese message fit to show an administrator."""

    english = "central database error"


# --- SQL (package data: xingan_desk/sync/sql/*.sql) -------------------------------------------
SQL_FILES = ("tables.sql", "validate.sql", "checks.sql", "kind_checks.sql", "apply.sql",
             "api.sql", "attachments.sql")  # in this order; review.sql: review_central


def _connect(url: str, **kw: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, connect_timeout=10, **kw)
    except psycopg.OperationalError as exc:
        raise CentralError(f"无法连接中心数据库：{exc}") from exc


def init_central(url: str) -> int:
    """Create or upgrade the central schema (idempotent). Returns the schema version."""
    with _connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('xingan_sync_init'))")
        conn.execute(load_sql("tables.sql"))
        # nobody connects to the central database unless granted (window roles are)
        conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(_dbname(conn))))
        current = conn.execute("SELECT max(version) FROM sync.schema_version").fetchone()
        version = (current[0] if current else None) or 0
        if version > SCHEMA_VERSION:
            raise CentralError(
                f"中心数据库结构版本（{version}）高于本程序支持的版本（{SCHEMA_VERSION}），请升级程序"
            )
        for name in SQL_FILES[1:]:
            conn.execute(load_sql(name))
        review_central.install(conn)  # the supervisor's review list (review_central.py)
        conn.execute(
            "INSERT INTO sync.config (key, value) VALUES ('protocol', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (Jsonb({"min": MIN_PROTOCOL, "max": MAX_PROTOCOL}),),
        )
        load_kinds(conn)
        for stream in ["global", *(f"county:{c}" for c in COUNTY_CODES)]:
            conn.execute("INSERT INTO sync.stream_head (stream) VALUES (%s) "
                         "ON CONFLICT DO NOTHING", (stream,))
        for (role,) in conn.execute("SELECT db_role FROM sync.client c JOIN pg_roles r "
                                    "ON r.rolname = c.db_role").fetchall():
            _grant(conn, role)  # functions added by a newer version
        if version < SCHEMA_VERSION:
            conn.execute("INSERT INTO sync.schema_version (version) VALUES (%s)",
                         (SCHEMA_VERSION,))
    return SCHEMA_VERSION


def cleanup_uploads(url: str, days: int | None = None) -> int:
    """Drop the chunks of attachment uploads nobody touched for `days` days (default: central's
    `attachment_upload_keep_days`, 7); returns the number of chunks dropped. A window's upload
    begin does the same sweep; this is for the administrator's maintenance (`central cleanup`)."""
    with _connect(url) as conn:
        row = conn.execute("SELECT sync.attachment_cleanup(%s)", (days,)).fetchone()
    return int(row[0]) if row else 0


def load_kinds(conn: psycopg.Connection[Any]) -> None:
    """The kind declarations central enforces (League-wide reference data, from
    records/kinds.py): stream, county field, unique fields, shared edit, and the state
    machines. The central functions read them from sync.workflow / sync.workflow_action."""
    for name, value in (("unprintable_class", unprintable_class()),
                        *name_classes().items(), *decimal_digits().items()):
        conn.execute("INSERT INTO sync.config (key, value) VALUES (%s, %s) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (name, Jsonb([value])))
    for key, kind in KINDS.items():
        wf = kind.workflow
        conn.execute(
            "INSERT INTO sync.workflow (kind, initial, shared_edit, stream, county_field, "
            "unique_fields, fields, checks) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (kind) DO UPDATE SET initial = excluded.initial, "
            "shared_edit = excluded.shared_edit, stream = excluded.stream, "
            "county_field = excluded.county_field, unique_fields = excluded.unique_fields, "
            "fields = excluded.fields, checks = excluded.checks",
            (key, wf.initial if wf else None, kind.shared_edit, kind.stream,
             kind.county_field, list(kind.unique_fields), Jsonb(field_specs(kind)),
             kind_check_names(kind)),
        )
        for uf in kind.unique_fields:
            # the registry looked up by its unique field (duplicates registered offline)
            conn.execute(sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON sync.record ((doc->>{})) WHERE kind = {}"
            ).format(sql.Identifier(f"record_{key}_{uf}_ix"), sql.Literal(uf), sql.Literal(key)))
        if wf is None:
            continue
        for a in wf.actions:
            conn.execute(
                "INSERT INTO sync.workflow_action (kind, action, label, sources, target, "
                "payload_fields, required) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (kind, action) DO UPDATE SET label = excluded.label, "
                "sources = excluded.sources, target = excluded.target, "
                "payload_fields = excluded.payload_fields, required = excluded.required",
                (key, a.key, a.label, list(a.sources), a.target, list(a.payload_fields),
                 list(a.required)),
            )


def _dbname(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _grant(conn: psycopg.Connection[Any], role: str) -> None:
    # resource limits: a window stuck inside a transaction or a long statement is cut off
    for name, value in ROLE_LIMITS.items():
        conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(role), sql.Identifier(name), sql.Literal(value)))
    conn.execute(sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(
        sql.Identifier(role), sql.Literal(ROLE_CONNECTION_LIMIT)))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA sync TO {}").format(sql.Identifier(role)))
    for fn in WINDOW_FUNCTIONS:
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
            sql.SQL(fn), sql.Identifier(role)))
    review_central.grant(conn, role)


@dataclass(frozen=True)
class WindowCredentials:
    county_code: str
    window_no: str
    window_code: str
    role: str
    password: str
    url: str  # the central URL with this window's role and password

    def as_setting(self) -> dict[str, Any]:
        return asdict(self)


def role_name(dbname: str, county: str, window: str) -> str:
    safe = re.sub(r"[^a-z0-9_]", "_", dbname.lower())
    return f"xw_{county}_{window}_{safe}"[:63]


def add_window(url: str, county: str, window: str) -> WindowCredentials:
    """Register a window at central: its client row and its LOGIN role (random password) with
    EXECUTE on sync.push/pull/status/digest only."""
    county = county.strip()
    window = window.strip().zfill(2)
    if county not in COUNTY_CODES:
        raise CentralError(f"县市代码“{county}”不是兴安盟的代码")
    if not window.isdigit() or len(window) != 2 or window == "00":
        raise CentralError("窗口号应为01到99的两位数字")
    info = conninfo_to_dict(url)
    dbname = str(info.get("dbname") or info.get("user") or "postgres")
    role = role_name(dbname, county, window)
    password = secrets.token_urlsafe(24)
    window_code = f"{county}-{window}"
    with _connect(url) as conn:
        exists = conn.execute("SELECT 1 FROM sync.client WHERE window_code = %s",
                              (window_code,)).fetchone()
        if exists:
            raise CentralError(f"窗口 {window_code} 已在中心数据库登记")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(dbname), sql.Identifier(role)))
        _grant(conn, role)
        conn.execute("INSERT INTO sync.client (window_code, county_code, db_role) "
                     "VALUES (%s, %s, %s)", (window_code, county, role))
    win_url = make_conninfo(url, user=role, password=password)
    return WindowCredentials(county, window, window_code, role, password, win_url)


def new_epoch(url: str) -> None:
    """Run after restoring central from a backup: every stream gets a new epoch, so windows
    re-read their streams from the start (their outboxes and acked logs are untouched, and
    changes central lost are pushed again)."""
    with _connect(url) as conn:
        conn.execute("UPDATE sync.stream_head SET epoch = gen_random_uuid()")


def window_roles(url: str) -> list[str]:
    """The LOGIN roles of the registered windows (for decommissioning / test clean-up)."""
    with _connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT db_role FROM sync.client ORDER BY 1")]


def revoke_window(url: str, window_code: str) -> None:
    """Decommission a window: its role can no longer log in, its client row is marked revoked."""
    with _connect(url) as conn:
        row = conn.execute("UPDATE sync.client SET revoked_at = now() WHERE window_code = %s "
                           "RETURNING db_role", (window_code,)).fetchone()
        if row is None:
            raise CentralError(f"中心数据库中没有窗口 {window_code}")
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(row[0])))


__all__ = [
    "LEAGUE_CODE",
    "CentralError",
    "WindowCredentials",
    "add_window",
    "init_central",
    "load_kinds",
    "new_epoch",
    "revoke_window",
    "role_name",
    "window_roles",
]
