-- Central sync: PL/pgSQL twins of the remaining number checks of xingan_desk/validation.py
-- (phone numbers, publication and trademark numbers, lists of IP numbers, patent
-- classification). Each twin decides valid/invalid exactly like its Python original
-- (tests/sync/test_central_validation.py runs shared vectors and random texts through both);
-- its message is shorter but names the field. Loaded after validate.sql.

-- validation._strip_hint: leading hint words (and the colons after them), repeatedly
CREATE OR REPLACE FUNCTION sync._strip_hint(raw text, hints text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := coalesce(raw, '');
    h text;
    stripped boolean := true;
BEGIN
    WHILE stripped LOOP
        stripped := false;
        FOREACH h IN ARRAY hints LOOP
            IF h <> '' AND left(s, length(h)) = h THEN
                s := ltrim(substr(s, length(h) + 1), ':');
                stripped := true;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
    RETURN s;
END $f$;

-- validation.check_publication_number (公开（公告）号, e.g. CN102822194B)
CREATE OR REPLACE FUNCTION sync._chk_check_publication_number(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := sync._strip_hint(sync._norm(raw), ARRAY['授权公告号', '公开号', '公告号', '公布号', 'CN']);
    digits text;
    kind text;
    kind_type text;
BEGIN
    IF right(s, 1) = '号' THEN  -- CN216979871U号
        s := left(s, length(s) - 1);
    END IF;
    IF s = '' THEN
        RETURN CASE WHEN sync._norm(raw) = '' THEN '未填写公开（公告）号'
                    ELSE '公开（公告）号只有前缀，缺少号码' END;
    END IF;
    IF s ~ '[^0-9A-Z]' THEN
        RETURN '公开（公告）号含有不允许的字符';
    END IF;
    digits := coalesce(substring(s FROM '^[0-9]*'), '');
    kind := substr(s, length(digits) + 1);
    IF digits = '' THEN
        RETURN '公开（公告）号应为CN加7位或9位数字，再加种类代码（如CN102822194A）';
    END IF;
    IF kind = '' THEN
        RETURN '公开（公告）号缺少文献类型代码（种类代码，如A、B、U、S）';
    END IF;
    IF length(digits) NOT IN (7, 9) THEN
        RETURN format('公开（公告）号应为7位或9位数字，实际为%s位', length(digits));
    END IF;
    kind_type := CASE
        WHEN kind ~ '^(A|A8|A9|B|B8|B9|C[1-7])$' THEN '1'
        WHEN kind ~ '^(U|U8|U9|Y[1-7])$' THEN '2'
        WHEN kind ~ '^(S|S9|S[1-7])$' THEN '3'
        -- kind codes of 1993–2004 (7-digit numbers only)
        WHEN length(digits) = 7 AND kind = 'C' THEN '1'
        WHEN length(digits) = 7 AND kind = 'Y' THEN '2'
        WHEN length(digits) = 7 AND kind = 'D' THEN '3' END;
    IF kind_type IS NULL THEN
        RETURN format('公开（公告）号的种类代码“%s”无效', left(kind, 10));
    END IF;
    IF left(digits, 1) NOT IN ('1', '2', '3') THEN
        RETURN '公开（公告）号首位数字表示专利类型，应为1、2或3';
    END IF;
    IF left(digits, 1) <> kind_type THEN
        RETURN '公开（公告）号首位数字表示的专利类型与种类代码不符';
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_trademark_number (1–9 digits; hints such as 商标/注册号/TM and 第…号)
CREATE OR REPLACE FUNCTION sync._chk_check_trademark_number(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := sync._strip_hint(sync._norm(raw),
                               ARRAY['商标注册号', '商标申请号', '商标号', '注册号', '申请号', '商标', 'TM']);
BEGIN
    IF left(s, 1) = '第' THEN
        s := substr(s, 2);
    END IF;
    IF right(s, 1) = '号' THEN
        s := left(s, length(s) - 1);
    END IF;
    IF s = '' THEN
        RETURN '未填写商标号';
    END IF;
    IF s ~ '[^0-9]' THEN
        RETURN '商标号含有不允许的字符';
    END IF;
    IF length(s) > 9 THEN
        RETURN format('商标号应为1–9位数字，实际为%s位', length(s));
    END IF;
    IF left(s, 1) = '0' THEN
        RETURN '商标号不能以0开头';
    END IF;
    RETURN NULL;
END $f$;

-- validation.ip_number_kind: patent_application, publication, trademark or NULL
CREATE OR REPLACE FUNCTION sync._ip_number_kind(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := sync._norm(raw);
    rest text;
    inner_kind text;
BEGIN
    IF s = '' THEN
        RETURN NULL;
    END IF;
    IF s ~ '^(商标|TM|第|注册号)' THEN
        RETURN 'trademark';
    END IF;
    IF right(s, 1) = '号' AND right(s, 3) <> '专利号' THEN
        -- 第…号 / 123号 is a trademark; ZL202310397744.0号 stays a patent number
        inner_kind := sync._ip_number_kind(left(s, length(s) - 1));
        RETURN CASE WHEN inner_kind IN ('patent_application', 'publication') THEN inner_kind
                    ELSE 'trademark' END;
    END IF;
    IF s ~ '^(授权公告号|公开号|公告号|公布号)' THEN
        RETURN 'publication';
    END IF;
    IF s ~ '^(专利申请号|专利号|申请号|ZL)' THEN
        RETURN 'patent_application';
    END IF;
    rest := CASE WHEN left(s, 2) = 'CN' THEN substr(s, 3) ELSE s END;
    -- (Python's \d also matches other scripts' digits; an item holding one is refused by
    -- every branch, so ASCII digits decide the same)
    IF strpos(rest, '.') > 0 OR rest ~ '^[0-9]+X$' THEN
        RETURN 'patent_application';
    END IF;
    IF rest ~ '^[0-9]+[A-WYZ][0-9]?$' THEN
        RETURN 'publication';
    END IF;
    IF rest ~ '^[0-9]+$' THEN
        -- CN102822194 without its kind code (unless an 8-digit application number + check)
        IF rest <> s AND length(rest) IN (7, 9)
           AND NOT (length(rest) = 9 AND (left(rest, 2)::integer >= 85 OR left(rest, 2)::integer <= 3)
                    AND substr(rest, 3, 1) IN ('1', '2', '3', '8', '9')) THEN
            RETURN 'publication';
        END IF;
        IF rest <> s OR length(rest) IN (12, 13) THEN
            RETURN 'patent_application';
        END IF;
        IF length(rest) <= 9 THEN
            RETURN 'trademark';
        END IF;
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_ip_number: one application, publication or trademark number
CREATE OR REPLACE FUNCTION sync._chk_check_ip_number(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN CASE sync._ip_number_kind(raw)
        WHEN 'patent_application' THEN sync._chk_check_patent_application_number(raw)
        WHEN 'publication' THEN sync._chk_check_publication_number(raw)
        WHEN 'trademark' THEN sync._chk_check_trademark_number(raw)
        ELSE CASE WHEN sync._norm(raw) = '' THEN '未填写知识产权号码'
                  ELSE '无法识别：商标号为1–9位数字，专利申请号为12位数字加校验位，公开号形如CN102822194A'
             END
    END;
END $f$;

-- validation._is_spaced_application: normalised groups that together form an application
-- number with its check character spaced only between its year, type digit and serial (and,
-- without a dot, before the check character when ZL/CN/专利号 or a final X says so)
CREATE OR REPLACE FUNCTION sync._spaced_application(keys text[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    app_hints constant text[] := ARRAY['专利申请号', '专利号', '申请号', 'CN', 'ZL'];
    joined text := array_to_string(keys, '');
    bare text := sync._strip_hint(array_to_string(keys, ''), app_hints);
    m text[];
    body text;
    allowed integer[];
    total integer := 0;
    lo integer := array_lower(keys, 1);
BEGIN
    m := regexp_match(bare, '^([0-9]{8}|[0-9]{12})(\.?)[0-9X]$');
    IF m IS NULL THEN
        RETURN false;
    END IF;
    body := m[1];
    IF length(body) = 12 THEN
        IF NOT (left(body, 4)::integer BETWEEN 2003 AND 2099
                AND substr(body, 5, 1) IN ('1', '2', '3', '8', '9')) THEN
            RETURN false;
        END IF;
        allowed := ARRAY[4, 5];
    ELSE
        IF substr(body, 3, 1) NOT IN ('1', '2', '3', '8', '9') THEN
            RETURN false;
        END IF;
        allowed := ARRAY[2, 3];
    END IF;
    IF m[2] = '' THEN
        IF sync._strip_hint(keys[lo], app_hints) = keys[lo] AND right(joined, 1) <> 'X' THEN
            RETURN false;
        END IF;
        allowed := allowed || length(body);
    END IF;
    FOR i IN lo .. array_upper(keys, 1) - 1 LOOP
        total := total + length(CASE WHEN i = lo THEN sync._strip_hint(keys[i], app_hints)
                                     ELSE keys[i] END);
        IF NOT (total = ANY (allowed)) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END $f$;

-- validation.split_ip_numbers: the items of a typed list, as typed (inner spaces one)
CREATE OR REPLACE FUNCTION sync._ip_items(raw text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    -- validation.HINT_WORDS, in its order (longest first)
    hints constant text[] := ARRAY['专利申请号', '商标注册号', '商标申请号', '授权公告号', '专利号',
        '公告号', '公布号', '公开号', '商标号', '注册号', '申请号', 'CN', 'TM', 'ZL', '商标', '第'];
    items text[] := '{}';
    chunk text;
    tok text;
    key text;
    g text[];  -- groups of tokens as typed
    k text[];  -- the same groups normalised
    n integer;
    i integer;
    j integer;
BEGIN
    FOREACH chunk IN ARRAY regexp_split_to_array(coalesce(raw, ''), '[,，、;；\n\r]+') LOOP
        chunk := sync._strip(chunk);
        CONTINUE WHEN chunk = '';
        g := '{}';
        k := '{}';
        n := 0;
        FOREACH tok IN ARRAY regexp_split_to_array(chunk, '[' || sync._ws() || ']+') LOOP
            key := rtrim(sync._norm(tok), ':');
            IF n > 0 AND (key ~ '^([A-WYZ][0-9]?|号|\.[0-9X]?)$'
                          OR (k[n] <> '' AND sync._strip_hint(k[n], hints) = ''))
            THEN
                g[n] := g[n] || ' ' || tok;
                k[n] := k[n] || sync._norm(tok);
            ELSE
                n := n + 1;
                g[n] := tok;
                k[n] := sync._norm(tok);
            END IF;
        END LOOP;
        i := 1;
        WHILE i <= n LOOP
            j := n;
            WHILE j > i AND NOT sync._spaced_application(k[i:j]) LOOP
                j := j - 1;
            END LOOP;
            items := items || array_to_string(g[i:j], ' ');
            i := j + 1;
        END LOOP;
    END LOOP;
    RETURN items;
END $f$;

-- validation.check_ip_numbers: a typed list; the message names the first bad item
CREATE OR REPLACE FUNCTION sync._chk_check_ip_numbers(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    items text[] := sync._ip_items(raw);
    reason text;
BEGIN
    IF cardinality(items) = 0 THEN
        RETURN '未填写知识产权号码';
    END IF;
    FOR i IN 1 .. cardinality(items) LOOP
        reason := sync._chk_check_ip_number(items[i]);
        IF reason IS NOT NULL THEN
            RETURN format('第%s项“%s”：%s', i, left(items[i], 40), reason);
        END IF;
    END LOOP;
    RETURN NULL;
END $f$;

-- validation.check_landline (area code, local number, extension)
CREATE OR REPLACE FUNCTION sync._chk_check_landline(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := translate(sync._hw(raw), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    ext text := '';
    w text;
    p integer;
    groups text[];
    n integer;
    area text;
    loc text;
    whole text;
BEGIN
    s := regexp_replace(s, '[\u200B\u200C\u200D\u2060\uFEFF]', '', 'g');
    FOREACH w IN ARRAY ARRAY['转', '分机', 'EXT.', 'EXT'] LOOP
        p := strpos(s, w);
        IF p > 0 THEN
            ext := sync._norm(substr(s, p + length(w)));
            s := left(s, p - 1);
            EXIT;
        END IF;
    END LOOP;
    -- brackets and hyphens separate the parts like spaces
    s := translate(s, '()（）[]【】-' || chr(8208) || chr(8209) || chr(8210) || chr(8211)
                      || chr(8212) || chr(8213) || chr(8722) || chr(65123), repeat(' ', 17));
    s := sync._strip(s);
    IF s = '' THEN
        RETURN '未填写固定电话';
    END IF;
    groups := regexp_split_to_array(s, '[' || sync._ws() || ']+');
    n := cardinality(groups);
    IF n > 3 OR (ext <> '' AND n = 3) THEN
        RETURN '固定电话格式不正确，应为“区号-号码”，如0482-8226123';
    END IF;
    IF n = 3 THEN
        area := groups[1];
        loc := groups[2];
        ext := groups[3];
    ELSIF n = 2 AND left(groups[1], 1) = '0' AND length(groups[1]) IN (3, 4) THEN
        area := groups[1];
        loc := groups[2];
    ELSE
        whole := groups[1];
        IF n = 2 THEN
            ext := groups[2];
        END IF;
        IF whole ~ '[^0-9]' THEN
            RETURN '固定电话含有不允许的字符';
        END IF;
        IF left(whole, 1) <> '0' THEN
            RETURN '固定电话请加区号（兴安盟为0482），如0482-8226123';
        END IF;
        n := CASE WHEN substr(whole, 2, 1) IN ('1', '2') THEN 3 ELSE 4 END;
        area := left(whole, n);
        loc := substr(whole, n + 1);
    END IF;
    IF (area || loc || ext) ~ '[^0-9]' THEN
        RETURN '固定电话含有不允许的字符';
    END IF;
    IF area !~ '^(010|02[0-9]|0[3-9][0-9][0-9])$' THEN
        RETURN format('固定电话区号“%s”无效', left(area, 10));
    END IF;
    IF loc = '' THEN
        RETURN '固定电话缺少本地号码';
    END IF;
    IF left(loc, 1) = '0' OR (left(loc, 1) = '1' AND area = '0482') THEN
        RETURN '固定电话本地号码应以2–9开头';
    END IF;
    IF area = '0482' AND length(loc) <> 7 THEN
        RETURN format('0482地区的本地号码应为7位，实际为%s位', length(loc));
    END IF;
    IF substr(area, 2, 1) IN ('1', '2') AND length(loc) <> 8 THEN
        RETURN format('区号%s的本地号码应为8位，实际为%s位', area, length(loc));
    END IF;
    IF length(loc) NOT BETWEEN 7 AND 8 THEN
        RETURN format('固定电话本地号码应为7–8位，实际为%s位', length(loc));
    END IF;
    IF length(ext) > 6 THEN
        RETURN format('分机号应为1–6位数字，实际为%s位', length(ext));
    END IF;
    RETURN NULL;
END $f$;

-- validation.check_phone: a mobile number, a landline with area code, or a hotline
CREATE OR REPLACE FUNCTION sync._chk_check_phone(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    s text := translate(sync._norm(raw), '()（）[]【】', '');
    nat text := s;
BEGIN
    IF s = '' THEN
        RETURN '未填写电话号码';
    END IF;
    IF s IN ('12345', '12315', '12330') THEN
        RETURN NULL;
    END IF;
    IF left(s, 3) = '+86' THEN  -- validation.normalize_mobile
        nat := substr(s, 4);
    ELSIF left(s, 4) = '0086' THEN
        nat := substr(s, 5);
    ELSIF left(s, 2) = '86' AND length(s) = 13 THEN
        nat := substr(s, 3);
    END IF;
    IF nat <> s AND left(nat, 1) NOT IN ('', '1') THEN
        RETURN sync._chk_check_landline('0' || nat);  -- +86 482 8226123
    END IF;
    IF strpos(s, '转') > 0 OR strpos(s, '分机') > 0 OR (left(s, 1) = '0' AND left(s, 2) <> '00') THEN
        RETURN sync._chk_check_landline(raw);
    END IF;
    IF left(nat, 1) = '1' AND length(nat) = 5 AND nat ~ '^[0-9]+$' THEN
        RETURN '服务热线只接受12345、12315、12330';
    END IF;
    IF left(nat, 1) = '1' OR nat <> s THEN
        RETURN sync._chk_check_mobile(raw);
    END IF;
    IF s ~ '^[0-9]{7,8}$' THEN
        RETURN sync._chk_check_landline(raw);
    END IF;
    RETURN '电话号码格式不正确：手机号码为11位，固定电话需带区号';
END $f$;

-- validation.check_classification: an IPC symbol (C08K 3/04) or a Locarno class (09-03).
-- Python's \d and int() take the decimal digits of every script: they are mapped to ASCII
-- first (sync.config decimal_digits / decimal_values, from Python's Unicode data).
CREATE OR REPLACE FUNCTION sync._chk_check_classification(raw text) RETURNS text
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    s text := sync._strip(translate(sync._hw(raw), sync._class('decimal_digits'),
                                    sync._class('decimal_values')));
BEGIN
    IF s ~ '^[0-9]{2}-[0-9]{2}$' THEN
        IF left(s, 2)::integer BETWEEN 1 AND 32 THEN
            RETURN NULL;
        END IF;
        RETURN '洛迦诺分类号的大类应在01到32之间';
    END IF;
    -- validation.check_ipc; str.upper() maps only these to A–Z besides a–z (ı → I, ſ → S)
    s := translate(s, 'abcdefghijklmnopqrstuvwxyz' || chr(305) || chr(383),
                   'ABCDEFGHIJKLMNOPQRSTUVWXYZIS');
    IF s = '' THEN
        RETURN '未填写分类号';
    END IF;
    IF regexp_replace(s, '[' || sync._ws() || ']+', ' ', 'g')
       !~ '^[A-H][0-9]{2}[A-Z] ?[0-9]{1,4}/[0-9]{2,6}$' THEN
        RETURN '分类号格式不对，应类似 C08K 3/04（部、大类、小类、大组/小组）';
    END IF;
    RETURN NULL;
END $f$;
