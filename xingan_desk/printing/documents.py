"""Documents printed for a record (A4): mediation papers of the League's IP dispute mediation
committee (reference/domain.md §1.3, §2.1) and the window's 一次性告知 / 补正 notices (§1.6).

`DOCUMENTS` says which document applies to which kind and status; `documents_for(record)` lists
what can be printed now. Mediation documents never show a fee: mediation is free (人民调解法
Art. 4) and the agreement says so. Personal numbers are masked, except on documents that legally
identify the parties (`DocumentSpec.identifies_parties`: the agreement, the oral agreement
register, the 司法确认 application and the 卷宗 holding them), which always print them in full, and
on the application when the caller reveals them; `xingan_desk.printing.render` records either in
the audit trail. The case-file documents and the 卷宗 are built in `case_file.py`.

Long texts (facts, claims, agreement terms: up to 5,000 characters) wrap as CJK text and flow
onto further pages; the bilingual header and "第N页 共M页" are on every page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from xingan_desk import catalogs
from xingan_desk.records.fields import GroupField
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.mediation_file import FINISH_RULE_SOURCE, FINISH_RULE_TEXT
from xingan_desk.timeutil import today_cst
from xingan_desk.validation import id_birth_date, id_sex, patent_type_of, split_ip_numbers
from xingan_desk.views import RecordView

from . import content as C
from .header import OfficeText, office_for_record
from .layout import (
    Layout,
    Styles,
    build_pdf,
    cut_line,
    fmt_date,
    get_layout,
    kv_table,
    notice_box,
    para,
    paras,
    seal_area,
    signature_rows,
    spacer,
    styles,
    table,
    table_style,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from ..desk import Desk

__all__ = ["DOCUMENTS", "DocumentSpec", "document_story", "documents_for", "render_document"]

COMMITTEE_SEAL = "（人民调解委员会印章）"
_SIGN = "签名、盖章或按指印"


@dataclass(frozen=True)
class DocContext:
    desk: Desk
    record: RecordView
    lay: Layout
    st: Styles
    office: OfficeText
    today: dt.date
    reveal: bool = False

    @property
    def values(self) -> Any:
        return self.record.values

    def show(self, key: str) -> str:
        return C.show(self.record, key, reveal=self.reveal)

    def p(self, text: str) -> Flowable:
        return para(text, self.st.body)

    def indent(self, text: str) -> list[Flowable]:
        return paras(text, self.st.indent)

    def heading(self, text: str) -> Flowable:
        return para(text, self.st.heading)


@dataclass(frozen=True)
class DocumentSpec:
    key: str
    title: str  # printed heading and the name in the print log
    kinds: tuple[str, ...]
    predicate: Callable[[RecordView], bool]
    build: Callable[[DocContext], list[Flowable]]
    reveal_allowed: bool = False  # may print full ID/phone numbers (legally needed there)
    description: str = ""
    # the document legally identifies the parties (they sign it, a court relies on it): it
    # always prints the full ID and phone numbers, and the print log says so (audited)
    identifies_parties: bool = False

    def applies_to(self, record: RecordView) -> bool:
        return record.kind in self.kinds and not record.voided and self.predicate(record)


# --- shared pieces ------------------------------------------------------------------------------


def _number_line(ctx: DocContext) -> Flowable:
    case_no = ctx.values.get("case_no")
    text = f"卷号：{case_no}　编号：{ctx.record.receipt_no}" if case_no else f"编号：{ctx.record.receipt_no}"
    return para(text, ctx.st.right)


def _title(ctx: DocContext, title: str) -> list[Flowable]:
    return [para(title, ctx.st.title), _number_line(ctx), spacer(2)]


def _issuer(ctx: DocContext, when: dt.date | None, *, blank_date: bool = False,
            diameter_mm: float = 40) -> Flowable:
    date_line = "　　年　　月　　日" if blank_date or when is None else fmt_date(when)
    return seal_area([ctx.office.chinese, date_line], ctx.lay, diameter_mm=diameter_mm)


def _sign_off(ctx: DocContext, signers: Sequence[tuple[str, str]], when: dt.date | None, *,
              blank_date: bool = False) -> Flowable:
    """Signature lines and the issuing unit's seal area, kept on one page."""
    from reportlab.platypus import KeepTogether

    return KeepTogether([signature_rows(signers, ctx.lay, ctx.st), spacer(3),
                         _issuer(ctx, when, blank_date=blank_date)])


def _contact(ctx: DocContext) -> Flowable:
    clerk = C.current_clerk(ctx.desk)
    who = f"联系人：{clerk}　" if clerk else ""
    return ctx.p(f"{who}联系电话：{ctx.office.phone_line}")


def _dispute(ctx: DocContext) -> str:
    right = ctx.show("right_type")
    kind = ctx.show("dispute_type")
    if right and kind:
        return f"{right}{kind}" if not kind.startswith(right) else kind
    return kind or "知识产权纠纷"


def right_numbers(ctx: DocContext) -> str:
    """The right's number(s) as printed; a patent number carries the patent's type as its
    number says (validation.patent_type_of: the application number's kind digit), never a
    type typed elsewhere."""
    raw = str(ctx.values.get("right_no") or "")
    if not raw or ctx.values.get("right_type") != "patent":
        return raw
    shown = []
    for item in split_ip_numbers(raw):
        kind = patent_type_of(item)
        shown.append(f"{item}（{kind}专利）" if kind else item)
    return "、".join(shown)


def _party_pairs(ctx: DocContext, party: C.Party) -> list[tuple[str, str]]:
    """Label/value pairs of a party for forms (申请书, 协议书): what the form asks for."""
    v = party.values
    group = KINDS["mediation"].field("applicants")
    assert isinstance(group, GroupField)

    def shown(key: str) -> str:
        return C.show_value(group.sub(key), v.get(key), reveal=ctx.reveal)

    if party.is_org:
        pairs = [("名称", shown("name")), ("统一社会信用代码", shown("uscc")),
                 ("法定代表人", shown("legal_rep")), ("联系电话", shown("phone")),
                 ("住所", shown("address"))]
    else:
        gender = shown("gender")
        age = ""
        if v.get("id_number"):
            gender = gender or (id_sex(str(v["id_number"])) or "")
            born = id_birth_date(str(v["id_number"]))
            if born:
                on = ctx.values.get("applied_on") or ctx.today
                age = str(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
        pairs = [("姓名", shown("name")), ("性别", gender), ("民族", shown("ethnicity")),
                 ("年龄", age), ("职业或职务", shown("occupation")), ("联系电话", shown("phone")),
                 ("身份证号码", shown("id_number")), ("住所或单位地址", shown("address"))]
    return [(label, value) for label, value in pairs if value]


_WHOLE_ROW = frozenset({"名称", "姓名", "住所", "住所或单位地址"})


def _text_width(text: str) -> float:
    """Width in em: CJK and full-width characters 1, others about 0.55."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in text)


def _pair_grid(pairs: Sequence[tuple[str, str]], ctx: DocContext) -> Flowable:
    """Label/value pairs two per row, in order; names, addresses and values too wide for half
    a row get a whole row."""
    from reportlab.lib import colors
    from reportlab.platypus import Table

    lay, st = ctx.lay, ctx.st
    label = lay.label_width
    value = (lay.content_width - 2 * label) / 2
    fits = (value - 6) / lay.body
    rows: list[list[Any]] = []
    whole: list[int] = []
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        if pending:
            whole.append(len(rows))
            rows.append([pending[0][0], pending[0][1], "", ""])
            pending.clear()

    for label_text, text in pairs:
        if label_text in _WHOLE_ROW or _text_width(text) > fits:
            flush()
            whole.append(len(rows))
            rows.append([label_text, text, "", ""])
            continue
        pending.append((label_text, text))
        if len(pending) == 2:
            rows.append([pending[0][0], pending[0][1], pending[1][0], pending[1][1]])
            pending.clear()
    flush()
    data = [[para(c, st.label if i in (0, 2) else st.body) if c else "" for i, c in enumerate(r)]
            for r in rows]
    shade = colors.HexColor("#F2F2F2")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8C8C8C")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.7),
        ("BACKGROUND", (0, 0), (0, -1), shade),
    ]
    for r in range(len(rows)):
        if r in whole:
            commands.append(("SPAN", (1, r), (3, r)))
        else:
            commands.append(("BACKGROUND", (2, r), (2, r), shade))
    tbl = Table(data, colWidths=[label, value, label, value], hAlign="LEFT")
    tbl.setStyle(table_style(*commands))
    return tbl


def _party_blocks(ctx: DocContext, key: str) -> list[Flowable]:
    out: list[Flowable] = []
    for party in C.parties(ctx.record, key, reveal=ctx.reveal):
        out.append(para(party.heading, ctx.st.subheading))
        out.append(_pair_grid(_party_pairs(ctx, party), ctx))
        out.append(spacer(1.5))
    return out


def _party_sentences(ctx: DocContext, key: str) -> list[Flowable]:
    """One paragraph per party: "申请人：名称，统一社会信用代码……" (协议书 style)."""
    out: list[Flowable] = []
    for party in C.parties(ctx.record, key, reveal=ctx.reveal):
        pairs = _party_pairs(ctx, party)
        name = party.name
        rest = "，".join(f"{label}：{value}" for label, value in pairs
                        if label not in ("名称", "姓名"))
        out.append(ctx.p(f"{party.heading}：{name}" + (f"，{rest}" if rest else "") + "。"))
    return out


def _checkboxes(catalog: str, chosen: Any) -> str:
    return "　".join(f"{'■' if code == chosen else '□'}{label}"
                    for code, label in catalogs.active_choices(catalog))


def _all_parties(ctx: DocContext) -> str:
    names = [C.party_names(ctx.record, "applicants"), C.party_names(ctx.record, "respondents")]
    return "、".join(n for n in names if n)


def _long_section(ctx: DocContext, title: str, key: str) -> list[Flowable]:
    text = ctx.values.get(key)
    if C.is_empty(text):
        return []
    return [ctx.heading(title), *ctx.indent(str(text))]


# --- mediation documents ------------------------------------------------------------------------


def _mediation_application(ctx: DocContext) -> list[Flowable]:
    story = _title(ctx, "人民调解申请书")
    story += _party_blocks(ctx, "applicants")
    story += _party_blocks(ctx, "respondents")
    rows = [(label, ctx.show(key)) for key, label in (
        ("right_type", "权利类型"), ("right_no", "权利号"), ("dispute_type", "纠纷类型"),
        ("amount", "标的额（元）"), ("source", "案件来源"), ("applied_on", "申请日期"))]
    rows = [(label, right_numbers(ctx) if label == "权利号" else value) for label, value in rows]
    story.append(para("纠纷情况", ctx.st.subheading))
    story.append(kv_table([r for r in rows if r[1]], ctx.lay, ctx.st))
    story += _long_section(ctx, "纠纷简要情况", "facts")
    story += _long_section(ctx, "申请事项", "claims")
    story += _long_section(ctx, "证据材料", "evidence")
    story.append(spacer(3))
    story += ctx.indent("人民调解委员会已将申请人民调解的相关规定告知我，现自愿申请人民调解委员会进行调解。")
    story.append(spacer(2))
    story.append(signature_rows(
        [(f"申请人：{p.name}", _SIGN) for p in C.parties(ctx.record, "applicants")],
        ctx.lay, ctx.st))
    story.append(spacer(4))
    story.append(notice_box("个人信息告知", C.PERSONAL_DATA_NOTICE, ctx.lay, ctx.st))
    return story


def _mediation_register(ctx: DocContext) -> list[Flowable]:
    story = _title(ctx, "人民调解受理登记表")
    v = ctx.values
    source = _checkboxes("mediation_sources", v.get("source"))
    if v.get("referring_body"):
        source += f"（{ctx.show('referring_body')}" + (
            f"，案号：{ctx.show('referring_case_no')}）" if v.get("referring_case_no") else "）")
    rows = [
        ("登记日期", ctx.show("applied_on")),
        ("申请人", C.party_names(ctx.record, "applicants")),
        ("被申请人", C.party_names(ctx.record, "respondents")),
        ("纠纷类型", _checkboxes("dispute_types", v.get("dispute_type"))),
        ("权利类型", ctx.show("right_type")),
        ("权利号", right_numbers(ctx)),
        ("案件来源", source),
        ("调解方式", "■公开调解　□不公开调解" if v.get("public_mediation")
         else "□公开调解　■不公开调解"),
        ("矛盾激化风险", "■有　□无" if v.get("risk_flag") else "□有　■无"),
    ]
    story.append(kv_table([r for r in rows if r[1]], ctx.lay, ctx.st))
    story += _long_section(ctx, "纠纷简要情况", "facts")
    story.append(spacer(2))
    applicants = C.party_names(ctx.record, "applicants")
    respondents = C.party_names(ctx.record, "respondents")
    story += ctx.indent(f"本人民调解委员会经当事人同意，调解{applicants}与{respondents}之间的纠纷。")
    story.append(spacer(2))
    signers = [(f"当事人：{p.name}", _SIGN) for key in ("applicants", "respondents")
               for p in C.parties(ctx.record, key)]
    signers.append(("登记人", "签名"))
    story.append(_sign_off(ctx, signers, None, blank_date=True))
    story.append(spacer(2))
    story.append(kv_table([("备注", "此表由人民调解委员会填写。")], ctx.lay, ctx.st))
    return story


RIGHTS_TEXT = (
    "一、人民调解委员会是依法设立的调解民间纠纷的群众性组织。本委员会调解平等主体之间的知识产权民事纠纷，"
    "遵循当事人自愿、平等的原则，不违背法律、法规和国家政策，尊重当事人的权利，不阻止当事人依法通过仲裁、"
    "行政、司法等途径维护自己的权利。本调解不收取任何费用。\n"
    "二、当事人在调解活动中享有下列权利：（一）选择或者接受人民调解员；（二）接受调解、拒绝调解或者要求终止调解；"
    "（三）要求调解公开进行或者不公开进行；（四）自主表达意愿、自愿达成调解协议；"
    "（五）认为人民调解员与纠纷有利害关系或者可能影响公正调解的，可以要求其回避。\n"
    "三、当事人在调解活动中履行下列义务：（一）如实陈述纠纷事实，提供真实的证据材料；"
    "（二）遵守调解现场秩序，尊重人民调解员；（三）尊重对方当事人行使权利。\n"
    "四、经调解达成的调解协议具有法律约束力，当事人应当按照约定履行。双方当事人可以自调解协议生效之日起"
    "三十日内共同向人民法院申请司法确认。调解不成的，当事人可以依法通过仲裁、行政、司法等途径解决纠纷。\n"
    "五、人民调解员对调解中知悉的当事人个人隐私和商业秘密负有保密义务。"
)


def _rights_notice(ctx: DocContext) -> list[Flowable]:
    story = _title(ctx, "当事人权利义务告知书")
    story.append(ctx.p(f"{_all_parties(ctx)}："))
    story += ctx.indent("根据《中华人民共和国人民调解法》，现将人民调解的有关事项和当事人在调解活动中"
                        "享有的权利、承担的义务告知如下：")
    story += ctx.indent(RIGHTS_TEXT)
    story.append(spacer(2))
    story += ctx.indent("以上内容本人已阅读（或经告知）并知悉。")
    story.append(spacer(2))
    signers = [(f"当事人：{p.name}", _SIGN) for key in ("applicants", "respondents")
               for p in C.parties(ctx.record, key)]
    story.append(_sign_off(ctx, signers, ctx.today))
    return story


def _acceptance_notice(ctx: DocContext) -> list[Flowable]:
    v = ctx.values
    story = _title(ctx, "受理通知书")
    story.append(ctx.p(f"{_all_parties(ctx)}："))
    applicants = C.party_names(ctx.record, "applicants")
    respondents = C.party_names(ctx.record, "respondents")
    story += ctx.indent(
        f"{applicants}于{ctx.show('applied_on')}申请调解的与{respondents}之间的{_dispute(ctx)}"
        + (f"（权利号：{right_numbers(ctx)}）" if v.get("right_no") else "")
        + "，经审查，符合人民调解的受理条件，本委员会决定受理。")
    if v.get("mediator"):
        story += ctx.indent(
            f"本委员会指派{ctx.show('mediator')}担任人民调解员。当事人认为人民调解员与纠纷有利害关系"
            "或者可能影响公正调解的，可以在调解开始前要求其回避。")
    timing = "调解的具体时间、地点另行通知"
    if v.get("start_by"):
        timing = f"调解将于{ctx.show('start_by')}前开始，具体时间、地点另行通知"
    story += ctx.indent(timing + "。")
    if v.get("finish_by"):
        story += ctx.indent(finish_by_sentence(ctx))
    story += ctx.indent("参加调解时请携带：身份证明（单位提供营业执照复印件和法定代表人身份证明）；"
                        "委托他人参加的，提交授权委托书；与纠纷有关的权利证书和证据材料。")
    story += ctx.indent("随本通知附《当事人权利义务告知书》，请仔细阅读。" + C.FREE_OF_CHARGE)
    story.append(spacer(1))
    story.append(_contact(ctx))
    story.append(spacer(4))
    story.append(_issuer(ctx, v.get("accepted_on") or ctx.today))
    return story


def finish_by_sentence(ctx: DocContext) -> str:
    """What "一般在一个月内" means for this case, with the rule's source and whether the last
    day counts (records/mediation_file.FINISH_RULE_*)."""
    return (f"依照{FINISH_RULE_SOURCE}，{FINISH_RULE_TEXT}。本案调解期限至{ctx.show('finish_by')}"
            "（含当日）届满；经双方当事人同意，可以适当延长。")


REMEDIES = (
    "人民调解不影响当事人通过其他途径维护自己的权利。你（单位）可以：\n"
    "（一）依法向有管辖权的人民法院提起诉讼；\n"
    "（二）有仲裁协议的，依照仲裁协议申请仲裁；\n"
    "（三）向知识产权管理部门请求处理或者申请行政调解。"
)


def _refusal_notice(ctx: DocContext) -> list[Flowable]:
    v = ctx.values
    story = _title(ctx, "不予受理通知书")
    story.append(ctx.p(f"{C.party_names(ctx.record, 'applicants')}："))
    respondents = C.party_names(ctx.record, "respondents")
    reason = ctx.show("refusal_reason") or "不符合受理条件"
    story += ctx.indent(
        f"你（单位）于{ctx.show('applied_on')}申请调解的与{respondents}之间的{_dispute(ctx)}，"
        f"经审查，因{reason}，本委员会决定不予受理。")
    if v.get("refusal_note"):
        story += ctx.indent(f"具体说明：{ctx.show('refusal_note')}")
    story += ctx.indent(REMEDIES)
    story.append(spacer(1))
    story.append(_contact(ctx))
    story.append(spacer(4))
    story.append(_issuer(ctx, v.get("closed_on") or ctx.today))
    return story


def _agreement(ctx: DocContext) -> list[Flowable]:
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether

    st, lay = ctx.st, ctx.lay
    story = _title(ctx, "人民调解协议书")
    story.append(ctx.heading("当事人的基本情况"))
    story += _party_sentences(ctx, "applicants")
    story += _party_sentences(ctx, "respondents")
    story += _long_section(ctx, "纠纷的主要事实、争议事项以及各方当事人的责任", "facts")
    story.append(ctx.heading("协议内容"))
    story += ctx.indent("经本委员会调解，各方当事人在平等协商、互谅互让的基础上自愿达成如下协议：")
    story += ctx.indent(str(ctx.values.get("agreement") or ""))
    terms = ctx.values.get("performance_terms")
    story += ctx.indent(f"履行方式、地点和期限：{terms}" if terms
                        else "履行方式、地点和期限以上述协议内容为准。")
    copies = len(ctx.values.get("applicants") or []) + len(ctx.values.get("respondents") or []) + 1
    story += ctx.indent(
        "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
        "各方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。")
    story += ctx.indent(C.FREE_OF_CHARGE)
    story += ctx.indent(f"本协议一式{_cn_number(copies)}份，当事人各执一份，人民调解委员会留存一份。")
    story.append(spacer(3))

    # one signing box per party: the signature (and, for a unit, its seal) and the date
    w = lay.content_width
    boxes: list[Flowable] = []
    for key in ("applicants", "respondents"):
        for party in C.parties(ctx.record, key):
            who = f"{party.heading}：{party.name}"
            if party.is_org:
                rep = party.values.get("legal_rep")
                cells = [[para(who, st.body), ""],
                         [para(f"法定代表人{f'（{rep}）' if rep else ''}或委托代理人（签名）：",
                               st.body),
                          para("职务：", st.body)],
                         [para("单位（盖章）：", st.body), para("　　年　　月　　日", st.right)]]
            else:
                cells = [[para(who, st.body), ""],
                         [para(f"（{_SIGN}）：", st.body), ""],
                         ["", para("　　年　　月　　日", st.right)]]
            box = table(cells, [w * 0.55, w * 0.45], st, label_cols=(), grid=False)
            box.setStyle(table_style(
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#8C8C8C")),
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 14 * 72 / 25.4),
            ))
            boxes += [KeepTogether([box]), spacer(2)]
    story += boxes
    effective = ctx.values.get("agreement_effective_on")
    story.append(_sign_off(ctx, [("人民调解员", "签名"), ("记录人", "签名")], effective,
                           blank_date=not effective))
    return story


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


# --- window notices (一次性告知, 补正) ------------------------------------------------------------


def _materials_table(ctx: DocContext, items: Sequence[C.Material]) -> Flowable:
    w = ctx.lay.content_width
    rows: list[list[Any]] = [["序号", "材料名称", "情形", "说明"]]
    rows += [[str(n), m.item, m.status_label, m.note] for n, m in enumerate(items, start=1)]
    return table(rows, [w * 0.08, w * 0.50, w * 0.12, w * 0.30], ctx.st, label_cols=(),
                 header_row=True)


def _window_line(ctx: DocContext) -> str:
    return f"{ctx.office.chinese}{ctx.desk.identity.window_no}号窗口"


def _onetime_notice(ctx: DocContext) -> list[Flowable]:
    story = _title(ctx, "一次性告知书")
    v = ctx.values
    if ctx.record.kind == "preexam_filing":
        items = C.still_missing(ctx.desk, ctx.record)  # not ticked and not attached
        due, days = C.notice_deadline(ctx.desk, ctx.today)
        story.append(ctx.p(f"{ctx.show('enterprise_name')}："))
        story += ctx.indent(
            f"你单位申请办理的专利预审服务备案（登记编号：{ctx.record.receipt_no}），经窗口核对，"
            f"尚需补充或补正以下{len(items)}项材料，现一次性告知如下：")
        story.append(_materials_table(ctx, items))
        story.append(spacer(2))
        story += ctx.indent(f"请于{fmt_date(due)}前（{days}个工作日内）将上述材料一次性补齐，"
                            f"交至{_window_line(ctx)}。")
        story += ctx.indent("材料齐全后，窗口将协助你单位在内蒙古知识产权保护中心平台提交备案。"
                            "本事项不收取费用。")
    else:
        addressee = v.get("visitor_name") or v.get("enterprise_name") or "来访人"
        story.append(ctx.p(f"{addressee}："))
        story += ctx.indent(f"您咨询的事项（登记编号：{ctx.record.receipt_no}），"
                            "需补充以下材料或事项，现一次性告知如下：")
        lines = [ln.strip() for ln in str(v.get("notice_items") or "").split("\n") if ln.strip()]
        for n, line in enumerate(lines, start=1):
            story.append(ctx.p(f"{n}．{line}"))
        story.append(spacer(2))
        story += ctx.indent(f"备齐后请携带本告知书到{_window_line(ctx)}办理，无需重复说明情况。")
    story.append(_contact(ctx))
    story.append(spacer(3))
    story.append(_sign_off(ctx, [("告知人（窗口工作人员）", "签名"), ("被告知人", "签名")],
                           ctx.today))
    return story


def _correction_deadline(ctx: DocContext) -> tuple[dt.date, int | None]:
    set_on = ctx.values.get("correction_deadline")
    if set_on:
        return set_on, None
    due, days = C.notice_deadline(ctx.desk, ctx.today)
    return due, days


def _correction_notice(ctx: DocContext) -> list[Flowable]:
    from reportlab.platypus import KeepTogether

    story = _title(ctx, "补正材料通知书")
    v = ctx.values
    items = C.missing_materials(ctx.record)
    due, days = _correction_deadline(ctx)
    when = f"{fmt_date(due)}前" + (f"（{days}个工作日内）" if days else "")
    story.append(ctx.p(f"{ctx.show('enterprise_name')}："))
    story += ctx.indent(f"你单位提交的专利预审服务备案材料（登记编号：{ctx.record.receipt_no}）"
                        "经审查，需补正以下内容：")
    if items:
        story.append(_materials_table(ctx, items))
    if v.get("correction_note"):
        story += ctx.indent(f"补正要求：{ctx.show('correction_note')}")
    story.append(spacer(2))
    story += ctx.indent(f"请于{when}将补正材料交至{_window_line(ctx)}。逾期未补正的，窗口将按材料不齐"
                        "暂停办理，材料补齐后可以重新提交。本事项不收取费用。")
    story.append(_contact(ctx))
    story.append(spacer(2))
    clerk = C.current_clerk(ctx.desk)
    story.append(_sign_off(ctx, [(f"经办人：{clerk}" if clerk else "经办人", "签名"),
                                 ("申请人（签收）", "签名")], ctx.today))
    stub_rows = [
        ("登记编号", ctx.record.receipt_no),
        ("单位名称", ctx.show("enterprise_name")),
        ("补正事项", "、".join(m.item for m in items) or ctx.show("correction_note")),
        ("补正期限", fmt_date(due)),
        ("通知日期", f"{fmt_date(ctx.today)}　　经办人：{clerk}" if clerk else fmt_date(ctx.today)),
        ("申请人签收", "\n（签名）　　　　　　　　　　　　　　年　　月　　日"),
    ]
    stub = [
        cut_line("沿此线剪开：以上交申请人，以下存根由窗口留存", ctx.lay),
        para("补正材料通知书（存根）", ctx.st.heading),
        kv_table([r for r in stub_rows if r[1]], ctx.lay, ctx.st),
    ]
    story.append(spacer(2))
    story.append(KeepTogether(stub))
    return story


# --- the case file (printing/case_file.py builds these; imported when first printed) -----------

DOSSIER = "dossier"


def _case_file(name: str) -> Callable[[DocContext], list[Flowable]]:
    def build(ctx: DocContext) -> list[Flowable]:
        from . import case_file

        builder: Callable[[DocContext], list[Flowable]] = getattr(case_file, name)
        return builder(ctx)

    return build


def _has(key: str) -> Callable[[RecordView], bool]:
    return lambda r: bool(r.values.get(key))


def _case_file_specs() -> tuple[DocumentSpec, ...]:
    m = ("mediation",)
    return (
        DocumentSpec("investigation_record", "人民调解调查笔录", m, _has("investigations"),
                     _case_file("investigation_record"), description="每次调查一份，被调查人签名"),
        DocumentSpec("mediation_record", "人民调解笔录", m, _has("sessions"),
                     _case_file("mediation_record"),
                     description="每次调解一份，另页由到场当事人、调解员和记录人签名"),
        DocumentSpec("oral_agreement", "人民调解口头协议登记表", m,
                     lambda r: r.status in _SETTLED and r.values.get("outcome") == "oral",
                     _case_file("oral_agreement"), reveal_allowed=True,
                     identifies_parties=True, description="口头协议与书面协议同样约束当事人"),
        DocumentSpec("termination_notice", "终止人民调解通知书", m,
                     lambda r: r.status == "terminated", _case_file("termination_notice"),
                     description="人民调解法第二十六条，告知当事人其他解决途径"),
        # (a 履行情况 without follow-up rows was recorded by the former 记录履行情况)
        DocumentSpec("followup_record", "人民调解回访记录", m,
                     lambda r: bool(r.values.get("followups") or r.values.get("performance")),
                     _case_file("followup_record")),
        DocumentSpec("confirmation_application", "司法确认申请书", m,
                     lambda r: r.status in _SETTLED and r.values.get("agreement_effective_on")
                     is not None and r.values.get("outcome") != "oral",  # a written agreement
                     _case_file("confirmation_application"),
                     reveal_allowed=True, identifies_parties=True,
                     description="双方当事人自协议生效之日起三十日内共同向人民法院申请"),
        DocumentSpec("confirmation_result", "司法确认结果登记表", m,
                     lambda r: r.status in ("confirmed", "dismissed"),
                     _case_file("confirmation_result")),
        DocumentSpec("closing_report", "人民调解结案报告", m, _has("closing_summary"),
                     _case_file("closing_report")),
        DocumentSpec(DOSSIER, "人民调解卷宗", m, lambda r: True, _case_file("dossier_story"),
                     reveal_allowed=True, identifies_parties=True,
                     description="封面、卷内目录和本案全部文书，按卷内顺序连续编页"),
    )


# --- the catalogue ------------------------------------------------------------------------------

_AFTER_ACCEPTANCE = frozenset({"accepted", "mediating", "settled", "terminated", "withdrawn",
                               "confirmation_applied", "confirmed", "dismissed"})
_SETTLED = frozenset({"settled", "confirmation_applied", "confirmed", "dismissed"})
_FILING_OPEN = frozenset({"preparing", "registered", "correction"})


def _has_missing(record: RecordView) -> bool:
    return bool(C.missing_materials(record))


def _onetime_applies(record: RecordView) -> bool:
    if record.kind == "preexam_filing":
        return record.status in _FILING_OPEN and _has_missing(record)
    return record.values.get("handling") == "notice" and bool(record.values.get("notice_items"))


DOCUMENTS: dict[str, DocumentSpec] = {
    spec.key: spec
    for spec in (
        DocumentSpec("mediation_application", "人民调解申请书", ("mediation",),
                     lambda r: True, _mediation_application, reveal_allowed=True,
                     description="申请人签名后由调解委员会存档"),
        DocumentSpec("mediation_register", "人民调解受理登记表", ("mediation",),
                     lambda r: True, _mediation_register,
                     description="口头申请或调委会主动调解时由调委会填写"),
        DocumentSpec("rights_notice", "当事人权利义务告知书", ("mediation",),
                     lambda r: r.status != "refused", _rights_notice,
                     description="每案打印，当事人签收"),
        DocumentSpec("acceptance_notice", "受理通知书", ("mediation",),
                     lambda r: r.status in _AFTER_ACCEPTANCE
                     and r.values.get("accepted_on") is not None,
                     _acceptance_notice),
        DocumentSpec("refusal_notice", "不予受理通知书", ("mediation",),
                     lambda r: r.status == "refused", _refusal_notice),
        DocumentSpec("agreement", "人民调解协议书", ("mediation",),
                     lambda r: r.status in _SETTLED and r.values.get("outcome") != "oral"
                     and bool(r.values.get("agreement")),
                     _agreement, reveal_allowed=True, identifies_parties=True,
                     description="一式（当事人数＋1）份"),
        *_case_file_specs(),
        DocumentSpec("onetime_notice", "一次性告知书", ("preexam_filing", "consultation"),
                     _onetime_applies, _onetime_notice),
        DocumentSpec("correction_notice", "补正材料通知书", ("preexam_filing",),
                     lambda r: r.status in _FILING_OPEN
                     and (_has_missing(r) or r.status == "correction"),
                     _correction_notice, description="窗口与申请人签字，存根留存"),
    )
}


def documents_for(record: RecordView) -> list[DocumentSpec]:
    """The documents that can be printed for ``record`` now, in the catalogue's order."""
    return [spec for spec in DOCUMENTS.values() if spec.applies_to(record)]


def document_story(desk: Desk, record: RecordView, spec: DocumentSpec, *,
                   reveal: bool = False, today: dt.date | None = None) -> list[Flowable]:
    lay = get_layout("a4")
    ctx = DocContext(desk, record, lay, styles(lay.key), office_for_record(desk, record),
                     today or today_cst(), reveal)
    return spec.build(ctx)


def render_document(
    desk: Desk,
    record: RecordView,
    document_key: str,
    out: IO[bytes] | Path,
    *,
    reprint: int = 0,
    reveal: bool = False,
) -> None:
    """Write document ``document_key`` of ``record`` as an A4 PDF to ``out`` (path or binary
    file). Raises KeyError for an unknown key and ValueError when the document does not apply
    to the record or ``reveal`` is asked for a document that must stay masked. Use
    `xingan_desk.printing.render` for the checked, logged and atomic version."""
    spec = DOCUMENTS[document_key]
    if not spec.applies_to(record):
        raise ValueError(f"{spec.title}不适用于该记录（{record.kind_title}，{record.status_label}）")
    if reveal and not spec.reveal_allowed:
        raise ValueError(f"{spec.title}只能打印遮蔽后的证件号码和电话")
    if document_key == DOSSIER:
        from .case_file import render_dossier

        render_dossier(desk, record, out, reprint=reprint)
        return
    reveal = reveal or spec.identifies_parties
    story = document_story(desk, record, spec, reveal=reveal)
    lay = get_layout("a4")
    office = office_for_record(desk, record)
    if isinstance(out, Path | str):
        with open(out, "wb") as fh:
            build_pdf(fh, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                      title=spec.title, reprint=reprint)
    else:
        build_pdf(out, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                  title=spec.title, reprint=reprint)


# Public names of the shared pieces, for the case-file documents (printing/case_file.py).
title_block = _title
sign_off = _sign_off
issuer = _issuer
contact_line = _contact
dispute_text = _dispute
party_sentences = _party_sentences
all_parties = _all_parties
long_section = _long_section
checkboxes = _checkboxes
cn_number = _cn_number
SIGN_HINT = _SIGN
party_pairs = _party_pairs


def signature_rows_of(ctx: DocContext, rows: Sequence[tuple[str, str]], *,
                      dated: bool = True) -> Flowable:
    """Signature lines in the document's layout (see layout.signature_rows)."""
    return signature_rows(rows, ctx.lay, ctx.st, dated=dated)
