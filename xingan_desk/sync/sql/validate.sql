-- Central sync: every pushed value is checked against the kind declarations the windows use
-- (records/kinds.py, serialised by sync/declarations.py into sync.workflow.fields and
-- sync.workflow_action.payload_fields / required). The check_* twins below mirror
-- xingan_desk/validation.py; tests/sync/test_central_validation.py runs shared vectors
-- through both. A refusal names the field (its Chinese label and key) and the reason.

-- validation.to_halfwidth: full-width ASCII forms, the ideographic space and full stops.
-- The two translate() strings are computed once here and written into the function as
-- literals (built per call they cost ~0.15 ms each: a third of a push's validation time).
-- An ASCII text (as many bytes as characters) has none of them: returned as it is (translate
-- compares each character with all 97 of them).
DO $do$
BEGIN
    EXECUTE format($sql$
CREATE OR REPLACE FUNCTION sync._hw(raw text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
    SELECT CASE WHEN octet_length(raw) = length(raw) THEN raw
                ELSE translate(coalesce(raw, ''), %L, %L) END
$b$$sql$,
        (SELECT string_agg(chr(c), '' ORDER BY c) FROM generate_series(65281, 65374) c)
            || chr(12288) || chr(12290) || chr(65377),
        (SELECT string_agg(chr(c - 65248), '' ORDER BY c) FROM generate_series(65281, 65374) c)
            || ' ..');
END $do$;

-- Python's str.isspace() characters
CREATE OR REPLACE FUNCTION sync._ws() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT '\t\n\u000B\f\r\u001C-\u001F \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000'
$f$;

-- Python's str.strip()
CREATE OR REPLACE FUNCTION sync._strip(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT regexp_replace(coalesce(s, ''), '^[' || sync._ws() || ']+|[' || sync._ws() || ']+$',
                          '', 'g')
$f$;

-- validation.normalize: no spaces, hyphens or zero-width characters; half-width; a-z upper
CREATE OR REPLACE FUNCTION sync._norm(raw text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT translate(regexp_replace(sync._hw(raw),
        '[' || sync._ws() || '\u2010-\u2015\u2212\uFE63\u200B\u200C\u200D\u2060\uFEFF-]', '', 'g'),
        'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
$f$;

-- A character class from sync.config (written by central.load_kinds), read once per
-- transaction: kept in a transaction-local setting (detoasting the large classes for every
-- checked value cost ~10 us a call, 47,500 calls in a push of 5,000 changes)
CREATE OR REPLACE FUNCTION sync._class(name text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    v text := current_setting('xingan_sync.class_' || name, true);
BEGIN
    IF v IS NULL OR v = '' THEN
        SELECT value->>0 INTO v FROM sync.config WHERE key = name;
        PERFORM set_config('xingan_sync.class_' || name, coalesce(v, ''), true);
    END IF;
    RETURN v;
END $f$;

-- validation.check_printable_text (the set of refused characters comes from Python itself)
CREATE OR REPLACE FUNCTION sync._chk_check_printable_text(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    pos integer := regexp_instr(raw, '[' || sync._class('unprintable_class') || ']');
BEGIN
    IF pos = 0 THEN
        RETURN NULL;
    END IF;
    RETURN format('含有控制字符或无法打印的字符 U+%s（第%s个字符）',
                  upper(lpad(to_hex(ascii(substr(raw, pos, 1))), 4, '0')), pos);
END $f$;

-- validation.check_person_name
CREATE OR REPLACE FUNCTION sync._chk_check_person_name(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    s text := sync._strip(raw);
    pos integer;
BEGIN
    IF s = '' THEN
        RETURN '未填写姓名';
    END IF;
    IF length(s) > 50 THEN
        RETURN format('姓名最多50个字，实际为%s个', length(s));
    END IF;
    pos := regexp_instr(s, '[^' || sync._class('name_class') || ']');
    IF pos > 0 THEN
        RETURN format('姓名含有不允许的字符 U+%s（第%s个字符）',
                      upper(lpad(to_hex(ascii(substr(s, pos, 1))), 4, '0')), pos);
    END IF;
    IF s ~ ('^[' || sync._class('name_dots') || ']|[' || sync._class('name_dots') || ']$') THEN
        RETURN '姓名不能以间隔号开头或结尾';
    END IF;
    IF s !~ ('[' || sync._class('name_letters') || ']') THEN
        RETURN '姓名应至少包含一个汉字或字母';
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_uscc (GB 32100)
CREATE OR REPLACE FUNCTION sync._chk_check_uscc(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    s text := sync._norm(raw);
    total integer := 0;
    w integer := 1;
BEGIN
    IF s = '' THEN
        RETURN '未填写统一社会信用代码';
    END IF;
    IF s ~ '[^0-9A-Z]' THEN
        RETURN '统一社会信用代码含有不允许的字符';
    END IF;
    IF length(s) <> 18 THEN
        RETURN format('统一社会信用代码应为18位，实际为%s位', length(s));
    END IF;
    IF substr(s, 3, 6) ~ '[^0-9]' THEN
        RETURN '统一社会信用代码第3–8位是行政区划码，只能是数字';
    END IF;
    IF s ~ '[IOSVZ]' THEN
        RETURN '统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z）';
    END IF;
    FOR i IN 1..17 LOOP
        total := total + (position(substr(s, i, 1) IN alphabet) - 1) * w;
        w := w * 3 % 31;
    END LOOP;
    IF substr(s, 18, 1) <> substr(alphabet, (31 - total % 31) % 31 + 1, 1) THEN
        RETURN format('统一社会信用代码校验位错误，应为 %s',
                      substr(alphabet, (31 - total % 31) % 31 + 1, 1));
    END IF;
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION sync._id_check_char(first17 text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    total integer := 0;
BEGIN
    FOR i IN 1..17 LOOP
        total := total + substr(first17, i, 1)::integer * ((2 ^ (18 - i))::integer % 11);
    END LOOP;
    RETURN substr('10X98765432', total % 11 + 1, 1);
END $f$;

-- validation.check_id_number (GB 11643)
CREATE OR REPLACE FUNCTION sync._chk_check_id_number(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    s text := sync._norm(raw);
    born date;
    provinces constant text[] := ARRAY['11', '12', '13', '14', '15', '21', '22', '23', '31', '32',
        '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53',
        '54', '61', '62', '63', '64', '65', '71'];
BEGIN
    IF s = '' THEN
        RETURN '未填写身份证号码';
    END IF;
    IF s ~ '[^0-9X]' THEN
        RETURN '身份证号码含有不允许的字符';
    END IF;
    IF length(s) = 15 THEN
        IF s ~ 'X' THEN
            RETURN '15位旧身份证号码只能由数字组成';
        END IF;
        s := left(s, 6) || '19' || substr(s, 7);
        s := s || sync._id_check_char(s);
    ELSIF length(s) <> 18 THEN
        RETURN format('身份证号码应为18位，实际为%s位', length(s));
    END IF;
    IF left(s, 17) ~ 'X' THEN
        RETURN '身份证号码只有最后一位可以是X';
    END IF;
    -- validation.ID_PROVINCES / ID_PERMIT_PREFIXES: the region names a province (81–83
    -- residence permits; 9 + province: a foreigner's permanent-residence ID); counties unchecked
    IF left(s, 1) = '9' THEN
        IF substr(s, 2, 2) = '71' OR substr(s, 2, 2) <> ALL (provinces) THEN
            RETURN format('外国人永久居留身份证号码第2–3位“%s”不是省级行政区划代码', substr(s, 2, 2));
        END IF;
    ELSIF left(s, 2) <> ALL (provinces || ARRAY['81', '82', '83']) THEN
        RETURN format('身份证号码前两位“%s”不是省级行政区划代码', left(s, 2));
    END IF;
    BEGIN
        born := make_date(substr(s, 7, 4)::integer, substr(s, 11, 2)::integer,
                          substr(s, 13, 2)::integer);
    EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format
                   OR numeric_value_out_of_range OR data_exception THEN
        RETURN format('出生日期 %s-%s-%s 不存在', substr(s, 7, 4), substr(s, 11, 2),
                      substr(s, 13, 2));
    END;
    IF extract(year FROM born) < 1900 THEN
        RETURN '出生日期早于1900年';
    END IF;
    IF born > (now() AT TIME ZONE 'Asia/Shanghai')::date THEN
        RETURN '出生日期晚于今天';
    END IF;
    IF substr(s, 18, 1) <> sync._id_check_char(left(s, 17)) THEN
        RETURN format('身份证号码校验位错误，应为 %s', sync._id_check_char(left(s, 17)));
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_mobile
CREATE OR REPLACE FUNCTION sync._chk_check_mobile(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := translate(sync._norm(raw), '()（）[]【】', '');
BEGIN
    IF left(s, 3) = '+86' THEN
        s := substr(s, 4);
    ELSIF left(s, 4) = '0086' THEN
        s := substr(s, 5);
    ELSIF left(s, 2) = '86' AND length(s) = 13 THEN
        s := substr(s, 3);
    END IF;
    IF s = '' THEN
        RETURN '未填写手机号码';
    END IF;
    IF s ~ '[^0-9]' THEN
        RETURN '手机号码含有不允许的字符';
    END IF;
    IF length(s) <> 11 THEN
        RETURN format('手机号码应为11位，实际为%s位', length(s));
    END IF;
    IF s !~ '^1[3-9]' THEN
        RETURN '手机号码应以13–19开头';
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_email
CREATE OR REPLACE FUNCTION sync._chk_check_email(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := sync._strip(sync._hw(raw));
BEGIN
    IF s = '' THEN
        RETURN '未填写电子邮箱';
    END IF;
    IF length(s) > 100 THEN
        RETURN '电子邮箱过长';
    END IF;
    IF s !~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$' THEN
        RETURN '电子邮箱格式不对';
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_patent_application_number (ZC 0006-2003)
CREATE OR REPLACE FUNCTION sync._chk_check_patent_application_number(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    s text := sync._norm(raw);
    h text;
    stripped boolean := true;
    body text;
    chk text;
    yr integer;
    kind text;
    serial text;
    total integer := 0;
    expected text;
BEGIN
    WHILE stripped LOOP
        stripped := false;
        FOREACH h IN ARRAY ARRAY['专利申请号', '专利号', '申请号', 'CN', 'ZL'] LOOP
            IF left(s, length(h)) = h THEN
                s := regexp_replace(substr(s, length(h) + 1), '^:+', '');
                stripped := true;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
    IF right(s, 1) = '号' THEN  -- ZL202310397744.0号
        s := left(s, length(s) - 1);
    END IF;
    IF s = '' THEN
        RETURN CASE WHEN sync._norm(raw) = '' THEN '未填写申请号' ELSE '申请号只有前缀，缺少号码' END;
    END IF;
    IF s ~ '[^0-9.X]' THEN
        RETURN '申请号含有不允许的字符';
    END IF;
    IF length(s) - length(replace(s, '.', '')) > 1 THEN
        RETURN '申请号中只能有一个小数点';
    END IF;
    IF s ~ '\.' THEN
        body := split_part(s, '.', 1);
        chk := split_part(s, '.', 2);
        IF length(chk) <> 1 THEN
            RETURN '申请号小数点后应为一位校验位';
        END IF;
    ELSIF right(s, 1) = 'X' OR length(s) IN (9, 13) THEN
        body := left(s, length(s) - 1);
        chk := right(s, 1);
    ELSE
        body := s;
        chk := NULL;
    END IF;
    IF body ~ 'X' THEN
        RETURN '申请号中的X只能作为最后一位校验位';
    END IF;
    IF length(body) NOT IN (8, 12) THEN
        RETURN format('申请号应为12位或8位数字加校验位，实际为%s位数字', length(body));
    END IF;
    IF length(body) = 12 THEN
        yr := left(body, 4)::integer;
        kind := substr(body, 5, 1);
        serial := substr(body, 6);
        IF yr < 2003 THEN
            RETURN '12位申请号自2003年起使用';
        END IF;
        IF yr > extract(year FROM (now() AT TIME ZONE 'Asia/Shanghai'))::integer THEN
            RETURN '申请号年份晚于今年';
        END IF;
    ELSE
        yr := left(body, 2)::integer;
        kind := substr(body, 3, 1);
        serial := substr(body, 4);
        IF yr BETWEEN 4 AND 84 THEN
            RETURN '8位申请号的前两位是年份，应为85–99或00–03';
        END IF;
        yr := CASE WHEN yr >= 85 THEN 1900 + yr ELSE 2000 + yr END;
    END IF;
    IF kind NOT IN ('1', '2', '3', '8', '9') THEN
        RETURN '申请号中的专利类型应为1、2、3、8或9';
    END IF;
    IF serial !~ '[1-9]' THEN
        RETURN '申请号流水号不能全为0';
    END IF;
    FOR i IN 1..length(body) LOOP
        total := total + substr(body, i, 1)::integer * (2 + (i - 1) % 8);
    END LOOP;
    expected := CASE WHEN total % 11 = 10 THEN 'X' ELSE (total % 11)::text END;
    IF chk IS NULL THEN
        IF yr <= 1988 THEN
            RETURN NULL;
        END IF;
        RETURN format('申请号缺少校验位，完整号码应为 %s.%s', body, expected);
    END IF;
    IF chk <> expected THEN
        RETURN format('申请号校验位错误，应为 %s', expected);
    END IF;
    RETURN NULL;
END $f$;

-- Why one value does not fit its field declaration (spec: sync.workflow.fields->key), or NULL.
CREATE OR REPLACE FUNCTION sync._field_problem(spec jsonb, v jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    t text := spec->>'type';
    s text;
    n numeric;
    d date;
    reason text;
    chk text;
    row_n integer := 0;
    rw jsonb;
    sk text;
    sv jsonb;
BEGIN
    IF v IS NULL OR v = 'null'::jsonb OR v = '""'::jsonb OR v = '[]'::jsonb THEN
        IF (spec->>'required')::boolean
           OR (t = 'group' AND coalesce((spec->>'min_rows')::integer, 0) > 0) THEN
            RETURN '不能为空';
        END IF;
        RETURN NULL;
    END IF;
    IF t IN ('text', 'ref', 'date', 'datetime', 'choice', 'money') THEN
        IF jsonb_typeof(v) <> 'string' THEN
            RETURN '应为文字';
        END IF;
        s := v #>> '{}';
        -- every text a window stores is printable (no control or bidi characters); the
        -- twin's call (and its message) only when the class matches somewhere
        IF regexp_instr(s, '[' || sync._class('unprintable_class') || ']') > 0 THEN
            RETURN sync._chk_check_printable_text(s);
        END IF;
    END IF;
    CASE t
    WHEN 'text', 'ref' THEN
        IF length(s) > (spec->>'max_len')::integer THEN
            RETURN format('不能超过%s个字（现有%s个字）', spec->>'max_len', length(s));
        END IF;
        IF s ~ '\r' OR (coalesce(spec->>'multiline', 'false') <> 'true' AND s ~ '\n') THEN
            RETURN '不能含有换行';
        END IF;
        -- (the declared checks by position: a query per value to list them cost as much as
        -- the rest of the text's checks)
        FOR i IN 0 .. coalesce(jsonb_array_length(spec->'checks'), 0) - 1 LOOP
            chk := spec->'checks'->>i;
            reason := CASE chk
                -- already passed above, on the same text, for every text type
                WHEN 'check_printable_text' THEN NULL
                WHEN 'check_person_name' THEN sync._chk_check_person_name(s)
                WHEN 'check_uscc' THEN sync._chk_check_uscc(s)
                WHEN 'check_id_number' THEN sync._chk_check_id_number(s)
                WHEN 'check_mobile' THEN sync._chk_check_mobile(s)
                WHEN 'check_email' THEN sync._chk_check_email(s)
                WHEN 'check_patent_application_number'
                    THEN sync._chk_check_patent_application_number(s)
                -- twins in checks.sql
                WHEN 'check_phone' THEN sync._chk_check_phone(s)
                WHEN 'check_landline' THEN sync._chk_check_landline(s)
                WHEN 'check_publication_number' THEN sync._chk_check_publication_number(s)
                WHEN 'check_trademark_number' THEN sync._chk_check_trademark_number(s)
                WHEN 'check_ip_number' THEN sync._chk_check_ip_number(s)
                WHEN 'check_ip_numbers' THEN sync._chk_check_ip_numbers(s)
                WHEN 'check_classification' THEN sync._chk_check_classification(s)
                ELSE '中心数据库不认识校验“' || chk || '”' END;
            IF reason IS NOT NULL THEN
                RETURN reason;
            END IF;
        END LOOP;
    WHEN 'int' THEN
        IF jsonb_typeof(v) <> 'number' THEN
            RETURN '应为整数';
        END IF;
        n := v::text::numeric;
        IF n <> trunc(n) THEN
            RETURN '应为整数';
        END IF;
        IF n < (spec->>'min')::numeric OR n > (spec->>'max')::numeric THEN
            RETURN format('应在%s到%s之间', spec->>'min', spec->>'max');
        END IF;
    WHEN 'money' THEN
        IF s !~ '^[0-9]{1,15}\.[0-9]{2}$' OR s::numeric > (spec->>'max')::numeric THEN
            RETURN '应为不超过允许范围的金额（两位小数）';
        END IF;
    WHEN 'bool' THEN
        IF jsonb_typeof(v) <> 'boolean' THEN
            RETURN '应为“是”或“否”';
        END IF;
    WHEN 'date' THEN
        IF s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
            RETURN format('“%s”不是日期', left(s, 40));
        END IF;
        BEGIN
            d := make_date(left(s, 4)::integer, substr(s, 6, 2)::integer, right(s, 2)::integer);
        EXCEPTION WHEN OTHERS THEN
            RETURN format('“%s”不是有效日期', s);
        END;
        IF extract(year FROM d) < coalesce((spec->>'min_year')::integer, 1949)
           OR extract(year FROM d) > 2100 THEN
            RETURN format('年份不合理：%s', extract(year FROM d));
        END IF;
        -- one day of grace for a window clock or time zone a little ahead
        IF spec->>'not_future' = 'true'
           AND d > (now() AT TIME ZONE 'Asia/Shanghai')::date + 1 THEN
            RETURN '不能晚于今天';
        END IF;
    WHEN 'datetime' THEN
        IF s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}:[0-9]{2}|Z)$'
        THEN
            RETURN format('“%s”不是时间', left(s, 40));
        END IF;
        BEGIN
            n := extract(year FROM s::timestamptz AT TIME ZONE 'Asia/Shanghai');
        EXCEPTION WHEN OTHERS THEN
            RETURN format('“%s”不是有效时间', s);
        END;
        IF n < 1990 OR n > 2100 THEN
            RETURN format('年份不合理：%s', n);
        END IF;
    WHEN 'choice' THEN
        IF NOT (spec->'codes' ? s) THEN
            RETURN format('“%s”不在可选范围内', left(s, 40));
        END IF;
    WHEN 'multichoice' THEN
        IF jsonb_typeof(v) <> 'array' THEN
            RETURN '应为可选项的列表';
        END IF;
        FOR sv IN SELECT jsonb_array_elements(v) LOOP
            IF jsonb_typeof(sv) <> 'string' OR NOT (spec->'codes' ? (sv #>> '{}')) THEN
                RETURN format('“%s”不在可选范围内', left(sv #>> '{}', 40));
            END IF;
        END LOOP;
        IF (SELECT count(DISTINCT x) FROM jsonb_array_elements(v) x) <> jsonb_array_length(v) THEN
            RETURN '可选项重复';
        END IF;
    WHEN 'group' THEN
        IF jsonb_typeof(v) <> 'array' THEN
            RETURN '格式不对';
        END IF;
        IF jsonb_array_length(v) > (spec->>'max_rows')::integer THEN
            RETURN format('最多%s项', spec->>'max_rows');
        END IF;
        IF jsonb_array_length(v) < coalesce((spec->>'min_rows')::integer, 0) THEN
            RETURN format('至少%s项', spec->>'min_rows');
        END IF;
        FOR rw IN SELECT jsonb_array_elements(v) LOOP
            row_n := row_n + 1;
            IF jsonb_typeof(rw) <> 'object' THEN
                RETURN format('第%s行格式不对', row_n);
            END IF;
            FOR sk IN SELECT jsonb_object_keys(rw) LOOP
                IF NOT (spec->'fields' ? sk) THEN
                    RETURN format('第%s行：“%s”不是该表格的列', row_n, left(sk, 40));
                END IF;
            END LOOP;
            FOR sk IN SELECT jsonb_object_keys(spec->'fields') LOOP
                reason := sync._field_problem(spec->'fields'->sk, rw->sk);
                IF reason IS NOT NULL THEN
                    RETURN format('第%s行“%s”：%s', row_n, spec->'fields'->sk->>'label', reason);
                END IF;
            END LOOP;
        END LOOP;
        -- the group's own rules over its rows (kind_checks.sql, e.g. _parties_check)
        FOR chk IN SELECT jsonb_array_elements_text(coalesce(spec->'group_checks', '[]')) LOOP
            reason := sync._group_check(chk, v);
            IF reason IS NOT NULL THEN
                RETURN reason;
            END IF;
        END LOOP;
    ELSE
        RETURN '中心数据库不认识该字段类型';
    END CASE;
    RETURN NULL;
END $f$;

-- Why one value of a mutation may not be stored: [code, message] or NULL. spec: the field's
-- declaration (NULL: no such field); mode and allowed as in sync._check_values. Shared by
-- sync._check_values (one mutation) and sync._push_batch (a whole batch, once per distinct
-- value), so both paths refuse exactly the same values.
CREATE OR REPLACE FUNCTION sync._value_refusal(spec jsonb, k text, v jsonb, mode text,
                                               allowed text[])
RETURNS text[] LANGUAGE plpgsql STABLE AS $f$
DECLARE
    reason text;
BEGIN
    IF spec IS NULL THEN
        RETURN ARRAY['UNKNOWN_FIELD', format(
            '字段“%s”不是该类记录的字段（可能来自不同版本的程序），中心数据库拒收', left(k, 60))];
    END IF;
    IF (mode = 'update' AND spec->>'stage' NOT IN ('intake', 'system'))
       OR (mode = 'event' AND NOT (k = ANY (allowed)))
       OR (mode = 'create' AND spec->>'stage' IN ('action', 'derived')
           AND v NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb)) THEN
        RETURN ARRAY['FIELD_NOT_ALLOWED', format(
            '字段“%s”（%s）不能由%s修改', spec->>'label', k,
            CASE mode WHEN 'event' THEN '该办理操作' WHEN 'update' THEN '修改（只能通过办理操作）'
                      ELSE '登记（只能通过办理操作）' END)];
    END IF;
    -- an empty value of an optional field: nothing to check (sync._field_problem's first
    -- test, without the call: most of a form's fields are sent empty)
    IF v IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb)
       AND NOT coalesce((spec->>'required')::boolean, false)
       AND coalesce((spec->>'min_rows')::integer, 0) <= 0 THEN
        RETURN NULL;
    END IF;
    reason := sync._field_problem(spec, v);
    IF reason IS NOT NULL THEN
        RETURN ARRAY['INVALID_VALUE', format('字段“%s”（%s）：%s', spec->>'label', k, reason)];
    END IF;
    RETURN NULL;
END $f$;

-- Why the values of one mutation taken together may not be stored ([code, message] or NULL):
-- a required field left empty, or a cross-field rule of the kind. checks: the kind's
-- RecordKind.checks; fields: its declarations (decompressed); vals, mode, allowed, required,
-- existing as in sync._check_values. Shared like sync._value_refusal.
CREATE OR REPLACE FUNCTION sync._values_refusal(checks text[], fields jsonb, vals jsonb,
                                                mode text, allowed text[], required text[],
                                                existing jsonb)
RETURNS text[] LANGUAGE plpgsql STABLE AS $f$
DECLARE
    k text;
    chk text;
    pair jsonb;
BEGIN
    FOREACH k IN ARRAY coalesce(required, '{}') LOOP
        IF coalesce(vals->k, existing->k, 'null'::jsonb)
           IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb) THEN
            RETURN ARRAY['INVALID_VALUE', format('字段“%s”（%s）：不能为空',
                                                 fields->k->>'label', k)];
        END IF;
    END LOOP;
    -- the kind's cross-field rules (RecordKind.checks) on the record as the window saw it:
    -- a create's values; an update's or an action's over the stored record. Like
    -- RecordKind.clean, a rule counts only for the fields the mutation may set: a create's
    -- intake fields, an update's sent fields, an action's declared fields.
    FOREACH chk IN ARRAY coalesce(checks, '{}') LOOP
        FOR pair IN SELECT jsonb_array_elements(sync._kind_check(chk,
                CASE mode WHEN 'create' THEN vals ELSE coalesce(existing, '{}') || vals END)) LOOP
            k := pair->>0;
            IF k = '' OR (mode = 'create' AND fields->k->>'stage' = 'intake')
               OR (mode = 'update' AND vals ? k) OR (mode = 'event' AND k = ANY (allowed)) THEN
                RETURN ARRAY['INVALID_VALUE', format('字段“%s”（%s）：%s',
                    coalesce(fields->k->>'label', '记录'), k, pair->>1)];
            END IF;
        END LOOP;
    END LOOP;
    RETURN NULL;
END $f$;

-- Check the values of one mutation against kind kd's declarations; refuses (sync._reject)
-- naming the field. mode: 'create' (every field may appear, action fields only empty; the
-- required ones must be filled), 'update' (intake and system fields only), 'event' (the
-- action's payload fields only; `required`: the action's required fields, which the record
-- may already hold (`existing`: its values), as when an action is taken at registration).
DROP FUNCTION IF EXISTS sync._check_values(sync.workflow, jsonb, text, text[], text[]);
CREATE OR REPLACE FUNCTION sync._check_values(kd sync.workflow, vals jsonb, mode text,
                                              allowed text[], required text[],
                                              existing jsonb DEFAULT '{}')
RETURNS void LANGUAGE plpgsql STABLE AS $f$
DECLARE
    k text;
    v jsonb;
    refusal text[];
    -- the kind's field declarations, decompressed once (sync.workflow stores them
    -- compressed: read through kd.fields, every lookup unpacked all of them again)
    fields jsonb := kd.fields || '{}'::jsonb;
BEGIN
    IF jsonb_typeof(vals) IS DISTINCT FROM 'object' THEN
        PERFORM sync._reject('BAD_PAYLOAD', '变更中的字段值格式不对');
    END IF;
    FOR k, v IN SELECT key, value FROM jsonb_each(vals) LOOP
        refusal := sync._value_refusal(fields->k, k, v, mode, allowed);
        IF refusal IS NOT NULL THEN
            PERFORM sync._reject(refusal[1], refusal[2]);
        END IF;
    END LOOP;
    refusal := sync._values_refusal(kd.checks, fields, vals, mode, allowed, required, existing);
    IF refusal IS NOT NULL THEN
        PERFORM sync._reject(refusal[1], refusal[2]);
    END IF;
END $f$;
