-- Central sync: the functions a window role may EXECUTE (SECURITY DEFINER; the caller is
-- derived from session_user, never from the payload): push, pull, status, digest.

-- sync.pull returned jsonb before; it returns json now (its page is written as text once,
-- not built as jsonb and printed again): the older function goes (init re-grants it)
DO $d$ BEGIN
    IF (SELECT prorettype FROM pg_proc
        WHERE oid = to_regprocedure('sync.pull(text, bigint, integer)')) = 'jsonb'::regtype THEN
        DROP FUNCTION sync.pull(text, bigint, integer);
    END IF;
END $d$;

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

-- End window sessions that hold a transaction open (idle in it for more than 5 s, or in one
-- for more than 2 minutes): their row locks would hold every other window's upload. Needs
-- the function owner to be allowed to signal them (superuser or pg_signal_backend).
CREATE OR REPLACE FUNCTION sync._end_stalled() RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    pid integer;
BEGIN
    FOR pid IN SELECT a.pid FROM pg_stat_activity a
               WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                 AND a.usename IN (SELECT db_role FROM sync.client)
                 AND ((a.state LIKE 'idle in transaction%'
                       AND a.state_change < clock_timestamp() - interval '5 seconds')
                      OR a.xact_start < clock_timestamp() - interval '2 minutes') LOOP
        BEGIN
            PERFORM pg_terminate_backend(pid);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- not allowed here: lock_timeout and the role's timeouts still apply
        END;
    END LOOP;
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
    -- the change rows, in local_seq order (typed: a jsonb per row, holding the record or event
    -- again, cost a third of the set path)
    changes sync.change_row[] := '{}';
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
    known jsonb;
    seq_before bigint;
BEGIN
    -- nobody waits more than 2 s for a lock here; a window session left idle inside a
    -- transaction (or running one statement for minutes) is ended, so its locks go
    PERFORM set_config('lock_timeout', '2s', true);
    -- sync._class caches the character classes in transaction-local settings: start from
    -- none, so nothing a window SET in its own session stands in for them
    PERFORM set_config('xingan_sync.class_' || key, '', true) FROM sync.config;
    PERFORM sync._end_stalled();
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

    -- the batch's local_seqs central has already applied, in one lookup (a re-sent batch
    -- after a lost reply); the loop looks a row up only if it is one of them, or if it repeats
    -- the local_seq just before it (applied a moment ago in this same loop)
    SELECT coalesce(jsonb_object_agg(am.local_seq::text, true), '{}') INTO known
    FROM sync.applied_mutation am
    WHERE am.client_id = c.client_id AND am.local_seq IN (
        SELECT (x->>'local_seq')::bigint FROM jsonb_array_elements(req->'mutations') x);

    -- the common case, a backlog central takes whole, in a few set statements
    -- (sync._push_batch); any other batch, or one it finds a mutation of that is not plainly
    -- accepted, row by row below (a replay, a refusal, a conflict: exactly as always)
    IF known = '{}'::jsonb THEN
        BEGIN
            SELECT * INTO changes, results, seq FROM sync._push_batch(c, req->'mutations');
            max_seq := greatest(c.last_local_seq, seq);
        EXCEPTION WHEN SQLSTATE 'XS002' OR SQLSTATE 'XS001' OR integrity_constraint_violation
                       OR data_exception THEN
            changes := '{}';
            results := '{}';
        END;
    END IF;

    IF max_seq IS NULL THEN
        max_seq := c.last_local_seq;
        FOR m IN SELECT x FROM jsonb_array_elements(req->'mutations') x
                 ORDER BY (x->>'local_seq')::bigint LOOP
            seq := (m->>'local_seq')::bigint;
            IF seq IS NULL OR known ? seq::text OR seq = seq_before THEN
                SELECT * INTO prev FROM sync.applied_mutation
                WHERE client_id = c.client_id AND local_seq = seq;
            ELSE
                prev := NULL;
            END IF;
            seq_before := seq;
            IF prev.client_id IS NOT NULL THEN
                results := array_append(results, jsonb_build_object('local_seq', seq,
                    'status', prev.status, 'code', prev.code, 'reason', prev.reason, 'replay', true));
                CONTINUE;
            END IF;
            BEGIN
                out := sync._apply(c, m);
                -- array_append on a local array is amortised O(1) (expanded arrays); jsonb || is
                -- not, and made large batches quadratic
                FOR ch IN SELECT x FROM jsonb_array_elements(out) x LOOP
                    changes := array_append(changes, ROW(ch->>'stream', ch->>'entity',
                        ch->>'entity_id', ch->>'op', ch->'payload', seq)::sync.change_row);
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
    END IF;

    -- Last: take the stream counter rows (locked until COMMIT) and write the change rows.
    FOR s, n IN SELECT t.stream, count(*) FROM unnest(changes) t
                GROUP BY 1 ORDER BY 1 LOOP
        INSERT INTO sync.stream_head (stream) VALUES (s) ON CONFLICT DO NOTHING;
        UPDATE sync.stream_head SET last_seq = last_seq + n WHERE stream = s
        RETURNING last_seq - n INTO base;
        INSERT INTO sync.change_log (stream, seq, entity, entity_id, op, payload, origin_client,
                                     origin_local_seq)
        SELECT s, base + row_number() OVER (ORDER BY t.local_seq, t.ord), t.entity,
               t.entity_id, t.op, t.payload, c.client_id, t.local_seq
        FROM unnest(changes) WITH ORDINALITY AS t(stream, entity, entity_id, op, payload,
                                                 local_seq, ord)
        WHERE t.stream = s;
        heads := heads || jsonb_build_object(s, base + n);
    END LOOP;
    UPDATE sync.client SET last_local_seq = max_seq, last_seen_at = now(),
        app_version = coalesce(req->>'app_version', app_version)
    WHERE client_id = c.client_id;
    RETURN jsonb_build_object('status', 'ok', 'results', to_jsonb(results), 'heads', heads,
                              'server_time', now());
END $f$;

-- The same request as json: a value holding U+0000 (which jsonb cannot store) refuses that
-- mutation only, not the whole batch. Windows should call this form (sync.push(%s::json)).
CREATE OR REPLACE FUNCTION sync.push(req json) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    t text := req::text;
    t2 text;
    j jsonb;
    ms jsonb[] := '{}';
    m jsonb;
BEGIN
    -- every escaped U+0000 (an odd run of backslashes before u0000) becomes U+FFFF, which
    -- marks its mutation for refusal (U+FFFF is refused as unprintable anyway)
    LOOP
        t2 := regexp_replace(t, '(^|[^\\])((\\\\)*)\\u0000', '\1\2\\uffff', 'g');
        EXIT WHEN t2 = t;
        t := t2;
    END LOOP;
    j := t::jsonb;
    FOR m IN SELECT jsonb_array_elements(coalesce(j->'mutations', '[]')) LOOP
        IF position(chr(65535) IN m::text) > 0 THEN
            m := jsonb_build_object('local_seq', m->'local_seq', 'mutation_id', m->'mutation_id',
                                    'op', '_nul', 'hlc', m->'hlc');
        END IF;
        ms := array_append(ms, m);
    END LOOP;
    RETURN sync.push(j || jsonb_build_object('mutations', to_jsonb(ms)));
END $f$;

CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_cursor bigint, p_lim integer)
RETURNS json
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
        RETURN json_build_object('stream', p_stream, 'head', 0, 'epoch', NULL,
                                 'changes', '[]'::json);
    END IF;
    -- the page as JSON text: each change's stored payload printed once into it (building
    -- a jsonb array of copies and printing that costs central twice the time)
    RETURN json_build_object('stream', p_stream, 'head', h.last_seq, 'epoch', h.epoch,
        'changes', (SELECT coalesce('[' || string_agg(json_build_object('seq', cl.seq,
            'entity', cl.entity, 'entity_id', cl.entity_id, 'op', cl.op,
            'payload', cl.payload)::text, ',' ORDER BY cl.seq) || ']', '[]')::json
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

-- Scope digest (count + additive 60-bit hashes), recomputed on demand (see client.digest_line).
-- A record's line covers the fields a form writes; the values of action and derived fields
-- come from the events (in the digest by id and HLC), which central does not fold into doc
CREATE OR REPLACE FUNCTION sync._record_line(r sync.record) RETURNS text
LANGUAGE sql STABLE AS $f$
    SELECT r.id || '|' || CASE WHEN r.voided THEN 't' ELSE 'f' END || '|'
        || r.status || '|' || coalesce((
            SELECT string_agg(k || '=' || (r.field_hlc->>k) || '='
                              || md5(coalesce((r.doc->k)::text, 'null')), ';'
                              ORDER BY k COLLATE "C")
            FROM sync.workflow w, jsonb_object_keys(r.field_hlc) k
            WHERE w.kind = r.kind
              AND coalesce(w.fields->k->>'stage', '') NOT IN ('action', 'derived')), '')
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
