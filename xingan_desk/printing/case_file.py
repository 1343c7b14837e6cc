"""The mediation case file (人民调解卷宗): the documents of the case-file parts and the whole file.

Follows the structure of the Ministry of Justice's 2010 people's-mediation document formats
(人民调解文书格式) as the committees use them locally (reference/ledgers-dossier.md §7): 调查笔录
and 调解笔录 (time, place, 事由, mediators, parties present, what was said, the outcome; read
back and signed — each session's signatures on a page of their own), 口头协议登记表, 终止人民调解
通知书 (人民调解法 §26), 回访记录, 司法确认申请书 (§33) and the court's result, 结案报告, and the
卷宗 itself: 封面, 卷内目录 with page numbers, then every document in the file's order
(`DOSSIER_ORDER`), numbered "第N页 共M页" across the whole file.

A committee may replace the fixed texts with its own wording: the setting
``mediation_wording`` maps a text key (`WORDING_KEYS`) to its text.

The attached materials (附件材料清单) come from `attached_materials`, which returns nothing
until an attachments part provides a listing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from xingan_desk.records.kinds import KINDS
from xingan_desk.records.mediation_file import CONFIRMATION_RULE_SOURCE, FOLLOWUP_ACTIONS
from xingan_desk.timeutil import CST, as_utc, today_cst
from xingan_desk.views import RecordView

from . import content as C
from . import documents as D
from .header import office_for_record
from .layout import (
    build_pdf,
    fmt_date,
    get_layout,
    kv_table,
    para,
    spacer,
    styles,
    table,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from ..desk import Desk

__all__ = ["DOSSIER_ORDER", "WORDING_KEYS", "attached_materials", "dossier_contents",
           "file_number", "followup_rows", "render_dossier"]

WORDING_SETTING = "mediation_wording"
WORDING_KEYS: dict[str, str] = {
    "session_opening": (
        "调解员告知当事人：人民调解遵循自愿、平等的原则，当事人享有选择或者接受调解员、接受或者拒绝调解、"
        "要求终止调解、要求调解公开或不公开进行、自主表达意愿和自愿达成协议的权利，负有如实陈述、"
        "遵守调解秩序、尊重对方当事人的义务；当事人认为调解员与纠纷有利害关系的，可以申请回避。"
        "经询问，各方当事人对调解员不申请回避，同意进行调解。"),
    "record_confirmation": "以上笔录已向我宣读（或经本人阅读），记录与所述一致。",
    "termination_remedies": (
        "依照《中华人民共和国人民调解法》第二十六条，人民调解员调解纠纷，调解不成的，应当终止调解，"
        "并依据有关法律、法规的规定，告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。"
        "你（单位）可以：（一）依法向有管辖权的人民法院提起诉讼；（二）有仲裁协议的，依照仲裁协议申请仲裁；"
        "（三）向知识产权管理部门请求处理或者申请行政调解。"),
    "confirmation_promise": (
        "申请人承诺：出于解决纠纷的目的自愿达成调解协议，没有恶意串通、规避法律的行为；"
        "如果因为该协议内容而给他人造成损害的，愿意承担相应的民事责任和其他法律责任。"),
}


def wording(ctx: D.DocContext, key: str) -> str:
    """The committee's own text for ``key`` (setting ``mediation_wording``), else ours."""
    own = ctx.desk.setting(WORDING_SETTING, {})
    if isinstance(own, Mapping) and isinstance(own.get(key), str) and own[key].strip():
        return str(own[key]).strip()
    return WORDING_KEYS[key]


def _rows_of(ctx: D.DocContext, key: str) -> list[dict[str, Any]]:
    return [dict(r) for r in ctx.values.get(key) or []]


def _sub(key: str, sub: str, value: Any) -> str:
    group = KINDS["mediation"].field(key)
    field = group.sub(sub)  # type: ignore[attr-defined]
    return C.show_value(field, value)


def _everyone(ctx: D.DocContext) -> list[C.Party]:
    return [p for key in ("applicants", "respondents") for p in C.parties(ctx.record, key)]


def _case_line(ctx: D.DocContext) -> str:
    return f"{D.all_parties(ctx)}之间的{D.dispute_text(ctx)}"


def _page_break() -> Flowable:
    from reportlab.platypus import PageBreak

    return PageBreak()


# --- 调查笔录 / 调解笔录 ------------------------------------------------------------------------


def investigation_record(ctx: D.DocContext) -> list[Flowable]:
    story: list[Flowable] = []
    rows = _rows_of(ctx, "investigations")
    for n, row in enumerate(rows, start=1):
        if n > 1:
            story.append(_page_break())
        title = "人民调解调查笔录" + (f"（第{D.cn_number(n)}次）" if len(rows) > 1 else "")
        story += D.title_block(ctx, title)
        story.append(kv_table([
            ("调查时间", " ".join(t for t in (_sub("investigations", "date", row.get("date")),
                                              str(row.get("time") or "")) if t)),
            ("调查地点", str(row.get("place") or "")),
            ("事由", f"调查{_case_line(ctx)}的有关情况"),
            ("调查人", str(row.get("investigators") or "")),
            ("记录人", str(row.get("recorder") or "")),
            ("被调查人", str(row.get("subject") or "")),
            ("其他在场人", str(row.get("others") or "")),
        ], ctx.lay, ctx.st))
        story.append(ctx.heading("调查内容"))
        story += ctx.indent(str(row.get("content") or ""))
        story.append(spacer(3))
        story += ctx.indent(wording(ctx, "record_confirmation"))
        story.append(D.signature_rows_of(ctx, [
            (f"被调查人：{row.get('subject') or ''}", D.SIGN_HINT),
            (f"调查人：{row.get('investigators') or ''}", "签名"),
            (f"记录人：{row.get('recorder') or ''}", "签名"),
        ]))
    return story


def mediation_record(ctx: D.DocContext) -> list[Flowable]:
    """One 笔录 per session, each followed by its own signature page."""
    story: list[Flowable] = []
    rows = _rows_of(ctx, "sessions")
    for n, row in enumerate(rows, start=1):
        if n > 1:
            story.append(_page_break())
        story += D.title_block(ctx, f"人民调解笔录（第{D.cn_number(n)}次调解）")
        when = " ".join(t for t in (_sub("sessions", "date", row.get("date")),
                                    str(row.get("time") or "")) if t)
        story.append(kv_table([
            ("调解时间", when),
            ("调解地点", str(row.get("place") or "")),
            ("事由", _case_line(ctx)),
            ("调解员", str(row.get("mediators") or "")),
            ("记录人", str(row.get("recorder") or "")),
            ("到场当事人", str(row.get("present") or "")),
            ("其他参加人", str(row.get("others") or "") or "无"),
        ], ctx.lay, ctx.st))
        story.append(ctx.heading("告知事项"))
        story += ctx.indent(wording(ctx, "session_opening"))
        story.append(ctx.heading("调解经过及各方陈述"))
        story += ctx.indent(str(row.get("statements") or ""))
        story.append(ctx.heading("调解结果"))
        story.append(ctx.p(D.checkboxes("session_results", row.get("result"))))
        if row.get("result_note"):
            story += ctx.indent(str(row["result_note"]))
        if row.get("next_on"):
            story += ctx.indent(f"下次调解定于{_sub('sessions', 'next_on', row['next_on'])}。")
        # the signature page of this session
        story.append(_page_break())
        story.append(para(f"人民调解笔录（第{D.cn_number(n)}次调解）签名页", ctx.st.title))
        story.append(para(f"调解时间：{when}　　调解地点：{row.get('place') or ''}", ctx.st.body))
        story.append(spacer(2))
        story += ctx.indent(wording(ctx, "record_confirmation"))
        story.append(spacer(2))
        signers = [(f"{p.role}：{p.name}", D.SIGN_HINT) for p in _everyone(ctx)]
        signers += [(f"人民调解员：{row.get('mediators') or ''}", "签名"),
                    (f"记录人：{row.get('recorder') or ''}", "签名")]
        story.append(D.signature_rows_of(ctx, signers))
    return story


# --- 口头协议登记表 / 终止通知书 / 回访记录 ----------------------------------------------------


def oral_agreement(ctx: D.DocContext) -> list[Flowable]:
    story = D.title_block(ctx, "人民调解口头协议登记表")
    parties = []
    for p in _everyone(ctx):
        pairs = D.party_pairs(ctx, p)
        parties.append((p.heading, "，".join(f"{label}：{value}" for label, value in pairs)))
    story.append(kv_table([
        *parties,
        ("纠纷类型", D.dispute_text(ctx)),
        ("权利号", D.right_numbers(ctx)),
        ("协议达成日期", ctx.show("agreement_effective_on")),
        ("调解员", ctx.show("mediator")),
    ], ctx.lay, ctx.st))
    story += D.long_section(ctx, "纠纷简要情况", "facts")
    story.append(ctx.heading("口头协议内容"))
    story += ctx.indent(str(ctx.values.get("agreement") or ""))
    if ctx.values.get("performance_terms"):
        story.append(ctx.heading("履行方式、地点和期限"))
        story += ctx.indent(str(ctx.values["performance_terms"]))
    story += ctx.indent("依照《中华人民共和国人民调解法》第二十八条，当事人认为无需制作调解协议书的，可以采取口头协议"
                        "方式，人民调解员应当记录协议内容；口头调解协议自各方当事人达成协议之日起生效。")
    story.append(spacer(2))
    signers = [(f"{p.role}：{p.name}", D.SIGN_HINT) for p in _everyone(ctx)]
    signers += [("人民调解员", "签名"), ("登记人", "签名")]
    story.append(D.sign_off(ctx, signers, ctx.values.get("agreement_effective_on")))
    return story


def termination_notice(ctx: D.DocContext) -> list[Flowable]:
    v = ctx.values
    story = D.title_block(ctx, "终止人民调解通知书")
    story.append(ctx.p(f"{D.all_parties(ctx)}："))
    accepted = ctx.show("accepted_on") or ctx.show("applied_on")
    reason = ctx.show("termination_reason") or "调解不成"
    story += ctx.indent(f"本委员会于{accepted}受理的{_case_line(ctx)}，因{reason}，"
                        f"本委员会决定于{ctx.show('closed_on')}终止调解。")
    if v.get("termination_note"):
        story += ctx.indent(f"具体情况：{ctx.show('termination_note')}")
    story += ctx.indent(wording(ctx, "termination_remedies"))
    story += ctx.indent("特此通知。")
    story.append(spacer(1))
    story.append(D.contact_line(ctx))
    story.append(spacer(2))
    story.append(D.sign_off(ctx, [(f"{p.role}：{p.name}（签收）", D.SIGN_HINT)
                                  for p in _everyone(ctx)],
                            v.get("termination_notified_on") or v.get("closed_on")))
    return story


def _superseded_followups() -> frozenset[str]:
    """Actions folded into 记录回访 (the former 记录履行情况): their events still print."""
    wf = KINDS["mediation"].workflow
    assert wf is not None
    return frozenset(a.key for a in wf.actions if a.superseded_by in FOLLOWUP_ACTIONS)


def followup_rows(ctx: D.DocContext) -> list[dict[str, Any]]:
    """The 回访记录's rows in the order they were recorded: the 记录回访 rows and, among them,
    one for each event of the former 记录履行情况 (which recorded only the 履行情况: its row
    holds the day it was recorded, the finding and who recorded it, marked `superseded`)."""
    rows = _rows_of(ctx, "followups")
    superseded = _superseded_followups()
    events, _ = ctx.desk.history(ctx.record.id)
    out: list[dict[str, Any]] = []
    taken = 0
    for e in events:
        if not e.applied:
            continue
        if e.action in FOLLOWUP_ACTIONS:
            n = len(e.payload.get("followups") or [])
            out += rows[taken:taken + n]
            taken += n
        elif e.action in superseded and e.payload.get("performance"):
            out.append({"date": as_utc(e.created_at).astimezone(CST).date(),
                        "performance": e.payload["performance"],
                        "recorded_by": C.clerk_name(ctx.desk, e.actor), "superseded": True})
    return out + rows[taken:]


def followup_record(ctx: D.DocContext) -> list[Flowable]:
    story: list[Flowable] = []
    rows = followup_rows(ctx)
    form = ("书面协议" if ctx.values.get("outcome") == "written"
            else "口头协议" if ctx.values.get("outcome") == "oral" else "")
    for n, row in enumerate(rows, start=1):
        if n > 1:
            story.append(_page_break())
        title = "人民调解回访记录" + (f"（第{D.cn_number(n)}次）" if len(rows) > 1 else "")
        story += D.title_block(ctx, title)
        if row.get("superseded"):  # recorded by the former 记录履行情况: the finding only
            story.append(kv_table([
                ("登记日期", _sub("followups", "date", row.get("date"))),
                ("回访事由", f"{_case_line(ctx)}调解协议的履行情况"),
                ("协议履行情况", D.checkboxes("performance", row.get("performance"))),
            ], ctx.lay, ctx.st))
            story.append(ctx.heading("回访情况"))
            story += ctx.indent("（以“记录履行情况”登记，只记录了协议履行情况，未记录回访对象、方式和经过）")
            story.append(spacer(3))
            story.append(D.signature_rows_of(ctx, [(f"登记人：{row['recorded_by']}", "签名")]))
            continue
        story.append(kv_table([
            ("回访对象", str(row.get("visited") or "")),
            ("回访日期", _sub("followups", "date", row.get("date"))),
            ("回访方式", _sub("followups", "method", row.get("method"))),
            ("调解协议", " ".join(t for t in (form, ctx.show("agreement_effective_on")
                                               and f"{ctx.show('agreement_effective_on')}生效")
                                  if t) or "—"),
            ("回访事由", f"{_case_line(ctx)}调解协议的履行情况"),
            ("协议履行情况", D.checkboxes("performance", row.get("performance"))),
        ], ctx.lay, ctx.st))
        story.append(ctx.heading("回访情况"))
        story += ctx.indent(str(row.get("findings") or "（未记录）"))
        if row.get("next_steps"):
            story.append(ctx.heading("下一步措施"))
            story += ctx.indent(str(row["next_steps"]))
        story.append(spacer(3))
        story.append(D.signature_rows_of(ctx, [(f"回访人：{row.get('visitor') or ''}", "签名")]))
    return story


# --- 司法确认 --------------------------------------------------------------------------------


def confirmation_application(ctx: D.DocContext) -> list[Flowable]:
    v = ctx.values
    story = D.title_block(ctx, "司法确认申请书")
    story += D.party_sentences(ctx, "applicants")
    story += D.party_sentences(ctx, "respondents")
    story.append(ctx.heading("请求事项"))
    story += ctx.indent(
        f"确认申请人于{ctx.show('agreement_effective_on')}经{ctx.office.chinese}主持调解达成的"
        "人民调解协议有效。")
    story.append(ctx.heading("事实和理由"))
    story += ctx.indent(
        f"申请人之间因{D.dispute_text(ctx)}"
        + (f"（权利号：{D.right_numbers(ctx)}）" if v.get("right_no") else "")
        + f"发生纠纷，经{ctx.office.chinese}调解，于{ctx.show('agreement_effective_on')}达成"
        "调解协议，协议已经生效。协议内容见所附人民调解协议书。")
    story += ctx.indent(
        f"依照{CONFIRMATION_RULE_SOURCE}和《中华人民共和国民事诉讼法》的有关规定，申请人自调解协议生效之日起"
        "三十日内共同向人民法院申请司法确认"
        + (f"（期限至{ctx.show('confirmation_deadline')}，含当日）"
           if v.get("confirmation_deadline") else "") + "。")
    story += ctx.indent(wording(ctx, "confirmation_promise"))
    story.append(spacer(1))
    court = ctx.show("confirmation_court")
    story.append(ctx.p("此致"))
    story.append(ctx.p(court or "＿＿＿＿＿＿＿＿人民法院"))
    story.append(spacer(1))
    story.append(ctx.p("附：1．人民调解协议书；2．申请人身份证明；3．与调解协议相关的证据材料。"))
    story.append(spacer(2))
    from reportlab.platypus import KeepTogether

    story.append(KeepTogether([
        D.signature_rows_of(ctx, [(f"申请人：{p.name}", D.SIGN_HINT) for p in _everyone(ctx)],
                            dated=False),
        spacer(2),
        para(fmt_date(v.get("confirmation_applied_on")) if v.get("confirmation_applied_on")
             else "　　年　　月　　日", ctx.st.right),
    ]))
    return story


def confirmation_result(ctx: D.DocContext) -> list[Flowable]:
    v = ctx.values
    story = D.title_block(ctx, "司法确认结果登记表")
    story.append(kv_table([
        ("当事人", D.all_parties(ctx)),
        ("协议生效日期", ctx.show("agreement_effective_on")),
        ("申请日期", ctx.show("confirmation_applied_on")),
        ("受理法院", ctx.show("confirmation_court")),
        ("法院案号", ctx.show("confirmation_case_no")),
        ("裁定日期", ctx.show("confirmation_result_on")),
        ("确认结果", D.checkboxes("confirmation_results", v.get("confirmation_result")
                                  or ("confirmed" if ctx.record.status == "confirmed"
                                      else "dismissed"))),
        ("说明", ctx.show("confirmation_note")),
    ], ctx.lay, ctx.st))
    story.append(spacer(2))
    story += ctx.indent("人民法院裁定调解协议有效的，一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请"
                        "强制执行；裁定驳回申请的，当事人可以通过人民调解方式变更原调解协议或者达成新的调解协议，"
                        "也可以向人民法院提起诉讼（人民调解法第三十三条）。")
    story.append(D.sign_off(ctx, [("登记人", "签名")], v.get("confirmation_result_on")))
    return story


# --- 结案报告 ----------------------------------------------------------------------------------

# the committee numbers its files per year when it files them (立卷); a window cannot issue a
# gapless number offline and nothing issues one yet, so the paper leaves a visible write-in
FILE_NUMBER_HINT = "（立卷归档时填写）"


def file_number(ctx: D.DocContext) -> str:
    """The 卷号 as the cover and the 结案报告 print it: the recorded number, else the year's
    form "（2026）人调字第______号" with a line to write the number on when the file is filed."""
    if ctx.values.get("case_no"):
        return ctx.show("case_no")
    v = ctx.values
    year = (v.get("accepted_on") or v.get("applied_on") or ctx.today).year
    return f"（{year}）人调字第__________号{FILE_NUMBER_HINT}"




def _result_text(ctx: D.DocContext) -> str:
    status = ctx.record.status
    outcome = ctx.show("outcome")
    if status in ("settled", "confirmation_applied", "confirmed", "dismissed"):
        return "调解成功" + (f"（{outcome}）" if outcome else "")
    if status == "terminated":
        return f"终止调解（{ctx.show('termination_reason')}）"
    return ctx.record.status_label


def closing_report(ctx: D.DocContext) -> list[Flowable]:
    v = ctx.values
    story = D.title_block(ctx, "人民调解结案报告")
    sessions = len(v.get("sessions") or [])
    story.append(kv_table([
        ("卷号", file_number(ctx)),
        ("当事人", D.all_parties(ctx)),
        ("案件来源", ctx.show("source")),
        ("纠纷类型", D.dispute_text(ctx)),
        ("权利号", D.right_numbers(ctx)),
        ("受理日期", ctx.show("accepted_on")),
        ("调解员", ctx.show("mediator")),
        ("调解次数", f"{sessions}次" if sessions else "—"),
        ("调解结果", _result_text(ctx)),
        ("协议履行情况", ctx.show("performance") or "—"),
        ("司法确认", ctx.show("confirmation_result") or
         ("已申请" if v.get("confirmation_applied_on") else "未申请")),
        ("结案日期", ctx.show("filed_on")),
    ], ctx.lay, ctx.st))
    story += D.long_section(ctx, "结案小结", "closing_summary")
    story.append(spacer(2))
    story.append(kv_table([("立卷人", ctx.show("filed_by")), ("立卷日期", ctx.show("filed_on")),
                           ("保管期限", ctx.show("retention"))], ctx.lay, ctx.st))
    story.append(D.sign_off(ctx, [("承办人民调解员", "签名"), ("人民调解委员会主任", "签名")],
                            v.get("filed_on")))
    return story


# --- attached materials (filled once an attachments part exists) ------------------------------


@dataclass(frozen=True)
class AttachedMaterial:
    name: str
    pages: str = ""
    note: str = ""


def attached_materials(desk: Desk, record: RecordView) -> list[AttachedMaterial]:
    """The materials attached to the case (附件材料清单), in the order attached; a voided file
    stays listed with its reason, as in the record's attachment panel."""
    out: list[AttachedMaterial] = []
    for a in desk.list_attachments(record.id):
        name = f"{a.material}（{a.name}）" if a.material and a.material != a.name else a.name
        note = f"已作废：{a.void_reason}" if a.voided else ""
        out.append(AttachedMaterial(name, str(a.pages or ""), note))
    return out


def _materials_list(ctx: D.DocContext, items: Sequence[AttachedMaterial]) -> list[Flowable]:
    w = ctx.lay.content_width
    rows: list[list[Any]] = [["序号", "材料名称", "页数", "备注"]]
    rows += [[str(n), m.name, m.pages, m.note] for n, m in enumerate(items, start=1)]
    return [*D.title_block(ctx, "附件材料清单"),
            table(rows, [w * 0.08, w * 0.56, w * 0.12, w * 0.24], ctx.st, label_cols=(),
                  header_row=True)]


# --- the whole file ----------------------------------------------------------------------------

# the file's order (reference/ledgers-dossier.md §7, "Order"); the cover and the 卷内目录 first
DOSSIER_ORDER: tuple[str, ...] = (
    "mediation_application", "receipt", "mediation_register", "rights_notice",
    "acceptance_notice", "refusal_notice", "investigation_record", "mediation_record",
    "agreement", "oral_agreement", "termination_notice", "followup_record",
    "confirmation_application", "confirmation_result", "attachments", "closing_report",
)


@dataclass
class _Part:
    title: str
    date: str
    story: list[Flowable]
    first_page: int = 0
    last_page: int = 0


def _receipt_story(ctx: D.DocContext) -> list[Flowable]:
    from .receipts import receipt_story

    return [para(f"{KINDS['mediation'].receipt_title}（存档联）", ctx.st.subheading),
            *receipt_story(ctx.desk, ctx.record, ctx.lay)]


def _part_date(record: RecordView, key: str) -> dt.date | None:
    v = record.values
    dates: dict[str, Any] = {
        "mediation_application": v.get("applied_on"), "receipt": v.get("applied_on"),
        "mediation_register": v.get("applied_on"), "rights_notice": v.get("accepted_on"),
        "acceptance_notice": v.get("accepted_on"), "refusal_notice": v.get("closed_on"),
        "investigation_record": next((r.get("date") for r in v.get("investigations") or []),
                                     None),
        "mediation_record": next((r.get("date") for r in v.get("sessions") or []), None),
        "agreement": v.get("agreement_effective_on"),
        "oral_agreement": v.get("agreement_effective_on"),
        "termination_notice": v.get("closed_on"),
        "confirmation_application": v.get("confirmation_applied_on"),
        "confirmation_result": v.get("confirmation_result_on"),
        "closing_report": v.get("filed_on"),
    }
    value = dates.get(key)
    return value if isinstance(value, dt.date) else None


def dossier_contents(desk: Desk, record: RecordView) -> list[tuple[str, str]]:
    """(document key, title) of what the record's 卷宗 holds, in the file's order."""
    out: list[tuple[str, str]] = []
    for key in DOSSIER_ORDER:
        if key == "receipt":
            out.append((key, KINDS["mediation"].receipt_title))
        elif key == "attachments":
            if attached_materials(desk, record):
                out.append((key, "附件材料清单"))
        elif D.DOCUMENTS[key].applies_to(record):
            out.append((key, D.DOCUMENTS[key].title))
    return out


def _parts(desk: Desk, record: RecordView, today: dt.date) -> list[_Part]:
    lay = get_layout("a4")
    office = office_for_record(desk, record)
    parts: list[_Part] = []
    for key, title in dossier_contents(desk, record):
        reveal = key != "receipt" and key != "attachments" and D.DOCUMENTS[key].identifies_parties
        ctx = D.DocContext(desk, record, lay, styles(lay.key), office, today, reveal)
        if key == "receipt":
            story = _receipt_story(ctx)
        elif key == "attachments":
            story = _materials_list(ctx, attached_materials(desk, record))
        else:
            story = D.DOCUMENTS[key].build(ctx)
        when = _part_date(record, key)
        if key == "followup_record":  # the first visit, whichever action recorded it
            when = next((r["date"] for r in followup_rows(ctx) if r.get("date")), None)
        parts.append(_Part(title, fmt_date(when) if when else "", story))
    return parts


def _marker(part: _Part, first: bool) -> Flowable:
    """A zero-size flowable that notes the page it lands on (the 卷内目录's page numbers)."""
    from reportlab.platypus import Flowable as _Flowable

    class PageMark(_Flowable):  # type: ignore[misc]
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            return 0.0, 0.0

        def draw(self) -> None:
            page = int(self.canv.getPageNumber())
            if first:
                part.first_page = page
            else:
                part.last_page = page

    return PageMark()


def _cover(ctx: D.DocContext, parts: Sequence[_Part]) -> list[Flowable]:
    v = ctx.values
    closed = v.get("filed_on") or v.get("closed_on") or v.get("confirmation_result_on")
    story: list[Flowable] = [spacer(14), para(ctx.office.chinese, ctx.st.center), spacer(4),
                             para("人民调解卷宗", ctx.st.title), spacer(10)]
    story.append(kv_table([
        ("卷名", f"{_case_line(ctx)}"),
        ("卷号", file_number(ctx)),
        ("登记编号", ctx.record.receipt_no),
        ("调解员", ctx.show("mediator")),
        ("受理日期", ctx.show("accepted_on") or "—"),
        ("结案日期", fmt_date(closed) if isinstance(closed, dt.date) else "—"),
        ("调解结果", _result_text(ctx)),
        ("本卷", f"文书{len(parts)}件"),
        ("立卷人", ctx.show("filed_by")),
        ("立卷日期", ctx.show("filed_on")),
        ("保管期限", ctx.show("retention")),
        ("备注", ""),
    ], ctx.lay, ctx.st))
    return story


def _contents(ctx: D.DocContext, parts: Sequence[_Part], final: bool) -> list[Flowable]:
    w = ctx.lay.content_width
    rows: list[list[Any]] = [["序号", "文件名称", "日期", "页号", "备注"]]
    for n, part in enumerate(parts, start=1):
        if not final:
            pages = "000–000"
        elif part.first_page == part.last_page:
            pages = str(part.first_page)
        else:
            pages = f"{part.first_page}–{part.last_page}"
        rows.append([str(n), part.title, part.date, pages, ""])
    return [para("卷内目录", ctx.st.title), spacer(2),
            table(rows, [w * 0.08, w * 0.46, w * 0.2, w * 0.12, w * 0.14], ctx.st,
                  label_cols=(), header_row=True)]


def dossier_story(ctx: D.DocContext) -> list[Flowable]:
    """The whole file as one story (cover, 卷内目录 without page numbers, the documents);
    `render_dossier` prints it with the page numbers filled in."""
    return _assemble(ctx, _parts(ctx.desk, ctx.record, ctx.today), final=False)


def _assemble(ctx: D.DocContext, parts: Sequence[_Part], final: bool) -> list[Flowable]:
    story: list[Flowable] = [*_cover(ctx, parts), _page_break(), *_contents(ctx, parts, final)]
    for part in parts:
        story.append(_page_break())
        story.append(_marker(part, True))
        story += part.story
        story.append(_marker(part, False))
    return story


def render_dossier(desk: Desk, record: RecordView, out: IO[bytes] | Path | str, *,
                   reprint: int = 0, today: dt.date | None = None) -> None:
    """The 卷宗 as one A4 PDF: laid out once to learn where each document starts and ends,
    then again with those pages in the 卷内目录 (the contents page has the same rows both
    times, so nothing moves)."""
    import io

    lay = get_layout("a4")
    office = office_for_record(desk, record)
    day = today or today_cst()
    ctx = D.DocContext(desk, record, lay, styles(lay.key), office, day, False)
    title = D.DOCUMENTS[D.DOSSIER].title
    probe = _parts(desk, record, day)
    build_pdf(io.BytesIO(), lay=lay, office=office, story=_assemble(ctx, probe, final=False),
              receipt_no=record.receipt_no, title=title, reprint=reprint)
    # the real layout needs fresh flowables (ReportLab splits them in place)
    parts = _parts(desk, record, day)
    for part, seen in zip(parts, probe, strict=True):
        part.first_page, part.last_page = seen.first_page, seen.last_page
    story = _assemble(ctx, parts, final=True)
    if isinstance(out, Path | str):
        with open(out, "wb") as fh:
            build_pdf(fh, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                      title=title, reprint=reprint)
    else:
        build_pdf(out, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                  title=title, reprint=reprint)
