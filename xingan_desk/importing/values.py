"""From a ledger's cells to what a clerk would have typed, and from a status to its actions.

The cells are only made typeable here (Excel serials to dates, numbers to their digits,
full-width digits and letters to ASCII, a group's display text back to rows); the values then
go through the kind's own `clean` and the Desk's create and action rules, exactly as the form's
input does. What Excel broke beyond repair (a credit code stored as a number in scientific
notation has lost its last digits) is refused with a Chinese reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .. import catalogs
from ..records.fields import (
    BoolField,
    ChoiceField,
    DateField,
    DateTimeField,
    Field,
    FieldError,
    GroupField,
    IntField,
    MoneyField,
    MultiChoiceField,
    TextField,
)
from ..records.kind import RecordKind
from ..records.workflow import Action

__all__ = ["ActionStep", "cell_text", "infer_status", "plan_status", "raw_value", "row_hash",
           "status_code"]

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# full-width digits and letters (not full-width brackets or punctuation in names)
_FW_ALNUM = {cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                        *range(0xFF41, 0xFF5B))}
_SCI = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_CODE_VALIDATED = ("uscc", "id_number")  # roles/keys whose digits Excel must not round


def cell_text(value: Any) -> str:
    """A cell as text for the preview and the error report."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else \
            value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _from_serial(value: float, epoch: dt.datetime | None) -> dt.datetime:
    base = epoch or _EXCEL_EPOCH
    if base == _EXCEL_EPOCH and value < 60:  # Excel's fictitious 1900-02-29
        value += 1
    return base + dt.timedelta(days=float(value))


@lru_cache(maxsize=256)
def _is_code_field(f: Field) -> bool:
    return f.role in _CODE_VALIDATED or f.key in ("uscc", "id_number") or (
        isinstance(f, TextField) and any(getattr(v, "name", "") in ("check_uscc",
                                                                     "check_id_number")
                                         for v in f.validators))


def _number_text(f: Field, value: int | float | Decimal) -> str:
    if isinstance(value, float):
        if value.is_integer():
            if _is_code_field(f) and abs(value) >= 1e15:
                raise FieldError(f"{f.label}在 Excel 中被存成了数字（{value:.6g}），末尾几位已丢失；"
                                 "请把该列设为文本格式后重新填写")
            return str(int(value))
        return repr(value)
    return str(value)


def raw_value(f: Field, value: Any, epoch: dt.datetime | None = None) -> Any:
    """What to hand to `f.clean` for a cell's value (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not (isinstance(f, TextField) and f.multiline):
            text = text.translate(_FW_ALNUM)
        if _is_code_field(f) and _SCI.match(text):
            raise FieldError(f"{f.label}在 Excel 中被存成了科学计数法（{text}），末尾几位已丢失；"
                             "请把该列设为文本格式后重新填写")
        value = text
    if isinstance(f, DateField | DateTimeField):
        if isinstance(value, bool):
            raise FieldError(f"{f.label}格式不对，请按“2026-03-15”填写")
        if isinstance(value, int | float):
            if not 1 <= value < 2958466:
                raise FieldError(f"{f.label}格式不对，请按“2026-03-15”填写")
            moment = _from_serial(value, epoch)
            return moment.date() if isinstance(f, DateField) else moment
        if isinstance(value, str) and re.fullmatch(r"\d{5}(\.\d+)?", value):
            moment = _from_serial(float(value), epoch)  # a serial kept as text
            return moment.date() if isinstance(f, DateField) else moment
        return value
    if isinstance(value, bool):
        return value if isinstance(f, BoolField) else ("是" if value else "否")
    if isinstance(value, int | float | Decimal):
        if isinstance(f, IntField) and isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(f, IntField | MoneyField):
            return value if isinstance(f, IntField) else str(value)
        if isinstance(f, BoolField):
            return str(int(value)) if float(value).is_integer() else str(value)
        return _number_text(f, value)
    if isinstance(value, dt.datetime | dt.date) and not isinstance(f, DateField | DateTimeField):
        return cell_text(value)
    if isinstance(f, ChoiceField) and isinstance(value, str):
        return _choice(f.catalog, value)
    if isinstance(f, MultiChoiceField) and isinstance(value, str):
        return multi_choice_items(f.catalog, value)
    if isinstance(f, GroupField) and isinstance(value, str):
        return group_rows(f, value)
    return value


# words ledgers use for a choice that the catalog names otherwise
SYNONYMS: dict[str, dict[str, str]] = {
    "party_types": {"个人": "person", "自然人": "person", "单位": "org", "企业": "org",
                    "公司": "org", "法人": "org"},
    "handling": {"已答复": "answered", "答复": "answered", "当场解答": "answered",
                 "转办": "referred"},
}


def _choice(catalog: str, text: str) -> str:
    if catalogs.code_of(catalog, text) is not None:
        return text
    if text in SYNONYMS.get(catalog, {}):
        return SYNONYMS[catalog][text]
    if catalog == "counties":  # ledgers write 科右前旗 as often as 科尔沁右翼前旗
        code = catalogs.code_of("county_short_names", text)
        if code is not None:
            return code
    return text


def multi_choice_items(catalog: str, text: str) -> list[str]:
    """Several labels in one cell ("政策咨询（资助/奖补）、专利检索"): split at the separators,
    re-joining pieces whose join is a label (labels may hold "/" or a space)."""
    pieces = [p for p in re.split(r"([、，,;；/\n]|\s+)", text) if p]
    items: list[str] = []
    i = 0
    while i < len(pieces):
        if re.fullmatch(r"[、，,;；/\n]|\s+", pieces[i]):
            i += 1
            continue
        taken = i
        for j in range(len(pieces), i, -1):  # the longest run that names an item
            if catalogs.code_of(catalog, "".join(pieces[i:j]).strip()) is not None:
                taken = j - 1
                break
        items.append("".join(pieces[i:taken + 1]).strip())
        i = taken + 1
    return items


# --- groups (parties, materials, opinions) written as one cell -----------------------------------

@lru_cache(maxsize=64)
def _carried_labels(f: GroupField) -> tuple[re.Pattern[str] | None, dict[str, Field]]:
    carried = {s.label: s for s in f.carried()}
    if not carried:
        return None, carried
    names = "|".join(re.escape(label) for label in sorted(carried, key=len, reverse=True))
    return re.compile(rf"(?:^|\s)({names})[：:]"), carried


def group_rows(f: GroupField, text: str) -> Any:
    """A group's text back to rows: rows separated by "；" (or new lines), in each row the
    sub-fields shown in lists, in order, separated by spaces ("单位 某某有限公司"), then any
    other sub-field as "标签：值" (the export's full text, GroupField.full_text:
    "单位 某某有限公司 统一社会信用代码：9115…"). JSON (a list of objects) is accepted as is."""
    text = text.strip()
    if text.startswith("["):
        return text
    shown = [s for s in f.fields if s.in_list] or list(f.fields)
    labelled, carried = _carried_labels(f)
    rows: list[dict[str, Any]] = []
    for part in re.split(r"[；;\n]+", text):
        extra: dict[str, Any] = {}
        if labelled is not None:
            marks = list(labelled.finditer(part))
            for n, m in enumerate(marks):
                end = marks[n + 1].start() if n + 1 < len(marks) else len(part)
                sub = carried[m.group(1)]
                extra[sub.key] = raw_value(sub, part[m.end():end])
            if marks:
                part = part[:marks[0].start()]
        tokens = part.split()
        if not tokens and extra:
            rows.append(extra)
            continue
        if not tokens:
            continue
        row: dict[str, Any] = {}
        i = 0
        for n, sub in enumerate(shown):
            if i >= len(tokens):
                break
            if isinstance(sub, ChoiceField):
                if (catalogs.code_of(sub.catalog, tokens[i]) is not None
                        or tokens[i] in SYNONYMS.get(sub.catalog, {})):
                    row[sub.key] = _choice(sub.catalog, tokens[i])
                    i += 1
                elif sub.key == "party_type":
                    row[sub.key] = "person"  # a bare name is a person
            elif isinstance(sub, DateField):
                row[sub.key] = tokens[i]
                i += 1
            else:
                rest = shown[n + 1:]
                nxt = rest[0] if rest else None
                j = i + 1
                if nxt is None:
                    j = len(tokens)  # the last one takes the rest of the row
                elif isinstance(nxt, ChoiceField):
                    while j < len(tokens) and catalogs.code_of(nxt.catalog, tokens[j]) is None:
                        j += 1
                row[sub.key] = " ".join(tokens[i:j])
                i = j
        rows.append({**row, **extra})
    return rows


# --- status ------------------------------------------------------------------------------------

def status_code(kind: RecordKind, text: str) -> str | None:
    """The workflow state a ledger's status cell names (label or code), or None."""
    if kind.workflow is None:
        return None
    t = re.sub(r"\s+", "", text)
    for code, label in kind.workflow.states:
        if t in (code, label):
            return code
    return None


@dataclass(frozen=True)
class ActionStep:
    action: Action
    fields: tuple[str, ...]  # the row's fields this step records


def plan_status(kind: RecordKind, start: str, target: str, present: frozenset[str]
                ) -> tuple[tuple[ActionStep, ...], str]:
    """The workflow actions that take a record from `start` (its status after creation) to
    `target`, recording the action fields the row has (`present`). Returns (steps, "") or
    ((), Chinese reason). Among the paths, the one that needs no missing required value and
    records most of the row's fields wins, then the shortest."""
    return _plan(kind.key, kind, start, target, present)


@lru_cache(maxsize=512)
def _plan(_key: str, kind: RecordKind, start: str, target: str, present: frozenset[str]
          ) -> tuple[tuple[ActionStep, ...], str]:
    wf = kind.workflow
    if wf is None or start == target:
        return (), ""
    recordable = {k for a in wf.actions for k in a.fields} & present
    best: tuple[tuple[int, int, int], list[Action]] | None = None

    def walk(status: str, path: list[Action]) -> None:
        nonlocal best
        if status == target and path:
            missing = sum(1 for a in path for k in a.required if k not in present)
            covered = {k for a in path for k in a.fields}
            score = (missing, len(recordable - covered), len(path))
            if best is None or score < best[0]:
                best = (score, list(path))
        if len(path) >= 8:
            return
        for a in wf.actions:
            if status in a.sources and path.count(a) < 2:  # 提交 again after 补正
                path.append(a)
                walk(a.target, path)
                path.pop()

    walk(start, [])
    if best is None:
        return (), (f"状态“{wf.state_label(target)}”无法从“{wf.state_label(start)}”办理到达，"
                    "请核对状态或处理方式")
    (missing, _, _), path = best
    if missing:
        need: list[str] = []
        for a in path:
            need += [kind.field(k).label for k in a.required if k not in present
                     and kind.field(k).label not in need]
        return (), f"状态为“{wf.state_label(target)}”时请填写" + "、".join(need)
    return tuple(ActionStep(a, tuple(k for k in a.fields if k in present)) for a in path), ""


def infer_status(kind: RecordKind, start: str, present: frozenset[str]) -> str | None:
    """For a ledger without a status column: the status whose path from `start` records
    every action field the row fills and needs nothing it lacks (the nearest such; a tie
    between different statuses is no answer)."""
    wf = kind.workflow
    if wf is None:
        return None
    best: list[tuple[int, str]] = []
    for code, _ in wf.states:
        if code == start:
            continue
        steps, why = plan_status(kind, start, code, present)
        if why or not steps:
            continue
        covered = {k for s in steps for k in s.fields}
        if present <= covered:
            best.append((len(steps), code))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]


def row_hash(kind: RecordKind, values: Mapping[str, Any]) -> str:
    """A row's identity when the ledger has no number of its own: the hash of its values."""
    data = json.dumps(kind.to_json({k: v for k, v in values.items() if v not in (None, "", [])}),
                      sort_keys=True, ensure_ascii=False, default=str)
    return "#" + hashlib.sha256(f"{kind.key}\n{data}".encode()).hexdigest()[:32]
