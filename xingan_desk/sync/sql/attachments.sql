-- Central sync of attachments (xingan_desk/attachments/sync.py): their own tables and
-- functions, so a large file never holds up the record streams.
--
-- Content: uploaded in chunks into the caller's own staging rows (resumable: the caller asks
-- which chunks central already has); when the last chunk is in, central checks the SHA-256 of
-- the whole and keeps ONE copy per hash (sync.attachment_blob/_chunk). Every window that
-- attaches a file must have uploaded that content itself once (sync.attachment_holder): a
-- hash alone never gives access to a file somebody else uploaded.
-- Metadata: one row per attachment on a record central holds, in the record's stream, with a
-- per-stream sequence (bumped under the stream's head row lock, so commit-ordered) for pull.
-- Reading: metadata of the caller's streams only; content only when an attachment in the
-- caller's streams refers to it. The caller is derived from session_user (sync._client()).

CREATE TABLE IF NOT EXISTS sync.attachment_blob (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CHECK (size > 0),
    chunk_size integer NOT NULL CHECK (chunk_size > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync.attachment_chunk (
    sha256 text NOT NULL REFERENCES sync.attachment_blob,
    idx integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (sha256, idx)
);
CREATE TABLE IF NOT EXISTS sync.attachment_upload (
    client_id uuid NOT NULL REFERENCES sync.client,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    chunk_size integer NOT NULL,
    idx integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (client_id, sha256, idx)
);
-- when a chunk last arrived or its upload was last resumed: an upload nobody touched for
-- `attachment_upload_keep_days` is abandoned, and sync.attachment_cleanup drops its chunks
ALTER TABLE sync.attachment_upload ADD COLUMN IF NOT EXISTS
    touched_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS attachment_upload_touched_ix ON sync.attachment_upload (touched_at);
CREATE TABLE IF NOT EXISTS sync.attachment_holder (
    sha256 text NOT NULL REFERENCES sync.attachment_blob,
    client_id uuid NOT NULL REFERENCES sync.client,
    PRIMARY KEY (sha256, client_id)
);
CREATE TABLE IF NOT EXISTS sync.attachment_head (
    stream text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sync.attachment (
    id text PRIMARY KEY,
    record_id text NOT NULL REFERENCES sync.record,
    stream text NOT NULL,
    sha256 text NOT NULL REFERENCES sync.attachment_blob,
    owner text NOT NULL,
    doc jsonb NOT NULL,
    voided boolean NOT NULL DEFAULT false,
    void_doc jsonb,
    seq bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS attachment_stream_seq_ix ON sync.attachment (stream, seq);
CREATE INDEX IF NOT EXISTS attachment_sha_ix ON sync.attachment (sha256);
REVOKE ALL ON sync.attachment_blob, sync.attachment_chunk, sync.attachment_upload,
    sync.attachment_holder, sync.attachment_head, sync.attachment FROM PUBLIC;

-- The largest file central takes (bytes), the chunk size it asks for, and how many days the
-- chunks of an unfinished upload are kept after they were last touched.
INSERT INTO sync.config (key, value) VALUES
    ('attachment_max_bytes', '104857600'), ('attachment_chunk_bytes', '1048576'),
    ('attachment_upload_keep_days', '7')
ON CONFLICT (key) DO NOTHING;

-- Drop the chunks of every upload (window, file) none of whose chunks was touched for
-- `p_days` days (default: the config's attachment_upload_keep_days); returns the number of
-- chunks dropped. An upload touched since keeps all its chunks, so a recent one still resumes.
-- Called at each upload's begin and by `xingan-desk central cleanup`; not granted to windows.
CREATE OR REPLACE FUNCTION sync.attachment_cleanup(p_days integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    keep integer;
    n integer;
BEGIN
    keep := coalesce(p_days, (SELECT value::text::integer FROM sync.config
                              WHERE key = 'attachment_upload_keep_days'), 7);
    IF keep < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = '保留天数不能为负数';
    END IF;
    -- the index finds the old chunks; an upload is dropped only when no chunk is newer
    DELETE FROM sync.attachment_upload u
    USING (SELECT DISTINCT o.client_id, o.sha256 FROM sync.attachment_upload o
           WHERE o.touched_at < now() - make_interval(days => keep)) old
    WHERE u.client_id = old.client_id AND u.sha256 = old.sha256
      AND NOT EXISTS (SELECT 1 FROM sync.attachment_upload r
                      WHERE r.client_id = old.client_id AND r.sha256 = old.sha256
                        AND r.touched_at >= now() - make_interval(days => keep));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $f$;

-- Which chunks of `p_sha` central has from this window (resume), or done when the window
-- already holds the content. {status: 'done'} | {status: 'upload', chunk_size, have: [idx]}
CREATE OR REPLACE FUNCTION sync.attachment_begin(p_sha text, p_size bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    cs integer;
    lim bigint;
BEGIN
    c := sync._client();
    IF p_sha !~ '^[0-9a-f]{64}$' THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', '附件校验值格式不对');
    END IF;
    SELECT value::text::bigint INTO lim FROM sync.config WHERE key = 'attachment_max_bytes';
    IF p_size IS NULL OR p_size < 1 OR p_size > coalesce(lim, 104857600) THEN
        RETURN jsonb_build_object('status', 'refused',
            'reason', format('附件大小超出中心的上限（%s MB）', coalesce(lim, 104857600) / 1048576));
    END IF;
    IF EXISTS (SELECT 1 FROM sync.attachment_holder WHERE sha256 = p_sha
               AND client_id = c.client_id) THEN
        RETURN jsonb_build_object('status', 'done');
    END IF;
    -- a resumed upload is touched (it stays), then abandoned ones are dropped
    UPDATE sync.attachment_upload SET touched_at = now()
    WHERE client_id = c.client_id AND sha256 = p_sha AND size = p_size;
    PERFORM sync.attachment_cleanup();
    -- a resumed upload keeps the chunk size it started with
    SELECT u.chunk_size INTO cs FROM sync.attachment_upload u
    WHERE u.client_id = c.client_id AND u.sha256 = p_sha AND u.size = p_size LIMIT 1;
    IF cs IS NULL THEN
        DELETE FROM sync.attachment_upload WHERE client_id = c.client_id AND sha256 = p_sha;
        SELECT value::text::integer INTO cs FROM sync.config WHERE key = 'attachment_chunk_bytes';
        cs := coalesce(cs, 1048576);
    END IF;
    RETURN jsonb_build_object('status', 'upload', 'chunk_size', cs,
        'have', (SELECT coalesce(jsonb_agg(u.idx ORDER BY u.idx), '[]'::jsonb)
                 FROM sync.attachment_upload u
                 WHERE u.client_id = c.client_id AND u.sha256 = p_sha));
END $f$;

-- One chunk of the caller's upload; the last one completes it (SHA-256 checked over the
-- whole; one stored copy per hash). {status: 'partial'|'done'|'refused', …}
CREATE OR REPLACE FUNCTION sync.attachment_put(p_sha text, p_size bigint, p_chunk_size integer,
                                               p_idx integer, p_data bytea) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    n integer;
    got integer;
    whole bytea;
    lim bigint;
    want bigint;
BEGIN
    c := sync._client();
    SELECT value::text::bigint INTO lim FROM sync.config WHERE key = 'attachment_max_bytes';
    IF p_sha !~ '^[0-9a-f]{64}$' OR p_size < 1 OR p_size > coalesce(lim, 104857600)
       OR p_chunk_size < 65536 OR p_chunk_size > 8388608 THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', '附件上传参数不对');
    END IF;
    IF EXISTS (SELECT 1 FROM sync.attachment_holder WHERE sha256 = p_sha
               AND client_id = c.client_id) THEN
        RETURN jsonb_build_object('status', 'done');
    END IF;
    n := ((p_size + p_chunk_size - 1) / p_chunk_size)::integer;
    -- (a CASE inside IF … THEN would end the condition at its own THEN)
    want := (CASE WHEN p_idx = n - 1 THEN p_size - p_chunk_size::bigint * (n - 1)
              ELSE p_chunk_size END);
    IF p_idx < 0 OR p_idx >= n OR length(p_data) <> want THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', '附件分段的位置或长度不对');
    END IF;
    INSERT INTO sync.attachment_upload (client_id, sha256, size, chunk_size, idx, data)
    VALUES (c.client_id, p_sha, p_size, p_chunk_size, p_idx, p_data)
    ON CONFLICT (client_id, sha256, idx) DO UPDATE SET data = excluded.data,
        size = excluded.size, chunk_size = excluded.chunk_size, touched_at = now();
    SELECT count(*) INTO got FROM sync.attachment_upload
    WHERE client_id = c.client_id AND sha256 = p_sha AND size = p_size
      AND chunk_size = p_chunk_size;
    IF got < n THEN
        RETURN jsonb_build_object('status', 'partial', 'have', got, 'of', n);
    END IF;
    SELECT string_agg(data, ''::bytea ORDER BY idx) INTO whole FROM sync.attachment_upload
    WHERE client_id = c.client_id AND sha256 = p_sha;
    IF length(whole) <> p_size OR encode(sha256(whole), 'hex') <> p_sha THEN
        DELETE FROM sync.attachment_upload WHERE client_id = c.client_id AND sha256 = p_sha;
        RETURN jsonb_build_object('status', 'refused', 'code', 'HASH_MISMATCH',
            'reason', '附件上传后校验不一致，将重新上传');
    END IF;
    INSERT INTO sync.attachment_blob (sha256, size, chunk_size)
    VALUES (p_sha, p_size, p_chunk_size) ON CONFLICT (sha256) DO NOTHING;
    IF FOUND THEN
        INSERT INTO sync.attachment_chunk (sha256, idx, data)
        SELECT sha256, idx, data FROM sync.attachment_upload
        WHERE client_id = c.client_id AND sha256 = p_sha;
    END IF;
    INSERT INTO sync.attachment_holder (sha256, client_id) VALUES (p_sha, c.client_id)
    ON CONFLICT DO NOTHING;
    DELETE FROM sync.attachment_upload WHERE client_id = c.client_id AND sha256 = p_sha;
    RETURN jsonb_build_object('status', 'done');
END $f$;

-- An attachment's metadata (new, or its voiding). The record must be on central and in the
-- caller's scope; the content must have been uploaded by the caller; only the window that
-- attached it may void it. Replays are answered 'ok' without a new sequence number.
CREATE OR REPLACE FUNCTION sync.attachment_meta(m jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    r sync.record%ROWTYPE;
    a sync.attachment%ROWTYPE;
    b sync.attachment_blob%ROWTYPE;
    s bigint;
    d jsonb;
BEGIN
    c := sync._client();
    SELECT * INTO r FROM sync.record WHERE id = m->>'record_id';
    IF NOT FOUND THEN  -- its record has not arrived yet: try again after the next push
        RETURN jsonb_build_object('status', 'retry', 'reason', '附件所属的记录尚未上传到中心');
    END IF;
    IF NOT (r.stream = ANY (sync._streams(c))) THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'OUT_OF_SCOPE',
            'reason', '该记录不在本窗口的数据范围内，不能添加附件');
    END IF;
    SELECT * INTO a FROM sync.attachment WHERE id = m->>'id' FOR UPDATE;
    IF FOUND THEN
        IF a.record_id <> r.id OR a.sha256 <> m->>'sha256' THEN
            RETURN jsonb_build_object('status', 'refused', 'code', 'CHANGED',
                'reason', '附件的内容或所属记录不能修改');
        END IF;
        IF NOT coalesce((m->>'voided')::boolean, false) OR a.voided THEN
            RETURN jsonb_build_object('status', 'ok', 'replay', true);
        END IF;
        IF a.owner <> c.window_code THEN
            RETURN jsonb_build_object('status', 'refused', 'code', 'NOT_OWNER',
                'reason', format('该附件由 %s 窗口添加，本窗口不能作废', a.owner));
        END IF;
        IF length(coalesce(m->>'void_reason', '')) NOT BETWEEN 1 AND 300 THEN
            RETURN jsonb_build_object('status', 'refused', 'reason', '作废附件需要填写原因（300字以内）');
        END IF;
        INSERT INTO sync.attachment_head (stream) VALUES (r.stream) ON CONFLICT DO NOTHING;
        UPDATE sync.attachment_head SET last_seq = last_seq + 1 WHERE stream = r.stream
        RETURNING last_seq INTO s;
        UPDATE sync.attachment SET voided = true, seq = s, updated_at = now(),
            void_doc = jsonb_build_object('void_reason', m->>'void_reason',
                'voided_by', left(m->>'voided_by', 50), 'voided_at', m->>'voided_at',
                'hlc', left(m->>'hlc', 48))
        WHERE id = a.id;
        RETURN jsonb_build_object('status', 'ok');
    END IF;
    SELECT * INTO b FROM sync.attachment_blob WHERE sha256 = m->>'sha256';
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM sync.attachment_holder
                                WHERE sha256 = b.sha256 AND client_id = c.client_id) THEN
        RETURN jsonb_build_object('status', 'retry', 'code', 'NEED_CONTENT',
            'reason', '附件文件尚未上传完成');
    END IF;
    IF coalesce(m->>'id', '') !~ '^[0-9a-f-]{36}$'
       OR length(coalesce(m->>'name', '')) NOT BETWEEN 1 AND 200
       OR length(coalesce(m->>'material', '')) > 100
       OR coalesce(m->>'mime', '') NOT IN ('application/pdf', 'image/jpeg', 'image/png', 'image/tiff')
       OR coalesce((m->>'pages')::integer, 0) NOT BETWEEN 1 AND 100000
       OR (m->>'size')::bigint IS DISTINCT FROM b.size
       OR length(coalesce(m->>'created_by', '')) NOT BETWEEN 1 AND 50 THEN
        RETURN jsonb_build_object('status', 'refused', 'code', 'INVALID',
            'reason', '附件信息不完整或格式不对');
    END IF;
    d := jsonb_build_object('name', m->>'name', 'material', coalesce(m->>'material', ''),
        'mime', m->>'mime', 'pages', (m->>'pages')::integer, 'size', b.size,
        'created_by', m->>'created_by', 'created_at', left(m->>'created_at', 40),
        'hlc', left(m->>'hlc', 48));
    INSERT INTO sync.attachment_head (stream) VALUES (r.stream) ON CONFLICT DO NOTHING;
    UPDATE sync.attachment_head SET last_seq = last_seq + 1 WHERE stream = r.stream
    RETURNING last_seq INTO s;
    INSERT INTO sync.attachment (id, record_id, stream, sha256, owner, doc, seq)
    VALUES (m->>'id', r.id, r.stream, b.sha256, c.window_code, d, s);
    IF coalesce((m->>'voided')::boolean, false) THEN  -- attached and voided while offline
        RETURN sync.attachment_meta(m);
    END IF;
    RETURN jsonb_build_object('status', 'ok');
END $f$;

-- The read checks of the attachment functions below, one each: a stream of the caller's scope,
-- or content an attachment in one of the caller's streams holds.
CREATE OR REPLACE FUNCTION sync._attachment_stream_readable(c sync.client, p_stream text)
RETURNS void LANGUAGE plpgsql STABLE AS $f$
BEGIN
    IF NOT (p_stream = ANY (sync._streams(c))) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('本窗口无权读取数据范围“%s”', p_stream);
    END IF;
END $f$;

CREATE OR REPLACE FUNCTION sync._attachment_content_readable(c sync.client, p_sha text)
RETURNS void LANGUAGE plpgsql STABLE AS $f$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sync.attachment a WHERE a.sha256 = p_sha
                   AND a.stream = ANY (sync._streams(c))) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = '该附件不在本窗口的数据范围内';
    END IF;
END $f$;

-- Attachment metadata of one of the caller's streams after `p_cursor`, in sequence order.
CREATE OR REPLACE FUNCTION sync.attachment_pull(p_stream text, p_cursor bigint, p_lim integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
BEGIN
    c := sync._client();
    PERFORM sync._attachment_stream_readable(c, p_stream);
    RETURN jsonb_build_object('stream', p_stream,
        'head', coalesce((SELECT last_seq FROM sync.attachment_head WHERE stream = p_stream), 0),
        'rows', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'record_id', a.record_id,
                    'sha256', a.sha256, 'owner', a.owner, 'doc', a.doc, 'voided', a.voided,
                    'void_doc', a.void_doc, 'seq', a.seq, 'chunk_size', b.chunk_size)
                    ORDER BY a.seq), '[]'::jsonb)
                 FROM (SELECT * FROM sync.attachment WHERE stream = p_stream AND seq > p_cursor
                       ORDER BY seq LIMIT least(greatest(p_lim, 1), 1000)) a
                 JOIN sync.attachment_blob b ON b.sha256 = a.sha256));
END $f$;

-- One chunk of a file, for a caller whose streams hold an attachment of that content.
CREATE OR REPLACE FUNCTION sync.attachment_get(p_sha text, p_idx integer) RETURNS bytea
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    out bytea;
BEGIN
    c := sync._client();
    PERFORM sync._attachment_content_readable(c, p_sha);
    SELECT data INTO out FROM sync.attachment_chunk WHERE sha256 = p_sha AND idx = p_idx;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = '附件分段不存在';
    END IF;
    RETURN out;
END $f$;

-- Size and chunk size of a file, for a caller whose streams hold an attachment of it.
CREATE OR REPLACE FUNCTION sync.attachment_info(p_sha text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
    b sync.attachment_blob%ROWTYPE;
BEGIN
    c := sync._client();
    PERFORM sync._attachment_content_readable(c, p_sha);
    SELECT * INTO b FROM sync.attachment_blob WHERE sha256 = p_sha;
    RETURN jsonb_build_object('size', b.size, 'chunk_size', b.chunk_size);
END $f$;

-- The attachments of one of the caller's streams as a count and an additive hash (the
-- window computes the same over its copies: sync/digest.py attachment_line), with the
-- stream's attachment head: {stream, head, attachments, hash}.
CREATE OR REPLACE FUNCTION sync.attachment_digest(p_stream text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = sync, pg_temp AS $f$
DECLARE
    c sync.client;
BEGIN
    c := sync._client();
    PERFORM sync._attachment_stream_readable(c, p_stream);
    RETURN jsonb_build_object('stream', p_stream,
        'head', coalesce((SELECT last_seq FROM sync.attachment_head WHERE stream = p_stream), 0),
        'attachments', (SELECT count(*) FROM sync.attachment WHERE stream = p_stream),
        'hash', (SELECT coalesce(sum(sync._h60('att|' || a.id || '|' || a.record_id || '|'
                                                || a.sha256 || '|'
                                                || CASE WHEN a.voided THEN 't' ELSE 'f' END)), 0)
                 FROM sync.attachment a WHERE a.stream = p_stream)::text);
END $f$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC;
