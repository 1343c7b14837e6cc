"""Receipts (回执) handed to the visitor for every record kind, on A4 or 80 mm roll paper.

A receipt carries: the bilingual header of the issuing office; the receipt title; the receipt
number as text and as a QR code that encodes exactly that number; the window, county, clerk and
time of registration (China time); the kind's receipt fields with ID and phone numbers masked;
the next steps and the deadline; the office's phone; the personal-data notice (个人信息告知).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from xingan_desk.records import links
from xingan_desk.records.fields import Field, GroupField, TextField
from xingan_desk.records.kinds import BAD_LEVELS, KINDS
from xingan_desk.timeutil import today_cst
from xingan_desk.views import RecordView

from . import content as C
from .header import office_for_record
from .layout import (
    Layout,
    Styles,
    build_pdf,
    fmt_date,
    fmt_datetime,
    get_layout,
    kv_table,
    notice_box,
    para,
    paras,
    qr_code,
    spacer,
    styles,
    table,
    table_style,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from ..desk import Desk

__all__ = ["party_rows", "receipt_fields", "receipt_story", "render_receipt"]

# Multi-line fields longer than this are printed below the table, where they can flow onto the
# next page; shorter ones stay in the table.
LONG_TEXT = 150


def receipt_fields(record: RecordView) -> tuple[Field, ...]:
    """The fields a receipt shows: the kind's receipt fields, else its list columns."""
    kind = KINDS[record.kind]
    return kind.receipt_fields or kind.list_fields


def render_receipt(
    desk: Desk,
    record: RecordView,
    out: IO[bytes] | Path,
    *,
    layout: str = "a4",
    reprint: int = 0,
) -> None:
    """Write the receipt of ``record`` as PDF to ``out`` (a path or a binary file object).

    ``reprint`` > 0 stamps "补打（第N次）". Use `xingan_desk.printing.render` for the checked,
    logged and atomic version; this function only lays out.
    """
    lay = get_layout(layout)
    office = office_for_record(desk, record)
    story = receipt_story(desk, record, lay)
    title = KINDS[record.kind].receipt_title
    if isinstance(out, Path | str):
        with open(out, "wb") as fh:
            build_pdf(fh, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                      title=title, reprint=reprint)
    else:
        build_pdf(out, lay=lay, office=office, story=story, receipt_no=record.receipt_no,
                  title=title, reprint=reprint)


def receipt_story(desk: Desk, record: RecordView, lay: Layout) -> list[Flowable]:
    st = styles(lay.key)
    kind = KINDS[record.kind]
    office = office_for_record(desk, record)
    window, county = C.window_label(desk, record.owner)
    top: list[tuple[str, Any]] = [
        ("回执编号", record.receipt_no),
        ("登记窗口", window),
        ("所属旗县市", county),
        ("经办人", C.clerk_name(desk, record.created_by)),
        ("登记时间", fmt_datetime(record.created_at)),
    ]
    if kind.workflow is not None:
        top.append(("办理状态", record.status_label))

    story: list[Flowable] = [para(kind.receipt_title, st.title)]
    story.extend(_top_block(record.receipt_no, top, lay, st))
    story.append(spacer(2))
    story.append(para("登记内容", st.heading))
    story.extend(_field_blocks(record, lay, st))
    story.extend(_received_block(desk, record, lay, st))
    story.append(para("后续办理", st.heading))
    for line in next_steps(desk, record):
        story.append(para(line, st.body))
    story.extend(_deadline(desk, record, st))
    story.append(para(f"联系电话：{office.phone_line}", st.body))
    story.append(spacer(2.5))
    story.append(notice_box("个人信息告知", C.PERSONAL_DATA_NOTICE, lay, st))
    story.append(spacer(1.5))
    story.append(para("本回执是登记凭证，请妥善保管；查询办理进度请提供回执编号或出示二维码。", st.small))
    story.append(para(f"打印时间：{fmt_datetime(dt.datetime.now(dt.UTC))}", st.small))
    return story


def _top_block(receipt_no: str, rows: list[tuple[str, Any]], lay: Layout,
               st: Styles) -> list[Flowable]:
    from reportlab.platypus import Table

    qr = qr_code(receipt_no, lay.qr)
    caption = para("扫码识别回执编号", st.small_center)
    if lay.is_roll:
        holder = Table([[qr], [caption]], colWidths=[lay.content_width])
        holder.setStyle(table_style(("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0)))
        return [kv_table(rows, lay, st), spacer(1), holder]
    side = lay.qr + 6
    left = kv_table(rows, lay, st, width=lay.content_width - side - 4)
    right = Table([[qr], [caption]], colWidths=[side])
    right.setStyle(table_style(("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)))
    outer = Table([[left, right]], colWidths=[lay.content_width - side, side])
    outer.setStyle(table_style(("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)))
    return [outer]


def _field_blocks(record: RecordView, lay: Layout, st: Styles) -> list[Flowable]:
    """The receipt fields in declaration order: short values gathered in label/value tables,
    long texts and repeating groups as blocks of their own (a table row cannot be split across
    pages, a paragraph can)."""
    out: list[Flowable] = []
    rows: list[tuple[str, Any]] = []

    def flush() -> None:
        if rows:
            out.append(kv_table(list(rows), lay, st))
            rows.clear()

    for f in receipt_fields(record):
        value = record.values.get(f.key)
        if C.is_empty(value):
            continue
        if isinstance(f, GroupField):
            flush()
            out.extend(_group_block(record, f, lay, st))
        elif isinstance(f, TextField) and f.multiline and len(str(value)) > LONG_TEXT:
            flush()
            out.append(para(f"{f.label}：", st.label))
            out.extend(paras(str(value), st.body))
        else:
            rows.append((f.label, C.show(record, f.key)))
    flush()
    return out


def _group_block(record: RecordView, group: GroupField, lay: Layout,
                 st: Styles) -> list[Flowable]:
    if group.key == "materials":
        return _materials_block(record, lay, st)
    if links.is_party_group(group):
        return [kv_table(list(party_rows(record, group)), lay, st)]
    return [kv_table([(group.label, record.display(group.key, masked=True))], lay, st)]


def party_rows(record: RecordView, group: GroupField) -> list[tuple[str, str]]:
    """A party group as a receipt prints it: one (heading, text) row per party, the text being
    the party's name and, in brackets, the details its declaration puts on receipts (masked)."""
    kind = KINDS[record.kind]
    name_key = links.party_name_key(group)
    keys = tuple(f.key for f in links.receipt_party_fields(kind, group))
    rows: list[tuple[str, str]] = []
    for party in C.parties(record, group.key, keys=keys):
        details = "；".join(f"{label}：{value}" for label, value in party.rows)
        name = str(party.values.get(name_key) or "")
        rows.append((party.heading, name + (f"（{details}）" if details else "")))
    return rows


def _materials_block(record: RecordView, lay: Layout, st: Styles) -> list[Flowable]:
    items = C.materials(record)
    received = sum(m.status == "received" for m in items)
    missing = [m for m in items if m.status in C.MISSING_STATUSES]
    w = lay.content_width
    widths = ([w * 0.08, w * 0.52, w * 0.14, w * 0.26] if not lay.is_roll
              else [w * 0.1, w * 0.5, w * 0.16, w * 0.24])
    rows: list[list[Any]] = [["序号", "材料名称", "状态", "说明"]]
    rows += [[str(n), m.item, m.status_label, m.note] for n, m in enumerate(items, start=1)]
    summary = f"材料清单：共{len(items)}项，已收{received}项"
    if missing:
        summary += f"，缺失或需补正{len(missing)}项：" + "、".join(m.item for m in missing)
    summary += "。"
    return [para("备案材料清单", st.subheading),
            table(rows, widths, st, label_cols=(), header_row=True),
            para(summary, st.body)]


def _received_block(desk: Desk, record: RecordView, lay: Layout,
                    st: Styles) -> list[Flowable]:
    """已收材料: the materials received as attachments (name and pages)."""
    files = C.received_files(desk, record)
    if not files:
        return []
    w = lay.content_width
    widths = ([w * 0.08, w * 0.62, w * 0.14, w * 0.16] if not lay.is_roll
              else [w * 0.1, w * 0.56, w * 0.16, w * 0.18])
    rows: list[list[Any]] = [["序号", "材料名称", "页数", "文件数"]]
    rows += [[str(n), f.name, str(f.pages), str(f.files)] for n, f in enumerate(files, start=1)]
    total = sum(f.pages for f in files)
    return [para("已收材料", st.subheading),
            table(rows, widths, st, label_cols=(), header_row=True),
            para(f"共收材料{len(files)}种、{total}页（扫描件已存档）。", st.body)]


def next_steps(desk: Desk, record: RecordView) -> list[str]:
    """What happens next, in plain words for the visitor."""
    v = record.values
    kind = record.kind
    if kind == "consultation":
        handling = v.get("handling")
        lines = {
            "answered": ["您的咨询已当场答复。如有新的问题，可凭本回执编号再次咨询，无需重复说明情况。"],
            "notice": ["需补充的材料或事项已一次性告知（见上方“一次性告知事项”），"
                       "备齐后请携带本回执到窗口办理。"],
            "to_mediation": ["您反映的纠纷已转至兴安盟知识产权纠纷人民调解委员会，调解委员会将与您联系。"],
            "to_center": ["您的事项已转介至内蒙古知识产权保护中心办理，窗口可协助联系。"],
            "appointment": ["已为您预约办理，请按约定时间携带本回执和有关材料到窗口。"],
        }.get(str(handling), [])
        if handling == "referred":
            deadline = v.get("referral_deadline")
            lines = [f"您的事项已转交{v.get('referred_to') or '承办单位'}办理"
                     + (f"，转办期限为{fmt_date(deadline)}" if deadline else "")
                     + "。本窗口负责跟踪办理结果（首问负责制）。"]
        if v.get("followup_needed") and v.get("followup_date"):
            lines.append(f"窗口将于{fmt_date(v['followup_date'])}前电话回访。")
        return lines
    if kind == "enterprise":
        return ["企业信息已登记入库。名称、联系人等信息有变化时，请告知窗口更新。"]
    if kind == "preexam_filing":
        missing = C.still_missing(desk, record)
        if record.status == "correction" and v.get("correction_deadline"):
            return [f"请按补正要求于{fmt_date(v['correction_deadline'])}前补正材料。"]
        if missing:
            due, days = C.notice_deadline(desk)
            return [f"尚缺{len(missing)}项材料（见上表），请于{fmt_date(due)}前（{days}个工作日内）"
                    "一次性补齐后到窗口办理。"]
        return ["备案材料已齐全。窗口将协助在内蒙古知识产权保护中心平台提交备案，审核结果出来后通知联系人。"]
    if kind == "preexam_case":
        return ["预审案件已登记。提交预审、收到预审意见和得出预审结论时，窗口将及时通知联系人。"]
    if kind == "mediation":
        if record.status == "registered":
            return ["调解委员会将自收到申请之日起3个工作日内决定是否受理，并书面通知您。",
                    "人民调解遵循自愿、平等的原则，" + C.FREE_OF_CHARGE]
        mediator = v.get("mediator")
        return [f"当前状态：{record.status_label}。"
                + (f"承办调解员：{mediator}。" if mediator else ""), C.FREE_OF_CHARGE]
    if kind == "rating":
        if v.get("level") in BAD_LEVELS:
            return ["感谢您的评价。窗口将在3个工作日内核实情况并与您联系，整改结果将向您反馈。"]
        return ["感谢您对我们工作的评价。"]
    return []


def _deadline(desk: Desk, record: RecordView, st: Styles) -> list[Flowable]:
    if record.due_date is None:
        return []
    today = today_cst()
    remaining = desk.calendar().workdays_between(today, record.due_date)
    if remaining > 0:
        when = f"（距今{remaining}个工作日）"
    elif remaining == 0 and record.due_date >= today:
        when = "（今日到期）"
    else:
        when = "（已超过期限）"
    return [para(f"{record.due_label or '办理期限'}：{fmt_date(record.due_date)}{when}", st.body)]
