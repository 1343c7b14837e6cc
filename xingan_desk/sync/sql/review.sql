-- Central sync: the supervisor's review list (see xingan_desk/sync/review_central.py).

CREATE TABLE IF NOT EXISTS sync.review_resolution (
    id bigserial PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES sync.client,
    mutation_id text NOT NULL UNIQUE,
    item_kind text NOT NULL,
    item_key text NOT NULL,
    record_id text,
    action text NOT NULL,
    note text NOT NULL DEFAULT '',
    detail jsonb NOT NULL DEFAULT '{}',
    resolved_by text NOT NULL DEFAULT '',
    resolved_at text NOT NULL DEFAULT '',  -- the window's clock, ISO 8601
    received_at timestamptz NOT NULL DEFAULT now()
);
-- false: the item did not exist at central when the resolution came (it resolves nothing)
ALTER TABLE sync.review_resolution ADD COLUMN IF NOT EXISTS applies boolean NOT NULL
    DEFAULT true;
CREATE INDEX IF NOT EXISTS review_resolution_item_ix
    ON sync.review_resolution (item_kind, item_key);

-- Is a review item (or a record) within what window c may read and look after? League-wide
-- records (stream `global`, the enterprise registry) are every window's to read, but their
-- review items belong to the League and the record's own county (who may also edit them).
CREATE OR REPLACE FUNCTION sync._review_in_scope(c sync.client, rid text, detail jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $f$
    SELECT coalesce(c.county_code = '152200'
        OR EXISTS (SELECT 1 FROM sync.record r
                   WHERE r.id = rid AND r.stream = ANY (sync._streams(c))
                     AND (r.stream <> 'global' OR r.county_code = c.county_code
                          OR r.owner = c.window_code))
        OR coalesce(detail->>'window', detail->>'origin', detail->>'lost_origin')
           = c.window_code
        OR detail->>'other_origin' = c.window_code, false)  -- never NULL: NOT NULL would
                                                           -- let a check pass
$f$;

CREATE OR REPLACE FUNCTION sync.review_items(p_lim integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
BEGIN
    c := sync._client();
    RETURN jsonb_build_object('server_time', now(), 'items', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', i.id, 'record_id', i.record_id, 'item_kind', i.item_kind,
            'item_key', i.item_key, 'created_at', i.created_at,
            'detail', i.detail || jsonb_build_object(
                'record_receipt_no', r.receipt_no, 'record_kind', r.kind,
                'record_owner', r.owner, 'record_status', r.status, 'record_voided', r.voided))
            ORDER BY i.id), '[]'::jsonb)
        FROM (SELECT * FROM sync.review_item it
              WHERE it.resolved_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM sync.review_resolution x
                                WHERE x.item_kind = it.item_kind AND x.item_key = it.item_key
                                  AND x.applies)
                AND sync._review_in_scope(c, it.record_id, it.detail)
              ORDER BY it.id LIMIT least(greatest(p_lim, 1), 1000)) i
        LEFT JOIN sync.record r ON r.id = i.record_id));
END $f$;

CREATE OR REPLACE FUNCTION sync.resolve_reviews(req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    x jsonb;
    results jsonb[] := '{}';
    rid text;
    it sync.review_item%ROWTYPE;
    known boolean;
BEGIN
    c := sync._client();
    FOR x IN SELECT e FROM jsonb_array_elements(coalesce(req->'resolutions', '[]')) e LOOP
        IF EXISTS (SELECT 1 FROM sync.review_resolution WHERE mutation_id = x->>'mutation_id')
        THEN
            results := array_append(results, jsonb_build_object(
                'mutation_id', x->>'mutation_id', 'status', 'accepted', 'replay', true));
            CONTINUE;
        END IF;
        IF coalesce(x->>'mutation_id', '') = '' OR coalesce(x->>'item_kind', '') = ''
           OR coalesce(x->>'item_key', '') = '' OR coalesce(x->>'action', '') = '' THEN
            results := array_append(results, jsonb_build_object(
                'mutation_id', x->>'mutation_id', 'status', 'rejected',
                'reason', '核查处理记录不完整'));
            CONTINUE;
        END IF;
        rid := x->>'record_id';
        SELECT * INTO it FROM sync.review_item
        WHERE item_kind = x->>'item_kind' AND item_key = x->>'item_key';
        known := FOUND;
        -- only items that exist at central and are in the resolver's scope: a resolution for
        -- an item central does not (yet) have is kept for the record but resolves nothing,
        -- so nobody can close a predictable item of another county before it appears
        IF (known AND NOT sync._review_in_scope(c, it.record_id, it.detail))
           OR (rid IS NOT NULL AND EXISTS (SELECT 1 FROM sync.record WHERE id = rid)
               AND NOT sync._review_in_scope(c, rid, '{}'::jsonb)) THEN
            results := array_append(results, jsonb_build_object(
                'mutation_id', x->>'mutation_id', 'status', 'rejected',
                'reason', '该核查事项不在本窗口的数据范围内，不能在本窗口处理'));
            CONTINUE;
        END IF;
        INSERT INTO sync.review_resolution (client_id, mutation_id, item_kind, item_key,
            record_id, action, note, detail, resolved_by, resolved_at)
        VALUES (c.client_id, x->>'mutation_id', x->>'item_kind', x->>'item_key', rid,
            x->>'action', left(coalesce(x->>'note', ''), 1000),
            coalesce(x->'detail', '{}'::jsonb), coalesce(x->>'resolved_by', ''),
            coalesce(x->>'resolved_at', ''));
        UPDATE sync.review_resolution SET applies = known
        WHERE mutation_id = x->>'mutation_id';
        UPDATE sync.review_item SET resolved_at = now()
        WHERE item_kind = x->>'item_kind' AND item_key = x->>'item_key'
          AND resolved_at IS NULL;
        results := array_append(results, jsonb_build_object(
            'mutation_id', x->>'mutation_id', 'status', 'accepted', 'replay', false,
            'applied', known));
    END LOOP;
    UPDATE sync.client SET last_seen_at = now() WHERE client_id = c.client_id;
    RETURN jsonb_build_object('status', 'ok', 'results', to_jsonb(results));
END $f$;

REVOKE ALL ON FUNCTION sync._review_in_scope(sync.client, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync.review_items(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync.resolve_reviews(jsonb) FROM PUBLIC;
