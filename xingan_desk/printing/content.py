"""What printed papers say about a record: display values (masked where needed), clerk and window
names, party and materials lists, fixed notices. No ReportLab here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xingan_desk import catalogs
from xingan_desk.errors import DeskError
from xingan_desk.masking import mask
from xingan_desk.records.fields import (
    DateField,
    DateTimeField,
    Field,
    GroupField,
)
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import today_cst
from xingan_desk.views import RecordView

from .layout import fmt_date, fmt_datetime

if TYPE_CHECKING:
    from ..desk import Desk

NOTICE_DAYS_SETTING = "notice_days"
DEFAULT_NOTICE_DAYS = 5

PERSONAL_DATA_NOTICE = (
    "我们登记您的姓名、联系方式等信息，只用于办理本次事项、联系回访和依法统计，"
    "处理依据是本机关依法履职的需要，不作他用；除法律、行政法规另有规定外，不向其他单位或个人提供。"
    "信息保存至事项办结并按档案管理规定的保管期限届满后，予以删除或匿名化处理。"
    "如需查阅或更正，请凭本回执编号到窗口或拨打本回执所列电话办理。"
)

FREE_OF_CHARGE = "本调解不收取任何费用。"

MISSING_STATUSES = ("missing", "correction")


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def show(record: RecordView, key: str, *, reveal: bool = False) -> str:
    """A field's value as printed: dates in Chinese, ID and phone masked unless ``reveal``."""
    f = KINDS[record.kind].field(key)
    return show_value(f, record.values.get(key), reveal=reveal)


def show_value(f: Field, value: Any, *, reveal: bool = False) -> str:
    if is_empty(value):
        return ""
    if f.mask and not reveal:
        return mask(f.mask, f.display(value))
    if isinstance(f, DateTimeField):
        return fmt_datetime(value)
    if isinstance(f, DateField):
        return fmt_date(value)
    return f.display(value)


def clerk_name(desk: Desk, username: str) -> str:
    """The display name of an account (the username if it is not known on this PC)."""
    try:
        users = desk.list_users()
    except (DeskError, AttributeError):
        return username
    for user in users:
        if user.username == username:
            return str(user.display_name)
    return username


def current_clerk(desk: Desk) -> str:
    try:
        return str(desk.user.display_name)
    except DeskError:
        return ""


def window_label(desk: Desk, owner: str) -> tuple[str, str]:
    """(window label, county name) of the window that registered a record ("152223-02")."""
    ident = desk.identity
    if owner == ident.window_code:
        return ident.label, ident.county_name
    county, _, window = owner.partition("-")
    name = catalogs.county_name(county)
    window_no = window[:2] if window else ""
    return (f"{name} {window_no}号窗口" if window_no else name), name


def notice_days(desk: Desk) -> int:
    """Working days given to hand in missing materials (setting "notice_days", default 5)."""
    value = desk.setting(NOTICE_DAYS_SETTING, DEFAULT_NOTICE_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_NOTICE_DAYS
    return days if 1 <= days <= 60 else DEFAULT_NOTICE_DAYS


def notice_deadline(desk: Desk, today: dt.date | None = None) -> tuple[dt.date, int]:
    days = notice_days(desk)
    start = today or today_cst()
    return desk.calendar().add_workdays(start, days), days


@dataclass(frozen=True, slots=True)
class Material:
    item: str
    status: str
    status_label: str
    note: str


def materials(record: RecordView) -> list[Material]:
    rows = record.values.get("materials") or []
    return [
        Material(str(r.get("item") or ""), str(r.get("status") or ""),
                 catalogs.label_of("material_status", r.get("status")), str(r.get("note") or ""))
        for r in rows
    ]


def missing_materials(record: RecordView) -> list[Material]:
    return [m for m in materials(record) if m.status in MISSING_STATUSES]


def still_missing(desk: Desk, record: RecordView) -> list[Material]:
    """Checklist rows still missing: not ticked, and no live attachment filed under them (a
    scan attached by a window that may not tick the row counts as received too)."""
    attached = {a.material for a in desk.list_attachments(record.id) if not a.voided}
    return [m for m in missing_materials(record) if m.item not in attached]


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    name: str  # the material type (or the file name)
    pages: int
    files: int


def received_files(desk: Desk, record: RecordView) -> list[ReceivedFile]:
    """The materials received as attachments (voided ones left out), pages summed per type."""
    return [ReceivedFile(m.name, m.pages, m.files)
            for m in desk.attachments.received_materials(record.id)]


@dataclass(frozen=True, slots=True)
class Party:
    role: str  # 申请人 / 被申请人
    number: int
    is_org: bool
    rows: tuple[tuple[str, str], ...]  # (label, value) as printed, empty values left out
    values: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.values.get("name") or "")

    @property
    def heading(self) -> str:
        return f"{self.role}（{self.number}）" if self.number else self.role


def parties(record: RecordView, key: str, *, keys: tuple[str, ...] | None = None,
            reveal: bool = False) -> list[Party]:
    """The parties of a mediation record (``applicants`` or ``respondents``) as printed rows."""
    group = KINDS[record.kind].field(key)
    assert isinstance(group, GroupField)
    raw = list(record.values.get(key) or [])
    role = group.label
    out: list[Party] = []
    for n, row in enumerate(raw, start=1):
        shown: list[tuple[str, str]] = []
        for sub in group.fields:
            if keys is not None and sub.key not in keys:
                continue
            text = show_value(sub, row.get(sub.key), reveal=reveal)
            if text:
                shown.append((sub.label, text))
        out.append(Party(role, n if len(raw) > 1 else 0, row.get("party_type") == "org",
                         tuple(shown), dict(row)))
    return out


def party_names(record: RecordView, key: str) -> str:
    return "、".join(str(r.get("name") or "") for r in record.values.get(key) or [] if r.get("name"))


def all_texts(record: RecordView) -> Iterator[str]:
    """Every text of a record's values (nested rows included), to check before printing."""

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for v in value.values():
                yield from walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                yield from walk(v)

    yield record.receipt_no
    yield from walk(dict(record.values))
