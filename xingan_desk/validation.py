"""Checks for the numbers and names clerks type at the IP window.

Every ``check_*`` function takes the raw text as typed (full-width digits and letters, ideographic
dots, spaces, hyphens and lower case are all fine) and returns ``None`` when the value is valid, or
a short Simplified-Chinese message saying exactly what is wrong. ``warn_*`` functions return a
message for values that are valid but look suspicious; the form shows it without blocking.

Specs and test vectors: domain.md §3 (GB 32100, GB 11643, ZC 0006-2003, ZC 0008-2004, phone numbers).
Pure functions only: no Qt, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = [
    "HAN_RANGES",
    "HINT_WORDS",
    "ID_PERMIT_PREFIXES",
    "ID_PROVINCES",
    "NAME_DOTS",
    "NAME_OTHER_CHARS",
    "USCC_ALPHABET",
    "check_id_number",
    "check_ip_number",
    "check_ip_numbers",
    "check_landline",
    "check_mobile",
    "check_nice_class",
    "check_patent_application_number",
    "check_person_name",
    "check_phone",
    "check_printable_text",
    "check_publication_number",
    "check_trademark_number",
    "check_uscc",
    "id_birth_date",
    "id_check_char",
    "id_sex",
    "ip_number_kind",
    "normalize",
    "normalize_id_number",
    "normalize_mobile",
    "normalize_patent_application_number",
    "normalize_publication_number",
    "normalize_trademark_number",
    "normalize_uscc",
    "patent_check_char",
    "patent_type_of",
    "split_ip_numbers",
    "to_halfwidth",
    "uscc_check_char",
    "warn_mobile",
    "warn_uscc",
]

# --------------------------------------------------------------------------- normalising

_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！..～ → !..~
_HALFWIDTH.update({0x3000: 0x20, 0x3002: 0x2E, 0xFF61: 0x2E})  # ideographic space, 。 ｡ → .
_HYPHENS = frozenset("-‐‑‒–—―−﹣")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")  # zero-width chars pasted from web pages
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PARENS = frozenset("()（）[]【】")


def _text(raw: object) -> str:
    return "" if raw is None else str(raw)


def to_halfwidth(raw: str) -> str:
    """Full-width ASCII forms, the ideographic space and the ideographic full stop → ASCII."""
    return _text(raw).translate(_HALFWIDTH)


def normalize(raw: str) -> str:
    """Strip spaces, hyphens and zero-width characters; full-width → ASCII; upper-case a–z."""
    if type(raw) is str and raw.isascii() and raw.isalnum():
        return raw.upper()  # the common case (a code, a number): nothing to strip or widen
    s = to_halfwidth(raw)
    kept = (c for c in s if not c.isspace() and c not in _HYPHENS and c not in _INVISIBLE)
    return "".join(kept).translate(_UPPER)


def _is_digits(s: str) -> bool:
    return s != "" and all("0" <= c <= "9" for c in s)


def _show(c: str) -> str:
    """A character for a message: quoted when visible, as U+XXXX when it is not."""
    if c.isspace() or unicodedata.category(c)[0] in "CZ":
        return f" U+{ord(c):04X} "
    return f"“{c}”"


def _bad_char(name: str, s: str, allowed: str) -> str | None:
    for c in s:
        if c not in allowed:
            return f"{name}含有不允许的字符{_show(c)}".rstrip()
    return None


_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# --------------------------------------------------------------------------- 统一社会信用代码

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_LOOKALIKE = {"O": "0", "I": "1", "Z": "2", "S": "5"}
_USCC_DEPARTMENTS = "123456789ANY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC = "统一社会信用代码"


def normalize_uscc(raw: str) -> str:
    return normalize(raw)


def uscc_check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a USCC."""
    s = normalize(first17)
    if len(s) != 17 or any(c not in USCC_ALPHABET for c in s):
        raise ValueError(f"需要17个统一社会信用代码字符：{first17!r}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(s, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def check_uscc(raw: str) -> str | None:
    s = normalize_uscc(raw)
    if not s:
        return f"未填写{_USCC}"
    if bad := _bad_char(_USCC, s, _ALNUM):
        return bad
    if len(s) != 18:
        return f"{_USCC}应为18位，实际为{len(s)}位"
    for i in range(2, 8):
        if s[i] not in _DIGITS:
            return f"{_USCC}第3–8位是行政区划码，只能是数字，第{i + 1}位却是“{s[i]}”"
    for i, c in enumerate(s, 1):
        if c not in USCC_ALPHABET:
            hint = f"，是否应为数字{_USCC_LOOKALIKE[c]}" if c in _USCC_LOOKALIKE else ""
            return f"{_USCC}含有不允许的字符“{c}”（第{i}位；不使用I、O、S、V、Z{hint}）"
    expected = uscc_check_char(s[:17])
    if s[17] != expected:
        return f"{_USCC}校验位错误，应为 {expected}"
    return None


def _org_code_check_char(first8: str) -> str:
    """GB 11714 check character of a 9-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def warn_uscc(raw: str) -> str | None:
    """Soft checks on a *valid* USCC: department code and the embedded org-code check."""
    if check_uscc(raw) is not None:
        return None
    s = normalize_uscc(raw)
    if s[0] not in _USCC_DEPARTMENTS:
        return f"登记管理部门码“{s[0]}”不在已知范围（1–9、A、N、Y），请核对"
    expected = _org_code_check_char(s[8:16])
    if s[16] != expected:
        return f"第9–17位（组织机构代码）的校验位应为 {expected}，实际为 {s[16]}，请核对"
    return None


# --------------------------------------------------------------------------- 居民身份证号码

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID = "身份证号码"
# GB/T 2260 province-level codes (the first two digits of an ID number); 71 台湾 appears on
# mainland IDs of people registered as from Taiwan. 81/82/83 are the residence permits of Hong
# Kong, Macao and Taiwan residents; a 9 in front is a foreigner's permanent-residence ID whose
# next two digits name the province that issued it. Counties are not checked (domain.md §3.2:
# an ID keeps the code of a county that has been renamed or merged since).
ID_PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71"]
)
ID_PERMIT_PREFIXES = frozenset({"81", "82", "83"})


def _id_region_problem(s: str) -> str | None:
    """Why the region code of an 18-digit ID number names no province, or None."""
    if s[0] == "9":
        if s[1:3] in ID_PROVINCES and s[1:3] != "71":
            return None
        return f"外国人永久居留身份证号码第2–3位“{s[1:3]}”不是省级行政区划代码"
    if s[:2] in ID_PROVINCES or s[:2] in ID_PERMIT_PREFIXES:
        return None
    return f"{_ID}前两位“{s[:2]}”不是省级行政区划代码"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of an 18-digit ID number."""
    s = normalize(first17)
    if len(s) != 17 or not _is_digits(s):
        raise ValueError(f"需要17位数字：{first17!r}")
    return "10X98765432"[sum(int(c) * w for c, w in zip(s, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(raw: str) -> str:
    """Upper-case 18-digit form; a 15-digit legacy number is converted (19 inserted, check added)."""
    s = normalize(raw)
    if len(s) == 15 and _is_digits(s):
        s18 = s[:6] + "19" + s[6:]
        return s18 + id_check_char(s18)
    return s


def check_id_number(raw: str, *, today: date | None = None) -> str | None:
    s0 = normalize(raw)
    if not s0:
        return f"未填写{_ID}"
    if bad := _bad_char(_ID, s0, _DIGITS + "X"):
        return bad
    if len(s0) == 15:
        if "X" in s0:
            return "15位旧身份证号码只能由数字组成"
    elif len(s0) != 18:
        return f"{_ID}应为18位，实际为{len(s0)}位"
    s = normalize_id_number(s0)
    if "X" in s[:17]:
        return f"{_ID}只有最后一位可以是X"
    if region := _id_region_problem(s):
        return region
    shown = f"{s[6:10]}-{s[10:12]}-{s[12:14]}"
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return f"出生日期 {shown} 不存在"
    if born.year < 1900:
        return f"出生日期 {shown} 早于1900年"
    if born > (today or date.today()):
        return f"出生日期 {shown} 晚于今天"
    expected = id_check_char(s[:17])
    if s[17] != expected:
        return f"{_ID}校验位错误，应为 {expected}"
    return None


def id_birth_date(raw: str) -> date | None:
    """Birth date of a valid ID number (15 or 18 digits), else None."""
    if check_id_number(raw) is not None:
        return None
    s = normalize_id_number(raw)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def id_sex(raw: str) -> str | None:
    """Return 男 or 女 from the sequence code of a valid ID number, else None."""
    if check_id_number(raw) is not None:
        return None
    return "男" if int(normalize_id_number(raw)[16]) % 2 else "女"


# --------------------------------------------------------------------------- 专利申请号

_APP = "申请号"
_APP_TYPES = {"1": "发明", "2": "实用新型", "3": "外观设计", "8": "发明", "9": "实用新型"}
_APP_PREFIXES = ("专利申请号", "专利号", "申请号", "CN", "ZL")
_APP_HINTS = ("专利申请号", "专利号", "申请号", "ZL")


def _strip_hint(s: str, hints: tuple[str, ...]) -> str:
    """Remove leading hint words (longest first), e.g. 公开号:CN… → …; 专利号ZL… → …."""
    stripped = True
    while stripped:
        stripped = False
        for h in hints:
            if s.startswith(h):
                s, stripped = s[len(h) :].lstrip(":"), True
                break
    return s


def patent_check_char(body: str) -> str:
    """Check character for the 8- or 12-digit body of a patent application number."""
    if not _is_digits(body):
        raise ValueError(f"需要纯数字：{body!r}")
    r = sum(int(c) * (2 + i % 8) for i, c in enumerate(body)) % 11
    return "X" if r == 10 else str(r)


def _split_application(raw: str) -> tuple[str, str | None] | str:
    """(body, check-or-None) for a patent application number, or a Chinese error message."""
    s = _strip_hint(normalize(raw), _APP_PREFIXES).removesuffix("号")
    if not s:
        return f"未填写{_APP}" if not normalize(raw) else f"{_APP}只有前缀，缺少号码"
    if bad := _bad_char(_APP, s, _DIGITS + ".X"):
        return bad
    if s.count(".") > 1:
        return f"{_APP}中只能有一个小数点"
    if "." in s:
        body, check = s.split(".")
        if len(check) != 1:
            return f"{_APP}小数点后应为一位校验位，实际为{len(check)}位"
    elif s.endswith("X") or len(s) in (9, 13):
        body, check = s[:-1], s[-1]
    else:
        body, check = s, None
    if "X" in body:
        return f"{_APP}中的X只能作为最后一位校验位"
    if len(body) not in (8, 12):
        return f"{_APP}应为12位（2003年10月起）或8位数字加校验位，实际为{len(body)}位数字"
    return body, check


def check_patent_application_number(raw: str, *, today: date | None = None) -> str | None:
    parts = _split_application(raw)
    if isinstance(parts, str):
        return parts
    body, check = parts
    this_year = (today or date.today()).year
    if len(body) == 12:
        year, kind, serial = int(body[:4]), body[4], body[5:]
        if year < 2003:
            return f"12位{_APP}自2003年起使用，年份{year}不对"
        if year > this_year:
            return f"{_APP}年份{year}晚于今年"
    else:
        yy, kind, serial = int(body[:2]), body[2], body[3:]
        if 4 <= yy <= 84:
            return f"8位{_APP}的前两位是年份，应为85–99或00–03，实际为“{body[:2]}”"
        year = 1900 + yy if yy >= 85 else 2000 + yy
    if kind not in _APP_TYPES:
        pos = 5 if len(body) == 12 else 3
        return f"{_APP}第{pos}位是专利类型，应为1、2、3、8或9，实际为“{kind}”"
    if set(serial) == {"0"}:
        return f"{_APP}流水号不能全为0"
    expected = patent_check_char(body)
    if check is None:
        if year <= 1988:  # 1985–1988 numbers were also written without a check digit
            return None
        return f"{_APP}缺少校验位，完整号码应为 {body}.{expected}"
    if check != expected:
        return f"{_APP}校验位错误，应为 {expected}"
    return None


def normalize_patent_application_number(raw: str) -> str:
    """Display form without CN/ZL: ``202310000001.5`` / ``97101765.4`` (best effort if invalid)."""
    parts = _split_application(raw)
    if isinstance(parts, str):
        return _strip_hint(normalize(raw), _APP_PREFIXES).removesuffix("号")
    body, check = parts
    return body if check is None else f"{body}.{check}"


# --------------------------------------------------------------------------- 公开（公告）号

_PUB = "公开（公告）号"
_PUB_TYPES = {"1": "发明", "2": "实用新型", "3": "外观设计"}
_KIND_TYPES: dict[str, str] = {
    **dict.fromkeys(["A", "A8", "A9", "B", "B8", "B9"] + [f"C{i}" for i in range(1, 8)], "发明"),
    **dict.fromkeys(["U", "U8", "U9"] + [f"Y{i}" for i in range(1, 8)], "实用新型"),
    **dict.fromkeys(["S", "S9"] + [f"S{i}" for i in range(1, 8)], "外观设计"),
}
# Kind codes used 1993–2004 (7-digit numbers only): C 发明授权, Y 实用新型, D 外观设计.
_LEGACY_KIND_TYPES = {"C": "发明", "Y": "实用新型", "D": "外观设计"}
_PUB_PREFIXES = ("授权公告号", "公开号", "公告号", "公布号", "CN")
_PUB_HINTS = _PUB_PREFIXES[:-1]
_PUB_RE = re.compile(r"(\d*)(.*)")


def normalize_publication_number(raw: str) -> str:
    """``CN102822194B`` form: CN prefix added, spaces dropped, upper case."""
    return "CN" + _strip_hint(normalize(raw), _PUB_PREFIXES).removesuffix("号")


def check_publication_number(raw: str) -> str | None:
    s = _strip_hint(normalize(raw), _PUB_PREFIXES).removesuffix("号")
    if not s:
        return f"未填写{_PUB}" if not normalize(raw) else f"{_PUB}只有前缀，缺少号码"
    if bad := _bad_char(_PUB, s, _ALNUM):
        return bad
    m = _PUB_RE.fullmatch(s)
    assert m is not None  # the pattern matches any string
    digits, kind = m.groups()
    if not digits:
        return f"{_PUB}应为CN加7位或9位数字，再加种类代码（如CN102822194A）"
    if not kind:
        return f"{_PUB}缺少文献类型代码（种类代码，如A、B、U、S）"
    if len(digits) not in (7, 9):
        return f"{_PUB}应为7位或9位数字，实际为{len(digits)}位"
    kind_type = _KIND_TYPES.get(kind)
    if kind_type is None and len(digits) == 7:
        kind_type = _LEGACY_KIND_TYPES.get(kind)
    if kind_type is None:
        return f"{_PUB}的种类代码“{kind}”无效"
    type_name = _PUB_TYPES.get(digits[0])
    if type_name is None:
        return f"{_PUB}首位数字表示专利类型，应为1、2或3，实际为“{digits[0]}”"
    if type_name != kind_type:
        return f"{_PUB}首位“{digits[0]}”表示{type_name}，与种类代码“{kind}”（{kind_type}）不符"
    return None


# --------------------------------------------------------------------------- 商标号, 尼斯分类

_TM = "商标号"
_TM_PREFIXES = ("商标注册号", "商标申请号", "商标号", "注册号", "申请号", "商标", "TM")
_TM_HINTS = ("商标", "TM", "第", "注册号")


def normalize_trademark_number(raw: str) -> str:
    """Digits only: hints such as 商标/注册号/TM and the 第…号 wrapper are removed."""
    s = _strip_hint(normalize(raw), _TM_PREFIXES)
    s = s.removeprefix("第")
    return s.removesuffix("号")


def check_trademark_number(raw: str) -> str | None:
    s = normalize_trademark_number(raw)
    if not s:
        return f"未填写{_TM}"
    if bad := _bad_char(_TM, s, _DIGITS):
        return bad
    if len(s) > 9:
        return f"{_TM}应为1–9位数字，实际为{len(s)}位"
    if s[0] == "0":
        return f"{_TM}不能为0" if set(s) == {"0"} else f"{_TM}不能以0开头"
    return None


def check_nice_class(raw: str) -> str | None:
    """Nice classification 1–45 (accepts 第9类 / 09)."""
    s = normalize(raw).removeprefix("第").removesuffix("类")
    if not s:
        return "未填写商标类别"
    if not _is_digits(s):
        return f"商标类别应为1–45的数字，实际为“{s}”"
    if not 1 <= int(s) <= 45:
        return f"商标类别应为第1–45类，实际为第{int(s)}类"
    return None


# --------------------------------------------------------------------------- ip number lists


def ip_number_kind(raw: str) -> str | None:
    """Classify one item: patent_application, publication, trademark, or None.

    Rules: a 商标/TM/注册号/第…号 hint → trademark; ZL, 专利号/申请号 or a dot → application
    number; CN or bare digits followed by a letter kind code → publication; bare digits: up to 9 →
    trademark (so a bare 8-digit number is read as a trademark number), 12 or 13 → application
    number; CN + digits → application number.
    """
    s = normalize(raw)
    if not s:
        return None
    if s.startswith(_TM_HINTS):
        return "trademark"
    if s.endswith("号") and not s.endswith("专利号"):
        # 第…号 / 123号 is a trademark; ZL202310397744.0号 stays a patent number
        inner = ip_number_kind(s[:-1])
        return inner if inner in ("patent_application", "publication") else "trademark"
    if s.startswith(_PUB_HINTS):
        return "publication"
    if s.startswith(_APP_HINTS):
        return "patent_application"
    rest = s.removeprefix("CN")
    if "." in rest or re.fullmatch(r"\d+X", rest):
        return "patent_application"
    if re.fullmatch(r"\d+[A-WYZ]\d?", rest):
        return "publication"
    if _is_digits(rest):
        if rest != s and len(rest) in (7, 9) and not _old_application_like(rest):
            return "publication"  # CN102822194 without its kind code
        if rest != s or len(rest) in (12, 13):
            return "patent_application"
        if len(rest) <= 9:
            return "trademark"
    return None


def _old_application_like(digits: str) -> bool:
    """Could these digits be an 8-digit application number (1985–2003) with its check digit?"""
    yy = int(digits[:2])
    return len(digits) == 9 and (yy >= 85 or yy <= 3) and digits[2] in _APP_TYPES


def check_ip_number(raw: str) -> str | None:
    """One patent application number, publication number or trademark number (see ip_number_kind)."""
    kind = ip_number_kind(raw)
    if kind == "patent_application":
        return check_patent_application_number(raw)
    if kind == "publication":
        return check_publication_number(raw)
    if kind == "trademark":
        return check_trademark_number(raw)
    s = normalize(raw)
    if not s:
        return "未填写知识产权号码"
    if bad := _bad_char("号码", s, _ALNUM + "."):
        return bad
    return "无法识别：商标号为1–9位数字，专利申请号为12位数字加校验位，公开号形如CN102822194A"


_LIST_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
# hint words, longest first (central's sync._ip_items strips the same list in the same order)
HINT_WORDS = tuple(
    sorted({"CN", "ZL", "第", "TM", *_APP_PREFIXES, *_PUB_PREFIXES, *_TM_PREFIXES},
           key=lambda w: (-len(w), w))
)
_SUFFIX_TOKEN = re.compile(r"[A-WYZ]\d?|号|\.[0-9X]?")
# an application number with its check character, after a dot or (X, or the 13th digit) without
_SPACED_APP = re.compile(r"([0-9]{8}|[0-9]{12})(\.?)[0-9X]")


def split_ip_numbers(raw: str) -> list[str]:
    """Split a typed list on , ， 、 ； ; newlines and spaces, keeping spaced-out numbers whole.

    "ZL 201310699744.2", "CN 102822194 B", "2023 1 0000001.5" and "第 123 号" stay one item;
    the items are returned as typed (trimmed, inner spaces collapsed to one).
    """
    items: list[str] = []
    for chunk in _LIST_SEPARATORS.split(_text(raw)):
        groups: list[list[str]] = []
        for tok in chunk.split():
            key = normalize(tok).rstrip(":")
            if groups and (_SUFFIX_TOKEN.fullmatch(key) or _is_hint_group(groups[-1])):
                groups[-1].append(tok)
            else:
                groups.append([tok])
        items.extend(" ".join(g) for g in _merge_spaced_numbers(groups))
    return items


def _is_hint_group(group: list[str]) -> bool:
    """Only hint words (专利号: ZL, 授权公告号：CN …): the number follows in the next token."""
    key = normalize(" ".join(group))
    return key != "" and _strip_hint(key, HINT_WORDS) == ""


def _merge_spaced_numbers(groups: list[list[str]]) -> list[list[str]]:
    """Join groups that together form a dotted application number spaced only between its
    year, type digit and serial (2023 1 0000001.5; never inside the serial)."""
    out: list[list[str]] = []
    i = 0
    while i < len(groups):
        j = len(groups)
        while j > i + 1 and not _is_spaced_application(groups[i:j]):
            j -= 1
        out.append([t for g in groups[i:j] for t in g])
        i = j
    return out


def _is_spaced_application(groups: list[list[str]]) -> bool:
    keys = [normalize("".join(g)) for g in groups]
    joined = "".join(keys)
    m = _SPACED_APP.fullmatch(_strip_hint(joined, _APP_PREFIXES))
    if m is None:
        return False
    keys[0] = _strip_hint(keys[0], _APP_PREFIXES)
    body = m[1]
    if len(body) == 12:
        allowed = {4, 5}
        plausible = 2003 <= int(body[:4]) <= 2099 and body[4] in _APP_TYPES
    else:
        allowed = {2, 3}
        plausible = body[2] in _APP_TYPES
    if not m[2]:
        # without a dot only when ZL/CN/专利号 or a final X says it is a patent number (so
        # "2023 1 10000015" stays three trademark numbers); ZL 201911044411 X: check typed apart
        if keys[0] == normalize("".join(groups[0])) and not joined.endswith("X"):
            return False
        allowed.add(len(body))
    if not plausible:
        return False
    cuts, total = set(), 0
    for key in keys[:-1]:
        total += len(key)
        cuts.add(total)
    return cuts <= allowed


def check_ip_numbers(raw: str) -> str | None:
    """A typed list of IP numbers; the message names the first bad item (第2项“…”：…)."""
    items = split_ip_numbers(raw)
    if not items:
        return "未填写知识产权号码"
    for index, item in enumerate(items, 1):
        if msg := check_ip_number(item):
            return f"第{index}项“{item}”：{msg}"
    return None


def patent_type_of(raw: str) -> str | None:
    """发明 / 实用新型 / 外观设计 for a valid application or publication number, else None."""
    if ip_number_kind(raw) == "publication":
        if check_publication_number(raw) is None:
            return _PUB_TYPES[normalize_publication_number(raw)[2]]
        return None
    if check_patent_application_number(raw) is None:
        body = normalize_patent_application_number(raw).split(".")[0]
        return _APP_TYPES[body[4] if len(body) == 12 else body[2]]
    return None


# --------------------------------------------------------------------------- phone numbers

_MOBILE = "手机号码"
_LANDLINE = "固定电话"
_SERVICE_NUMBERS = ("12345", "12315", "12330")
_MOBILE_RANGES = re.compile(
    r"1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}|1610\d{7}|1740[0-5]\d{6}"
)
_XINGAN_AREA = "0482"


def _phone_chars(raw: str) -> str:
    s = normalize(raw)
    if s.isascii() and s.isalnum():
        return s  # no brackets to drop
    return "".join(c for c in s if c not in _PARENS)


def normalize_mobile(raw: str) -> str:
    """Digits only, without the +86 / 0086 / 86 country prefix."""
    s = _phone_chars(raw)
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            return s[len(prefix) :]
    if s.startswith("86") and len(s) == 13:
        return s[2:]
    return s


def check_mobile(raw: str) -> str | None:
    s = normalize_mobile(raw)
    if not s:
        return f"未填写{_MOBILE}"
    if bad := _bad_char(_MOBILE, s, _DIGITS):
        return bad
    if len(s) != 11:
        return f"{_MOBILE}应为11位，实际为{len(s)}位"
    if s[0] != "1" or s[1] not in "3456789":
        return f"{_MOBILE}应以13–19开头，实际为“{s[:2]}”"
    return None


def warn_mobile(raw: str) -> str | None:
    """A valid mobile number outside the number ranges known to libphonenumber."""
    if check_mobile(raw) is not None:
        return None
    s = normalize_mobile(raw)
    if _MOBILE_RANGES.fullmatch(s):
        return None
    return f"号段“{s[:3]}”不常见，请核对{_MOBILE}"


def _split_landline(raw: str) -> tuple[str, str, str] | str:
    """(area code, local number, extension) or an error message."""
    s = to_halfwidth(raw).translate(_UPPER)
    s = "".join(c for c in s if c not in _INVISIBLE)
    ext = ""
    for word in ("转", "分机", "EXT.", "EXT"):
        if word in s:
            s, ext = s.split(word, 1)
            ext = normalize(ext)
            break
    for c in _PARENS | _HYPHENS:
        s = s.replace(c, " ")
    groups = s.split()
    if not groups:
        return f"未填写{_LANDLINE}"
    if len(groups) > 3 or (ext and len(groups) == 3):
        return f"{_LANDLINE}格式不正确，应为“区号-号码”，如0482-8226123"
    if len(groups) == 3:
        area, local, ext = groups
    elif len(groups) == 2 and groups[0].startswith("0") and len(groups[0]) in (3, 4):
        area, local = groups
    else:
        whole = groups[0]
        if len(groups) == 2:
            ext = groups[1]
        if bad := _bad_char(_LANDLINE, whole, _DIGITS):
            return bad
        if not whole.startswith("0"):
            return f"{_LANDLINE}请加区号（兴安盟为0482），如0482-8226123"
        n = 3 if whole[1:2] in ("1", "2") else 4
        area, local = whole[:n], whole[n:]
    return area, local, ext


def check_landline(raw: str) -> str | None:
    parts = _split_landline(raw)
    if isinstance(parts, str):
        return parts
    area, local, ext = parts
    for part in (area, local, ext):
        if bad := _bad_char(_LANDLINE, part, _DIGITS):
            return bad
    if not re.fullmatch(r"010|02\d|0[3-9]\d\d", area):
        return f"{_LANDLINE}区号“{area}”无效"
    if not local:
        return f"{_LANDLINE}缺少本地号码"
    # A leading 0 is always a misplaced trunk prefix. domain.md §3.6 says local numbers start with
    # 2–9 yet lists 010-12345678 as valid, so a leading 1 is refused only where we know the plan.
    if local[0] == "0" or (local[0] == "1" and area == _XINGAN_AREA):
        return f"{_LANDLINE}本地号码应以2–9开头，实际以“{local[0]}”开头"
    if area == _XINGAN_AREA and len(local) != 7:
        return f"{_XINGAN_AREA}地区的本地号码应为7位，实际为{len(local)}位"
    if area[1] in "12" and len(local) != 8:
        return f"区号{area}的本地号码应为8位，实际为{len(local)}位"
    if not 7 <= len(local) <= 8:
        return f"{_LANDLINE}本地号码应为7–8位，实际为{len(local)}位"
    if ext and len(ext) > 6:
        return f"分机号应为1–6位数字，实际为{len(ext)}位"
    return None


def check_phone(raw: str) -> str | None:
    """A mobile number, a landline with area code, or one of the hotlines 12345/12315/12330."""
    s = _phone_chars(raw)
    if not s:
        return "未填写电话号码"
    if s in _SERVICE_NUMBERS:
        return None
    national = normalize_mobile(raw)
    if national != s and national[:1] not in ("", "1"):
        return check_landline("0" + national)  # +86 482 8226123
    if "转" in s or "分机" in s or (s.startswith("0") and not s.startswith("00")):
        return check_landline(raw)
    if national.startswith("1") and len(national) == 5 and _is_digits(national):
        return "服务热线只接受12345、12315、12330"
    if national.startswith("1") or national != s:
        return check_mobile(raw)
    if _is_digits(s) and 7 <= len(s) <= 8:
        return check_landline(raw)
    if bad := _bad_char("电话号码", s, _DIGITS + "+"):
        return bad
    return "电话号码格式不正确：手机号码为11位，固定电话需带区号"


# --------------------------------------------------------------------------- names and free text

_HAN_RANGES = (
    (0x3007, 0x3007),  # 〇
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # URO
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EE5F),  # Extensions C, D, E, F, I
    (0x2F800, 0x2FA1F),  # compatibility supplement
    (0x30000, 0x323AF),  # Extensions G, H
)
_NAME_DOTS = "·•‧・･"
_NAME_PUNCT = "-'’"  # foreign names: Jean-Paul, O'Brien
# public: central mirrors the name check from these (sync/declarations.py)
HAN_RANGES = _HAN_RANGES
NAME_DOTS = _NAME_DOTS
NAME_OTHER_CHARS = _NAME_DOTS + _NAME_PUNCT + " \u3000"
_NAME_MAX = 50
_EMOJI_BMP = frozenset(
    "⌚⌛⏩⏪⏫⏬⏰⏳◽◾☔☕♈♉♊♋♌♍♎♏♐♑♒♓♿⚓⚡⚪⚫⚽⚾⛄⛅⛎⛔⛪⛲⛳⛵⛺⛽✅✊✋✨❌❎❓❔❕❗➕➖➗➰➿⬛⬜⭐⭕"
)
_EMOJI_MODIFIERS = frozenset("\ufe0f\u200d\u20e3")  # VS16, ZWJ, keycap
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def _is_han(c: str) -> bool:
    cp = ord(c)
    if 0x4E00 <= cp <= 0x9FFF:
        return True  # the URO, where nearly every character of a name or address is
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES)


def _is_modifier(c: str) -> bool:
    cp = ord(c)
    return c in _EMOJI_MODIFIERS or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _is_regional(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def _is_emoji(c: str) -> bool:
    """Pictographs and characters that force emoji presentation (a lone ZWJ does not count)."""
    cp = ord(c)
    return 0x1F000 <= cp <= 0x1FAFF or c in _EMOJI_BMP or (_is_modifier(c) and c != "\u200d")


def _emoji_cluster(s: str, i: int) -> tuple[int, str]:
    """(start, text) of the emoji sequence around position i, for showing it in a message."""
    start = i
    while start > 0 and _is_modifier(s[start]):
        start -= 1
    end = i + 1
    while end < len(s) and (
        _is_modifier(s[end])
        or s[end - 1] == "\u200d"
        or (_is_regional(s[end]) and _is_regional(s[end - 1]) and end - start < 2)
    ):
        end += 1
    return start, s[start:end]


def _char_problem(s: str, i: int) -> str | None:
    """Why s[i] cannot be printed (control, private use, non-character, emoji), or None."""
    c = s[i]
    cp = ord(c)
    where = f"（第{i + 1}个字符）"
    if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS:
        return f"含有控制字符 U+{cp:04X}{where}"
    if unicodedata.category(c) in ("Cs", "Co") or cp & 0xFFFE == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF:
        return f"含有无法打印的字符 U+{cp:04X}{where}"
    if c == "\ufffd":
        return f"含有乱码字符“\ufffd”{where}，请重新输入"
    if _is_emoji(c):
        start, text = _emoji_cluster(s, i)
        return f"含有无法打印的字符“{text}”（第{start + 1}个字符）"
    return None


# Text made only of these is printable (none is a control, private-use, non-character, bidi
# control or emoji); checking it is one regex match instead of a test per character
_PLAIN_TEXT = re.compile("[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u2027\u3000-\u303f"
                         "\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]*")


def check_printable_text(raw: str) -> str | None:
    """Free text: no control characters (newline, CR and tab allowed), no emoji or pictographs."""
    s = _text(raw)
    if _PLAIN_TEXT.fullmatch(s):
        return None
    for i, c in enumerate(s):
        if c not in "\n\r\t" and (msg := _char_problem(s, i)):
            return msg
    return None


def _name_char_ok(c: str) -> bool:
    if _is_han(c) or c in _NAME_DOTS or c in _NAME_PUNCT or c in " \u3000":
        return True
    return c.isalpha() and "LATIN" in unicodedata.name(c, "")


_URO_ONLY = re.compile("[\u4e00-\u9fff]+")


def check_person_name(raw: str) -> str | None:
    """1–50 characters: Han (incl. extensions A–I), Latin letters, middle dots, spaces, - and '."""
    s = _text(raw).strip()
    if not s:
        return "未填写姓名"
    if len(s) > _NAME_MAX:
        return f"姓名最多{_NAME_MAX}个字，实际为{len(s)}个"
    if _URO_ONLY.fullmatch(s):
        return None  # the common case: Han characters of the URO only
    for i, c in enumerate(s):
        if _name_char_ok(c):
            continue
        if msg := _char_problem(s, i):
            return f"姓名{msg}"
        kind = "数字" if c.isdigit() else "字符"
        return f"姓名含有不允许的{kind}{_show(c)}".rstrip()
    for end in (s[0], s[-1]):
        if end in _NAME_DOTS:
            return f"姓名不能以“{end}”开头或结尾"
    if not any(_is_han(c) or c.isalpha() for c in s):
        return "姓名应至少包含一个汉字或字母"
    return None


# --- e-mail and IPC class (used by the enterprise and pre-examination kinds) -----------------

_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def check_email(raw: str) -> str | None:
    s = to_halfwidth(_text(raw)).strip()
    if not s:
        return "未填写电子邮箱"
    if len(s) > 100:
        return "电子邮箱过长"
    if not _EMAIL_RE.fullmatch(s):
        return f"电子邮箱“{s}”格式不对，应类似 name@example.com"
    return None


_IPC_RE = re.compile(r"^([A-H])(\d{2})([A-Z])\s*(\d{1,4})/(\d{2,6})$")


def normalize_ipc(raw: str) -> str:
    s = to_halfwidth(_text(raw)).strip().upper().replace("／", "/")
    m = _IPC_RE.fullmatch(re.sub(r"\s+", " ", s))
    if not m:
        return s
    return f"{m[1]}{m[2]}{m[3]} {int(m[4])}/{m[5]}"


def check_ipc(raw: str) -> str | None:
    """International Patent Classification symbol, e.g. "C08K 3/04" or "A01C 7/20"."""
    s = to_halfwidth(_text(raw)).strip().upper()
    if not s:
        return "未填写分类号"
    if not _IPC_RE.fullmatch(re.sub(r"\s+", " ", s)):
        return f"分类号“{s}”格式不对，应类似 C08K 3/04（部、大类、小类、大组/小组）"
    return None


def check_classification(raw: str) -> str | None:
    """IPC symbol (inventions, utility models) or Locarno class-subclass "09-03" (designs)."""
    s = to_halfwidth(_text(raw)).strip()
    if re.fullmatch(r"\d{2}-\d{2}", s):
        cls, sub = int(s[:2]), int(s[3:])
        return None if 1 <= cls <= 32 and sub <= 99 else f"洛迦诺分类号“{s}”的大类应在01到32之间"
    return check_ipc(s)
