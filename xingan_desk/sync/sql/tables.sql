-- Central sync schema: tables (idempotent; run first by central.init_central).
-- Design: reference/sync.md §6 and the docstring of xingan_desk/sync/central.py.

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
-- One row per record kind, loaded from records/kinds.py by init_central (central.py
-- load_kinds): the central functions read the declarations from here, never from literals.
CREATE TABLE IF NOT EXISTS sync.workflow (kind text PRIMARY KEY, initial text);
-- RecordKind.shared_edit: windows in the record's county scope may edit it, not only its owner
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS shared_edit boolean NOT NULL DEFAULT false;
-- RecordKind.stream: 'county' or 'global' (League-wide reference data)
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS stream text NOT NULL DEFAULT 'county';
-- RecordKind.county_field: the field holding the record's county (NULL: the window's county)
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS county_field text;
-- RecordKind.unique_fields: immutable, one live record per value (duplicates are listed)
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS unique_fields text[] NOT NULL DEFAULT '{}';
-- the field declarations: {key: {type, label, required, stage, max_len, codes, checks, …}}
-- (sync/declarations.py field_specs); every pushed value is checked against them
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS fields jsonb NOT NULL DEFAULT '{}';
-- RecordKind.checks (cross-field rules) central runs, by the Python function's name
-- (sync/declarations.py CENTRAL_KIND_CHECKS; sync/sql/kind_checks.sql sync._kind_check)
ALTER TABLE sync.workflow ADD COLUMN IF NOT EXISTS checks text[] NOT NULL DEFAULT '{}';
CREATE TABLE IF NOT EXISTS sync.workflow_action (
    kind text NOT NULL REFERENCES sync.workflow,
    action text NOT NULL,
    label text NOT NULL,
    sources text[] NOT NULL,
    target text NOT NULL,
    PRIMARY KEY (kind, action)
);
-- Action.payload_fields / Action.required: what an event of the action may / must carry
ALTER TABLE sync.workflow_action ADD COLUMN IF NOT EXISTS payload_fields text[] NOT NULL
    DEFAULT '{}';
ALTER TABLE sync.workflow_action ADD COLUMN IF NOT EXISTS required text[] NOT NULL DEFAULT '{}';
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
-- (the index per declared unique field is made by central.load_kinds)
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
