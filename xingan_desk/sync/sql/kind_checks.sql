-- Central sync: twins of the cross-field rules of records/kinds.py (RecordKind.checks, named
-- by the Python function) and of the group rule _parties_check. sync._check_values runs them
-- on the record as the window saw it (tests/sync/test_central_validation.py runs the same
-- value sets through both sides). Loaded after checks.sql.

-- Python truthiness of a stored JSON value (None, "", [], {}, False and 0 are false)
CREATE OR REPLACE FUNCTION sync._truthy(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT v IS NOT NULL
       AND v NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb, 'false'::jsonb, '0'::jsonb)
$f$;

-- validation.patent_type_of: 发明 / 实用新型 / 外观设计 of a valid application or publication
-- number, else NULL
CREATE OR REPLACE FUNCTION sync._patent_type_of(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    s text;
    body text;
BEGIN
    IF sync._ip_number_kind(raw) = 'publication' THEN
        IF sync._chk_check_publication_number(raw) IS NOT NULL THEN
            RETURN NULL;
        END IF;
        s := sync._strip_hint(sync._norm(raw), ARRAY['授权公告号', '公开号', '公告号', '公布号', 'CN']);
        RETURN CASE left(s, 1) WHEN '1' THEN '发明' WHEN '2' THEN '实用新型' WHEN '3' THEN '外观设计' END;
    END IF;
    IF sync._chk_check_patent_application_number(raw) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    s := sync._strip_hint(sync._norm(raw), ARRAY['专利申请号', '专利号', '申请号', 'CN', 'ZL']);
    body := CASE WHEN strpos(s, '.') > 0 THEN split_part(s, '.', 1)
                 WHEN right(s, 1) = 'X' OR length(s) IN (9, 13) THEN left(s, length(s) - 1)
                 ELSE s END;
    RETURN CASE CASE length(body) WHEN 12 THEN substr(body, 5, 1) ELSE substr(body, 3, 1) END
        WHEN '1' THEN '发明' WHEN '8' THEN '发明' WHEN '2' THEN '实用新型' WHEN '9' THEN '实用新型'
        WHEN '3' THEN '外观设计' END;
END $f$;

-- records/kinds.py _parties_check: a party that is an organisation gives its credit code
CREATE OR REPLACE FUNCTION sync._group_check(name text, rows_ jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    n integer := 0;
    rw jsonb;
BEGIN
    IF name = '_parties_check' THEN
        FOR rw IN SELECT jsonb_array_elements(rows_) LOOP
            n := n + 1;
            IF rw->>'party_type' = 'org' AND NOT sync._truthy(rw->'uscc') THEN
                RETURN format('第%s位当事人为单位，请填写统一社会信用代码', n);
            END IF;
        END LOOP;
        RETURN NULL;
    END IF;
    RETURN '中心数据库不认识校验“' || left(name, 60) || '”';
END $f$;

CREATE OR REPLACE FUNCTION sync._before(a jsonb, b jsonb) RETURNS boolean
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN (a #>> '{}')::timestamptz < (b #>> '{}')::timestamptz;
EXCEPTION WHEN OTHERS THEN
    RETURN false;  -- not a time: the field check says so
END $f$;

-- Twin of records/ledger_kinds._later (and of the consultation's time order): [[then, message]] when both dates are given and `then`
-- lies before `first`, else [].
CREATE OR REPLACE FUNCTION sync._later(d jsonb, first text, then_ text, message text)
RETURNS jsonb LANGUAGE sql STABLE AS $f$
    SELECT CASE WHEN sync._truthy(d->first) AND sync._truthy(d->then_)
                     AND sync._before(d->then_, d->first)
                THEN jsonb_build_array(jsonb_build_array(then_, message))
                ELSE '[]'::jsonb END;
$f$;

-- One cross-field rule of a kind (RecordKind.checks) on the record's values d: the fields it
-- finds wrong, in order, as [[key, message], …]
CREATE OR REPLACE FUNCTION sync._kind_check(name text, d jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    out jsonb := '[]';
    ptype text := d->>'patent_type';
    expected text;
    found text;
    msg text;
BEGIN
    CASE name
    WHEN '_consultation_checks' THEN
        IF sync._truthy(d->'followup_needed') AND NOT sync._truthy(d->'visitor_phone') THEN
            out := out || jsonb_build_array(jsonb_build_array('visitor_phone', '需要回访时请填写联系电话'));
        END IF;
        IF d->>'handling' = 'referred' AND NOT sync._truthy(d->'referred_to') THEN
            out := out || jsonb_build_array(jsonb_build_array('referred_to', '转办时请填写承办单位'));
        END IF;
        IF d->>'handling' = 'notice' AND NOT sync._truthy(d->'notice_items') THEN
            out := out || jsonb_build_array(jsonb_build_array('notice_items', '一次性告知时请填写需补充的材料或事项'));
        END IF;
        out := out || sync._later(d, 'started_at', 'ended_at', '结束时间不能早于开始时间');
        -- (the visitor_types catalog code, spelt like the registry kind's name: dollar-quoted
        -- so that tests/sync/test_central_declarations.py, which looks for quoted kind names,
        -- reads it as what it is)
        IF d->>'visitor_type' = $c$enterprise$c$ AND NOT sync._truthy(d->'enterprise_name') THEN
            out := out || jsonb_build_array(jsonb_build_array('enterprise_name', '来访人类型为企业时请填写单位名称'));
        END IF;
    WHEN '_enterprise_checks' THEN
        IF sync._truthy(d->'key_support') AND NOT sync._truthy(d->'key_support_year') THEN
            out := out || jsonb_build_array(jsonb_build_array('key_support_year', '纳入重点帮扶企业库时请填写入库年度'));
        END IF;
        IF sync._truthy(d->'gb29490_certified') AND NOT sync._truthy(d->'gb29490_cert_no') THEN
            out := out || jsonb_build_array(jsonb_build_array('gb29490_cert_no', '已通过贯标认证时请填写证书编号'));
        END IF;
        IF sync._truthy(d->'advantage_pool') AND NOT sync._truthy(d->'advantage_pool_year') THEN
            out := out || jsonb_build_array(jsonb_build_array('advantage_pool_year', '纳入知识产权优势企业培育库时请填写入库年度'));
        END IF;
    WHEN '_filing_checks' THEN
        IF sync._truthy(d->'uses_agency') AND NOT sync._truthy(d->'agency_name') THEN
            out := out || jsonb_build_array(jsonb_build_array('agency_name', '委托代理机构时请填写代理机构名称'));
        END IF;
    WHEN '_case_checks' THEN
        expected := CASE ptype WHEN 'invention' THEN '发明' WHEN 'utility' THEN '实用新型'
                               WHEN 'design' THEN '外观设计' END;
        IF sync._truthy(d->'application_no') AND sync._truthy(d->'patent_type') THEN
            found := sync._patent_type_of(d->>'application_no');
            IF found IS NOT NULL AND found IS DISTINCT FROM expected THEN
                out := out || jsonb_build_array(jsonb_build_array('application_no',
                    format('申请号表示%s，与专利类型“%s”不符', found, expected)));
            END IF;
        END IF;
        IF sync._truthy(d->'ipc_main') AND sync._truthy(d->'patent_type') THEN
            -- Python's \d: the decimal digits of every script
            found := translate(d->>'ipc_main', sync._class('decimal_digits'),
                               sync._class('decimal_values'));
            IF ptype = 'design' AND found !~ '^[0-9]{2}-[0-9]{2}$' THEN
                out := out || jsonb_build_array(jsonb_build_array('ipc_main', '外观设计应填写洛迦诺分类号，如 09-03'));
            ELSIF ptype <> 'design' AND found ~ '^[0-9]{2}-[0-9]{2}$' THEN
                out := out || jsonb_build_array(jsonb_build_array('ipc_main', '发明和实用新型应填写IPC分类号，如 C08K 3/04'));
            END IF;
        END IF;
        IF sync._truthy(d->'grant_pub_no') AND sync._truthy(d->'patent_type') THEN
            found := right(regexp_replace(d->>'grant_pub_no', '[0-9]+$', ''), 1);
            expected := CASE ptype WHEN 'invention' THEN 'B' WHEN 'utility' THEN 'U'
                                   WHEN 'design' THEN 'S' END;
            IF found IS DISTINCT FROM expected THEN
                out := out || jsonb_build_array(jsonb_build_array('grant_pub_no',
                    format('授权公告号的种类代码应为 %s', expected)));
            END IF;
        END IF;
    WHEN '_mediation_checks' THEN
        -- (the right_types code, spelt like the ledger kind's name: dollar-quoted, see above)
        IF sync._truthy(d->'right_no') AND d->>'right_type' = $c$patent$c$ THEN
            msg := sync._chk_check_ip_numbers(d->>'right_no');
            IF msg IS NOT NULL THEN
                out := out || jsonb_build_array(jsonb_build_array('right_no', msg));
            END IF;
        END IF;
        IF d->>'source' IN ('court', 'admin') AND NOT sync._truthy(d->'referring_body') THEN
            out := out || jsonb_build_array(jsonb_build_array('referring_body', '委派或委托调解时请填写委派/委托单位'));
        END IF;
        IF d->>'outcome' = 'written' AND NOT sync._truthy(d->'agreement') THEN
            out := out || jsonb_build_array(jsonb_build_array('agreement', '达成书面调解协议时请填写协议内容（打印协议书要用）'));
        END IF;
    WHEN '_rating_checks' THEN
        IF d->>'level' IN ('1', '2') AND sync._truthy(d->'real_name')
           AND NOT sync._truthy(d->'rater_phone') THEN
            out := out || jsonb_build_array(jsonb_build_array('rater_phone', '实名差评须回访，请填写评价人联系电话'));
        END IF;
    -- records/ledger_kinds.py (the plan's ledgers)
    WHEN '_patent_checks' THEN
        out := out || sync._later(d, 'filed_on', 'granted_on', '授权日不能早于申请日');
        IF sync._truthy(d->'granted_on') AND sync._truthy(d->'lapsed_on')
           AND sync._before(d->'lapsed_on', d->'granted_on') THEN
            out := out || jsonb_build_array(jsonb_build_array('lapsed_on', '失效/届满日不能早于授权日'));
        ELSIF d->>'legal_status' IN ('lapsed', 'expired') AND NOT sync._truthy(d->'lapsed_on') THEN
            out := out || jsonb_build_array(jsonb_build_array('lapsed_on', '失效或届满的专利请填写失效/届满日'));
        END IF;
        IF sync._truthy(d->'in_pool') AND NOT sync._truthy(d->'pool_year') THEN
            out := out || jsonb_build_array(jsonb_build_array('pool_year', '纳入高价值专利培育库时请填写入库年度'));
        END IF;
    WHEN '_pledge_checks' THEN
        out := out || sync._later(d, 'registered_on', 'loan_on', '放款日不能早于登记日');
        out := out || sync._later(d, 'registered_on', 'released_on', '解押日不能早于登记日');
    WHEN '_insurance_checks' THEN
        out := out || sync._later(d, 'starts_on', 'ends_on', '保险止期不能早于起期');
    WHEN '_navigation_checks' THEN
        out := out || sync._later(d, 'starts_on', 'ends_on', '结束日期不能早于开始日期');
    WHEN '_agency_checks' THEN
        IF sync._truthy(d->'is_branch') AND NOT sync._truthy(d->'parent_name') THEN
            out := out || jsonb_build_array(jsonb_build_array('parent_name', '分支机构请填写所属代理机构'));
        END IF;
        out := out || sync._later(d, 'serving_since', 'left_on', '停止服务日期不能早于开展业务日期');
    WHEN 'confirmation_checks' THEN  -- records/mediation_file.py (below)
        out := out || sync._confirmation_in_time(d);
    ELSE
        out := jsonb_build_array(jsonb_build_array('', '中心数据库不认识校验“' || left(name, 60) || '”'));
    END CASE;
    RETURN out;
END $f$;

-- Twin of records/mediation_file.confirmation_checks (人民调解法 §33): 申请司法确认日期 not before
-- 协议生效日期 and not after 申请司法确认期限 (the deadline derived at 调解成功, which the settle
-- event carries; 30 calendar days when there is none). d is the record as the window saw it:
-- for an event, sync._action_values supplies what the earlier events recorded.
CREATE OR REPLACE FUNCTION sync._cn_date(d date) RETURNS text
LANGUAGE sql IMMUTABLE AS $f$
    SELECT format('%s年%s月%s日', extract(year FROM d), extract(month FROM d), extract(day FROM d))
$f$;

CREATE OR REPLACE FUNCTION sync._as_date(v jsonb) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'string' OR (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        RETURN NULL;
    END IF;
    RETURN (v #>> '{}')::date;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;  -- not a date: the field check says so
END $f$;

CREATE OR REPLACE FUNCTION sync._confirmation_in_time(d jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    applied date := sync._as_date(d->'confirmation_applied_on');
    effective date := sync._as_date(d->'agreement_effective_on');
    deadline date := sync._as_date(d->'confirmation_deadline');
BEGIN
    IF applied IS NULL OR effective IS NULL THEN
        RETURN '[]';
    END IF;
    IF applied < effective THEN
        RETURN jsonb_build_array(jsonb_build_array('confirmation_applied_on',
            format('申请日期不能早于调解协议生效日期（%s）', sync._cn_date(effective))));
    END IF;
    deadline := coalesce(deadline, effective + 30);
    IF applied > deadline THEN
        RETURN jsonb_build_array(jsonb_build_array('confirmation_applied_on',
            format('已超过申请司法确认期限：应自调解协议生效之日起三十日内申请，本案期限至%s（人民调解法第三十三条）',
                   sync._cn_date(deadline))));
    END IF;
    RETURN '[]';
END $f$;

-- The fields whose rules, among a kind's `checks`, read what earlier events recorded (the twins
-- above; confirmation_checks reports on confirmation_applied_on). Only an event carrying one of
-- them has its rules run over those values: the lookup costs ~0.1 ms an event.
CREATE OR REPLACE FUNCTION sync._fields_reading_events(checks text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT CASE WHEN 'confirmation_checks' = ANY (checks)
                THEN ARRAY['confirmation_applied_on'] ELSE '{}'::text[] END
$f$;

-- The values a record's applied events recorded, last wins (Python: the fold's values), for
-- the cross-field rules of an action (RecordKind.clean sees them as `existing`); the rows of
-- repeating parts are the last event's only (no rule reads them).
CREATE OR REPLACE FUNCTION sync._action_values(rid text) RETURNS jsonb
LANGUAGE sql STABLE AS $f$
    SELECT coalesce(jsonb_object_agg(p.key, p.value ORDER BY e.hlc COLLATE "C", e.id COLLATE "C"),
                    '{}'::jsonb)
    FROM sync.event e CROSS JOIN LATERAL jsonb_each(e.payload) p
    WHERE e.record_id = rid AND e.applied
$f$;
