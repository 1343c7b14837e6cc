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

SCHEMA_VERSION = 1
WINDOW_FUNCTIONS = ("sync.push(jsonb)", "sync.pull(text, bigint, integer)", "sync.status()",
                    "sync.digest(text)")
MIN_PROTOCOL = 1
MAX_PROTOCOL = PROTOCOL_VERSION


class CentralError(DeskError):
    """A Chinese message fit to show an administrator."""

    english = "central database error"


# --- DDL ------------------------------------------------------------------------------------
TABLES = r"""
CREATE SCHEMA IF NOT EXISTS sync;
REVOKE ALL ON SCHEMA sync FROM PUBLIC;
CREATE TABLE IF NOT EXISTS sync.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync.config (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS sync.client (
    client_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    window_code text NOT NULL UNIQUE,
    county_code text NOT NULL,
    db_role name NOT NULL UNIQUE,
    installation_id text,
    machine_id text,
    generation integer,
    last_local_seq bigint NOT NULL DEFAULT 0,
    app_version text,
    last_seen_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync.stream_head (
    stream text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0,
    epoch uuid NOT NULL DEFAULT gen_random_uuid()
);
CREATE TABLE IF NOT EXISTS sync.change_log (
    stream text NOT NULL,
    seq bigint NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL,
    op text NOT NULL,
    payload jsonb NOT NULL,
    origin_client uuid,
    origin_local_seq bigint,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, seq)
);
CREATE TABLE IF NOT EXISTS sync.applied_mutation (
    client_id uuid NOT NULL REFERENCES sync.client,
    local_seq bigint NOT NULL,
    mutation_id text NOT NULL,
    status text NOT NULL,
    code text,
    reason text,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, local_seq)
);
CREATE TABLE IF NOT EXISTS sync.workflow (kind text PRIMARY KEY, initial text);
-- RecordKind.shared_edit: windows in the record's county scope may edit it, not only its owner
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS shared_edit boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS sync.workflow_action (
    kind text NOT NULL REFERENCES sync.workflow,
    action text NOT NULL,
    label text NOT NULL,
    sources text[] NOT NULL,
    target text NOT NULL,
    PRIMARY KEY (kind, action)
);
CREATE TABLE IF NOT EXISTS sync.record (
    id text PRIMARY KEY,
    kind text NOT NULL REFERENCES sync.workflow,
    receipt_no text NOT NULL,
    county_code text NOT NULL,
    stream text NOT NULL,
    owner text NOT NULL,
    created_by text NOT NULL,
    created_at text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    hlc text NOT NULL,
    field_hlc jsonb NOT NULL DEFAULT '{}',
    doc jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT '',
    needs_review boolean NOT NULL DEFAULT false,
    voided boolean NOT NULL DEFAULT false,
    void_reason text,
    void_hlc text,
    row_version bigint NOT NULL DEFAULT 1,
    CONSTRAINT record_receipt_no_key UNIQUE (receipt_no)
);
CREATE INDEX IF NOT EXISTS record_stream_ix ON sync.record (stream);
-- the enterprise registry by credit code (duplicates registered offline are listed)
CREATE INDEX IF NOT EXISTS record_enterprise_uscc_ix ON sync.record ((doc->>'uscc'))
    WHERE kind = 'enterprise';
CREATE TABLE IF NOT EXISTS sync.event (
    id text PRIMARY KEY,
    record_id text NOT NULL REFERENCES sync.record,
    action text NOT NULL,
    from_status text NOT NULL,
    to_status text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    hlc text NOT NULL,
    actor text NOT NULL,
    owner text NOT NULL,
    created_at text NOT NULL,
    origin_client uuid,
    applied boolean NOT NULL DEFAULT true
);
CREATE INDEX IF NOT EXISTS event_record_ix ON sync.event (record_id);
CREATE TABLE IF NOT EXISTS sync.conflict_log (
    id bigserial PRIMARY KEY,
    record_id text NOT NULL,
    field text NOT NULL,
    kept_value jsonb,
    kept_hlc text,
    lost_value jsonb,
    lost_hlc text,
    lost_origin text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync.review_item (
    id bigserial PRIMARY KEY,
    record_id text,
    item_kind text NOT NULL,
    item_key text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    UNIQUE (item_kind, item_key)
);
-- The League's holiday table (entered at League windows, pulled by every window through the
-- `global` stream): one row per day, the latest HLC wins; kind NULL = entry withdrawn.
CREATE TABLE IF NOT EXISTS sync.calendar_day (
    day date PRIMARY KEY,
    kind text CHECK (kind IN ('holiday', 'workday', 'normal')),
    name text NOT NULL DEFAULT '',
    hlc text NOT NULL,
    updated_by text NOT NULL DEFAULT '',
    origin text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync.alert (
    id bigserial PRIMARY KEY,
    client_id uuid,
    code text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

# Internal helpers (not SECURITY DEFINER; windows cannot call them).
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION sync._reject(code text, reason text) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'XS001', MESSAGE = reason, DETAIL = code;
END $f$;

CREATE OR REPLACE FUNCTION sync._snapshot(rid text) RETURNS jsonb
LANGUAGE sql STABLE AS $f$
    SELECT jsonb_build_object(
        'id', r.id, 'kind', r.kind, 'receipt_no', r.receipt_no, 'county_code', r.county_code,
        'owner', r.owner, 'created_by', r.created_by, 'created_at', r.created_at,
        'hlc', r.hlc, 'field_hlc', r.field_hlc, 'values', r.doc, 'voided', r.voided,
        'void_reason', r.void_reason, 'void_hlc', r.void_hlc, 'row_version', r.row_version)
    FROM sync.record r WHERE r.id = rid
$f$;

-- [sync-headline fix] the window code in an HLC ("<ms>-<counter>-<window>")
CREATE OR REPLACE FUNCTION sync._hlc_node(h text) RETURNS text
LANGUAGE sql IMMUTABLE AS $f$
    SELECT substring(h from '^[0-9]+-[0-9]+-(.*)$')
$f$;

CREATE OR REPLACE FUNCTION sync._review(rid text, item_kind text, item_key text, detail jsonb)
RETURNS void LANGUAGE sql AS $f$
    INSERT INTO sync.review_item (record_id, item_kind, item_key, detail)
    VALUES (rid, item_kind, item_key, detail)
    ON CONFLICT (item_kind, item_key) DO NOTHING
$f$;

-- Status = fold of the events in (hlc, id) order (byte order, like Python's str compare).
CREATE OR REPLACE FUNCTION sync._refold(rid text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    st text;
    e record;
    a record;
    n_conflicts integer := 0;
BEGIN
    SELECT w.initial INTO st FROM sync.record r JOIN sync.workflow w ON w.kind = r.kind
    WHERE r.id = rid;
    IF st IS NULL THEN
        RETURN;
    END IF;
    FOR e IN SELECT * FROM sync.event WHERE record_id = rid
             ORDER BY hlc COLLATE "C", id COLLATE "C" LOOP
        SELECT wa.sources, wa.target INTO a FROM sync.workflow_action wa
        JOIN sync.record r ON r.kind = wa.kind
        WHERE r.id = rid AND wa.action = e.action;
        IF NOT FOUND OR e.from_status <> st OR NOT (st = ANY (a.sources)) THEN
            n_conflicts := n_conflicts + 1;
            UPDATE sync.event SET applied = false WHERE id = e.id AND applied;
            PERFORM sync._review(rid, 'status_conflict', e.id, jsonb_build_object(
                'action', e.action, 'from_status', e.from_status, 'folded_status', st,
                'owner', e.owner, 'actor', e.actor, 'hlc', e.hlc));
            UPDATE sync.review_item SET resolved_at = NULL
            WHERE item_kind = 'status_conflict' AND item_key = e.id AND resolved_at IS NOT NULL;
        ELSE
            st := a.target;
            UPDATE sync.event SET applied = true WHERE id = e.id AND NOT applied;
            UPDATE sync.review_item SET resolved_at = now()
            WHERE item_kind = 'status_conflict' AND item_key = e.id AND resolved_at IS NULL;
        END IF;
    END LOOP;
    UPDATE sync.record SET status = st, needs_review = n_conflicts > 0 WHERE id = rid;
END $f$;

-- Apply one mutation for client c; returns the change rows it produces (jsonb array).
CREATE OR REPLACE FUNCTION sync._apply(c sync.client, m jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $f$
DECLARE
    p jsonb := m->'payload';
    op text := m->>'op';
    m_hlc text := coalesce(m->>'hlc', p->>'hlc');
    league boolean := c.county_code = '152200';
    r sync.record%ROWTYPE;
    a record;
    k text;
    v jsonb;
    cur_h text;
    new_doc jsonb;
    new_fh jsonb;
    stream text;
    n integer;
    old_ev sync.event%ROWTYPE;
    dup sync.record%ROWTYPE;
BEGIN
    IF m_hlc IS NULL OR m_hlc !~ '^\d{13}-\d{5}-' THEN
        PERFORM sync._reject('BAD_PAYLOAD', '变更缺少有效的时间戳（HLC）');
    END IF;
    IF op = 'create' THEN
        IF p->>'owner' IS DISTINCT FROM c.window_code THEN
            PERFORM sync._reject('NOT_OWNER', format('只能上传本窗口（%s）登记的记录', c.window_code));
        END IF;
        PERFORM 1 FROM sync.workflow WHERE kind = p->>'kind';
        IF NOT FOUND THEN
            PERFORM sync._reject('UNKNOWN_KIND', format('中心数据库不认识记录类型“%s”，请升级中心数据库', p->>'kind'));
        END IF;
        IF p->>'kind' = 'enterprise' THEN
            stream := 'global';
        ELSE
            IF p->>'county_code' IS DISTINCT FROM c.county_code THEN
                PERFORM sync._reject('OUT_OF_COUNTY', format('本窗口属于%s，不能上传其他县市（%s）的记录', c.county_code, p->>'county_code'));
            END IF;
            stream := 'county:' || c.county_code;
        END IF;
        IF split_part(p->>'receipt_no', '-', 2) <> c.county_code
           OR left(split_part(p->>'receipt_no', '-', 3), 2) <> split_part(c.window_code, '-', 2) THEN
            PERFORM sync._reject('BAD_RECEIPT_NO', format('回执编号“%s”不是本窗口（%s）的编号', p->>'receipt_no', c.window_code));
        END IF;
        SELECT * INTO r FROM sync.record WHERE id = p->>'id';
        IF FOUND THEN
            IF r.receipt_no = p->>'receipt_no' AND r.owner = p->>'owner' THEN
                RETURN '[]'::jsonb;  -- same record already here (idempotent)
            END IF;
            PERFORM sync._reject('DUPLICATE_ID', '记录标识重复（内容不同），已转主管核查');
        END IF;
        SELECT coalesce(jsonb_object_agg(key, m_hlc), '{}') INTO new_fh
        FROM jsonb_each(coalesce(p->'values', '{}')) WHERE value <> 'null'::jsonb;
        INSERT INTO sync.record (id, kind, receipt_no, county_code, stream, owner, created_by,
                                 created_at, hlc, field_hlc, doc)
        VALUES (p->>'id', p->>'kind', p->>'receipt_no', p->>'county_code', stream, p->>'owner',
                p->>'created_by', p->>'created_at', m_hlc, new_fh, coalesce(p->'values', '{}'));
        PERFORM sync._refold(p->>'id');
        -- two windows registered the same company offline: both are kept (each has its
        -- number and may be referred to), a supervisor is asked to void one
        IF p->>'kind' = 'enterprise' AND coalesce(p->'values'->>'uscc', '') <> '' THEN
            SELECT * INTO dup FROM sync.record
            WHERE kind = 'enterprise' AND doc->>'uscc' = p->'values'->>'uscc' AND NOT voided
              AND id <> p->>'id'
            ORDER BY created_at COLLATE "C", id COLLATE "C" LIMIT 1;
            IF FOUND THEN
                PERFORM sync._review(p->>'id', 'duplicate_enterprise', p->>'id',
                    jsonb_build_object('uscc', p->'values'->>'uscc',
                        'name', p->'values'->>'name', 'receipt_no', p->>'receipt_no',
                        'origin', c.window_code, 'other_id', dup.id,
                        'other_name', dup.doc->>'name', 'other_receipt_no', dup.receipt_no,
                        'other_origin', dup.owner));
            END IF;
        END IF;
        RETURN jsonb_build_array(jsonb_build_object('stream', stream, 'entity', 'record',
            'entity_id', p->>'id', 'op', 'upsert', 'payload', sync._snapshot(p->>'id')));
    END IF;

    IF op IN ('update', 'void') THEN
        SELECT * INTO r FROM sync.record WHERE id = m->>'entity_id' FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM sync._reject('NOT_FOUND', '中心数据库中没有该记录（其登记可能被拒绝）');
        END IF;
        IF NOT league AND r.county_code <> c.county_code AND r.stream <> 'global' THEN
            PERFORM sync._reject('OUT_OF_COUNTY', '不能修改其他县市的记录');
        END IF;
    END IF;

    IF op = 'update' THEN
        IF r.owner <> c.window_code AND EXISTS (
            SELECT 1 FROM jsonb_object_keys(coalesce(p->'values', '{}')) x
            WHERE x <> 'handed_over_to') THEN
            -- shared reference data (RecordKind.shared_edit): any window whose scope covers
            -- the record's county may edit it; it may not move it out of its own county
            IF NOT EXISTS (SELECT 1 FROM sync.workflow w WHERE w.kind = r.kind AND w.shared_edit)
               OR NOT (league OR coalesce(r.doc->>'county_code', r.county_code) = c.county_code)
            THEN
                PERFORM sync._reject('NOT_OWNER', format('该记录由 %s 窗口登记，本窗口不能修改', r.owner));
            END IF;
            IF NOT league AND p->'values' ? 'county_code'
               AND p->'values'->>'county_code' IS DISTINCT FROM c.county_code THEN
                PERFORM sync._reject('OUT_OF_COUNTY', '不能把记录改到其他县市');
            END IF;
        END IF;
        new_doc := r.doc;
        new_fh := r.field_hlc;
        FOR k, v IN SELECT key, value FROM jsonb_each(coalesce(p->'values', '{}')) LOOP
            cur_h := r.field_hlc->>k;
            IF cur_h IS NULL OR m_hlc COLLATE "C" > cur_h COLLATE "C" THEN
                -- [sync-headline fix] the writer had not seen the value it overwrites (its
                -- base is older): a concurrent edit that only arrived second by chance; the
                -- overwritten value is logged and listed like a write that lost
                IF cur_h IS NOT NULL AND p ? 'base_hlc'
                   AND coalesce(p->'base_hlc'->>k, '') COLLATE "C" < cur_h COLLATE "C"
                   AND (r.doc->k) IS DISTINCT FROM v THEN
                    INSERT INTO sync.conflict_log (record_id, field, kept_value, kept_hlc,
                                                   lost_value, lost_hlc, lost_origin)
                    VALUES (r.id, k, v, m_hlc, r.doc->k, cur_h, sync._hlc_node(cur_h));
                    PERFORM sync._review(r.id, 'field_conflict', (m->>'mutation_id') || ':' || k,
                        jsonb_build_object('field', k, 'kept', v, 'lost', r.doc->k,
                                           'lost_origin', sync._hlc_node(cur_h)));
                END IF;
                new_doc := jsonb_set(new_doc, ARRAY[k], v);
                new_fh := jsonb_set(new_fh, ARRAY[k], to_jsonb(m_hlc));
            ELSIF m_hlc COLLATE "C" < cur_h COLLATE "C"
                  AND (r.doc->k) IS DISTINCT FROM v THEN
                INSERT INTO sync.conflict_log (record_id, field, kept_value, kept_hlc, lost_value,
                                               lost_hlc, lost_origin)
                VALUES (r.id, k, r.doc->k, cur_h, v, m_hlc, c.window_code);
                PERFORM sync._review(r.id, 'field_conflict', (m->>'mutation_id') || ':' || k,
                    jsonb_build_object('field', k, 'kept', r.doc->k, 'lost', v,
                                       'lost_origin', c.window_code));
            END IF;
        END LOOP;
        IF r.voided THEN
            PERFORM sync._review(r.id, 'edit_after_void', m->>'mutation_id',
                                 jsonb_build_object('origin', c.window_code));
        END IF;
        UPDATE sync.record SET doc = new_doc, field_hlc = new_fh, row_version = row_version + 1,
            hlc = greatest(hlc COLLATE "C", m_hlc COLLATE "C"), updated_at = now(),
            -- an enterprise's county is its registered county (a field of the record)
            county_code = CASE WHEN r.stream = 'global' AND new_doc->>'county_code' IS NOT NULL
                               THEN new_doc->>'county_code' ELSE r.county_code END
        WHERE id = r.id;
        RETURN jsonb_build_array(jsonb_build_object('stream', r.stream, 'entity', 'record',
            'entity_id', r.id, 'op', 'upsert', 'payload', sync._snapshot(r.id)));
    END IF;

    IF op = 'void' THEN
        IF r.owner <> c.window_code THEN
            PERFORM sync._reject('NOT_OWNER', format('该记录由 %s 窗口登记，本窗口不能作废', r.owner));
        END IF;
        IF r.voided THEN
            RETURN '[]'::jsonb;
        END IF;
        UPDATE sync.record SET voided = true, void_reason = p->>'reason', void_hlc = m_hlc,
            row_version = row_version + 1, hlc = greatest(hlc COLLATE "C", m_hlc COLLATE "C"),
            updated_at = now()
        WHERE id = r.id;
        -- a duplicate enterprise voided: its review items close once one record is left
        IF r.kind = 'enterprise' AND coalesce(r.doc->>'uscc', '') <> ''
           AND (SELECT count(*) FROM sync.record x WHERE x.kind = 'enterprise'
                AND x.doc->>'uscc' = r.doc->>'uscc' AND NOT x.voided) <= 1 THEN
            UPDATE sync.review_item SET resolved_at = now()
            WHERE item_kind = 'duplicate_enterprise' AND resolved_at IS NULL
              AND detail->>'uscc' = r.doc->>'uscc';
        END IF;
        -- [sync-headline fix] actions and edits from other windows that reached central
        -- before this void but were not seen by it: listed like those arriving after it
        IF p ? 'seen_events' THEN
            PERFORM sync._review(r.id, 'event_after_void', e.id,
                                 jsonb_build_object('origin', e.owner))
            FROM sync.event e
            WHERE e.record_id = r.id AND NOT (p->'seen_events' ? e.id);
        END IF;
        IF p ? 'base_hlc' THEN
            PERFORM sync._review(r.id, 'edit_after_void', (m->>'mutation_id') || ':' || f.key,
                                 jsonb_build_object('origin', sync._hlc_node(f.value)))
            FROM jsonb_each_text(r.field_hlc) f
            WHERE coalesce(p->'base_hlc'->>f.key, '') COLLATE "C" < f.value COLLATE "C";
        END IF;
        RETURN jsonb_build_array(jsonb_build_object('stream', r.stream, 'entity', 'record',
            'entity_id', r.id, 'op', 'upsert', 'payload', sync._snapshot(r.id)));
    END IF;

    IF op = 'event' THEN
        SELECT * INTO r FROM sync.record WHERE id = p->>'record_id' FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM sync._reject('NOT_FOUND', '中心数据库中没有该记录（其登记可能被拒绝）');
        END IF;
        IF NOT league AND r.county_code <> c.county_code THEN
            PERFORM sync._reject('OUT_OF_COUNTY', '不能办理其他县市的记录');
        END IF;
        IF p->>'owner' IS DISTINCT FROM c.window_code THEN
            PERFORM sync._reject('NOT_OWNER', format('办理记录的窗口（%s）与账号（%s）不符', p->>'owner', c.window_code));
        END IF;
        SELECT wa.label, wa.sources, wa.target INTO a FROM sync.workflow_action wa
        WHERE wa.kind = r.kind AND wa.action = p->>'action';
        IF NOT FOUND THEN
            PERFORM sync._reject('ILLEGAL_TRANSITION', format('“%s”不是该类记录的办理操作', p->>'action'));
        END IF;
        IF NOT (p->>'from_status' = ANY (a.sources)) OR p->>'to_status' IS DISTINCT FROM a.target THEN
            PERFORM sync._reject('ILLEGAL_TRANSITION', format('非法的状态变更：在“%s”状态下不能执行“%s”', p->>'from_status', a.label));
        END IF;
        SELECT * INTO old_ev FROM sync.event WHERE id = p->>'id';
        IF FOUND THEN
            IF old_ev.record_id = r.id AND old_ev.action = p->>'action' AND old_ev.hlc = m_hlc THEN
                RETURN '[]'::jsonb;
            END IF;
            PERFORM sync._reject('DUPLICATE_ID', '办理记录标识重复（内容不同），已转主管核查');
        END IF;
        INSERT INTO sync.event (id, record_id, action, from_status, to_status, payload, hlc,
                                actor, owner, created_at, origin_client)
        VALUES (p->>'id', r.id, p->>'action', p->>'from_status', p->>'to_status',
                coalesce(p->'payload', '{}'), m_hlc, coalesce(p->>'actor', ''), p->>'owner',
                coalesce(p->>'created_at', ''), c.client_id);
        UPDATE sync.record SET row_version = row_version + 1,
            hlc = greatest(hlc COLLATE "C", m_hlc COLLATE "C"), updated_at = now()
        WHERE id = r.id;
        PERFORM sync._refold(r.id);
        IF r.voided THEN
            PERFORM sync._review(r.id, 'event_after_void', p->>'id',
                                 jsonb_build_object('origin', c.window_code));
        END IF;
        RETURN jsonb_build_array(jsonb_build_object('stream', r.stream, 'entity', 'event',
            'entity_id', p->>'id', 'op', 'insert',
            'payload', (SELECT jsonb_build_object('id', e.id, 'record_id', e.record_id,
                'kind', r.kind, 'action', e.action, 'from_status', e.from_status,
                'to_status', e.to_status, 'payload', e.payload, 'hlc', e.hlc, 'actor', e.actor,
                'owner', e.owner, 'created_at', e.created_at)
                FROM sync.event e WHERE e.id = p->>'id')));
    END IF;
    IF op = 'calendar' THEN
        -- one day of the League's holiday table; a county window's edits stay local
        IF NOT league THEN
            PERFORM sync._reject('NOT_LEAGUE', '只有盟本级窗口录入的节假日安排才同步到全盟（旗县市窗口的录入只在本窗口生效）');
        END IF;
        IF coalesce(p->>'day', '') !~ '^\d{4}-\d{2}-\d{2}$'
           OR coalesce(p->>'kind', 'holiday') NOT IN ('holiday', 'workday', 'normal') THEN
            PERFORM sync._reject('BAD_PAYLOAD', '节假日安排的日期或类型不正确');
        END IF;
        INSERT INTO sync.calendar_day AS d (day, kind, name, hlc, updated_by, origin)
        VALUES ((p->>'day')::date, p->>'kind', left(coalesce(p->>'name', ''), 50), m_hlc,
                left(coalesce(p->>'updated_by', ''), 50), c.window_code)
        ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name,
            hlc = excluded.hlc, updated_by = excluded.updated_by, origin = excluded.origin,
            updated_at = now()
        WHERE d.hlc COLLATE "C" < excluded.hlc COLLATE "C";
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RETURN '[]'::jsonb;  -- a later entry for the day is already here (or a replay)
        END IF;
        RETURN jsonb_build_array(jsonb_build_object('stream', 'global', 'entity', 'calendar',
            'entity_id', p->>'day', 'op', 'upsert',
            'payload', (SELECT jsonb_build_object('day', to_char(d.day, 'YYYY-MM-DD'),
                'kind', d.kind, 'name', d.name, 'hlc', d.hlc, 'updated_by', d.updated_by,
                'origin', d.origin)
                FROM sync.calendar_day d WHERE d.day = (p->>'day')::date)));
    END IF;
    PERFORM sync._reject('BAD_PAYLOAD', format('未知的变更类型“%s”', op));
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION sync._client() RETURNS sync.client
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    c sync.client%ROWTYPE;
BEGIN
    SELECT * INTO c FROM sync.client WHERE db_role = session_user;
    IF NOT FOUND OR c.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = '中心数据库中没有登记此窗口账号，或该账号已停用';
    END IF;
    RETURN c;
END $f$;

CREATE OR REPLACE FUNCTION sync._streams(c sync.client) RETURNS text[]
LANGUAGE sql STABLE AS $f$
    SELECT CASE WHEN c.county_code = '152200'
        THEN (SELECT coalesce(array_agg(stream ORDER BY stream), '{}') FROM sync.stream_head)
        ELSE ARRAY['county:' || c.county_code, 'global'] END
$f$;

-- The three functions a window may call ----------------------------------------------------
CREATE OR REPLACE FUNCTION sync.push(req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client%ROWTYPE;
    m jsonb;
    out jsonb;
    results jsonb[] := '{}';
    changes jsonb[] := '{}';
    ch jsonb;
    prev sync.applied_mutation%ROWTYPE;
    st text;
    msg text;
    det text;
    state text;
    cons text;
    s text;
    n bigint;
    base bigint;
    heads jsonb := '{}';
    proto integer := coalesce((req->>'protocol')::integer, 0);
    lo integer;
    hi integer;
    max_seq bigint;
    seq bigint;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    SELECT * INTO c FROM sync.client WHERE db_role = session_user FOR UPDATE;
    IF NOT FOUND OR c.revoked_at IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'UNKNOWN_CLIENT',
            'reason', '中心数据库中没有登记此窗口账号，或该账号已停用');
    END IF;
    SELECT (value->>'min')::integer, (value->>'max')::integer INTO lo, hi
    FROM sync.config WHERE key = 'protocol';
    IF proto < lo THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'UPGRADE_REQUIRED',
            'reason', '本程序版本过旧，中心数据库要求升级后才能同步（本地数据不受影响）');
    ELSIF proto > hi THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'CENTRAL_TOO_OLD',
            'reason', '中心数据库版本低于本程序，请联系管理员升级中心数据库');
    END IF;
    IF req->>'window_code' IS DISTINCT FROM c.window_code THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'WRONG_WINDOW',
            'reason', format('本地窗口（%s）与中心账号（%s）不符，请检查同步设置', req->>'window_code', c.window_code));
    END IF;
    -- installation binding: the first push binds; another installation is refused
    IF c.installation_id IS NULL THEN
        UPDATE sync.client SET installation_id = req->>'installation_id',
            machine_id = req->>'machine_id', generation = (req->>'generation')::integer
        WHERE client_id = c.client_id;
        c.installation_id := req->>'installation_id';
        c.machine_id := req->>'machine_id';
        c.generation := (req->>'generation')::integer;
    ELSIF c.installation_id IS DISTINCT FROM req->>'installation_id'
          OR c.machine_id IS DISTINCT FROM req->>'machine_id' THEN
        INSERT INTO sync.alert (client_id, code, detail) VALUES (c.client_id, 'CLONED_INSTALLATION',
            jsonb_build_object('installation_id', req->>'installation_id',
                               'machine_id', req->>'machine_id'));
        RETURN jsonb_build_object('status', 'refused', 'code', 'CLONED_INSTALLATION',
            'reason', format('窗口 %s 已绑定另一台电脑（或另一份数据），本机不能同步；请联系管理员核查（可能是复制的数据目录）', c.window_code));
    END IF;
    IF (req->>'generation')::integer < c.generation THEN
        INSERT INTO sync.alert (client_id, code, detail) VALUES (c.client_id, 'GENERATION_STALE',
            jsonb_build_object('generation', req->>'generation'));
        RETURN jsonb_build_object('status', 'refused', 'code', 'GENERATION_STALE',
            'reason', '本机数据来自旧的备份（编号批次落后于中心记录），请先由管理员重新开始编号批次');
    ELSIF (req->>'generation')::integer > c.generation THEN
        UPDATE sync.client SET generation = (req->>'generation')::integer
        WHERE client_id = c.client_id;
    END IF;
    -- a replayed local_seq with another mutation id: two stores share one identity
    SELECT am.local_seq INTO seq FROM jsonb_array_elements(req->'mutations') x
    JOIN sync.applied_mutation am ON am.client_id = c.client_id
        AND am.local_seq = (x->>'local_seq')::bigint
    WHERE am.mutation_id <> x->>'mutation_id' LIMIT 1;
    IF FOUND THEN
        INSERT INTO sync.alert (client_id, code, detail) VALUES (c.client_id, 'DIVERGED_HISTORY',
            jsonb_build_object('local_seq', seq));
        RETURN jsonb_build_object('status', 'refused', 'code', 'CLONED_INSTALLATION',
            'reason', format('窗口 %s 的上传记录与中心已有记录冲突（数据目录可能被复制或从旧备份恢复），已停止同步，请联系管理员', c.window_code));
    END IF;

    -- clocks: HLCs far ahead of the server's clock are accepted (ordering stays causal) but
    -- flagged once a day per window, because that window's edits win LWW until time catches up
    SELECT max(left(x->>'hlc', 13)) INTO s FROM jsonb_array_elements(req->'mutations') x;
    IF s ~ '^\d{13}$' AND s::bigint > (extract(epoch FROM now()) * 1000)::bigint + 300000 THEN
        PERFORM sync._review(NULL, 'clock_skew', c.window_code || ':' || current_date::text,
            jsonb_build_object('window', c.window_code, 'ahead_ms',
                s::bigint - (extract(epoch FROM now()) * 1000)::bigint));
    END IF;

    max_seq := c.last_local_seq;
    FOR m IN SELECT x FROM jsonb_array_elements(req->'mutations') x
             ORDER BY (x->>'local_seq')::bigint LOOP
        seq := (m->>'local_seq')::bigint;
        SELECT * INTO prev FROM sync.applied_mutation
        WHERE client_id = c.client_id AND local_seq = seq;
        IF FOUND THEN
            results := array_append(results, jsonb_build_object('local_seq', seq,
                'status', prev.status, 'code', prev.code, 'reason', prev.reason, 'replay', true));
            CONTINUE;
        END IF;
        BEGIN
            out := sync._apply(c, m);
            -- array_append on a local array is amortised O(1) (expanded arrays); jsonb || is
            -- not, and made large batches quadratic
            FOR ch IN SELECT x FROM jsonb_array_elements(out) x LOOP
                changes := array_append(changes, ch || jsonb_build_object('local_seq', seq));
            END LOOP;
            st := 'accepted';
            msg := NULL;
            det := NULL;
        EXCEPTION WHEN SQLSTATE 'XS001' OR integrity_constraint_violation
                       OR data_exception THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                                    state = RETURNED_SQLSTATE, cons = CONSTRAINT_NAME;
            st := 'rejected';
            IF state = '23505' AND cons = 'record_receipt_no_key' THEN
                det := 'DUPLICATE_RECEIPT_NO';
                msg := format('回执编号“%s”在中心数据库中已存在，已转主管核查', m->'payload'->>'receipt_no');
                PERFORM sync._review(m->'payload'->>'id', 'duplicate_receipt', m->>'mutation_id',
                    jsonb_build_object('receipt_no', m->'payload'->>'receipt_no',
                                       'origin', c.window_code));
            ELSIF state <> 'XS001' THEN
                det := 'INVALID_DATA';
                msg := '数据不符合中心数据库的要求：' || msg;
            END IF;
        END;
        INSERT INTO sync.applied_mutation (client_id, local_seq, mutation_id, status, code, reason)
        VALUES (c.client_id, seq, m->>'mutation_id', st, det, msg);
        results := array_append(results, jsonb_build_object('local_seq', seq, 'status', st,
                                                            'code', det, 'reason', msg,
                                                            'replay', false));
        max_seq := greatest(max_seq, seq);
    END LOOP;

    -- Last: take the stream counter rows (locked until COMMIT) and write the change rows.
    FOR s, n IN SELECT x->>'stream', count(*) FROM unnest(changes) x
                GROUP BY 1 ORDER BY 1 LOOP
        INSERT INTO sync.stream_head (stream) VALUES (s) ON CONFLICT DO NOTHING;
        UPDATE sync.stream_head SET last_seq = last_seq + n WHERE stream = s
        RETURNING last_seq - n INTO base;
        INSERT INTO sync.change_log (stream, seq, entity, entity_id, op, payload, origin_client,
                                     origin_local_seq)
        SELECT s, base + row_number() OVER (ORDER BY t.ord), t.x->>'entity', t.x->>'entity_id',
               t.x->>'op', t.x->'payload', c.client_id, (t.x->>'local_seq')::bigint
        FROM unnest(changes) WITH ORDINALITY AS t(x, ord)
        WHERE t.x->>'stream' = s;
        heads := heads || jsonb_build_object(s, base + n);
    END LOOP;
    UPDATE sync.client SET last_local_seq = max_seq, last_seen_at = now(),
        app_version = coalesce(req->>'app_version', app_version)
    WHERE client_id = c.client_id;
    RETURN jsonb_build_object('status', 'ok', 'results', to_jsonb(results), 'heads', heads,
                              'server_time', now());
END $f$;

CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_cursor bigint, p_lim integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    h sync.stream_head%ROWTYPE;
BEGIN
    c := sync._client();
    IF NOT (p_stream = ANY (sync._streams(c))) AND c.county_code <> '152200' THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('本窗口无权读取数据范围“%s”', p_stream);
    END IF;
    SELECT * INTO h FROM sync.stream_head WHERE stream = p_stream;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('stream', p_stream, 'head', 0, 'epoch', NULL,
                                  'changes', '[]'::jsonb);
    END IF;
    RETURN jsonb_build_object('stream', p_stream, 'head', h.last_seq, 'epoch', h.epoch,
        'changes', (SELECT coalesce(jsonb_agg(jsonb_build_object('seq', cl.seq, 'entity',
            cl.entity, 'entity_id', cl.entity_id, 'op', cl.op, 'payload', cl.payload)
            ORDER BY cl.seq), '[]'::jsonb)
        FROM (SELECT * FROM sync.change_log WHERE stream = p_stream AND seq > p_cursor
              ORDER BY seq LIMIT least(greatest(p_lim, 1), 1000)) cl));
END $f$;

CREATE OR REPLACE FUNCTION sync.status() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
BEGIN
    c := sync._client();
    RETURN jsonb_build_object(
        'window_code', c.window_code, 'county_code', c.county_code,
        'last_local_seq', c.last_local_seq, 'generation', c.generation,
        'bound', c.installation_id IS NOT NULL, 'server_time', now(),
        'protocol', (SELECT value FROM sync.config WHERE key = 'protocol'),
        'streams', (SELECT coalesce(jsonb_object_agg(stream, jsonb_build_object(
            'head', last_seq, 'epoch', epoch)), '{}'::jsonb)
            FROM sync.stream_head WHERE stream = ANY (sync._streams(c))));
END $f$;

-- Scope digest (count + additive 60-bit hashes), recomputed on demand (see client.digest_line)
CREATE OR REPLACE FUNCTION sync._record_line(r sync.record) RETURNS text
LANGUAGE sql STABLE AS $f$
    SELECT r.id || '|' || CASE WHEN r.voided THEN 't' ELSE 'f' END || '|'
        || r.status || '|' || coalesce((
            SELECT string_agg(k || '=' || (r.field_hlc->>k) || '='
                              || md5(coalesce((r.doc->k)::text, 'null')), ';'
                              ORDER BY k COLLATE "C")
            FROM jsonb_object_keys(r.field_hlc) k), '')
$f$;

CREATE OR REPLACE FUNCTION sync._h60(s text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
    SELECT ('x' || substr(md5(s), 1, 15))::bit(60)::bigint::numeric
$f$;

CREATE OR REPLACE FUNCTION sync.digest(p_stream text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
BEGIN
    c := sync._client();
    IF NOT (p_stream = ANY (sync._streams(c))) AND c.county_code <> '152200' THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('本窗口无权读取数据范围“%s”', p_stream);
    END IF;
    RETURN jsonb_build_object(
        'stream', p_stream,
        'head', coalesce((SELECT last_seq FROM sync.stream_head WHERE stream = p_stream), 0),
        'records', (SELECT count(*) FROM sync.record WHERE stream = p_stream),
        'events', (SELECT count(*) FROM sync.event e JOIN sync.record r ON r.id = e.record_id
                   WHERE r.stream = p_stream),
        'hash', ((SELECT coalesce(sum(sync._h60(sync._record_line(r))), 0)
                  FROM sync.record r WHERE r.stream = p_stream)
               + (SELECT coalesce(sum(sync._h60(e.id || '|' || e.record_id || '|' || e.hlc)), 0)
                  FROM sync.event e JOIN sync.record r ON r.id = e.record_id
                  WHERE r.stream = p_stream)
               -- the League's holiday table travels in `global` (client.calendar_line)
               + (SELECT coalesce(sum(sync._h60('cal|' || to_char(d.day, 'YYYY-MM-DD') || '|'
                                                 || coalesce(d.kind, '-') || '|' || d.hlc)), 0)
                  FROM sync.calendar_day d WHERE p_stream = 'global'))::text);
END $f$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC;
"""


def _connect(url: str, **kw: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, connect_timeout=10, **kw)
    except psycopg.OperationalError as exc:
        raise CentralError(f"无法连接中心数据库：{exc}") from exc


def init_central(url: str) -> int:
    """Create or upgrade the central schema (idempotent). Returns the schema version."""
    with _connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('xingan_sync_init'))")
        conn.execute(TABLES)
        current = conn.execute("SELECT max(version) FROM sync.schema_version").fetchone()
        version = (current[0] if current else None) or 0
        if version > SCHEMA_VERSION:
            raise CentralError(
                f"中心数据库结构版本（{version}）高于本程序支持的版本（{SCHEMA_VERSION}），请升级程序"
            )
        conn.execute(FUNCTIONS)
        review_central.install(conn)  # the supervisor's review list (review_central.py)
        conn.execute(
            "INSERT INTO sync.config (key, value) VALUES ('protocol', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (Jsonb({"min": MIN_PROTOCOL, "max": MAX_PROTOCOL}),),
        )
        _load_workflows(conn)
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


def _load_workflows(conn: psycopg.Connection[Any]) -> None:
    """The kinds and their state machines (league-wide reference data, from records/kinds)."""
    for key, kind in KINDS.items():
        wf = kind.workflow
        conn.execute(
            "INSERT INTO sync.workflow (kind, initial, shared_edit) VALUES (%s, %s, %s) "
            "ON CONFLICT (kind) DO UPDATE SET initial = excluded.initial, "
            "shared_edit = excluded.shared_edit",
            (key, wf.initial if wf else None, kind.shared_edit),
        )
        if wf is None:
            continue
        for a in wf.actions:
            conn.execute(
                "INSERT INTO sync.workflow_action (kind, action, label, sources, target) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, action) DO UPDATE SET "
                "label = excluded.label, sources = excluded.sources, target = excluded.target",
                (key, a.key, a.label, list(a.sources), a.target),
            )


def _grant(conn: psycopg.Connection[Any], role: str) -> None:
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
    "new_epoch",
    "revoke_window",
    "role_name",
    "window_roles",
]
