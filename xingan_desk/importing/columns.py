"""Which column of a ledger holds which field: found from the header's Chinese labels.

A header cell maps to a field when, cleaned (spaces, full-width forms, "*", "（必填）" and
a trailing unit in brackets removed), it equals the field's label as the export writes it
(`export.header_for`), or one of the common variants below. The envelope columns of an export
are understood too: 登记编号 (also 原台账编号, 台账编号 …) is the row's source key, 状态 its status;
登记时间 the record's registration time; 旗县市, 窗口, 登记人 are the exporting window's and
are not imported. The mapping is
editable (the wizard's combo boxes, `ColumnMap.with_target`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..records.fields import GroupField
from ..records.kind import RecordKind

__all__ = [
    "CREATED_AT",
    "SOURCE_KEY",
    "STATUS",
    "ColumnMap",
    "clean_label",
    "find_header",
    "map_header",
    "target_label",
    "targets_of",
]

SOURCE_KEY = "@source_key"  # the ledger's own number (原台账编号), kept for re-imports
STATUS = "@status"
CREATED_AT = "@created_at"  # when the record was registered (the export's 登记时间)
_IGNORED_ENVELOPE = ("旗县市", "窗口", "登记人", "序号")

_SOURCE_LABELS = ("原台账编号", "登记编号", "台账编号", "原编号", "编号", "案件编号", "案号",
                  "登记号", "流水号")
_STATUS_LABELS = ("状态", "办理状态", "当前状态", "案件状态", "处理状态")

# common variants of the labels the export writes, by field key (any kind having the key)
VARIANTS: dict[str, tuple[str, ...]] = {
    "uscc": ("信用代码", "社会信用代码", "统一信用代码", "统一代码", "企业信用代码"),
    "enterprise_uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "企业信用代码"),
    "applicant_uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称", "单位名称", "公司名称", "企业"),
    "enterprise_name": ("企业名称", "单位名称", "公司名称", "单位", "企业"),
    "county_code": ("所在旗县市", "旗县市", "所属旗县", "所属地区", "注册地", "地区"),
    "visitor_region": ("来访人所在地", "所属地区", "地区"),
    "visitor_name": ("姓名", "来访人", "咨询人", "咨询人姓名", "来访者"),
    "visitor_phone": ("电话", "手机", "手机号", "联系方式", "咨询人电话"),
    "contact_phone": ("电话", "手机", "手机号", "联系方式", "联系人电话"),
    "contact_name": ("联系人姓名",),
    "started_at": ("咨询时间", "来访时间", "咨询日期", "来访日期", "登记日期", "日期", "时间"),
    "question": ("咨询内容", "咨询问题", "咨询事项摘要", "问题", "主要内容"),
    "answer": ("答复", "解答内容", "答复意见", "回复内容"),
    "topics": ("咨询类别", "咨询类型", "事项类别"),
    "handling": ("办理方式", "处理结果", "办理结果"),
    "legal_rep": ("法人", "法人代表", "法定代表人姓名"),
    "established_on": ("成立时间", "注册日期", "成立年月"),
    "address": ("住所", "注册地址", "企业地址", "通讯地址"),
    "industry": ("所属行业", "行业", "行业领域"),
    "invention_patents": ("发明专利数", "有效发明专利", "发明专利"),
    "utility_patents": ("实用新型", "实用新型数"),
    "design_patents": ("外观设计", "外观专利数"),
    "key_support": ("重点帮扶", "是否重点帮扶企业", "重点帮扶企业"),
    "key_support_year": ("入库年份", "纳入年度"),
    "employees_insured": ("参保人数", "职工人数"),
    "applied_on": ("申请时间", "收案日期", "登记日期"),
    "accepted_on": ("受理时间",),
    "mediator": ("承办调解员", "调解人员", "承办人"),
    "applicants": ("申请人姓名", "申请方"),
    "respondents": ("被申请人姓名", "被申请方"),
    "facts": ("纠纷情况", "案情简介", "简要案情"),
    "claims": ("请求事项", "申请请求"),
    "amount": ("标的额", "涉案金额", "争议金额"),
    "rated_at": ("评价日期", "评价时间"),
    "level": ("评价结果", "满意度"),
    "guided_on": ("引导时间",),
}

_BRACKETS = re.compile(r"[（(][^）)]*[）)]$")


def clean_label(text: Any) -> str:
    """A header cell reduced to what matters for matching."""
    s = unicodedata.normalize("NFKC", "" if text is None else str(text))
    s = re.sub(r"\s+", "", s).replace("*", "").replace("※", "")
    s = s.replace("（必填）", "").replace("(必填)", "").replace("必填", "")
    return s.strip("：:")


def _label_index(kind: RecordKind) -> dict[str, tuple[str, int]]:
    """cleaned label → (target, priority): the export's own labels 0, the envelope's 1,
    variants 2 (a column named exactly like a field wins over one named like a variant)."""
    index: dict[str, tuple[str, int]] = {}

    def put(label: str, target: str, prio: int) -> None:
        key = clean_label(label)
        index.setdefault(key, (target, prio))
        bare = _BRACKETS.sub("", key)
        if bare and bare != key:
            index.setdefault(bare, (target, prio + 1))

    fields = [f for f in kind.fields if f.stage != "system"]
    for f in fields:
        put(f.label, f.key, 0)
    for label in _SOURCE_LABELS:
        put(label, SOURCE_KEY, 1)
    put("登记时间", CREATED_AT, 1)
    if kind.workflow:
        for label in _STATUS_LABELS:
            put(label, STATUS, 1)
    for f in fields:
        for label in VARIANTS.get(f.key, ()):
            put(label, f.key, 3)
    for label in _IGNORED_ENVELOPE:
        index.setdefault(clean_label(label), ("", 9))
    return index


def targets_of(kind: RecordKind) -> list[tuple[str, str]]:
    """(target, Chinese label) choices for a column: the source key, the status, then the
    kind's importable fields in form order (the wizard's combo boxes)."""
    out = [(SOURCE_KEY, "原台账编号"), (CREATED_AT, "登记时间")]
    if kind.workflow:
        out.append((STATUS, "状态"))
    out += [(f.key, f.label) for f in kind.fields if f.stage in ("intake", "action")]
    return out


def target_label(kind: RecordKind, target: str) -> str:
    for t, label in targets_of(kind):
        if t == target:
            return label
    return "（不导入）"


@dataclass(frozen=True)
class ColumnMap:
    """Column index → target (a field key, SOURCE_KEY, STATUS; "" = not imported)."""

    header_row: int  # the header's row number in the sheet
    headers: tuple[str, ...]
    targets: tuple[str, ...]

    def with_target(self, column: int, target: str) -> ColumnMap:
        """The same map with `column` sent to `target` (another column holding it lets go)."""
        targets = list(self.targets)
        if target:
            targets = ["" if t == target else t for t in targets]
        targets[column] = target
        return replace(self, targets=tuple(targets))

    def column_of(self, target: str) -> int | None:
        for i, t in enumerate(self.targets):
            if t == target:
                return i
        return None

    @property
    def mapped(self) -> list[tuple[int, str]]:
        return [(i, t) for i, t in enumerate(self.targets) if t]

    def missing_required(self, kind: RecordKind) -> list[str]:
        """Labels of required intake fields no column provides (and no default fills)."""
        have = set(self.targets)
        return [f.label for f in kind.intake_fields
                if f.required and f.default is None and f.key not in have
                and not (isinstance(f, GroupField) and f.min_rows == 0)]


def map_header(kind: RecordKind, header_row: int, cells: Sequence[Any]) -> ColumnMap:
    """The automatic mapping of one header row: each target goes to the column naming it
    best (the export's label before a variant; the first column among equals)."""
    index = _label_index(kind)
    headers = tuple("" if c is None else str(c).strip() for c in cells)
    found: list[tuple[str, int]] = [index.get(clean_label(h), ("", 9)) for h in headers]
    best: dict[str, tuple[int, int]] = {}
    for col, (target, prio) in enumerate(found):
        if target and (target not in best or prio < best[target][0]):
            best[target] = (prio, col)
    targets = tuple(t if t and best[t][1] == col else "" for col, (t, _) in enumerate(found))
    return ColumnMap(header_row, headers, targets)


def find_header(kind: RecordKind, rows: Sequence[tuple[int, Sequence[Any]]]) -> ColumnMap | None:
    """The header among the first rows of a sheet (title rows above it are skipped): the row
    with the most cells that name a field of `kind`, at least two."""
    best: ColumnMap | None = None
    best_score = 1
    for rno, cells in rows:
        m = map_header(kind, rno, cells)
        score = sum(1 for t in m.targets if t)
        if score > best_score:
            best, best_score = m, score
    return best
