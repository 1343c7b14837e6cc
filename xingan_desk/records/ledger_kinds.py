"""The League plan's ledgers (兴署办发〔2022〕47号), declared once like the other kinds.

- 专利 `patent`: the 高价值专利培育库 (the plan's 三、（一）3 建立更新高价值专利培育库);
- 质押融资 `pledge`: 需求调查 → 对接 → 登记 → 放款 → 解押 (四、（二）4);
- 知识产权保险 `insurance`; 专利导航项目 `navigation`; 代理机构 `agency`.

Registered in records/kinds.py (`KINDS`), so form, list, receipt, export, import, sync, central
checks and the statistics follow from these declarations. Facts behind the fields:
/work/shared/reference/ledgers-dossier.md (§1–6). Amounts of money are in 万元 (the plan's
targets speak of 亿元; the report converts).

The annex's five high-value categories are derived from a patent's own values by
`high_value_categories` (pure, also used by the statistics) when the patent is entered and
whenever it is re-assessed; the clerk confirms them with 核定高价值类别. Two of the annex's
criteria are only qualitative (维持年限, 较高质押融资金额): the thresholds below are the
League's working parameters, printed on the report with the figure.

A ledger record belongs to the window that registers it (its county stream, like a filing);
its `county_code` field names the county of the enterprise or project, which the statistics
use to break the League's figures down by county (`LEDGER_COUNTY_FIELD`).

Imports no storage and no Qt; imports nothing from kinds.py (which imports this module).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .. import validation as v
from ..timeutil import CST
from .factories import IP_NUMBERS, NAME, PHONE, date, long_text, phone, text, uscc
from .fields import (
    BoolField,
    ChoiceField,
    DateField,
    Field,
    GroupField,
    IntField,
    MoneyField,
    MultiChoiceField,
    NamedCheck,
    RefField,
    TextField,
)
from .kind import Deadline, RecordKind
from .workflow import Action, Workflow

# Working parameters of the annex's qualitative criteria (not fixed by any rule found):
# a patent maintained for more than this many full years counted from its filing date (专利权
# 期限自申请日起算) ...
HIGH_VALUE_MAINTAINED_YEARS = 10
# ... and a patent whose registered pledges add up to at least this many 万元.
HIGH_VALUE_PLEDGE_WAN = Decimal("500")

_PATENT_NO = (NamedCheck(v.check_patent_application_number),)
_COUNTY = "counties"


def _long(key: str, label: str, max_len: int = 2000, **kw: Any) -> TextField:
    return long_text(key, label, max_len, **kw)


def _enterprise(key: str, label: str, **kw: Any) -> TextField:
    kw.setdefault("role", "enterprise_name")
    return text(key, label, 100, searchable=True, **kw)


def _contact() -> tuple[TextField, TextField]:
    return (
        TextField(key="contact_name", label="联系人", max_len=50, validators=NAME,
                  role="contact_name", group="联系人"),
        phone("contact_phone", "联系电话", role="contact_phone", group="联系人"),
    )


def _county(**kw: Any) -> ChoiceField:
    return ChoiceField(key="county_code", label="所属旗县市", catalog=_COUNTY, role="county",
                       **kw)


def _wan(key: str, label: str, **kw: Any) -> MoneyField:
    return MoneyField(key=key, label=label, max_value=Decimal("10000000"), **kw)


def _date(key: str, label: str, **kw: Any) -> DateField:
    return date(key, label, min_year=1985, **kw)


def _year(key: str, label: str, **kw: Any) -> IntField:
    return IntField(key=key, label=label, min_value=1985, max_value=2100, **kw)


def _later(values: Mapping[str, Any], first: str, then: str, message: str,
           errors: dict[str, str]) -> None:
    a, b = values.get(first), values.get(then)
    if a and b and b < a:
        errors[then] = message


# --- 专利（高价值专利培育库） -----------------------------------------------------------------

_AWARDS = GroupField(
    key="awards",
    label="获奖情况",
    group="运用与获奖",
    row_label="第{n}项",
    fields=(
        ChoiceField(key="award", label="奖项", catalog="patent_awards", required=True,
                    in_list=True),
        ChoiceField(key="level", label="等次", catalog="award_levels", in_list=True),
        _year("year", "年度", required=True, in_list=True),
    ),
)

_PATENT_PLEDGES = GroupField(
    key="pledges",
    label="质押登记",
    group="运用与获奖",
    row_label="第{n}笔",
    fields=(
        RefField(key="pledge_no", label="质押融资登记号", target_kinds=("pledge",), in_list=True),
        _wan("amount_wan", "质押金额（万元）", required=True, in_list=True),
        _date("registered_on", "质押登记日", in_list=True),
    ),
)


def maintained_years(values: Mapping[str, Any], today: dt.date) -> int | None:
    """Full years from the filing date to the lapse date (失效/届满) or to `today`."""
    filed: dt.date | None = values.get("filed_on")
    if not filed:
        return None
    lapsed: dt.date | None = (values.get("lapsed_on")
                              if values.get("legal_status") in ("lapsed", "expired") else None)
    end = min(lapsed or today, today)
    years = end.year - filed.year - ((end.month, end.day) < (filed.month, filed.day))
    return max(years, 0)


def pledged_wan(values: Mapping[str, Any]) -> Decimal:
    """The patent's registered pledge amounts, in 万元."""
    return sum((Decimal(str(r.get("amount_wan") or 0)) for r in values.get("pledges") or []),
               Decimal(0))


def patent_type_code(number: Any) -> str | None:
    """invention / utility / design from a patent number (validation.patent_type_of)."""
    label = v.patent_type_of(str(number)) if number else None
    return {"发明": "invention", "实用新型": "utility", "外观设计": "design"}.get(label or "")


def high_value_categories(values: Mapping[str, Any], today: dt.date) -> list[str]:
    """The annex's five categories a valid invention patent meets by its own values (codes of
    the `high_value_categories` catalog); [] for other patents or lapsed ones."""
    if patent_type_code(values.get("patent_no")) != "invention":
        return []
    if values.get("legal_status") not in (None, "valid"):
        return []
    out: list[str] = []
    if values.get("sei_field"):
        out.append("strategic")
    if values.get("overseas_family"):
        out.append("overseas")
    years = maintained_years(values, today)
    if years is not None and years >= HIGH_VALUE_MAINTAINED_YEARS:
        out.append("long_maintained")
    if pledged_wan(values) >= HIGH_VALUE_PLEDGE_WAN:
        out.append("pledged")
    if any(r.get("award") in ("cn_patent", "national_sci") for r in values.get("awards") or []):
        out.append("awarded")
    return out


def _patent_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    _later(values, "filed_on", "granted_on", "授权日不能早于申请日", errors)
    _later(values, "granted_on", "lapsed_on", "失效/届满日不能早于授权日", errors)
    if values.get("legal_status") in ("lapsed", "expired") and not values.get("lapsed_on"):
        errors["lapsed_on"] = "失效或届满的专利请填写失效/届满日"
    if values.get("in_pool") and not values.get("pool_year"):
        errors["pool_year"] = "纳入高价值专利培育库时请填写入库年度"
    return errors


def _patent_derive(action: str, values: Mapping[str, Any], cal: Any) -> dict[str, Any]:
    if action not in ("assess", "confirm", "reassess"):
        return {}
    today = dt.datetime.now(CST).date()
    return {
        "patent_type": patent_type_code(values.get("patent_no")),
        "years_maintained": maintained_years(values, today),
        "hv_derived": high_value_categories(values, today),
    }


def _patent_auto(values: Mapping[str, Any]) -> tuple[str, ...]:
    return ("assess",)


_DERIVED = ("patent_type", "years_maintained", "hv_derived")

PATENT = RecordKind(
    key="patent",
    title="专利",
    number_prefix="ZL",
    receipt_title="高价值专利培育库登记回执",
    aliases=("专利", "高价值专利", "高价值专利培育库", "专利台账"),
    title_fields=("title", "patent_no"),
    fields=(
        TextField(key="patent_no", label="专利号", max_len=20, required=True, in_list=True,
                  validators=_PATENT_NO, normalizer=v.normalize_patent_application_number,
                  searchable=True, on_receipt=True, group="专利",
                  help="如 ZL202210123456.7；专利类型由专利号自动判断"),
        ChoiceField(key="patent_type", label="专利类型", catalog="patent_types",
                    stage="derived", in_list=True, on_receipt=True, group="专利"),
        text("title", "专利名称", 200, required=True, in_list=True, searchable=True,
              on_receipt=True, group="专利"),
        _enterprise("patentee_name", "专利权人", required=True, in_list=True, on_receipt=True,
                    group="专利权人"),
        uscc("patentee_uscc", group="专利权人", help="填写后自动带出企业信息"),
        text("co_patentees", "共同专利权人", 300, searchable=True, group="专利权人"),
        _county(required=True, group="专利权人"),
        *_contact(),
        _date("filed_on", "申请日", required=True, not_future=True, group="专利"),
        _date("granted_on", "授权公告日", not_future=True, in_list=True, group="专利"),
        TextField(key="ipc_main", label="主分类号", max_len=30,
                  validators=(NamedCheck(v.check_classification),), normalizer=v.normalize_ipc,
                  group="专利", help="IPC，如 C08K 3/04"),
        ChoiceField(key="legal_status", label="法律状态", catalog="patent_legal_status",
                    required=True, default="valid", in_list=True, on_receipt=True, group="专利"),
        _date("lapsed_on", "失效/届满日", group="专利"),
        IntField(key="years_maintained", label="维持年限（年）", min_value=0, max_value=30,
                 stage="derived", group="专利"),
        ChoiceField(key="sei_field", label="战略性新兴产业领域", catalog="sei_fields",
                    group="高价值类别",
                    help="按《战略性新兴产业分类与国际专利分类参照关系表（2021）》"),
        MultiChoiceField(key="overseas_family", label="海外同族（国家/地区）",
                         catalog="family_countries", group="高价值类别"),
        _PATENT_PLEDGES,
        _AWARDS,
        MultiChoiceField(key="hv_derived", label="高价值类别（系统判断）",
                         catalog="high_value_categories", stage="derived", group="高价值类别"),
        MultiChoiceField(key="hv_confirmed", label="高价值类别（核定）",
                         catalog="high_value_categories", stage="action", in_list=True,
                         on_receipt=True, group="高价值类别"),
        _date("hv_confirmed_on", "核定日期", stage="action", group="高价值类别"),
        BoolField(key="in_pool", label="纳入高价值专利培育库", default=True, in_list=True,
                  group="培育库"),
        _year("pool_year", "入库年度", group="培育库"),
        text("portfolio", "高价值专利组合", 100, searchable=True, group="培育库",
              help="所属高价值专利组合的名称（如有）"),
        _long("notes", "备注", group="培育库"),
    ),
    workflow=Workflow(
        initial="entered",
        states=(("entered", "已登记"), ("assessed", "待核定"), ("confirmed", "已核定")),
        actions=(
            Action("assess", "系统判断高价值类别", ("entered",), "assessed", derives=_DERIVED),
            Action("confirm", "核定高价值类别", ("assessed", "confirmed"), "confirmed",
                   fields=("hv_confirmed", "hv_confirmed_on"), required=("hv_confirmed_on",),
                   derives=_DERIVED, prefill=(("hv_confirmed", "hv_derived"),)),
            Action("reassess", "重新判断", ("assessed", "confirmed"), "assessed",
                   derives=_DERIVED),
        ),
    ),
    checks=(_patent_checks,),
    derive=_patent_derive,
    auto_actions=_patent_auto,
)

# --- 质押融资 -----------------------------------------------------------------------------------


def _pledge_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    _later(values, "registered_on", "loan_on", "放款日不能早于登记日", errors)
    _later(values, "registered_on", "released_on", "解押日不能早于登记日", errors)
    return errors


def _pledge_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    if status == "disbursed" and values.get("loan_on") and values.get("term_months"):
        start: dt.date = values["loan_on"]
        months = start.month - 1 + int(values["term_months"])
        year, month = start.year + months // 12, months % 12 + 1
        day = min(start.day, 28)
        return [Deadline("质押到期", dt.date(year, month, day))]
    return []


PLEDGE = RecordKind(
    key="pledge",
    title="质押融资",
    number_prefix="ZY",
    receipt_title="知识产权质押融资需求登记回执",
    aliases=("质押融资", "质押", "知识产权质押融资"),
    title_fields=("enterprise_name",),
    fields=(
        _date("surveyed_on", "调查日期", required=True, not_future=True, in_list=True,
              group="需求调查"),
        _enterprise("enterprise_name", "企业名称", required=True, in_list=True, on_receipt=True,
                    group="需求调查"),
        uscc("enterprise_uscc", required=True, on_receipt=True, group="需求调查"),
        _county(required=True, group="需求调查"),
        *_contact(),
        _wan("amount_wanted_wan", "融资需求（万元）", required=True, in_list=True,
             on_receipt=True, group="需求调查"),
        TextField(key="ip_offered", label="拟质押的知识产权", max_len=500, required=True,
                  validators=IP_NUMBERS, searchable=True, on_receipt=True, group="需求调查",
                  help="专利号或商标注册号，多个用顿号分隔"),
        text("preferred_bank", "意向银行", 100, group="需求调查", on_receipt=True),
        text("purpose", "资金用途", 200, group="需求调查"),
        _date("matched_on", "对接日期", stage="action", group="银企对接"),
        text("matched_bank", "对接银行/担保机构", 100, stage="action", in_list=True,
              group="银企对接"),
        text("pledgee", "质权人", 100, stage="action", group="质押登记"),
        _wan("amount_wan", "质押登记金额（万元）", stage="action", in_list=True, group="质押登记"),
        IntField(key="term_months", label="期限（月）", min_value=1, max_value=360,
                 stage="action", group="质押登记"),
        text("registration_no", "质押登记号", 40, stage="action", searchable=True,
              group="质押登记"),
        _date("registered_on", "质押登记日", stage="action", group="质押登记"),
        TextField(key="pledged_patents", label="出质专利", max_len=500, validators=IP_NUMBERS,
                  stage="action", searchable=True, group="质押登记"),
        TextField(key="pledged_trademarks", label="出质商标", max_len=500,
                  validators=IP_NUMBERS, stage="action", searchable=True, group="质押登记"),
        _date("loan_on", "放款日期", stage="action", group="放款"),
        _wan("loan_wan", "放款金额（万元）", stage="action", group="放款"),
        _date("released_on", "解押日期", stage="action", group="解押"),
        text("close_reason", "未成功原因", 300, stage="action", group="解押"),
    ),
    workflow=Workflow(
        initial="surveyed",
        states=(("surveyed", "需求调查"), ("matched", "已对接"), ("registered", "已登记"),
                ("disbursed", "已放款"), ("released", "已解押"), ("closed", "未成功")),
        actions=(
            Action("match", "银企对接", ("surveyed",), "matched",
                   fields=("matched_on", "matched_bank"), required=("matched_on", "matched_bank")),
            Action("register", "质押登记", ("surveyed", "matched"), "registered",
                   fields=("pledgee", "amount_wan", "term_months", "registration_no",
                           "registered_on", "pledged_patents", "pledged_trademarks"),
                   required=("pledgee", "amount_wan", "registered_on")),
            Action("disburse", "放款", ("registered",), "disbursed",
                   fields=("loan_on", "loan_wan"), required=("loan_on", "loan_wan")),
            Action("release", "解押", ("registered", "disbursed"), "released",
                   fields=("released_on",), required=("released_on",)),
            Action("close", "未成功", ("surveyed", "matched"), "closed",
                   fields=("close_reason",), required=("close_reason",)),
        ),
        terminal=frozenset({"released", "closed"}),
    ),
    checks=(_pledge_checks,),
    deadlines=_pledge_deadlines,
)

# The pledge states whose demand is still open for the banks' push list
PLEDGE_OPEN_STATES = ("surveyed", "matched")
# The states in which a pledge has been registered (counts toward the financing figure)
PLEDGE_REGISTERED_STATES = ("registered", "disbursed", "released")

# --- 知识产权保险 -------------------------------------------------------------------------------

_CLAIMS = GroupField(
    key="claims",
    label="理赔记录",
    group="理赔",
    row_label="第{n}次",
    fields=(
        _date("claimed_on", "报案日期", required=True, in_list=True),
        _wan("paid_wan", "赔付金额（万元）", in_list=True),
        text("result", "处理结果", 200, in_list=True),
    ),
)


def _insurance_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    _later(values, "starts_on", "ends_on", "保险止期不能早于起期", errors)
    return errors


INSURANCE = RecordKind(
    key="insurance",
    title="知识产权保险",
    number_prefix="BX",
    receipt_title="知识产权保险登记回执",
    aliases=("知识产权保险", "保险"),
    title_fields=("insured_name", "product"),
    fields=(
        _enterprise("insured_name", "被保险企业", required=True, in_list=True, on_receipt=True,
                    group="投保"),
        uscc("insured_uscc", required=True, group="投保"),
        _county(required=True, group="投保"),
        *_contact(),
        text("insurer", "保险公司", 100, required=True, in_list=True, on_receipt=True,
              group="投保"),
        ChoiceField(key="product", label="险种", catalog="ip_insurance_products", required=True,
                    in_list=True, on_receipt=True, group="投保"),
        text("policy_no", "保单号", 40, searchable=True, on_receipt=True, group="投保"),
        TextField(key="ip_numbers", label="承保的知识产权", max_len=500, validators=IP_NUMBERS,
                  searchable=True, group="投保", help="专利号或商标注册号，多个用顿号分隔"),
        _wan("sum_insured_wan", "保险金额/赔偿限额（万元）", required=True, in_list=True,
             on_receipt=True, group="保费与期限"),
        _wan("premium_wan", "保费（万元）", required=True, group="保费与期限"),
        _wan("subsidy_wan", "保费补贴（万元）", group="保费与期限"),
        _date("starts_on", "保险起期", required=True, in_list=True, group="保费与期限"),
        _date("ends_on", "保险止期", required=True, group="保费与期限"),
        _CLAIMS,
        _long("notes", "备注", group="理赔"),
    ),
    checks=(_insurance_checks,),
)

# --- 专利导航项目 -------------------------------------------------------------------------------


def _navigation_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    _later(values, "starts_on", "ends_on", "结束日期不能早于开始日期", errors)
    return errors


NAVIGATION = RecordKind(
    key="navigation",
    title="专利导航项目",
    number_prefix="DH",
    receipt_title="专利导航项目登记回执",
    aliases=("专利导航项目", "专利导航", "导航项目"),
    title_fields=("name",),
    fields=(
        text("name", "项目名称", 200, required=True, in_list=True, searchable=True,
              on_receipt=True, group="项目"),
        ChoiceField(key="nav_type", label="导航类型", catalog="navigation_types", required=True,
                    on_receipt=True, group="项目"),
        ChoiceField(key="industry", label="产业领域", catalog="industries", required=True,
                    in_list=True, on_receipt=True, group="项目", role="industry"),
        _county(required=True, group="项目"),
        text("lead_unit", "承担单位", 100, required=True, in_list=True, searchable=True,
              on_receipt=True, group="项目"),
        text("partners", "合作单位", 300, searchable=True, group="项目"),
        _wan("budget_wan", "项目经费（万元）", group="项目"),
        _date("starts_on", "开始日期", required=True, in_list=True, group="项目"),
        _date("ends_on", "结束日期", group="项目"),
        ChoiceField(key="progress", label="项目状态", catalog="navigation_status", required=True,
                    default="approved", in_list=True, on_receipt=True, group="项目"),
        _long("deliverables", "成果（导航报告等）", group="成果"),
    ),
    checks=(_navigation_checks,),
)

# --- 专利代理机构 -------------------------------------------------------------------------------


def _agency_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("is_branch") and not values.get("parent_name"):
        errors["parent_name"] = "分支机构请填写所属代理机构"
    _later(values, "serving_since", "left_on", "停止服务日期不能早于开展业务日期", errors)
    return errors


AGENCY = RecordKind(
    key="agency",
    title="代理机构",
    number_prefix="DL",
    receipt_title="专利代理机构登记回执",
    aliases=("代理机构", "专利代理机构"),
    title_fields=("name",),
    fields=(
        text("name", "机构名称", 100, required=True, in_list=True, searchable=True,
              on_receipt=True, group="机构"),
        uscc("uscc", required=False, group="机构", role="agency_uscc"),
        text("agency_code", "机构代码", 20, searchable=True, group="机构"),
        text("licence_no", "执业许可证号", 40, in_list=True, on_receipt=True, group="机构"),
        _date("licensed_on", "许可日期", not_future=True, group="机构"),
        BoolField(key="is_branch", label="分支机构", default=False, in_list=True, group="机构"),
        text("parent_name", "所属代理机构", 100, group="机构"),
        _county(required=True, in_list=True, group="在盟服务"),
        text("address", "在盟地址", 200, group="在盟服务"),
        IntField(key="resident_agents", label="驻场专利代理师（人）", min_value=0, max_value=500,
                 group="在盟服务"),
        _date("serving_since", "在盟开展业务日期", required=True, not_future=True,
              in_list=True, group="在盟服务"),
        _date("left_on", "停止服务日期", group="在盟服务"),
        TextField(key="contact_phone", label="联系电话", max_len=30, validators=PHONE,
                  mask="phone", group="在盟服务"),
        _long("notes", "备注", group="在盟服务"),
    ),
    checks=(_agency_checks,),
)

LEDGER_KINDS: tuple[RecordKind, ...] = (PATENT, PLEDGE, INSURANCE, NAVIGATION, AGENCY)
# the field each ledger names its county in (the statistics count by it)
LEDGER_COUNTY_FIELD = "county_code"


def ledger_fields() -> tuple[Field, ...]:
    """Every field of the ledgers (tests walk them)."""
    return tuple(f for k in LEDGER_KINDS for f in k.fields)
