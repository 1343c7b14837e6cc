"""The mediation case file (卷宗): its record parts and actions, and the mediator roster.

Declared once here and spliced into the mediation kind (records/kinds.py), so forms, lists,
receipts, exports, sync and central's checks follow from these declarations:

- 调解笔录: one row of `sessions` per mediation session, appended by "记录调解笔录";
- 调查笔录: one row of `investigations` per investigation, appended by "记录调查笔录";
- 终止调解: the reason, a note and the day the parties were told (人民调解法 §26);
- 口头协议登记: an oral agreement (outcome "oral") with its terms, recorded by the mediator
  (人民调解法 §28);
- 回访记录: one row of `followups` per follow-up visit (人民调解法 §31);
- 司法确认: the joint application within 30 days of the agreement taking effect (§33) and the
  court's ruling (court, case number, date, confirmed or refused);
- 结案: the closing summary and the 卷宗 cover's entries (立卷人, 立卷日期, 保管期限).

Repeating parts are `GroupField`s named in an action's `appends`: each event carries the new
rows only and the fold appends them in event order, so two mediators recording sessions on two
windows offline keep both.

The roster (调解员名册) is a kind of its own in the League-wide stream (like the enterprise
registry): entered at the League window (or a county window for its county), pulled by every
window. The mediation kind's mediator fields pick names from its active entries.

Imports no storage and no Qt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import validation as v
from ..timeutil import format_date_cn
from .factories import NAME, TEXT, date, long_text, text
from .fields import (
    BoolField,
    ChoiceField,
    Field,
    GroupField,
    NamedCheck,
    TextField,
)
from .kind import STREAM_GLOBAL, RecordKind
from .workflow import Action

MEDIATION_ROLES = ("mediator", "supervisor", "admin")

# 人民调解工作若干规定（司法部令第75号，2002年）第三十六条：“人民调解委员会调解纠纷，一般在一个月内
# 调结。” What the committee means by it, printed wherever the date appears:
FINISH_RULE_SOURCE = "《人民调解工作若干规定》（司法部令第75号）第三十六条"
FINISH_RULE_TEXT = (
    "调解一般在一个月内调结；本委员会按受理之日起三十日计算（受理当日不计入），"
    "期限最后一日为法定节假日的，顺延至节假日后的第一个工作日"
)
# 人民调解法第三十三条: the joint application within 30 days of the agreement taking effect
CONFIRMATION_RULE_SOURCE = "《中华人民共和国人民调解法》第三十三条"
CONFIRMATION_DAYS = 30


def confirmation_checks(values: Mapping[str, Any]) -> dict[str, str]:
    """申请司法确认日期 against 人民调解法 §33: not before the agreement took effect and not
    after the deadline (申请司法确认期限, derived at 调解成功 as 30 days with a last day on a
    holiday rolled over; 30 calendar days when the record has none). A cross-field rule of the
    mediation kind (RecordKind.checks): `Desk.act` applies it to 申请司法确认's date, central
    runs its twin (sync/sql/kind_checks.sql sync._confirmation_in_time)."""
    applied = values.get("confirmation_applied_on")
    effective = values.get("agreement_effective_on")
    if not isinstance(applied, dt.date) or not isinstance(effective, dt.date):
        return {}
    if applied < effective:
        return {"confirmation_applied_on":
                f"申请日期不能早于调解协议生效日期（{format_date_cn(effective)}）"}
    deadline = values.get("confirmation_deadline")
    if not isinstance(deadline, dt.date):
        deadline = effective + dt.timedelta(days=CONFIRMATION_DAYS)
    if applied > deadline:
        return {"confirmation_applied_on":
                f"已超过申请司法确认期限：应自调解协议生效之日起三十日内申请，本案期限至"
                f"{format_date_cn(deadline)}（人民调解法第三十三条）"}
    return {}


def _names(key: str, label: str, **kw: Any) -> TextField:
    """Several people's names ("张三、李四"): picked from the roster in the form."""
    kw.setdefault("help", "从调解员名册中选择，多人用顿号分隔")
    return TextField(key=key, label=label, max_len=100, validators=TEXT, searchable=True,
                     widget="mediator_roster", **kw)


# --- repeating parts ---------------------------------------------------------------------------

SESSIONS = GroupField(
    key="sessions", label="调解笔录", stage="action", group="调解笔录", max_rows=50,
    row_label="第{n}次调解",
    fields=(
        date("date", "调解日期", required=True, not_future=True, in_list=True),
        text("time", "起止时间", 40, help="例如 9:00—11:30"),
        text("place", "调解地点", 100, required=True, in_list=True),
        _names("mediators", "调解员", required=True),
        TextField(key="recorder", label="记录人", max_len=50, validators=NAME),
        text("present", "到场当事人", 300, required=True),
        text("others", "其他参加人（邀请人员）", 300),
        long_text("statements", "调解经过及各方陈述", required=True),
        ChoiceField(key="result", label="本次调解结果", catalog="session_results",
                    required=True, in_list=True),
        text("result_note", "达成的事项或未达成的原因", 1000),
        date("next_on", "下次调解日期"),
    ),
)

INVESTIGATIONS = GroupField(
    key="investigations", label="调查笔录", stage="action", group="调查笔录", max_rows=50,
    row_label="第{n}次调查",
    fields=(
        date("date", "调查日期", required=True, not_future=True, in_list=True),
        text("place", "调查地点", 100, required=True),
        _names("investigators", "调查人", required=True),
        TextField(key="recorder", label="记录人", max_len=50, validators=NAME),
        text("subject", "被调查人", 100, required=True, in_list=True),
        text("others", "其他在场人", 200),
        long_text("content", "调查内容", required=True),
    ),
)

FOLLOWUPS = GroupField(
    key="followups", label="回访记录", stage="action", group="回访", max_rows=50,
    row_label="第{n}次回访",
    fields=(
        date("date", "回访日期", required=True, not_future=True, in_list=True),
        _names("visitor", "回访人", required=True),
        text("visited", "回访对象", 100, required=True),
        ChoiceField(key="method", label="回访方式", catalog="followup_methods"),
        ChoiceField(key="performance", label="协议履行情况", catalog="performance",
                    required=True, in_list=True),
        long_text("findings", "回访情况", 2000),
        text("next_steps", "下一步措施", 500),
    ),
)

# --- the fields the mediation kind gains (all recorded by actions) ------------------------------

CASE_FILE_FIELDS: tuple[Field, ...] = (
    SESSIONS,
    INVESTIGATIONS,
    text("performance_terms", "履行方式、地点和期限", 1000, stage="action", group="调解"),
    long_text("termination_note", "终止调解情况说明", 2000, stage="action", group="调解"),
    date("termination_notified_on", "终止调解告知日期", stage="action", group="调解"),
    FOLLOWUPS,
    text("confirmation_case_no", "法院案号", 60, stage="action", group="司法确认",
          searchable=True),
    text("confirmation_note", "裁定说明", 500, stage="action", group="司法确认"),
    long_text("closing_summary", "结案小结", 3000, stage="action", group="结案"),
    date("filed_on", "立卷日期", stage="action", group="结案"),
    TextField(key="filed_by", label="立卷人", max_len=50, validators=NAME, stage="action",
              group="结案"),
    ChoiceField(key="retention", label="保管期限", catalog="retention_periods",
                stage="action", group="结案"),
)

# --- actions -----------------------------------------------------------------------------------

SESSION_STATES = ("mediating",)
INVESTIGATION_STATES = ("accepted", "mediating")
FOLLOWUP_STATES = ("settled", "confirmation_applied", "confirmed", "dismissed")
CLOSING_STATES = ("settled", "confirmed", "dismissed", "terminated", "withdrawn", "refused")


def _per_state(key: str, label: str, states: tuple[str, ...], **kw: Any) -> tuple[Action, ...]:
    """One action per status that records a part without changing the status (the workflow's
    actions have one target each): `key` in the first status, `key_<status>` in the others."""
    return tuple(
        Action(key if n == 0 else f"{key}_{state}", label, (state,), state, **kw)
        for n, state in enumerate(states)
    )


CASE_FILE_ACTIONS: tuple[Action, ...] = (
    *_per_state("record_session", "记录调解笔录", SESSION_STATES,
                fields=("sessions",), required=("sessions",), appends=("sessions",),
                roles=MEDIATION_ROLES),
    *_per_state("record_investigation", "记录调查笔录", INVESTIGATION_STATES,
                fields=("investigations",), required=("investigations",),
                appends=("investigations",), roles=MEDIATION_ROLES),
    *_per_state("record_followup", "记录回访", FOLLOWUP_STATES,
                fields=("followups",), required=("followups",), appends=("followups",),
                derives=("performance",), roles=MEDIATION_ROLES),
    *_per_state("close_file", "结案归档", CLOSING_STATES,
                fields=("closing_summary", "filed_on", "filed_by", "retention"),
                required=("closing_summary", "filed_on", "filed_by"), roles=MEDIATION_ROLES),
)

FOLLOWUP_ACTIONS = frozenset(a.key for a in CASE_FILE_ACTIONS if "followups" in a.fields)


def derive_case_file(action: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values a case-file action derives: a follow-up's performance becomes the record's
    履行情况 (the latest visit's finding)."""
    if action in FOLLOWUP_ACTIONS:
        rows = values.get("followups") or []
        if rows and rows[-1].get("performance"):
            return {"performance": rows[-1]["performance"]}
    return {}


# --- the mediator roster (调解员名册) ------------------------------------------------------------

MEDIATOR = RecordKind(
    key="mediator",
    title="调解员",  # the area is 调解员名册; one record is one mediator
    number_prefix="MY",
    receipt_title="调解员名册登记回执",
    aliases=("调解员", "调解员名册", "人民调解员"),
    title_fields=("name",),
    fields=(
        TextField(key="name", label="姓名", max_len=50, validators=NAME, required=True,
                  in_list=True, on_receipt=True, searchable=True, group="调解员"),
        ChoiceField(key="gender", label="性别", catalog="genders", group="调解员"),
        text("post", "职务", 50, in_list=True, on_receipt=True, group="调解员",
              help="例如 主任、副主任、委员、专职调解员"),
        text("employer", "工作单位", 100, group="调解员"),
        text("specialty", "专业特长", 200, in_list=True, searchable=True, group="调解员"),
        text("qualification", "资格或等级", 100, in_list=True, group="调解员",
              help="例如 律师执业资格、专利代理师、二级人民调解员"),
        ChoiceField(key="employment", label="专职或兼职", catalog="mediator_employment",
                    group="调解员"),
        date("appointed_on", "聘任日期", group="聘任"),
        date("term_end", "聘期届满", group="聘任"),
        BoolField(key="active", label="在册（可指派案件）", default=True, in_list=True,
                  group="聘任"),
        TextField(key="phone", label="联系电话", max_len=30,
                  validators=(NamedCheck(v.check_phone),), mask="phone", group="聘任"),
        long_text("notes", "备注（培训、考核等）", 2000, group="聘任"),
    ),
    shared_edit=True,  # the League keeps the roster; a county window may update its own
    stream=STREAM_GLOBAL,  # every window reads the League's roster
)
