"""The record kinds of the IP service windows, each declared once.

Field order is the paper form's order (it is also the tab order of the generated form).
Keys are never renamed: they are DB columns, export keys and sync keys.
Sources for the field sets: reference/domain.md §1.1–1.6 and §2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import validation as v
from .deadlines import supervision
from .factories import (
    ID_NO,
    IP_NUMBERS,
    MOBILE,
    TEXT,
    choice,
    count,
    date,
    flag,
    long_text,
    person,
    phone,
    text,
    uscc,
)
from .fields import (
    DateTimeField,
    GroupField,
    IntField,
    MoneyField,
    MultiChoiceField,
    NamedCheck,
    RefField,
    TextField,
)
from .kind import STREAM_GLOBAL, Deadline, RecordKind
from .ledger_kinds import LEDGER_KINDS
from .mediation_file import (
    CASE_FILE_ACTIONS,
    CASE_FILE_FIELDS,
    FINISH_RULE_SOURCE,
    FINISH_RULE_TEXT,
    MEDIATOR,
    confirmation_checks,
    derive_case_file,
)
from .workflow import Action, Workflow

COUNTY = "counties"

# --- 咨询登记 -------------------------------------------------------------------------------------


def _consultation_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("followup_needed") and not values.get("visitor_phone"):
        errors["visitor_phone"] = "需要回访时请填写联系电话"
    if values.get("handling") == "referred" and not values.get("referred_to"):
        errors["referred_to"] = "转办时请填写承办单位"
    if values.get("handling") == "notice" and not values.get("notice_items"):
        errors["notice_items"] = "一次性告知时请填写需补充的材料或事项"
    started, ended = values.get("started_at"), values.get("ended_at")
    if started and ended and ended < started:
        errors["ended_at"] = "结束时间不能早于开始时间"
    if values.get("visitor_type") == "enterprise" and not values.get("enterprise_name"):
        errors["enterprise_name"] = "来访人类型为企业时请填写单位名称"
    return errors


def _consultation_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    out: list[Deadline] = []
    if status == "referred" and values.get("referral_deadline"):
        out.append(Deadline("转办期限", values["referral_deadline"]))
    if status == "closed" and values.get("followup_needed") and values.get("followup_date"):
        out.append(Deadline("回访日期", values["followup_date"]))
    return out


def _consultation_auto(values: Mapping[str, Any]) -> tuple[str, ...]:
    handling = values.get("handling")
    if handling == "referred":
        return ("refer",)
    if handling in ("answered", "notice", "to_center", "to_mediation"):
        return ("close",)
    return ()


CONSULTATION = RecordKind(
    key="consultation",
    title="咨询登记",
    number_prefix="ZX",
    receipt_title="咨询服务登记回执",
    aliases=("咨询登记", "咨询"),
    title_fields=("visitor_name", "enterprise_name"),
    fields=(
        DateTimeField(key="started_at", label="开始时间", required=True, group="登记信息", in_list=True),
        DateTimeField(key="ended_at", label="结束时间", group="登记信息"),
        choice("channel", "来访渠道", "consult_channels", required=True, group="登记信息",
               default="onsite", on_receipt=True),
        person("first_responder", "首问责任人", required=True, group="登记信息", on_receipt=True),
        choice("visitor_type", "来访人类型", "visitor_types", required=True, group="来访人",
               default="enterprise"),
        person("visitor_name", "来访人姓名", group="来访人", in_list=True, on_receipt=True,
               help="非必填；需要回访时请填写", role="visitor_name"),
        phone("visitor_phone", "联系电话", group="来访人", on_receipt=True, role="visitor_phone"),
        text("enterprise_name", "单位名称", 100, group="来访人", in_list=True, on_receipt=True,
             searchable=True, role="enterprise_name"),
        uscc("enterprise_uscc", group="来访人", help="填写后自动带出企业信息"),
        choice("visitor_region", "所在旗县市", COUNTY, group="来访人", role="county"),
        MultiChoiceField(key="topics", label="咨询事项", catalog="topics", required=True,
                         group="咨询事项", in_list=True, on_receipt=True),
        TextField(key="ip_numbers", label="涉及的知识产权号", max_len=500, validators=IP_NUMBERS,
                  group="咨询事项", searchable=True,
                  help="申请号、专利号、公告号或商标注册号，多个用顿号或逗号分隔"),
        text("tech_field", "技术领域", 100, group="咨询事项"),
        long_text("question", "咨询内容摘要", required=True, group="咨询与答复", on_receipt=True),
        long_text("answer", "答复内容", group="咨询与答复", on_receipt=True),
        text("basis", "答复依据", 300, group="咨询与答复", help="政策文件名称及文号"),
        choice("handling", "处理方式", "handling", required=True, group="处理", in_list=True,
               default="answered", on_receipt=True),
        long_text("notice_items", "一次性告知事项", 2000, group="处理", on_receipt=True),
        text("referred_to", "转办单位", 100, group="处理", on_receipt=True),
        date("referral_deadline", "转办期限", group="处理"),
        flag("followup_needed", "需要回访", group="回访", default=False),
        date("followup_date", "回访日期", group="回访"),
        text("followup_result", "回访结果", 500, group="回访", stage="action"),
        flag("support_lead", "纳入重点帮扶企业线索", group="回访", default=False),
        RefField(key="handed_over_to", label="已转入办件", stage="system", group="处理"),
    ),
    workflow=Workflow(
        initial="registered",
        states=(("registered", "已登记"), ("referred", "已转办"), ("closed", "已办结"),
                ("followed_up", "已回访")),
        actions=(
            Action("close", "办结", ("registered", "referred"), "closed"),
            Action("refer", "转办", ("registered",), "referred",
                   fields=("referred_to", "referral_deadline"), required=("referred_to",)),
            Action("follow_up", "记录回访", ("closed",), "followed_up",
                   fields=("followup_result",), required=("followup_result",)),
        ),
        terminal=frozenset({"followed_up"}),
    ),
    checks=(_consultation_checks,),
    deadlines=_consultation_deadlines,
    auto_actions=_consultation_auto,
)

# --- 企业库 ---------------------------------------------------------------------------------------


def _enterprise_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("key_support") and not values.get("key_support_year"):
        errors["key_support_year"] = "纳入重点帮扶企业库时请填写入库年度"
    if values.get("advantage_pool") and not values.get("advantage_pool_year"):
        errors["advantage_pool_year"] = "纳入知识产权优势企业培育库时请填写入库年度"
    if values.get("gb29490_certified") and not values.get("gb29490_cert_no"):
        errors["gb29490_cert_no"] = "已通过贯标认证时请填写证书编号"
    return errors


ENTERPRISE = RecordKind(
    key="enterprise",
    title="企业库",
    number_prefix="QY",
    receipt_title="企业信息登记回执",
    aliases=("企业", "企业库"),
    title_fields=("name",),
    fields=(
        uscc("uscc", required=True, in_list=True, on_receipt=True, group="基本信息"),
        text("name", "企业名称", 100, required=True, in_list=True, on_receipt=True,
             searchable=True, group="基本信息", role="enterprise_name"),
        choice("county_code", "注册地旗县市", COUNTY, required=True, in_list=True, group="基本信息",
               role="county"),
        text("address", "地址", 200, group="基本信息", role="address"),
        person("legal_rep", "法定代表人", group="基本信息", role="legal_rep"),
        date("established_on", "成立日期", not_future=True, group="基本信息"),
        choice("industry", "产业领域", "industries", in_list=True, group="基本信息", role="industry"),
        text("main_business", "主营业务", 300, group="基本信息"),
        count("employees_insured", "社保人数", group="基本信息"),
        count("rd_staff", "研发人员数", group="基本信息"),
        person("contact_name", "联系人", group="联系人", role="contact_name"),
        phone("contact_phone", "联系电话", group="联系人", in_list=True, role="contact_phone"),
        text("contact_email", "电子邮箱", 100, group="联系人",
             validators=(NamedCheck(v.check_email),), role="contact_email"),
        count("invention_patents", "有效发明专利数", group="知识产权基础", in_list=True,
              role="invention_patents"),
        count("utility_patents", "实用新型专利数", group="知识产权基础", role="utility_patents"),
        count("design_patents", "外观设计专利数", group="知识产权基础", role="design_patents"),
        flag("has_ip_rules", "有知识产权管理制度", group="知识产权基础", role="has_ip_rules"),
        flag("gb29490_certified", "通过贯标认证（GB/T 29490）", group="知识产权基础",
             role="gb29490_certified"),
        text("gb29490_cert_no", "贯标证书编号", 60, group="知识产权基础"),
        flag("key_support", "重点帮扶企业库", group="帮扶", in_list=True, role="key_support"),
        IntField(key="key_support_year", label="入库年度", min_value=2020, max_value=2100,
                 group="帮扶"),
        flag("advantage_pool", "知识产权优势企业培育库", group="帮扶", role="advantage_pool"),
        IntField(key="advantage_pool_year", label="优势企业培育库入库年度", min_value=2020,
                 max_value=2100, group="帮扶"),
        long_text("notes", "备注", 2000, group="帮扶"),
    ),
    checks=(_enterprise_checks,),
    shared_edit=True,  # the League hall and the company's county both keep it up to date
    stream=STREAM_GLOBAL,  # the League-wide enterprise registry
    county_field="county_code",  # an enterprise's county is its registered county
    unique_fields=("uscc",),  # one record per credit code; duplicates go to review
)

# --- 预审备案 -------------------------------------------------------------------------------------

_MATERIALS = GroupField(
    key="materials",
    label="备案材料清单",
    group="材料清单",
    row_label="第{n}项",
    on_receipt=True,
    fields=(
        text("item", "材料名称", 100, required=True, in_list=True),
        choice("status", "状态", "material_status", required=True, in_list=True),
        text("note", "缺失/补正说明", 200, in_list=True),
    ),
)


def _filing_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("uses_agency") and not values.get("agency_name"):
        errors["agency_name"] = "委托代理机构时请填写代理机构名称"
    return errors


def _filing_derive(action: str, values: Mapping[str, Any], cal: Any) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {
        "approve": {"result": "passed"},
        "reject": {"result": "failed"},
        "request_correction": {"result": "correction"},
        "submit": {"result": None},
    }
    return results.get(action, {})


def _filing_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    if status == "correction" and values.get("correction_deadline"):
        return [Deadline("补正期限", values["correction_deadline"], working_days=True)]
    if status == "approved" and values.get("valid_until"):
        return [Deadline("备案有效期至", values["valid_until"])]
    return []


PREEXAM_FILING = RecordKind(
    key="preexam_filing",
    title="预审备案",
    number_prefix="BA",
    receipt_title="专利预审备案受理回执",
    aliases=("预审备案", "备案"),
    title_fields=("enterprise_name",),
    fields=(
        uscc("enterprise_uscc", required=True, in_list=True, on_receipt=True, group="备案主体"),
        text("enterprise_name", "企业名称", 100, required=True, in_list=True, on_receipt=True,
             searchable=True, group="备案主体", role="enterprise_name"),
        choice("county_code", "注册地旗县市", COUNTY, required=True, group="备案主体",
               role="county"),
        choice("field", "产业领域", "preexam_fields", required=True, in_list=True, group="备案主体",
               role="industry"),
        text("sub_field", "细分领域", 100, group="备案主体"),
        person("contact_name", "联系人", required=True, on_receipt=True, group="联系人",
               help="须为本单位员工", role="contact_name"),
        TextField(key="contact_phone", label="联系人手机", max_len=20, required=True,
                  validators=MOBILE, mask="phone", searchable=True, on_receipt=True,
                  group="联系人", role="contact_phone"),
        text("contact_email", "电子邮箱", 100, group="联系人", validators=(NamedCheck(v.check_email),),
             role="contact_email"),
        count("invention_patents", "有效发明专利数（第一申请人）", required=True, group="知识产权基础",
              role="invention_patents"),
        count("utility_patents", "有效实用新型专利数", group="知识产权基础", role="utility_patents"),
        count("design_patents", "有效外观设计专利数", group="知识产权基础", role="design_patents"),
        flag("has_ip_rules", "有知识产权管理制度", group="知识产权基础", role="has_ip_rules"),
        flag("gb29490_certified", "通过贯标认证", group="知识产权基础", role="gb29490_certified"),
        flag("fee_reduction_done", "已办理费减备案", group="知识产权基础"),
        flag("uses_agency", "委托代理机构", group="代理机构", default=False),
        text("agency_name", "代理机构名称", 100, group="代理机构"),
        text("agency_code", "代理机构代码", 20, group="代理机构"),
        flag("agency_on_whitelist", "列入精准服务保障名单", group="代理机构"),
        flag("credit_issue_found", "存在非正常申请或失信记录", group="信用核查"),
        date("credit_checked_on", "核查日期", not_future=True, group="信用核查"),
        person("credit_checked_by", "核查人", group="信用核查"),
        _MATERIALS,
        date("guided_on", "引导日期", required=True, not_future=True, group="办理跟踪",
             in_list=True),
        date("platform_registered_on", "平台注册日", stage="action", group="办理跟踪"),
        date("submitted_on", "备案提交日", stage="action", group="办理跟踪"),
        date("correction_deadline", "补正期限", stage="action", group="办理跟踪", on_receipt=True),
        text("correction_note", "补正要求", 500, stage="action", group="办理跟踪"),
        choice("result", "审核结果", "filing_results", stage="action", group="办理跟踪",
               in_list=True),
        date("result_on", "结果日期", stage="action", group="办理跟踪"),
        text("result_reason", "不通过原因", 300, stage="action", group="办理跟踪"),
        date("valid_until", "备案有效期至", stage="action", group="办理跟踪"),
        text("cancel_reason", "取消原因", 300, stage="action", group="办理跟踪"),
        RefField(key="source_consultation", label="来源咨询登记号", group="关联",
                 target_kinds=("consultation",)),
        flag("key_support", "重点帮扶企业库成员", group="关联", role="key_support"),
        long_text("remarks", "备注", 2000, group="关联"),
    ),
    workflow=Workflow(
        initial="preparing",
        states=(("preparing", "材料准备"), ("registered", "平台注册"), ("submitted", "备案提交"),
                ("correction", "补正"), ("approved", "备案通过"), ("rejected", "不通过"),
                ("review", "资格复核"), ("cancelled", "已取消")),
        actions=(
            Action("register", "平台注册完成", ("preparing",), "registered",
                   fields=("platform_registered_on",), required=("platform_registered_on",)),
            Action("submit", "提交备案", ("registered", "correction"), "submitted",
                   fields=("submitted_on",), required=("submitted_on",), derives=("result",)),
            Action("request_correction", "退回补正", ("submitted",), "correction",
                   fields=("correction_deadline", "correction_note"),
                   required=("correction_deadline",), derives=("result",)),
            Action("approve", "备案通过", ("submitted",), "approved",
                   fields=("result", "result_on", "valid_until"), required=("result_on",)),
            Action("reject", "备案不通过", ("submitted",), "rejected",
                   fields=("result", "result_on", "result_reason"),
                   required=("result_on", "result_reason")),
            Action("start_review", "资格复核", ("approved",), "review"),
            Action("reinstate", "复核通过", ("review",), "approved"),
            Action("cancel", "取消备案", ("preparing", "registered", "correction", "review"),
                   "cancelled", fields=("cancel_reason",), required=("cancel_reason",),
                   confirm="取消后不能恢复，确定取消该备案吗？"),
        ),
        terminal=frozenset({"rejected", "cancelled"}),
    ),
    checks=(_filing_checks,),
    deadlines=_filing_deadlines,
    derive=_filing_derive,
)

# --- 预审案件 -------------------------------------------------------------------------------------

_OPINIONS = GroupField(
    key="opinions",
    label="预审意见",
    group="预审",
    stage="action",
    row_label="第{n}次",
    fields=(
        date("issued_on", "发出日", required=True, in_list=True),
        date("reply_due", "答复期限", in_list=True),
        date("replied_on", "答复日", in_list=True),
    ),
)


def _case_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    app_no, ptype = values.get("application_no"), values.get("patent_type")
    if app_no and ptype:
        kind = v.patent_type_of(app_no)
        expected = {"invention": "发明", "utility": "实用新型", "design": "外观设计"}[ptype]
        if kind and kind != expected:
            errors["application_no"] = f"申请号表示{kind}，与专利类型“{expected}”不符"
    cls = values.get("ipc_main")
    if cls and ptype:
        is_locarno = bool(re.fullmatch(r"\d{2}-\d{2}", str(cls)))
        if ptype == "design" and not is_locarno:
            errors["ipc_main"] = "外观设计应填写洛迦诺分类号，如 09-03"
        elif ptype != "design" and is_locarno:
            errors["ipc_main"] = "发明和实用新型应填写IPC分类号，如 C08K 3/04"
    pub = values.get("grant_pub_no")
    if pub and ptype:
        kind_code = str(pub).rstrip("0123456789")[-1:]
        want = {"invention": "B", "utility": "U", "design": "S"}[ptype]
        if kind_code != want:
            errors["grant_pub_no"] = f"授权公告号的种类代码应为 {want}"
    return errors


def _case_derive(action: str, values: Mapping[str, Any], cal: Any) -> dict[str, Any]:
    return {
        "qualify": {"conclusion": "qualified"},
        "disqualify": {"conclusion": "unqualified"},
        "withdraw": {"conclusion": "withdrawn"},
    }.get(action, {})


def _case_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    if status == "opinion":
        for row in reversed(values.get("opinions") or []):
            if row.get("reply_due") and not row.get("replied_on"):
                return [Deadline("预审意见答复期限", row["reply_due"])]
    return []


PREEXAM_CASE = RecordKind(
    key="preexam_case",
    title="预审案件",
    number_prefix="YS",
    receipt_title="专利预审案件登记回执",
    aliases=("预审案件", "预审"),
    title_fields=("title", "applicant_name"),
    fields=(
        RefField(key="filing_no", label="备案登记号", required=True, group="备案主体",
                 target_kinds=("preexam_filing",), on_receipt=True,
                 help="该企业预审备案的登记号"),
        text("applicant_name", "申请人（备案主体）", 100, required=True, in_list=True,
             searchable=True, on_receipt=True, group="备案主体", role="enterprise_name"),
        uscc("applicant_uscc", group="备案主体"),
        choice("patent_type", "专利类型", "patent_types", required=True, in_list=True,
               on_receipt=True, group="案件"),
        text("title", "发明创造名称", 200, required=True, in_list=True, searchable=True,
             on_receipt=True, group="案件"),
        TextField(key="ipc_main", label="主分类号", max_len=30, required=True,
                  validators=(NamedCheck(v.check_classification),), normalizer=v.normalize_ipc,
                  group="案件", help="发明、实用新型填IPC（如 C08K 3/04）；外观设计填洛迦诺分类（如 09-03）"),
        text("ipc_extra", "附加分类号", 200, group="案件"),
        text("tech_field", "技术领域", 100, group="案件"),
        text("inventors", "发明人/设计人", 300, group="案件", searchable=True),
        text("agency_name", "代理机构", 100, group="案件"),
        person("contact_name", "联系人", group="案件", role="contact_name"),
        phone("contact_phone", "联系电话", group="案件", role="contact_phone"),
        date("submitted_on", "预审提交日", group="预审", stage="action", in_list=True),
        text("center_case_no", "中心预审编号", 40, group="预审", stage="action", searchable=True),
        _OPINIONS,
        choice("conclusion", "预审结论", "preexam_conclusions", stage="action", group="结论",
               in_list=True),
        text("conclusion_reason", "结论说明", 300, stage="action", group="结论"),
        date("concluded_on", "结论日期", stage="action", group="结论"),
        date("filed_on", "正式申请日", stage="action", group="正式申请"),
        TextField(key="application_no", label="申请号", max_len=20, stage="action",
                  validators=(NamedCheck(v.check_patent_application_number),),
                  normalizer=v.normalize_patent_application_number, searchable=True,
                  group="正式申请", in_list=True),
        choice("consistency", "一致性审查", "consistency_results", stage="action", group="正式申请"),
        TextField(key="grant_pub_no", label="授权公告号", max_len=20, stage="action",
                  validators=(NamedCheck(v.check_publication_number),),
                  normalizer=v.normalize_publication_number, searchable=True, group="授权"),
        date("granted_on", "授权公告日", stage="action", group="授权"),
        MultiChoiceField(key="high_value", label="高价值专利类别", catalog="high_value_categories",
                         group="授权"),
        long_text("remarks", "备注", 2000, group="授权"),
    ),
    workflow=Workflow(
        initial="registered",
        states=(("registered", "已登记"), ("submitted", "预审中"), ("opinion", "待答复意见"),
                ("qualified", "预审合格"), ("unqualified", "预审不合格"), ("withdrawn", "已撤回"),
                ("filed", "已正式申请"), ("granted", "已授权")),
        actions=(
            Action("submit", "提交预审", ("registered",), "submitted",
                   fields=("submitted_on", "center_case_no"), required=("submitted_on",)),
            Action("issue_opinion", "收到预审意见", ("submitted",), "opinion", fields=("opinions",),
                   required=("opinions",)),
            Action("reply", "已答复意见", ("opinion",), "submitted", fields=("opinions",),
                   required=("opinions",)),
            Action("qualify", "预审合格", ("submitted",), "qualified",
                   fields=("conclusion", "concluded_on"), required=("concluded_on",)),
            Action("disqualify", "预审不合格", ("submitted", "opinion"), "unqualified",
                   fields=("conclusion", "concluded_on", "conclusion_reason"),
                   required=("concluded_on", "conclusion_reason")),
            Action("withdraw", "撤回", ("registered", "submitted", "opinion"), "withdrawn",
                   fields=("conclusion", "conclusion_reason")),
            Action("file", "正式申请", ("qualified",), "filed",
                   fields=("filed_on", "application_no", "consistency"),
                   required=("filed_on", "application_no")),
            Action("grant", "授权公告", ("filed",), "granted",
                   fields=("grant_pub_no", "granted_on"), required=("grant_pub_no", "granted_on")),
        ),
        terminal=frozenset({"unqualified", "withdrawn", "granted"}),
    ),
    checks=(_case_checks,),
    deadlines=_case_deadlines,
    derive=_case_derive,
)

# --- 调解案件 -------------------------------------------------------------------------------------


def _party_fields() -> tuple[Any, ...]:
    # A party row on a receipt: its name (role "party_name"), then the sub-fields marked
    # on_receipt (minimum necessary; the rest stay on the application form).
    return (
        choice("party_type", "类型", "party_types", required=True, in_list=True,
               role="party_type"),
        TextField(key="name", label="姓名或名称", max_len=100, required=True, in_list=True,
                  validators=TEXT, searchable=True, role="party_name"),
        uscc("uscc", on_receipt=True),
        person("legal_rep", "法定代表人", role="legal_rep", on_receipt=True),
        TextField(key="id_number", label="身份证号码", max_len=18, validators=ID_NO,
                  normalizer=v.normalize_id_number, mask="id", role="id_number",
                  on_receipt=True),
        choice("gender", "性别", "genders"),
        text("ethnicity", "民族", 20),
        text("occupation", "职业或职务", 50),
        phone("phone", "联系电话", role="party_phone", on_receipt=True),
        text("address", "住所或单位地址", 200, role="address"),
    )


def _parties_check(rows: list[dict[str, Any]]) -> str | None:
    for n, row in enumerate(rows, start=1):
        if row.get("party_type") == "org" and not row.get("uscc"):
            return f"第{n}位当事人为单位，请填写统一社会信用代码"
    return None


def _parties(key: str, label: str) -> GroupField:
    return GroupField(
        key=key, label=label, required=True, min_rows=1, max_rows=20, row_label="第{n}位",
        group="当事人", fields=_party_fields(), validators=(_parties_check,), on_receipt=True,
        searchable=True,
    )


def _mediation_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    right_no, right_type = values.get("right_no"), values.get("right_type")
    if right_no and right_type == "patent":
        message = v.check_ip_numbers(right_no)
        if message:
            errors["right_no"] = message
    if values.get("source") in ("court", "admin") and not values.get("referring_body"):
        errors["referring_body"] = "委派或委托调解时请填写委派/委托单位"
    if values.get("outcome") == "written" and not values.get("agreement"):
        errors["agreement"] = "达成书面调解协议时请填写协议内容（打印协议书要用）"
    return errors


def _mediation_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    out: list[Deadline] = []
    if status == "registered" and values.get("applied_on"):
        out.append(Deadline("受理审查期限", cal.add_workdays(values["applied_on"], 3), True))
    if status == "accepted" and values.get("start_by"):
        out.append(Deadline("开始调解期限", values["start_by"], True))
    if status in ("accepted", "mediating") and values.get("finish_by"):
        out.append(Deadline("调解终结期限", values["finish_by"]))
    # (the parties' window to apply; once the file is closed (结案归档) nothing is due)
    if status == "settled" and values.get("confirmation_deadline") and not values.get("filed_on"):
        out.append(Deadline("申请司法确认期限", values["confirmation_deadline"]))
    return out


def _mediation_derive(action: str, values: Mapping[str, Any], cal: Any) -> dict[str, Any]:
    """Statutory clocks (reference/domain.md §2.1–2.3), from the committee's default rules:
    start within 7 working days of acceptance, finish "一般在一个月内" (人民调解工作若干规定
    §36), read as 30 calendar days from the day after acceptance, the last day rolled over a
    holiday (mediation_file.FINISH_RULE_TEXT), 司法确认 within 30 days of the agreement taking
    effect; the case-file parts' own derivations (mediation_file.derive_case_file)."""
    case_file = derive_case_file(action, values)
    if case_file:
        return case_file
    if action == "accept" and values.get("accepted_on"):
        accepted = values["accepted_on"]
        return {
            "start_by": cal.add_workdays(accepted, 7),
            "finish_by": cal.add_days_with_rollover(accepted, 30),
        }
    if action == "settle" and values.get("agreement_effective_on"):
        return {
            "confirmation_deadline": cal.add_days_with_rollover(
                values["agreement_effective_on"], 30
            )
        }
    if action == "confirm":
        return {"confirmation_result": "confirmed"}
    if action == "dismiss":
        return {"confirmation_result": "dismissed"}
    if action == "refuse" and values.get("refusal_reason") == "respondent_refused":
        return {"consent": "refused"}
    return {}


_MEDIATION_ROLES = ("mediator", "supervisor", "admin")

MEDIATION = RecordKind(
    key="mediation",
    title="调解受理",
    number_prefix="TJ",
    receipt_title="调解申请回执",
    aliases=("调解案件", "调解", "调解受理"),
    title_fields=("applicants", "respondents"),
    fields=(
        choice("mechanism", "调解类型", "mediation_mechanisms", required=True, default="people",
               group="案件来源"),
        choice("source", "案件来源", "mediation_sources", required=True, default="application",
               in_list=True, on_receipt=True, group="案件来源"),
        text("referring_body", "委派/委托单位", 100, group="案件来源"),
        text("referring_case_no", "委派案号", 60, group="案件来源"),
        date("applied_on", "申请日期", required=True, not_future=True, in_list=True,
             on_receipt=True, group="案件来源"),
        _parties("applicants", "申请人"),
        _parties("respondents", "被申请人"),
        choice("right_type", "权利类型", "right_types", required=True, in_list=True,
               on_receipt=True, group="纠纷"),
        TextField(key="right_no", label="权利号", max_len=200, validators=TEXT, searchable=True,
                  on_receipt=True, group="纠纷", help="专利号、商标注册号或登记号"),
        choice("dispute_type", "纠纷类型", "dispute_types", required=True, on_receipt=True,
               group="纠纷"),
        MoneyField(key="amount", label="标的额（元）", group="纠纷"),
        long_text("facts", "纠纷简要情况", required=True, group="纠纷"),
        long_text("claims", "申请事项", required=True, group="纠纷"),
        long_text("evidence", "证据材料", 3000, group="纠纷"),
        flag("risk_flag", "有矛盾激化风险", group="纠纷"),
        flag("public_mediation", "公开调解", group="纠纷", default=False),
        choice("consent", "被申请人意愿", "consent", stage="action", group="受理"),
        date("consent_on", "征询日期", stage="action", group="受理"),
        date("accepted_on", "受理日期", stage="action", in_list=True, group="受理"),
        person("mediator", "调解员", stage="action", in_list=True, group="受理",
               widget="mediator_roster", help="从调解员名册中选择"),
        date("start_by", "开始调解期限", stage="derived", group="受理"),
        date("finish_by", "调解终结期限", stage="derived", group="受理",
             help=f"{FINISH_RULE_SOURCE}：{FINISH_RULE_TEXT}"),
        text("case_no", "卷号", 40, stage="system", searchable=True, group="受理"),
        choice("refusal_reason", "不予受理理由", "refusal_reasons", stage="action", group="受理"),
        text("refusal_note", "不予受理说明", 500, stage="action", group="受理"),
        date("started_on", "开始调解日期", stage="action", group="调解"),
        choice("outcome", "调解结果", "mediation_outcomes", stage="action", group="调解"),
        long_text("agreement", "协议内容", stage="action", group="调解"),
        date("agreement_effective_on", "协议生效日期", stage="action", group="调解"),
        date("confirmation_deadline", "申请司法确认期限", stage="derived", group="调解"),
        choice("termination_reason", "终止原因", "termination_reasons", stage="action",
               group="调解"),
        date("closed_on", "结束日期", stage="action", group="调解"),
        date("confirmation_applied_on", "申请司法确认日期", stage="action", group="司法确认"),
        text("confirmation_court", "受理法院", 100, stage="action", group="司法确认"),
        choice("confirmation_result", "司法确认结果", "confirmation_results", stage="action",
               group="司法确认"),
        date("confirmation_result_on", "裁定日期", stage="action", group="司法确认"),
        choice("performance", "履行情况", "performance", stage="action", group="司法确认"),
        *CASE_FILE_FIELDS,
    ),
    workflow=Workflow(
        initial="registered",
        states=(("registered", "已登记"), ("accepted", "已受理"), ("refused", "不予受理"),
                ("mediating", "调解中"), ("settled", "调解成功"), ("terminated", "调解终止"),
                ("withdrawn", "申请人撤回"), ("confirmation_applied", "已申请司法确认"),
                ("confirmed", "司法确认有效"), ("dismissed", "司法确认驳回")),
        actions=(
            Action("accept", "受理", ("registered",), "accepted",
                   fields=("accepted_on", "mediator"), required=("accepted_on", "mediator"),
                   derives=("start_by", "finish_by"), roles=_MEDIATION_ROLES),
            Action("refuse", "不予受理", ("registered",), "refused",
                   fields=("refusal_reason", "refusal_note", "closed_on"),
                   required=("refusal_reason",), derives=("consent",), roles=_MEDIATION_ROLES),
            Action("assign", "指派调解员", ("accepted", "mediating"), "accepted",
                   fields=("mediator",), required=("mediator",), roles=_MEDIATION_ROLES),
            Action("start", "开始调解", ("accepted",), "mediating",
                   fields=("consent", "consent_on", "started_on"),
                   required=("consent", "started_on"), roles=_MEDIATION_ROLES),
            Action("settle", "调解成功", ("mediating",), "settled",
                   fields=("outcome", "agreement", "performance_terms", "agreement_effective_on"),
                   required=("outcome", "agreement_effective_on"),
                   derives=("confirmation_deadline",), roles=_MEDIATION_ROLES),
            Action("terminate", "调解终止", ("accepted", "mediating"), "terminated",
                   fields=("termination_reason", "termination_note", "closed_on",
                           "termination_notified_on"),
                   required=("termination_reason", "closed_on"), roles=_MEDIATION_ROLES),
            Action("withdraw", "申请人撤回", ("registered", "accepted", "mediating"), "withdrawn",
                   fields=("closed_on",)),
            Action("apply_confirmation", "申请司法确认", ("settled",), "confirmation_applied",
                   fields=("confirmation_applied_on", "confirmation_court"),
                   required=("confirmation_applied_on",)),
            Action("confirm", "司法确认有效", ("confirmation_applied",), "confirmed",
                   fields=("confirmation_result", "confirmation_result_on",
                           "confirmation_case_no"),
                   required=("confirmation_result_on",)),
            Action("dismiss", "司法确认驳回", ("confirmation_applied",), "dismissed",
                   fields=("confirmation_result", "confirmation_result_on",
                           "confirmation_case_no", "confirmation_note"),
                   required=("confirmation_result_on",)),
            # folded into 记录回访 (a follow-up row records the 履行情况 with the visit); kept
            # for the events earlier releases and older windows record (Action.superseded_by)
            Action("record_performance", "记录履行情况", ("settled",), "settled",
                   fields=("performance",), required=("performance",),
                   superseded_by="record_followup"),
            Action("record_performance_confirmed", "记录履行情况", ("confirmed",), "confirmed",
                   fields=("performance",), required=("performance",),
                   superseded_by="record_followup_confirmed"),
            *CASE_FILE_ACTIONS,
        ),
        terminal=frozenset({"refused", "terminated", "withdrawn", "dismissed"}),
    ),
    checks=(_mediation_checks, confirmation_checks),
    deadlines=_mediation_deadlines,
    derive=_mediation_derive,
)

# --- 好差评 ---------------------------------------------------------------------------------------

BAD_LEVELS = ("1", "2")


def _rating_checks(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("level") in BAD_LEVELS and values.get("real_name") and not values.get(
        "rater_phone"
    ):
        errors["rater_phone"] = "实名差评须回访，请填写评价人联系电话"
    return errors


def _rating_auto(values: Mapping[str, Any]) -> tuple[str, ...]:
    return ("flag_bad",) if values.get("level") in BAD_LEVELS else ("close",)


def _rating_deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
    if status == "verifying" and values.get("rated_at"):
        from ..timeutil import CST

        start = values["rated_at"].astimezone(CST).date()
        return [Deadline("差评核实期限", cal.add_workdays(start, 3), True)]
    if status == "rectifying" and values.get("rectify_by"):
        return [Deadline("整改期限", values["rectify_by"], True)]
    return []


RATING = RecordKind(
    key="rating",
    title="好差评",
    number_prefix="PJ",
    receipt_title="服务评价登记回执",
    aliases=("好差评", "评价"),
    title_fields=("service_no",),
    fields=(
        RefField(key="service_no", label="办件编号", required=True, in_list=True, group="评价",
                 help="被评价服务的登记号或回执编号"),
        text("service_item", "评价事项", 100, group="评价", in_list=True),
        person("staff", "被评价工作人员", group="评价"),
        choice("channel", "评价渠道", "rating_channels", required=True, default="device",
               group="评价"),
        choice("level", "评价等级", "rating_levels", required=True, in_list=True, group="评价"),
        IntField(key="score_efficiency", label="服务效率（1–5）", min_value=1, max_value=5,
                 group="评价"),
        IntField(key="score_attitude", label="服务态度（1–5）", min_value=1, max_value=5,
                 group="评价"),
        long_text("comment", "评价内容", 1000, group="评价"),
        DateTimeField(key="rated_at", label="评价时间", required=True, group="评价", in_list=True),
        flag("real_name", "实名评价", group="评价人", default=False),
        person("rater_name", "评价人姓名", group="评价人"),
        phone("rater_phone", "评价人电话", group="评价人"),
        person("verifier", "核实人", stage="action", group="差评处理"),
        choice("verification", "核实结论", "verification_results", stage="action",
               group="差评处理", in_list=True),
        long_text("rectification", "整改措施", 2000, stage="action", group="差评处理"),
        date("rectify_by", "整改期限", stage="action", group="差评处理"),
        date("rectified_on", "整改完成日", stage="action", group="差评处理"),
        date("callback_on", "回访日期", stage="action", group="差评处理"),
        text("callback_result", "回访结果", 500, stage="action", group="差评处理"),
        choice("appeal", "申诉复核", "appeal_status", stage="action", group="差评处理"),
    ),
    workflow=Workflow(
        initial="recorded",
        states=(("recorded", "已评价"), ("closed", "已办结"), ("verifying", "差评待核实"),
                ("rectifying", "整改中"), ("appealed", "申诉复核中"), ("callback", "待回访")),
        actions=(
            Action("close", "办结", ("recorded",), "closed"),
            Action("flag_bad", "转差评处理", ("recorded",), "verifying"),
            Action("verify", "核实属实，开始整改", ("verifying",), "rectifying",
                   fields=("verifier", "verification", "rectification", "rectify_by"),
                   required=("verifier", "verification", "rectify_by")),
            Action("verify_unfounded", "核实不属实", ("verifying",), "callback",
                   fields=("verifier", "verification"), required=("verifier", "verification")),
            Action("rectified", "整改完成", ("rectifying",), "callback",
                   fields=("rectified_on",), required=("rectified_on",)),
            Action("appeal", "申诉复核", ("verifying", "rectifying"), "appealed",
                   fields=("appeal",), roles=("supervisor", "admin")),
            Action("appeal_decided", "复核决定", ("appealed",), "callback",
                   fields=("appeal",), required=("appeal",), roles=("supervisor", "admin")),
            Action("call_back", "回访办结", ("callback",), "closed",
                   fields=("callback_on", "callback_result"),
                   required=("callback_on", "callback_result")),
        ),
        terminal=frozenset({"closed"}),
    ),
    checks=(_rating_checks,),
    deadlines=_rating_deadlines,
    auto_actions=_rating_auto,
)

# 催办 / 延期 in the states that carry a deadline (records/deadlines.py)
CONSULTATION = supervision(CONSULTATION, ("referred",))
PREEXAM_FILING = supervision(PREEXAM_FILING, ("correction",))
PREEXAM_CASE = supervision(PREEXAM_CASE, ("opinion",))
MEDIATION = supervision(MEDIATION, ("registered", "accepted", "mediating", "settled"))

KINDS: dict[str, RecordKind] = {
    k.key: k for k in (CONSULTATION, ENTERPRISE, PREEXAM_FILING, PREEXAM_CASE, MEDIATION, RATING,
                       MEDIATOR)
}
KINDS.update((k.key, k) for k in LEDGER_KINDS)  # the plan's ledgers (records/ledger_kinds.py)
KIND_BY_PREFIX: dict[str, RecordKind] = {k.number_prefix: k for k in KINDS.values()}


def kind_by_name(name: str) -> RecordKind:
    """Accept the machine key or any Chinese name ("咨询登记", "调解案件", …)."""
    name = name.strip()
    if name in KINDS:
        return KINDS[name]
    for kind in KINDS.values():
        if name == kind.title or name in kind.aliases:
            return kind
    known = "、".join(f"{k.key}（{k.title}）" for k in KINDS.values())
    raise KeyError(f"未知的登记类型“{name}”，可选：{known}")
