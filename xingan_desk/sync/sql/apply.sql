-- Central sync: internal helpers (not SECURITY DEFINER; windows cannot call them) and
-- sync._apply, which applies one mutation. Kind rules come from sync.workflow (the kind
-- declarations loaded by central.load_kinds), never from kind names written here.

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

-- Declared unique fields (RecordKind.unique_fields, e.g. an enterprise's credit code): two
-- windows registered the same company offline: both are kept (each has its number and may be
-- referred to), a supervisor is asked to void one (item kind 'duplicate_<kind>').
CREATE OR REPLACE FUNCTION sync._check_unique(kd sync.workflow, rid text, origin text)
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    uf text;
    me sync.record%ROWTYPE;
    dup sync.record%ROWTYPE;
BEGIN
    IF coalesce(cardinality(kd.unique_fields), 0) = 0 THEN
        RETURN;  -- the kind declares none (most kinds)
    END IF;
    SELECT * INTO me FROM sync.record WHERE id = rid;
    FOREACH uf IN ARRAY kd.unique_fields LOOP
        CONTINUE WHEN coalesce(me.doc->>uf, '') = '';
        SELECT * INTO dup FROM sync.record
        WHERE kind = kd.kind AND doc->>uf = me.doc->>uf AND NOT voided AND id <> rid
        ORDER BY created_at COLLATE "C", id COLLATE "C" LIMIT 1;
        IF FOUND THEN
            PERFORM sync._review(rid, 'duplicate_' || kd.kind, rid,
                jsonb_build_object(uf, me.doc->>uf, 'field', uf,
                    'name', me.doc->>'name', 'receipt_no', me.receipt_no,
                    'origin', origin, 'other_id', dup.id,
                    'other_name', dup.doc->>'name', 'other_receipt_no', dup.receipt_no,
                    'other_origin', dup.owner));
        END IF;
    END LOOP;
END $f$;

CREATE OR REPLACE FUNCTION sync._close_duplicates(rid text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    uf text;
    me sync.record%ROWTYPE;
    kd sync.workflow%ROWTYPE;
BEGIN
    SELECT * INTO me FROM sync.record WHERE id = rid;
    SELECT * INTO kd FROM sync.workflow WHERE kind = me.kind;
    FOREACH uf IN ARRAY coalesce(kd.unique_fields, '{}') LOOP
        CONTINUE WHEN coalesce(me.doc->>uf, '') = '';
        IF (SELECT count(*) FROM sync.record x WHERE x.kind = me.kind
            AND x.doc->>uf = me.doc->>uf AND NOT x.voided) <= 1 THEN
            UPDATE sync.review_item SET resolved_at = now()
            WHERE item_kind = 'duplicate_' || me.kind AND resolved_at IS NULL
              AND detail->>uf = me.doc->>uf;
        END IF;
    END LOOP;
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
    kd sync.workflow%ROWTYPE;
    county text;
BEGIN
    IF op = '_nul' THEN  -- marked by sync.push(json): the mutation held a U+0000
        PERFORM sync._reject('NUL_CHARACTER', '变更中含有空字符（U+0000），中心数据库拒收');
    END IF;
    IF m_hlc IS NULL OR m_hlc !~ '^\d{13}-\d{5}-' THEN
        PERFORM sync._reject('BAD_PAYLOAD', '变更缺少有效的时间戳（HLC）');
    END IF;
    IF op = 'create' THEN
        IF p->>'owner' IS DISTINCT FROM c.window_code THEN
            PERFORM sync._reject('NOT_OWNER', format('只能上传本窗口（%s）登记的记录', c.window_code));
        END IF;
        SELECT * INTO kd FROM sync.workflow WHERE kind = p->>'kind';
        IF NOT FOUND THEN
            PERFORM sync._reject('UNKNOWN_KIND', format('中心数据库不认识记录类型“%s”，请升级中心数据库', p->>'kind'));
        END IF;
        county := p->>'county_code';
        IF kd.county_field IS NOT NULL
           AND coalesce(p->'values'->>kd.county_field, '') <> '' THEN
            county := p->'values'->>kd.county_field;  -- e.g. an enterprise's registered county
        END IF;
        IF kd.stream = 'global' THEN
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
        -- a required intake field must be filled whether it is sent empty or not sent at all
        PERFORM sync._check_values(kd, coalesce(p->'values', '{}'), 'create', NULL,
            ARRAY(SELECT f.key FROM jsonb_each(kd.fields) f
                  WHERE f.value->>'stage' = 'intake'
                    AND (f.value->>'required' = 'true'
                         OR coalesce((f.value->>'min_rows')::integer, 0) > 0)
                  ORDER BY f.key));
        SELECT * INTO r FROM sync.record WHERE id = p->>'id';
        IF FOUND THEN
            IF r.receipt_no = p->>'receipt_no' AND r.owner = p->>'owner' THEN
                RETURN '[]'::jsonb;  -- same record already here (idempotent)
            END IF;
            PERFORM sync._reject('DUPLICATE_ID', '记录标识重复（内容不同），已转主管核查');
        END IF;
        SELECT coalesce(jsonb_object_agg(key, m_hlc), '{}') INTO new_fh
        FROM jsonb_each(coalesce(p->'values', '{}')) WHERE value <> 'null'::jsonb;
        -- a new record has no events yet (event.record_id references it): its fold is the
        -- kind's initial status (what sync._refold gives it), written with the row; the
        -- change row's snapshot (sync._snapshot's shape) comes back from the insert
        INSERT INTO sync.record AS nr (id, kind, receipt_no, county_code, stream, owner,
                                      created_by, created_at, hlc, field_hlc, doc, status)
        VALUES (p->>'id', p->>'kind', p->>'receipt_no', county, stream, p->>'owner',
                p->>'created_by', p->>'created_at', m_hlc, new_fh, coalesce(p->'values', '{}'),
                coalesce(kd.initial, ''))
        RETURNING jsonb_build_object(
            'id', nr.id, 'kind', nr.kind, 'receipt_no', nr.receipt_no, 'county_code', nr.county_code,
            'owner', nr.owner, 'created_by', nr.created_by, 'created_at', nr.created_at,
            'hlc', nr.hlc, 'field_hlc', nr.field_hlc, 'values', nr.doc, 'voided', nr.voided,
            'void_reason', nr.void_reason, 'void_hlc', nr.void_hlc, 'row_version', nr.row_version)
        INTO v;
        PERFORM sync._check_unique(kd, p->>'id', c.window_code);
        RETURN jsonb_build_array(jsonb_build_object('stream', stream, 'entity', 'record',
            'entity_id', p->>'id', 'op', 'upsert', 'payload', v));
    END IF;

    IF op IN ('update', 'void') THEN
        SELECT * INTO r FROM sync.record WHERE id = m->>'entity_id' FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM sync._reject('NOT_FOUND', '中心数据库中没有该记录（其登记可能被拒绝）');
        END IF;
        SELECT * INTO kd FROM sync.workflow WHERE kind = r.kind;
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
            IF NOT kd.shared_edit OR NOT (league OR r.county_code = c.county_code)
            THEN
                PERFORM sync._reject('NOT_OWNER', format('该记录由 %s 窗口登记，本窗口不能修改', r.owner));
            END IF;
            IF NOT league AND kd.county_field IS NOT NULL AND p->'values' ? kd.county_field
               AND p->'values'->>kd.county_field IS DISTINCT FROM c.county_code THEN
                PERFORM sync._reject('OUT_OF_COUNTY', '不能把记录改到其他县市');
            END IF;
        END IF;
        PERFORM sync._check_values(kd, coalesce(p->'values', '{}'), 'update', NULL, NULL, r.doc);
        FOREACH k IN ARRAY kd.unique_fields LOOP
            IF p->'values' ? k AND (p->'values'->>k) IS DISTINCT FROM (r.doc->>k) THEN
                PERFORM sync._reject('UNIQUE_FIELD', format(
                    '字段“%s”（%s）是记录的唯一标识，不能修改；如有误请作废后重新登记',
                    kd.fields->k->>'label', k));
            END IF;
        END LOOP;
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
            -- the kind's county field (an enterprise's registered county) moves the record
            county_code = CASE WHEN kd.county_field IS NOT NULL
                                    AND coalesce(new_doc->>kd.county_field, '') <> ''
                               THEN new_doc->>kd.county_field ELSE r.county_code END
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
        -- a duplicate voided: its review items close once one live record is left
        PERFORM sync._close_duplicates(r.id);
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
        SELECT * INTO kd FROM sync.workflow WHERE kind = r.kind;
        SELECT wa.label, wa.sources, wa.target, wa.payload_fields, wa.required INTO a
        FROM sync.workflow_action wa
        WHERE wa.kind = r.kind AND wa.action = p->>'action';
        IF NOT FOUND THEN
            PERFORM sync._reject('ILLEGAL_TRANSITION', format('“%s”不是该类记录的办理操作', p->>'action'));
        END IF;
        IF NOT (p->>'from_status' = ANY (a.sources)) OR p->>'to_status' IS DISTINCT FROM a.target THEN
            PERFORM sync._reject('ILLEGAL_TRANSITION', format('非法的状态变更：在“%s”状态下不能执行“%s”', p->>'from_status', a.label));
        END IF;
        -- only the fields the action declares, valid (a status event cannot rewrite the form)
        -- (the record as the window saw it: its form and, for the rules that read them
        -- (kind_checks.sql), what earlier events recorded without this action's own fields,
        -- which its payload gives — like Desk.act's RecordKind.clean)
        PERFORM sync._check_values(kd, coalesce(p->'payload', '{}'), 'event', a.payload_fields,
                                   a.required,
                                   CASE WHEN a.payload_fields && sync._fields_reading_events(kd.checks)
                                   THEN r.doc || (sync._action_values(r.id) - a.payload_fields)
                                   ELSE r.doc END);
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
                coalesce(p->>'created_at', ''), c.client_id)
        -- the change row's payload (the fold below only sets `applied`, which it leaves out)
        RETURNING jsonb_build_object('id', id, 'record_id', record_id, 'kind', r.kind,
            'action', action, 'from_status', from_status, 'to_status', to_status,
            'payload', payload, 'hlc', hlc, 'actor', actor, 'owner', owner,
            'created_at', created_at)
        INTO v;
        UPDATE sync.record SET row_version = row_version + 1,
            hlc = greatest(hlc COLLATE "C", m_hlc COLLATE "C"), updated_at = now()
        WHERE id = r.id;
        PERFORM sync._refold(r.id);
        IF r.voided THEN
            PERFORM sync._review(r.id, 'event_after_void', p->>'id',
                                 jsonb_build_object('origin', c.window_code));
        END IF;
        RETURN jsonb_build_array(jsonb_build_object('stream', r.stream, 'entity', 'event',
            'entity_id', p->>'id', 'op', 'insert', 'payload', v));
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


-- One change row sync.push writes to sync.change_log (numbered there, per stream)
DO $do$
BEGIN
    CREATE TYPE sync.change_row AS (stream text, entity text, entity_id text, op text,
                                    payload jsonb, local_seq bigint);
EXCEPTION WHEN duplicate_object THEN
    NULL;
END $do$;

-- The common case of sync.push in a few set statements: a batch of creates and status events
-- that central accepts whole (a window's backlog). Applies it exactly as sync._apply would,
-- mutation by mutation in local_seq order (same rows, same change rows, same results), and
-- returns the change rows and the results; raises XS002 (the caller then rolls it back and
-- applies the batch row by row with sync._apply) as soon as any mutation is not plainly
-- accepted: another op, a refusal, a conflict, a repeat, an event that does not fold in line.
-- The tests are those of sync._apply, stricter where simpler (a NULL counts as a failure), and
-- every value goes through the same sync._value_refusal / sync._values_refusal as there (once
-- per distinct document, then per distinct value, of each kind).
DROP FUNCTION IF EXISTS sync._push_batch(sync.client, jsonb);
CREATE OR REPLACE FUNCTION sync._push_batch(c sync.client, ms jsonb,
                                            OUT changes sync.change_row[],
                                            OUT results jsonb[], OUT max_seq bigint)
LANGUAGE plpgsql AS $f$
DECLARE
    league boolean := c.county_code = '152200';
    ok boolean;
    u record;
    -- the batch's creates by record id: {id: {seq, kind, doc, status, county_code}} (joining
    -- the batch to itself made the planner, which cannot count a jsonb array's rows, loop
    -- 250 x 250 times)
    cre jsonb;
    -- what the batch's events make of the records it creates: {id: {n, h, status}}
    fold jsonb;
BEGIN
    -- only creates and events, each with a local_seq (distinct), an HLC and a payload object
    SELECT coalesce(bool_and(coalesce(x->>'op' IN ('create', 'event')
                                      AND x->>'local_seq' IS NOT NULL
                                      AND coalesce(x->>'hlc', x #>> '{payload,hlc}') ~ '^\d{13}-\d{5}-'
                                      AND jsonb_typeof(x->'payload') = 'object', false)), false)
           AND count(DISTINCT (x->>'local_seq')::bigint) = count(*),
           max((x->>'local_seq')::bigint)
    INTO ok, max_seq FROM jsonb_array_elements(ms) x;
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'XS002', MESSAGE = 'not a plain batch';
    END IF;

    -- creates: who may register what (sync._apply's tests, in one pass)
    SELECT coalesce(bool_and(coalesce(
               x #>> '{payload,owner}' = c.window_code
               AND w.kind IS NOT NULL
               AND (w.stream = 'global' OR x #>> '{payload,county_code}' = c.county_code)
               AND split_part(x #>> '{payload,receipt_no}', '-', 2) = c.county_code
               AND left(split_part(x #>> '{payload,receipt_no}', '-', 3), 2)
                   = split_part(c.window_code, '-', 2)
               AND jsonb_typeof(coalesce(x #> '{payload,values}', '{}')) = 'object', false)), true),
           coalesce(jsonb_object_agg(x #>> '{payload,id}', jsonb_build_object(
               'seq', (x->>'local_seq')::bigint, 'kind', w.kind,
               'doc', coalesce(x #> '{payload,values}', '{}'),
               'status', coalesce(w.initial, ''),
               'county_code', CASE WHEN w.county_field IS NOT NULL
                                        AND coalesce(x #>> ARRAY['payload', 'values', w.county_field], '') <> ''
                                   THEN x #>> ARRAY['payload', 'values', w.county_field]
                                   ELSE x #>> '{payload,county_code}' END)), '{}')
    INTO ok, cre
    FROM jsonb_array_elements(ms) x LEFT JOIN sync.workflow w ON w.kind = x #>> '{payload,kind}'
    WHERE x->>'op' = 'create';
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'XS002', MESSAGE = 'a create is refused';
    END IF;
    -- two creates of one batch with the same value of a unique field: row by row (each sees
    -- only the ones before it)
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(ms) x
               JOIN sync.workflow w ON w.kind = x #>> '{payload,kind}'
               CROSS JOIN unnest(w.unique_fields) uf
               WHERE x->>'op' = 'create' AND coalesce(x #> '{payload,values}'->>uf, '') <> ''
               GROUP BY w.kind, uf, x #> '{payload,values}'->>uf HAVING count(*) > 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'XS002', MESSAGE = 'unique values repeat';
    END IF;

    -- events: each on a record here before the batch (locked) or created earlier in it
    PERFORM 1 FROM sync.record r
    WHERE r.id IN (SELECT x #>> '{payload,record_id}' FROM jsonb_array_elements(ms) x
                   WHERE x->>'op' = 'event' AND NOT cre ? (x #>> '{payload,record_id}'))
    ORDER BY r.id FOR UPDATE;
    WITH ev AS (
        SELECT (x->>'local_seq')::bigint AS seq, x->'payload' AS p, x #>> '{payload,id}' AS id,
               coalesce(x->>'hlc', x #>> '{payload,hlc}') AS h, x #>> '{payload,record_id}' AS rid
        FROM jsonb_array_elements(ms) x WHERE x->>'op' = 'event'),
    e AS (
        SELECT ev.*, r.kind, r.status, r.county_code, r.voided, r.needs_review, r.created_seq,
               w.initial, w.checks, a.sources, a.target, a.payload_fields,
               lag(a.target) OVER (PARTITION BY ev.rid ORDER BY ev.seq) AS prev_target,
               lag(ev.h) OVER (PARTITION BY ev.rid ORDER BY ev.seq) AS prev_h,
               lag(ev.id) OVER (PARTITION BY ev.rid ORDER BY ev.seq) AS prev_id,
               row_number() OVER (PARTITION BY ev.rid ORDER BY ev.seq) AS nth
        FROM ev
        LEFT JOIN LATERAL (
            SELECT r.kind, r.status, r.county_code, r.voided, r.needs_review,
                   NULL::bigint AS created_seq
            FROM sync.record r WHERE r.id = ev.rid AND NOT cre ? ev.rid
            UNION ALL
            SELECT n->>'kind', n->>'status', n->>'county_code', false, false,
                   (n->>'seq')::bigint
            FROM (SELECT cre->ev.rid AS n) z WHERE n IS NOT NULL) r ON true
        LEFT JOIN sync.workflow w ON w.kind = r.kind
        LEFT JOIN sync.workflow_action a ON a.kind = r.kind AND a.action = ev.p->>'action')
    SELECT coalesce(bool_and(coalesce(
               -- sync._apply's tests
               e.kind IS NOT NULL AND (e.created_seq IS NULL OR e.created_seq < e.seq)
               AND (league OR e.county_code = c.county_code)
               AND e.p->>'owner' = c.window_code
               AND e.sources IS NOT NULL
               AND e.p->>'from_status' = ANY (e.sources) AND e.p->>'to_status' = e.target
               AND jsonb_typeof(coalesce(e.p->'payload', '{}')) = 'object'
               -- an action whose rules read what earlier events recorded: sync._apply checks
               -- it over them (sync._action_values), row by row
               AND NOT (e.payload_fields && sync._fields_reading_events(e.checks))
               -- what sync._refold does without a conflict: each event folds onto the one
               -- before it (the record's status, for its first) and sorts after it
               AND e.initial IS NOT NULL AND NOT e.voided AND NOT e.needs_review
               AND CASE WHEN e.nth = 1 THEN e.p->>'from_status' = e.status
                        ELSE e.p->>'from_status' = e.prev_target
                             AND (e.prev_h COLLATE "C", e.prev_id COLLATE "C")
                                 < (e.h COLLATE "C", e.id COLLATE "C") END
               AND (e.nth > 1 OR e.created_seq IS NOT NULL OR NOT EXISTS (
                   SELECT 1 FROM sync.event o WHERE o.record_id = e.rid
                     AND (o.hlc COLLATE "C", o.id COLLATE "C")
                         >= (e.h COLLATE "C", e.id COLLATE "C"))), false)), true)
    INTO ok FROM e;
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'XS002', MESSAGE = 'an event is refused or conflicts';
    END IF;

    -- every value: a create's against its kind; an event's against its action, over the
    -- record's values (as sync._check_values does for each mutation)
    WITH m AS (
        SELECT n->>'kind' AS kind, 'create' AS mode, n->'doc' AS vals, '{}'::jsonb AS doc,
               NULL::text[] AS allowed, NULL::text[] AS required
        FROM jsonb_each(cre) ce(id, n)
        UNION ALL
        SELECT r.kind, 'event', coalesce(x #> '{payload,payload}', '{}'), r.doc,
               a.payload_fields, a.required
        FROM jsonb_array_elements(ms) x
        CROSS JOIN LATERAL (
            SELECT r.kind, r.doc FROM sync.record r
            WHERE r.id = x #>> '{payload,record_id}' AND NOT cre ? (x #>> '{payload,record_id}')
            UNION ALL
            SELECT cre->(x #>> '{payload,record_id}')->>'kind',
                   cre->(x #>> '{payload,record_id}')->'doc'
            WHERE cre ? (x #>> '{payload,record_id}')) r
        JOIN sync.workflow_action a ON a.kind = r.kind AND a.action = x #>> '{payload,action}'
        WHERE x->>'op' = 'event'),
    kinds AS MATERIALIZED (  -- each kind's declarations, decompressed once
        SELECT w.kind, w.checks, w.fields || '{}'::jsonb AS fields,
               ARRAY(SELECT f.key FROM jsonb_each(w.fields) f
                     WHERE f.value->>'stage' = 'intake'
                       AND (f.value->>'required' = 'true'
                            OR coalesce((f.value->>'min_rows')::integer, 0) > 0)
                     ORDER BY f.key) AS create_required
        FROM sync.workflow w WHERE w.kind IN (SELECT DISTINCT kind FROM m)),
    docs AS MATERIALIZED (SELECT DISTINCT kind, mode, vals, doc, allowed, required FROM m),
    vals AS (SELECT DISTINCT d.kind, d.mode, d.allowed, f.key, f.value
             FROM (SELECT DISTINCT kind, mode, allowed, vals FROM docs) d, jsonb_each(d.vals) f)
    SELECT NOT EXISTS (SELECT 1 FROM vals JOIN kinds k ON k.kind = vals.kind
                       WHERE sync._value_refusal(k.fields->vals.key, vals.key, vals.value,
                                                 vals.mode, vals.allowed) IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM docs JOIN kinds k ON k.kind = docs.kind
                       WHERE sync._values_refusal(k.checks, k.fields, docs.vals, docs.mode,
                                                  docs.allowed,
                                                  CASE docs.mode WHEN 'create'
                                                       THEN k.create_required
                                                       ELSE docs.required END,
                                                  docs.doc) IS NOT NULL)
    INTO ok;
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'XS002', MESSAGE = 'a value is refused';
    END IF;

    -- the creates, in local_seq order, with what the batch's events on them make of them (one
    -- more row_version each, the latest HLC, the status they fold to: sync._apply's UPDATE and
    -- sync._refold after each event); the change row holds the record as created. An id or
    -- a receipt number already taken raises: the caller goes row by row, which tells an
    -- idempotent repeat from a refusal.
    SELECT coalesce(jsonb_object_agg(id, jsonb_build_object('n', n, 'h', h, 'status', status)),
                    '{}')
    INTO fold
    FROM (SELECT x #>> '{payload,record_id}' AS id, count(*) AS n,
                 max(coalesce(x->>'hlc', x #>> '{payload,hlc}') COLLATE "C") AS h,
                 (array_agg(x #>> '{payload,to_status}' ORDER BY (x->>'local_seq')::bigint DESC))[1]
                     AS status
          FROM jsonb_array_elements(ms) x
          WHERE x->>'op' = 'event' AND cre ? (x #>> '{payload,record_id}')
          GROUP BY 1) g;
    WITH src AS MATERIALIZED (
        SELECT (x->>'local_seq')::bigint AS seq, x #>> '{payload,id}' AS id,
               x #>> '{payload,kind}' AS kind, x #>> '{payload,receipt_no}' AS receipt_no,
               cre->(x #>> '{payload,id}')->>'county_code' AS county_code,
               CASE WHEN w.stream = 'global' THEN 'global' ELSE 'county:' || c.county_code END
                   AS stream,
               x #>> '{payload,owner}' AS owner, x #>> '{payload,created_by}' AS created_by,
               x #>> '{payload,created_at}' AS created_at,
               coalesce(x->>'hlc', x #>> '{payload,hlc}') AS h,
               (SELECT coalesce(jsonb_object_agg(f.key, coalesce(x->>'hlc', x #>> '{payload,hlc}')), '{}')
                FROM jsonb_each(coalesce(x #> '{payload,values}', '{}')) f
                WHERE f.value <> 'null'::jsonb) AS field_hlc,
               coalesce(x #> '{payload,values}', '{}') AS doc,
               coalesce(w.initial, '') AS initial
        FROM jsonb_array_elements(ms) x JOIN sync.workflow w ON w.kind = x #>> '{payload,kind}'
        WHERE x->>'op' = 'create'),
    ins AS (
        INSERT INTO sync.record (id, kind, receipt_no, county_code, stream, owner, created_by,
                                 created_at, hlc, field_hlc, doc, status, row_version)
        SELECT src.id, kind, receipt_no, county_code, stream, owner, created_by, created_at,
               CASE WHEN fold ? src.id
                    THEN greatest(src.h COLLATE "C", fold->src.id->>'h' COLLATE "C")
                    ELSE src.h END,
               field_hlc, doc, coalesce(fold->src.id->>'status', initial),
               1 + coalesce((fold->src.id->>'n')::integer, 0)
        FROM src ORDER BY seq
        RETURNING 1)
    SELECT array_agg(ROW(stream, 'record', id, 'upsert', jsonb_build_object(
                   'id', id, 'kind', kind, 'receipt_no', receipt_no, 'county_code', county_code,
                   'owner', owner, 'created_by', created_by, 'created_at', created_at,
                   'hlc', h, 'field_hlc', field_hlc, 'values', doc, 'voided', false,
                   'void_reason', NULL, 'void_hlc', NULL, 'row_version', 1),
               seq)::sync.change_row)
    INTO changes
    FROM src WHERE (SELECT count(*) FROM ins) >= 0;
    changes := coalesce(changes, '{}');
    -- declared unique fields (an enterprise's credit code) against the records already here
    FOR u IN SELECT w AS kd, x #>> '{payload,id}' AS rid FROM jsonb_array_elements(ms) x
             JOIN sync.workflow w ON w.kind = x #>> '{payload,kind}'
             WHERE x->>'op' = 'create' AND cardinality(w.unique_fields) > 0
             ORDER BY (x->>'local_seq')::bigint LOOP
        PERFORM sync._check_unique(u.kd, u.rid, c.window_code);
    END LOOP;

    -- the events (an id already here raises, as above); the records that were here before
    -- the batch as sync._apply and sync._refold leave them
    WITH ev AS MATERIALIZED (
        SELECT (x->>'local_seq')::bigint AS seq, x #>> '{payload,id}' AS id,
               x #>> '{payload,record_id}' AS rid, x #>> '{payload,action}' AS action,
               x #>> '{payload,from_status}' AS from_status,
               x #>> '{payload,to_status}' AS to_status,
               coalesce(x #> '{payload,payload}', '{}') AS payload,
               coalesce(x->>'hlc', x #>> '{payload,hlc}') AS h,
               coalesce(x #>> '{payload,actor}', '') AS actor, x #>> '{payload,owner}' AS owner,
               coalesce(x #>> '{payload,created_at}', '') AS created_at, r.kind, r.stream
        FROM jsonb_array_elements(ms) x
        JOIN sync.record r ON r.id = x #>> '{payload,record_id}'
        WHERE x->>'op' = 'event'),
    ins AS (
        INSERT INTO sync.event (id, record_id, action, from_status, to_status, payload, hlc,
                                actor, owner, created_at, origin_client)
        SELECT id, rid, action, from_status, to_status, payload, h, actor, owner, created_at,
               c.client_id
        FROM ev ORDER BY seq
        RETURNING 1),
    upd AS (
        UPDATE sync.record r SET row_version = r.row_version + g.n,
            hlc = greatest(r.hlc COLLATE "C", g.h COLLATE "C"), updated_at = now(),
            status = g.status, needs_review = false
        FROM (SELECT rid, count(*) AS n, max(h COLLATE "C") AS h,
                     (array_agg(to_status ORDER BY seq DESC))[1] AS status
              FROM ev WHERE NOT cre ? rid GROUP BY 1) g
        WHERE r.id = g.rid
        RETURNING 1)
    SELECT changes || coalesce(array_agg(ROW(stream, 'event', id, 'insert', jsonb_build_object(
                   'id', id, 'record_id', rid, 'kind', kind, 'action', action,
                   'from_status', from_status, 'to_status', to_status, 'payload', payload,
                   'hlc', h, 'actor', actor, 'owner', owner, 'created_at', created_at),
               seq)::sync.change_row), '{}')
    INTO changes
    FROM ev WHERE (SELECT count(*) FROM ins) + (SELECT count(*) FROM upd) >= 0;

    -- every mutation accepted
    INSERT INTO sync.applied_mutation (client_id, local_seq, mutation_id, status, code, reason)
    SELECT c.client_id, (x->>'local_seq')::bigint, x->>'mutation_id', 'accepted', NULL, NULL
    FROM jsonb_array_elements(ms) x;
    SELECT array_agg(jsonb_build_object('local_seq', (x->>'local_seq')::bigint,
                                        'status', 'accepted', 'code', NULL, 'reason', NULL,
                                        'replay', false)
                     ORDER BY (x->>'local_seq')::bigint)
    INTO results FROM jsonb_array_elements(ms) x;
END $f$;
