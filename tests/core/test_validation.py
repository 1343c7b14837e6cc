"""Validation of the numbers and names typed at the window: every vector of domain.md §3."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

try:
    import xingan_desk  # noqa: F401
except ModuleNotFoundError:  # not installed: run from the checkout (tests/core has no __init__)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from xingan_desk import validation as V

TODAY = date(2025, 6, 1)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(msg: str | None, *needles: str) -> None:
    assert msg is not None, "expected an error message"
    assert _HAN.search(msg), f"message is not Chinese: {msg!r}"
    assert len(msg) <= 80, f"message too long: {msg!r}"
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１５１ ２０８１－ｍａ６２", "91512081MA62"),
        ("2023 1 0000001。5", "202310000001.5"),
        ("2023\u30001\u200b0000001．5", "202310000001.5"),
        ("zl-2017", "ZL2017"),
        ("\t", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert V.normalize(raw) == expected


# --------------------------------------------------------------------------- USCC (§3.1)

USCC_VALID = [
    "91110000600037341L",
    "91512081MA62K0260E",
    "91152201MA0N12340P",
    "92152224MA7Q000118",
    "93152223MA0R5K6L3R",
    "12152200012345671W",
]


@pytest.mark.parametrize("code", USCC_VALID)
def test_uscc_valid(code: str) -> None:
    assert V.check_uscc(code) is None
    assert V.check_uscc(code.lower()) is None
    assert V.check_uscc(fullwidth(code)) is None
    assert V.check_uscc(f" {code[:8]} {code[8:]} ") is None
    assert V.uscc_check_char(code[:17]) == code[17]
    assert V.warn_uscc(code) is None  # all vectors pass the embedded org-code check too


@pytest.mark.parametrize(
    ("code", "needles"),
    [
        ("91512081MA62K0260F", ("校验位", "应为 E")),
        ("91310115MA1G4L1WXK", ("校验位", "应为 7")),
        ("9111000060003734L", ("应为18位，实际为17位",)),
        ("91110000600037341I", ("不允许的字符“I”", "第18位")),
        ("91152201MA0N1234OP", ("不允许的字符“O”", "第17位")),
        ("911522O1MA0N12340P", ("行政区划码", "第7位", "“O”")),
        ("91152201MA0N12340Z", ("不允许的字符“Z”",)),
        ("91512081MA62K026中E", ("不允许的字符“中”",)),
        ("", ("未填写",)),
    ],
)
def test_uscc_invalid(code: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_uscc(code), *needles)


def test_uscc_worked_example_sum() -> None:
    values = [V.USCC_ALPHABET.index(c) for c in "91512081MA62K0260"]
    assert values == [9, 1, 5, 1, 2, 0, 8, 1, 21, 10, 6, 2, 19, 0, 2, 6, 0]
    weights = [pow(3, i, 31) for i in range(17)]
    assert weights == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights, strict=True))
    assert total == 1505
    assert total % 31 == 17


def test_uscc_warnings() -> None:
    # org code part MA62K0260 with a wrong embedded check (9 instead of 0), then a valid 18th char
    first17 = "91512081MA62K0269"
    code = first17 + V.uscc_check_char(first17)
    assert V.check_uscc(code) is None
    assert_chinese(V.warn_uscc(code), "组织机构代码", "应为 0")
    odd_department = "B1512081MA62K0260"
    assert_chinese(V.warn_uscc(odd_department + V.uscc_check_char(odd_department)), "“B”")
    assert V.warn_uscc("91512081MA62K0260F") is None  # invalid codes get errors, not warnings


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        V.uscc_check_char("9151208")
    with pytest.raises(ValueError):
        V.uscc_check_char("91512081MA62K026O")


_USCC_BODY = st.tuples(
    st.sampled_from(V.USCC_ALPHABET),
    st.sampled_from(V.USCC_ALPHABET),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(V.USCC_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(_USCC_BODY)
def test_uscc_property_computed_check_validates(first17: str) -> None:
    code = first17 + V.uscc_check_char(first17)
    assert V.check_uscc(code) is None
    assert V.check_uscc(fullwidth(code.lower())) is None


@given(_USCC_BODY, st.sampled_from(V.USCC_ALPHABET))
def test_uscc_property_other_check_fails(first17: str, wrong: str) -> None:
    right = V.uscc_check_char(first17)
    assume(wrong != right)
    assert_chinese(V.check_uscc(first17 + wrong), f"应为 {right}")


# --------------------------------------------------------------------------- ID number (§3.2)

ID_VALID = [
    "11010519491231002X",
    "152201199003071238",
    "152221197811203119",
    "152202200006152043",
    "152223199512310581",
    "152224200001010079",
    "152222200102281019",
    "15220219850615204X",  # 阿尔山 (created 1996), born 1985: must not be rejected on history
]


@pytest.mark.parametrize("number", ID_VALID)
def test_id_valid(number: str) -> None:
    assert V.check_id_number(number, today=TODAY) is None
    assert V.check_id_number(number.lower(), today=TODAY) is None
    assert V.check_id_number(fullwidth(number), today=TODAY) is None
    assert V.id_check_char(number[:17]) == number[17]


def test_id_gb_example_1880() -> None:
    # domain.md lists 440524188001010014 (the GB 11643 example) as valid, but it also says the
    # birth year must be >= 1900, as does the brief. The checksum is right; the year rule wins.
    assert V.id_check_char("44052418800101001") == "4"
    assert_chinese(V.check_id_number("440524188001010014"), "1880-01-01", "1900")


@pytest.mark.parametrize(
    ("number", "needles"),
    [
        ("110105194912310021", ("校验位", "应为 X")),
        ("152201199002301238", ("出生日期 1990-02-30 不存在",)),
        ("152201199013071230", ("出生日期 1990-13-07 不存在",)),
        ("152222200102291014", ("出生日期 2001-02-29 不存在",)),
        ("15220119900307123", ("应为18位，实际为17位",)),
        ("1522011990030712A", ("不允许的字符“A”",)),
        ("1101051949123X002X", ("最后一位",)),
        ("15220120300101123X", ("2030-01-01", "晚于今天")),
        ("1522019003071X3", ("15位",)),
        ("", ("未填写",)),
    ],
)
def test_id_invalid(number: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_id_number(number, today=TODAY), *needles)


@pytest.mark.parametrize(
    "number",
    ["990426199112010074", "000426199112010074", "100426199112010074", "470426199112010074"],
)
def test_id_region_must_name_a_province(number: str) -> None:
    first17 = number[:17]
    assert_chinese(V.check_id_number(first17 + V.id_check_char(first17), today=TODAY),
                   f"“{number[:2]}”" if number[0] != "9" else f"“{number[1:3]}”", "省级行政区划代码")


@pytest.mark.parametrize(
    "first17",
    [
        "81000019900101001",  # 香港居民居住证
        "82000019900101002",  # 澳门居民居住证
        "83000019900101003",  # 台湾居民居住证
        "91110019900101001",  # 外国人永久居留身份证 issued in Beijing (9 + province 11)
        "93152219900101001",  # … issued in Inner Mongolia (15)
        "71000019900101001",
        "65010019900101001",
    ],
)
def test_id_residence_permits_and_permanent_residence_ids_pass(first17: str) -> None:
    assert V.check_id_number(first17 + V.id_check_char(first17), today=TODAY) is None


def test_id_county_is_not_checked_against_the_birth_year() -> None:
    # 152202 阿尔山市 was created in 1996; 152299 names no county today: neither is refused
    for first17 in ("15220219850615204", "15229919850615204"):
        assert V.check_id_number(first17 + V.id_check_char(first17), today=TODAY) is None


def test_id_leap_day_valid() -> None:
    first17 = "15220120000229123"
    assert V.check_id_number(first17 + V.id_check_char(first17), today=TODAY) is None


def test_id_fifteen_digit_legacy() -> None:
    assert V.normalize_id_number("152201900307123") == "152201199003071238"
    assert V.check_id_number("152201900307123", today=TODAY) is None
    assert V.id_birth_date("152201900307123") == date(1990, 3, 7)
    assert_chinese(V.check_id_number("152201901307123", today=TODAY), "1990-13-07")


def test_id_birth_date_and_sex() -> None:
    assert V.id_birth_date("11010519491231002x") == date(1949, 12, 31)
    assert V.id_birth_date("110105194912310021") is None
    assert V.id_sex("11010519491231002X") == "女"
    assert V.id_sex("152201199003071238") == "男"
    assert V.id_sex("bad") is None


@given(
    st.tuples(st.sampled_from(sorted(V.ID_PROVINCES | V.ID_PERMIT_PREFIXES)),
              st.text("0123456789", min_size=4, max_size=4)).map("".join),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text("0123456789", min_size=3, max_size=3),
)
def test_id_property(area: str, born: date, seq: str) -> None:
    first17 = f"{area}{born:%Y%m%d}{seq}"
    check = V.id_check_char(first17)
    assert V.check_id_number(first17 + check.lower(), today=TODAY) is None
    assert V.id_birth_date(first17 + check) == born
    for wrong in "0123456789X":
        if wrong != check:
            assert_chinese(V.check_id_number(first17 + wrong, today=TODAY), f"应为 {check}")


# --------------------------------------------------------------------------- patent application (§3.3)

APP_VALID = [
    ("201710601862.3", "201710601862.3", "发明"),
    ("CN201080063196.9", "201080063196.9", "发明"),
    ("200310100002.X", "200310100002.X", "发明"),
    ("ZL 201310699744.2", "201310699744.2", "发明"),
    ("202311303481.9", "202311303481.9", "发明"),
    ("ZL95115608.X", "95115608.X", "发明"),
    ("97101765.4", "97101765.4", "发明"),
    ("2017106018623", "201710601862.3", "发明"),
    ("2023 1 0000001.5", "202310000001.5", "发明"),
    ("ｚｌ２０１７１０６０１８６２。３", "201710601862.3", "发明"),
    ("85100001", "85100001", "发明"),
    ("202330000001." + V.patent_check_char("202330000001"), None, "外观设计"),
    (
        "202390000001." + V.patent_check_char("202390000001"),
        None,
        "实用新型",
    ),  # 1985–1988: check digit optional
    ("86200123." + V.patent_check_char("86200123"), None, "实用新型"),
]


@pytest.mark.parametrize(("raw", "display", "kind"), APP_VALID)
def test_application_valid(raw: str, display: str | None, kind: str) -> None:
    assert V.check_patent_application_number(raw, today=TODAY) is None
    if display is not None:
        assert V.normalize_patent_application_number(raw) == display
    assert V.patent_type_of(raw) == kind


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("202210123456.7", ("申请号校验位错误，应为 1",)),
        ("201710601862.4", ("校验位", "应为 3")),
        ("ZL95115608.0", ("校验位", "应为 X")),
        ("202240123456.7", ("专利类型", "“4”")),
        ("20171060186.3", ("实际为11位",)),
        ("89103229.2", ("校验位", "应为 0")),
        ("202210123456", ("缺少校验位", "202210123456.1")),
        ("97101765", ("缺少校验位", "97101765.4")),
        ("200210100002.X", ("2003",)),
        ("203010000001.2", ("晚于今年",)),
        ("50100001.1", ("年份", "“50”")),
        ("202310000000.0", ("流水号",)),
        ("20231000000A.1", ("不允许的字符“A”",)),
        ("2023.1000001.5", ("一个小数点",)),
        ("ZL", ("只有前缀",)),
    ],
)
def test_application_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_patent_application_number(raw, today=TODAY), *needles)
    assert V.patent_type_of(raw) is None


def test_application_worked_examples() -> None:
    assert (
        sum(
            int(c) * w
            for c, w in zip("201710601862", [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], strict=True)
        )
        == 157
    )
    assert V.patent_check_char("201710601862") == "3"
    assert V.patent_check_char("95115608") == "X"
    assert V.patent_check_char("202210123456") == "1"
    with pytest.raises(ValueError):
        V.patent_check_char("2017X")


@given(
    st.integers(2003, TODAY.year),
    st.sampled_from("12389"),
    st.integers(1, 9_999_999),
    st.sampled_from(["", "CN", "ZL", "zl "]),
)
def test_application_property(year: int, kind: str, serial: int, prefix: str) -> None:
    body = f"{year}{kind}{serial:07d}"
    check = V.patent_check_char(body)
    raw = f"{prefix}{body}.{check}"
    assert V.check_patent_application_number(raw, today=TODAY) is None
    assert V.check_patent_application_number(fullwidth(raw), today=TODAY) is None
    assert V.normalize_patent_application_number(raw) == f"{body}.{check}"
    for wrong in "0123456789X":
        if wrong != check:
            msg = V.check_patent_application_number(f"{body}.{wrong}", today=TODAY)
            assert_chinese(msg, f"应为 {check}")


# --------------------------------------------------------------------------- publication (§3.4)

PUB_VALID = [
    ("CN102822194A", "发明"),
    ("CN102822194B", "发明"),
    ("CN 102822194 B", "发明"),
    ("CN112345678A", "发明"),
    ("CN215000001U", "实用新型"),
    ("CN306000001S", "外观设计"),
    ("CN1030001A", "发明"),
    ("CN2030001U", "实用新型"),
    ("CN3003001S", "外观设计"),
    ("cn102822194c3", "发明"),
    ("CN1234567C", "发明"),  # 1993–2004 kind code, 7-digit numbers only
    ("公开号：CN102822194A", "发明"),
]


@pytest.mark.parametrize(("raw", "kind"), PUB_VALID)
def test_publication_valid(raw: str, kind: str) -> None:
    assert V.check_publication_number(raw) is None
    assert V.patent_type_of(raw) == kind
    assert V.normalize_publication_number(raw).startswith("CN")


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("CN202822194A", ("“2”", "实用新型", "“A”")),
        ("CN302822194U", ("“3”", "外观设计", "“U”")),
        ("CN102822194Z", ("种类代码“Z”无效",)),
        ("CN10282219A", ("7位或9位", "实际为8位")),
        ("CN1028221944A", ("7位或9位", "实际为10位")),
        ("CN102822194C8", ("种类代码“C8”无效",)),
        ("CN302822194S8", ("“S8”",)),  # S8 is reserved
        ("CN102822194C", ("“C”",)),  # legacy C only on 7-digit numbers
        ("CN102822194", ("缺少文献类型代码",)),
        ("CN402822194A", ("首位数字", "“4”")),
    ],
)
def test_publication_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_publication_number(raw), *needles)


# --------------------------------------------------------------------------- trademark (§3.5)


@pytest.mark.parametrize(
    "raw", ["第12345678号", "12345678", "1", "123456789", "商标注册号：第３３４４５号"]
)
def test_trademark_valid(raw: str) -> None:
    assert V.check_trademark_number(raw) is None


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("第12A4567号", ("不允许的字符“A”",)),
        ("0", ("不能为0",)),
        ("", ("未填写",)),
        ("第号", ("未填写",)),
        ("1234567890", ("1–9位", "实际为10位")),
        ("01234", ("不能以0开头",)),
    ],
)
def test_trademark_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_trademark_number(raw), *needles)


def test_nice_class() -> None:
    assert V.check_nice_class("9") is None
    assert V.check_nice_class("第45类") is None
    assert V.check_nice_class("01") is None
    assert_chinese(V.check_nice_class("46"), "第46类")
    assert_chinese(V.check_nice_class("0"), "第0类")
    assert_chinese(V.check_nice_class("九"), "1–45")


# --------------------------------------------------------------------------- phones (§3.6)


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "19912345678",
        "19212345678",
        "16612345678",
        "17012345678",
        "+86 138 1234 5678",
        "0086-13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_valid(raw: str) -> None:
    assert V.check_mobile(raw) is None
    assert V.check_phone(raw) is None
    assert V.normalize_mobile(raw) == V.normalize(raw)[-11:]


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("12012345678", ("13–19", "“12”")),
        ("10012345678", ("13–19", "“10”")),
        ("1381234567", ("应为11位，实际为10位",)),
        ("138123456789", ("应为11位，实际为12位",)),
        ("1381234567a", ("不允许的字符“A”",)),
    ],
)
def test_mobile_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_mobile(raw), *needles)
    assert V.check_phone(raw) is not None


def test_mobile_range_warning() -> None:
    assert V.warn_mobile("13812345678") is None
    assert V.warn_mobile("19212345678") is None
    assert_chinese(V.warn_mobile("14012345678"), "“140”")
    assert V.warn_mobile("12012345678") is None  # invalid → error, not warning


@pytest.mark.parametrize(
    "raw",
    [
        "0482-8226123",
        "04828226123",
        "0471-6912345",
        "010-12345678",
        "（0482）8226123",
        "0482 8226123",
        "0482-8226123转123",
        "0482-8226123-123",
        "０４８２－８２２６１２３",
        "021-62345678",
    ],
)
def test_landline_valid(raw: str) -> None:
    assert V.check_landline(raw) is None
    assert V.check_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("0482-822612", ("0482", "应为7位，实际为6位")),
        ("048282261234", ("0482", "应为7位，实际为8位")),
        ("0482-0226123", ("2–9", "“0”")),
        ("0482-1226123", ("2–9", "“1”")),
        ("8226123", ("区号", "0482")),
        ("010-2345678", ("应为8位",)),
        ("0482-8226123转1234567", ("分机号",)),
        ("0082-8226123", ("区号",)),
        ("0482-82261a3", ("不允许的字符“A”",)),
    ],
)
def test_landline_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_landline(raw), *needles)


@pytest.mark.parametrize("raw", ["12345", "12315", "12330", "+86 482 8226123"])
def test_phone_service_numbers(raw: str) -> None:
    assert V.check_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "needles"),
    [("12306", ("12345",)), ("8226123", ("区号",)), ("", ("未填写",)), ("abc", ("不允许",))],
)
def test_phone_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_phone(raw), *needles)


# --------------------------------------------------------------------------- IP number lists


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("202310000001.5", "patent_application"),
        ("ZL95115608.X", "patent_application"),
        ("CN201080063196.9", "patent_application"),
        ("2017106018623", "patent_application"),
        ("CN102822194B", "publication"),
        ("102822194B", "publication"),
        ("12345678", "trademark"),  # a bare 8-digit number is a trademark number
        ("第12345678号", "trademark"),
        ("商标 12345678", "trademark"),
        ("1234567890", None),
    ],
)
def test_ip_number_kind(raw: str, kind: str | None) -> None:
    assert V.ip_number_kind(raw) == kind


def test_split_ip_numbers() -> None:
    raw = (
        "ZL 201310699744.2, CN 102822194 B；第 12345678 号\n"
        "2023 1 0000001.5、12345678 1234  97101765.4，，"
    )
    assert V.split_ip_numbers(raw) == [
        "ZL 201310699744.2",
        "CN 102822194 B",
        "第 12345678 号",
        "2023 1 0000001.5",
        "12345678",
        "1234",
        "97101765.4",
    ]
    assert V.split_ip_numbers(" ；\n ") == []


def test_check_ip_numbers() -> None:
    assert V.check_ip_numbers("201710601862.3、CN102822194B；第12345678号") is None
    assert V.check_ip_numbers("ZL 201310699744.2 CN 102822194 B 12345678") is None
    assert V.check_ip_numbers("202210123456.1，202210123456.7") == (
        "第2项“202210123456.7”：申请号校验位错误，应为 1"
    )
    assert_chinese(V.check_ip_numbers("CN202822194A"), "第1项", "“A”")
    assert_chinese(V.check_ip_numbers("12345678 1234567890"), "第2项", "无法识别")
    assert_chinese(V.check_ip_numbers("第12A4567号"), "“A”")
    assert_chinese(V.check_ip_numbers(""), "未填写")


# what clerks type (issue 11 §5): the list checker accepts what the single-number checker does
CLERK_TYPED = [
    "ZL 2023 1 1533417X",
    "ZL 201911044411 X",
    "专利号: ZL 2019 1 1044411.X",
    "专利号：ZL 2019 1 1044411.X",
    "授权公告号：CN 216979871 U",
    "ZL202310397744.0号",
    "CN 102822194 B",
]


@pytest.mark.parametrize("raw", CLERK_TYPED)
def test_list_checker_accepts_clerk_typed_numbers(raw: str) -> None:
    assert V.check_ip_number(raw) is None
    assert V.split_ip_numbers(raw) == [raw.replace("：", "：")]
    assert V.check_ip_numbers(raw) is None
    assert V.check_ip_numbers(f"{raw}、第12345678号") is None
    assert V.split_ip_numbers(f"12345678 {raw}") == ["12345678", raw]


@pytest.mark.parametrize(
    "raw",
    [raw for raw, _d, _k in APP_VALID] + [raw for raw, _k in PUB_VALID] + ["第12345678号", "TM 123"],
)
def test_list_checker_accepts_every_valid_single_number(raw: str) -> None:
    assert V.check_ip_number(raw) is None
    assert V.check_ip_numbers(raw) is None, V.split_ip_numbers(raw)


def test_patent_number_with_hao_is_not_a_trademark() -> None:
    assert V.ip_number_kind("ZL202310397744.0号") == "patent_application"
    assert V.check_ip_number("ZL202310397744.0号") is None
    msg = V.check_ip_number("ZL202310397744.1号")
    assert_chinese(msg, "申请号校验位错误")
    assert "商标" not in (msg or "")
    assert V.ip_number_kind("12345678号") == "trademark"


def test_publication_number_without_kind_code() -> None:
    for raw in ("CN 102822194", "CN102822194", "CN 1234567"):
        assert V.ip_number_kind(raw) == "publication"
        assert_chinese(V.check_ip_numbers(raw), "缺少文献类型代码")
    # an old application number (97 1 01765 + check 4) written with CN stays one
    assert V.ip_number_kind("CN971017654") == "patent_application"
    assert V.check_ip_number("CN971017654") is None


def test_spaced_numbers_without_a_hint_stay_apart() -> None:
    assert V.split_ip_numbers("2023 1 10000015") == ["2023", "1", "10000015"]


@given(
    st.lists(
        st.one_of(
            st.integers(1, 999_999_999).map(str),
            st.integers(1, 9_999_999).map(lambda n: f"20231{n:07d}"),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([",", "，", "、", "；", "\n", " ", " , "]),
)
def test_ip_list_property(items: list[str], sep: str) -> None:
    numbers = [f"{i}.{V.patent_check_char(i)}" if len(i) == 12 else i for i in items]
    raw = sep.join(numbers)
    assert V.split_ip_numbers(raw) == numbers
    assert V.check_ip_numbers(raw) is None


# --------------------------------------------------------------------------- names and text


@pytest.mark.parametrize(
    "raw",
    [
        "张三",
        "阿拉坦·其其格",
        "阿拉坦•其其格",
        "𠮷野家",
        "䶮",
        "\U00030000氏",
        "John Smith",
        "Zoë",
        "Jean-Paul O'Brien",
        " 王五 ",
    ],
)
def test_person_name_valid(raw: str) -> None:
    assert V.check_person_name(raw) is None


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("张3", ("数字“3”",)),
        ("王😀", ("“😀”",)),
        ("王\x07", ("控制字符", "U+0007")),
        ("王\u202e五", ("U+202E",)),
        ("·王", ("“·”", "开头")),
        ("王·", ("结尾",)),
        ("张@三", ("“@”",)),
        ("", ("未填写",)),
        ("   ", ("未填写",)),
        ("张" * 51, ("最多50", "51")),
        ("--", ("至少",)),
    ],
)
def test_person_name_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_person_name(raw), *needles)


def test_person_name_length_counts_code_points() -> None:
    assert V.check_person_name("𠮷" * 50) is None


@pytest.mark.parametrize(
    "raw",
    ["正常文本\n第二行\t缩进\r\n", "ok ©®™ ★☆ ※ ①", "蒙古文 ᠬᠢᠩᠭᠠᠨ ᠠᠶᠢᠮᠠᠭ", "𠮷", ""],
)
def test_printable_text_valid(raw: str) -> None:
    assert V.check_printable_text(raw) is None


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("笑😀", ("含有无法打印的字符“😀”", "第2个")),
        ("☎️电话", ("“☎️”",)),
        ("好👍🏽", ("“👍🏽”",)),
        ("🇨🇳中国", ("“🇨🇳”",)),
        ("家👨‍👩‍👧", ("“👨‍👩‍👧”",)),
        ("⭐", ("“⭐”",)),
        ("a\x00b", ("控制字符", "U+0000")),
        ("a\x1bb", ("U+001B",)),
        ("私\ue000", ("U+E000",)),
        ("乱\ufffd码", ("乱码",)),
    ],
)
def test_printable_text_invalid(raw: str, needles: tuple[str, ...]) -> None:
    assert_chinese(V.check_printable_text(raw), *needles)


@given(st.text(st.characters(codec="gb2312", exclude_categories=("Cc", "Cs", "Co"))))
def test_printable_text_property_gb2312(text: str) -> None:
    assert V.check_printable_text(text) is None
