"""Field types of the record-kind declarations.

A field is declared once (key, Chinese label, type, limits, validators, presentation flags) and
drives the form, the validation, the table schema, list columns, receipt rows and exports.
Keys are stable identifiers (DB column, export key, sync key) and are never renamed.

Owns parsing, validation and display of single values. Imports no Qt and no storage.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from .. import catalogs
from ..timeutil import CST, format_date, format_datetime

Validator = Callable[[Any], "str | None"]
"""A pure function taking the parsed value and returning a Chinese message, or None if fine."""


@dataclass(frozen=True)
class NamedCheck:
    """A field validator made from a named ``validation.check_*`` function (raw str → message).

    The name travels to central (sync/declarations.py), which runs its own implementation of
    the same check (sync/sql/validate.sql, proven equal by shared test vectors)."""

    check: Callable[[str], str | None]

    @property
    def name(self) -> str:
        return self.check.__name__

    def __call__(self, value: Any) -> str | None:
        return self.check(str(value))


class FieldError(ValueError):
    """A value that cannot be used; the message is Chinese and shown beside the field."""


_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


@dataclass(frozen=True, kw_only=True)
class Field:
    key: str
    label: str
    required: bool = False
    help: str = ""
    in_list: bool = False
    on_receipt: bool = False
    export: bool = True
    searchable: bool = False
    # "id" | "phone" | None: masked on anything handed out and in default exports
    mask: str | None = None
    validators: tuple[Validator, ...] = ()
    # "intake": typed in the record's form; "action": recorded by a workflow action;
    # "derived": computed when an action is taken (deadlines); "system": set by the
    # application outside the workflow (handover link, central case number). Only intake
    # fields are editable.
    stage: str = "intake"
    group: str = ""
    # What the field means to links between kinds (records/links.py): handovers, enterprise
    # autofill and registration, party rows on receipts. Fields of different kinds with the
    # same role hold the same kind of fact ("uscc", "enterprise_name", "contact_phone", …);
    # a visitor's fields ("visitor_name", "visitor_phone") never share a role with an
    # enterprise contact's. Empty: the field takes part in no link except by its key.
    role: str = ""
    widget: str | None = None  # optional editor override key, looked up by ui/
    default: Any = None

    type_name: ClassVar[str] = "field"

    # --- parsing -------------------------------------------------------------------------
    def parse(self, raw: Any) -> Any:
        """Turn what was typed (usually a str) into the stored value; raise FieldError."""
        return raw

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or value == ()

    def clean(self, raw: Any) -> Any:
        """Parse + required check + validators. Returns the value or raises FieldError."""
        value = None if self.is_empty(raw) else self.parse(raw)
        if self.is_empty(value):
            if self.required:
                raise FieldError(f"请填写{self.label}")
            return None
        for check in self.validators:
            message = check(value)
            if message:
                raise FieldError(message)
        return value

    # --- presentation ----------------------------------------------------------------------
    def display(self, value: Any) -> str:
        return "" if value is None else str(value)

    # --- storage / sync ------------------------------------------------------------------
    def sa_type(self) -> Any:
        from sqlalchemy import String

        return String(200)

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, value: Any) -> Any:
        return value


def _clean_text(raw: Any, multiline: bool) -> str:
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        # pasted text with line breaks becomes one line
        text = re.sub(r"\s*\n\s*", " ", text)
    text = text.strip()
    return text


@dataclass(frozen=True, kw_only=True)
class TextField(Field):
    max_len: int = 100
    multiline: bool = False
    normalizer: Callable[[str], str] | None = None
    type_name: ClassVar[str] = "text"

    def parse(self, raw: Any) -> Any:
        text = _clean_text(raw, self.multiline)
        if self.normalizer and text:
            text = self.normalizer(text)
        if len(text) > self.max_len:
            raise FieldError(f"{self.label}不能超过{self.max_len}个字（现有{len(text)}个字）")
        return text

    def sa_type(self) -> Any:
        from sqlalchemy import String, Text

        return Text() if self.multiline or self.max_len > 500 else String(self.max_len)


@dataclass(frozen=True, kw_only=True)
class IntField(Field):
    min_value: int = 0
    max_value: int = 10_000_000
    type_name: ClassVar[str] = "int"

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, bool):
            raise FieldError(f"{self.label}应为整数")
        if isinstance(raw, int):
            value = raw
        else:
            text = to_halfwidth(str(raw)).strip().replace(",", "")
            if not re.fullmatch(r"[+-]?\d+", text):
                raise FieldError(f"{self.label}应为整数")
            value = int(text)
        if not self.min_value <= value <= self.max_value:
            raise FieldError(f"{self.label}应在{self.min_value}到{self.max_value}之间")
        return value

    def sa_type(self) -> Any:
        from sqlalchemy import Integer

        return Integer()


@dataclass(frozen=True, kw_only=True)
class MoneyField(Field):
    """An amount in yuan with two decimals (e.g. 标的额). Stored as a decimal string."""

    max_value: Decimal = Decimal("100000000000")
    type_name: ClassVar[str] = "money"

    def parse(self, raw: Any) -> Any:
        text = to_halfwidth(str(raw)).strip().replace(",", "").removesuffix("元")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise FieldError(f"{self.label}应为金额数字，如 12000.50") from None
        if not value.is_finite() or value < 0 or value > self.max_value:
            raise FieldError(f"{self.label}超出允许范围")
        return value.quantize(Decimal("0.01"))

    def display(self, value: Any) -> str:
        return "" if value is None else f"{Decimal(value):,.2f}"

    def sa_type(self) -> Any:
        from sqlalchemy import Numeric

        return Numeric(16, 2, asdecimal=True)

    def to_json(self, value: Any) -> Any:
        return None if value is None else str(value)

    def from_json(self, value: Any) -> Any:
        return None if value is None else Decimal(str(value))


@dataclass(frozen=True, kw_only=True)
class BoolField(Field):
    type_name: ClassVar[str] = "bool"

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "是", "有", "y", "√", "✓"):
            return True
        if text in ("0", "false", "no", "否", "无", "n"):
            return False
        raise FieldError(f"{self.label}应为“是”或“否”")

    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def display(self, value: Any) -> str:
        return "" if value is None else ("是" if value else "否")

    def sa_type(self) -> Any:
        from sqlalchemy import Boolean

        return Boolean()


_DATE_RE = re.compile(r"^(\d{4})\D{0,2}?(\d{1,2})\D{0,2}?(\d{1,2})\D?$")


def parse_date_text(text: str, label: str) -> dt.date:
    text = to_halfwidth(text).strip()
    m = _DATE_RE.match(text.replace("年", "-").replace("月", "-").replace("日", ""))
    if not m:
        raise FieldError(f"{label}格式不对，请按“2026-03-15”填写")
    y, mo, d = (int(g) for g in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise FieldError(f"{label}“{y}-{mo:02d}-{d:02d}”不是有效日期") from None


@dataclass(frozen=True, kw_only=True)
class DateField(Field):
    not_future: bool = False
    min_year: int = 1949
    type_name: ClassVar[str] = "date"

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, dt.datetime):
            value = raw.astimezone(CST).date() if raw.tzinfo else raw.date()
        elif isinstance(raw, dt.date):
            value = raw
        else:
            value = parse_date_text(str(raw), self.label)
        if value.year < self.min_year or value.year > 2100:
            raise FieldError(f"{self.label}年份不合理：{value.year}")
        if self.not_future and value > dt.datetime.now(CST).date():
            raise FieldError(f"{self.label}不能晚于今天")
        return value

    def display(self, value: Any) -> str:
        return "" if value is None else format_date(value)

    def sa_type(self) -> Any:
        from sqlalchemy import Date

        return Date()

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else dt.date.fromisoformat(value)


@dataclass(frozen=True, kw_only=True)
class DateTimeField(Field):
    """A moment, stored in UTC, displayed and typed in China Standard Time."""

    type_name: ClassVar[str] = "datetime"

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, dt.datetime):
            value = raw if raw.tzinfo else raw.replace(tzinfo=CST)
        elif isinstance(raw, dt.date):
            value = dt.datetime(raw.year, raw.month, raw.day, tzinfo=CST)
        else:
            text = to_halfwidth(str(raw)).strip().replace("T", " ")
            m = re.fullmatch(r"(.+?)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
            if m:
                day = parse_date_text(m.group(1), self.label)
                hh, mm, ss = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
                if hh > 23 or mm > 59 or ss > 59:
                    raise FieldError(f"{self.label}时间不对")
                value = dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=CST)
            else:
                day = parse_date_text(text, self.label)
                value = dt.datetime(day.year, day.month, day.day, tzinfo=CST)
        if value.year < 1990 or value.year > 2100:
            raise FieldError(f"{self.label}年份不合理：{value.year}")
        return value.astimezone(dt.UTC)

    def display(self, value: Any) -> str:
        return "" if value is None else format_datetime(value)

    def sa_type(self) -> Any:
        from ..storage.types import UTCDateTime

        return UTCDateTime()

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.astimezone(dt.UTC).isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else dt.datetime.fromisoformat(value).astimezone(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class ChoiceField(Field):
    """One code out of a catalog list (resources/catalogs/choices.toml)."""

    catalog: str
    type_name: ClassVar[str] = "choice"

    def options(self) -> tuple[tuple[str, str], ...]:
        return catalogs.active_choices(self.catalog)

    def parse(self, raw: Any) -> Any:
        code = catalogs.code_of(self.catalog, str(raw))
        if code is None:
            allowed = "、".join(label for _, label in self.options()[:8])
            raise FieldError(f"{self.label}“{raw}”不在可选范围内（可选：{allowed}）")
        return code

    def display(self, value: Any) -> str:
        return catalogs.label_of(self.catalog, value)

    def sa_type(self) -> Any:
        from sqlalchemy import String

        return String(32)


@dataclass(frozen=True, kw_only=True)
class MultiChoiceField(Field):
    """Several codes out of a catalog; stored as a JSON list."""

    catalog: str
    type_name: ClassVar[str] = "multichoice"

    def options(self) -> tuple[tuple[str, str], ...]:
        return catalogs.active_choices(self.catalog)

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, str):
            items = [p for p in re.split(r"[,，、;；/\s]+", raw) if p]
        else:
            items = [str(p) for p in raw]
        codes: list[str] = []
        for item in items:
            code = catalogs.code_of(self.catalog, item)
            if code is None:
                raise FieldError(f"{self.label}“{item}”不在可选范围内")
            if code not in codes:
                codes.append(code)
        return codes

    def display(self, value: Any) -> str:
        return "、".join(catalogs.label_of(self.catalog, c) for c in value or [])

    def sa_type(self) -> Any:
        from sqlalchemy import JSON

        return JSON()


@dataclass(frozen=True, kw_only=True)
class RefField(Field):
    """A link to another record by its receipt number (办件编号). Existence is checked by Desk."""

    target_kinds: tuple[str, ...] = ()
    type_name: ClassVar[str] = "ref"

    def parse(self, raw: Any) -> Any:
        text = to_halfwidth(str(raw)).strip().upper().replace(" ", "")
        if len(text) > 40:
            raise FieldError(f"{self.label}过长")
        return text

    def sa_type(self) -> Any:
        from sqlalchemy import String

        return String(40)


@dataclass(frozen=True, kw_only=True)
class GroupField(Field):
    """A repeating group (parties, materials checklist, opinions): a JSON list of row dicts."""

    fields: tuple[Field, ...] = ()
    min_rows: int = 0
    max_rows: int = 50
    row_label: str = "第{n}行"
    type_name: ClassVar[str] = "group"

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise FieldError(f"{self.label}格式不对") from None
        if not isinstance(raw, Sequence) or isinstance(raw, str):
            raise FieldError(f"{self.label}格式不对")
        rows: list[dict[str, Any]] = []
        for n, row in enumerate(raw, start=1):
            if not isinstance(row, Mapping):
                raise FieldError(f"{self.label}{self.row_label.format(n=n)}格式不对")
            if all(f.is_empty(row.get(f.key)) for f in self.fields):
                continue  # a blank row left in the editor table
            cleaned: dict[str, Any] = {}
            for f in self.fields:
                try:
                    cleaned[f.key] = f.clean(row.get(f.key))
                except FieldError as exc:
                    raise FieldError(f"{self.label}{self.row_label.format(n=n)}：{exc}") from None
            rows.append(cleaned)
        if len(rows) > self.max_rows:
            raise FieldError(f"{self.label}最多{self.max_rows}项")
        return rows

    def clean(self, raw: Any) -> Any:
        value = [] if self.is_empty(raw) else self.parse(raw)
        if len(value) < max(self.min_rows, 1 if self.required else 0):
            need = max(self.min_rows, 1)
            raise FieldError(f"请填写{self.label}（至少{need}项）")
        for check in self.validators:
            message = check(value)
            if message:
                raise FieldError(message)
        return value

    def sub(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def display(self, value: Any) -> str:
        parts = []
        for row in value or []:
            shown = [f.display(row.get(f.key)) for f in self.fields if f.in_list]
            parts.append(" ".join(s for s in shown if s))
        return "；".join(p for p in parts if p)

    def carried(self) -> tuple[Field, ...]:
        """The sub-fields a whole row's text carries after its in-list part, as "标签：值"
        (the export's cell; importing.values.group_rows reads it back): every other exported
        single-line sub-field. Multi-line ones (minutes) stay out: a cell's rows and labels
        are told apart by "；" and spaces, which such text holds."""
        return tuple(f for f in self.fields if not f.in_list and f.export
                     and not (isinstance(f, TextField) and f.multiline))

    def full_text(self, value: Any) -> str:
        """The rows in full, for exports: the in-list part as `display` shows it, then
        "标签：值" for each carried sub-field that has a value, rows joined by "；"."""
        carried = self.carried()
        parts = []
        for row in value or []:
            shown = [f.display(row.get(f.key)) for f in self.fields if f.in_list]
            shown += [f"{f.label}：{f.display(row.get(f.key))}" for f in carried
                      if not f.is_empty(row.get(f.key))]
            parts.append(" ".join(s for s in shown if s))
        return "；".join(p for p in parts if p)

    def sa_type(self) -> Any:
        from sqlalchemy import JSON

        return JSON()

    def to_json(self, value: Any) -> Any:
        if value is None:
            return []
        return [{f.key: f.to_json(row.get(f.key)) for f in self.fields} for row in value]

    def from_json(self, value: Any) -> Any:
        return [{f.key: f.from_json(row.get(f.key)) for f in self.fields} for row in value or []]


@dataclass(frozen=True)
class Check:
    """A cross-field rule: returns {field_key: Chinese message} for the fields at fault."""

    fn: Callable[[Mapping[str, Any]], Mapping[str, str]]
